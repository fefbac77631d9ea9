"""The ontology and vocabularies document every term in nl and en."""

from __future__ import annotations

from rdflib import OWL, RDF, RDFS, SKOS, Literal, URIRef
from rdflib.namespace import DCTERMS

from .conftest import BASE, KD

ONTOLOGY = URIRef(f"{BASE}def/kd")


def langs(g, subject, predicate) -> set[str]:  # type: ignore[no-untyped-def]
    return {o.language for o in g.objects(subject, predicate) if isinstance(o, Literal)}


def our_terms(rdf, kind):  # type: ignore[no-untyped-def]
    return [s for s in rdf.subjects(RDF.type, kind) if str(s).startswith(str(KD))]


def test_ontology_header(rdf) -> None:
    assert (ONTOLOGY, RDF.type, OWL.Ontology) in rdf
    for predicate in (OWL.versionIRI, DCTERMS.created, DCTERMS.modified, DCTERMS.license):
        assert rdf.value(ONTOLOGY, predicate) is not None, predicate


def test_every_class_and_property_has_label_and_definition_in_nl_and_en(rdf) -> None:
    terms = (
        our_terms(rdf, OWL.Class) + our_terms(rdf, OWL.ObjectProperty) + our_terms(rdf, OWL.DatatypeProperty)
    )
    assert len(terms) > 60
    for term in terms:
        assert {"nl", "en"} <= langs(rdf, term, RDFS.label), term
        assert {"nl", "en"} <= langs(rdf, term, SKOS.definition), term


def test_every_kd_term_used_in_data_is_declared(rdf, data_only) -> None:
    declared = (
        set(our_terms(rdf, OWL.Class))
        | set(our_terms(rdf, OWL.ObjectProperty))
        | set(our_terms(rdf, OWL.DatatypeProperty))
    )
    used = {p for p in data_only.predicates() if str(p).startswith(str(KD))}
    used |= {o for o in data_only.objects(None, RDF.type) if str(o).startswith(str(KD))}
    assert used - declared == set()


def test_every_concept_has_pref_label_in_nl_and_en(rdf) -> None:
    for concept in rdf.subjects(SKOS.inScheme, None):
        assert {"nl", "en"} <= langs(rdf, concept, SKOS.prefLabel), concept


def test_cefr_levels_are_ordered(rdf) -> None:
    ranks = {
        str(rdf.value(c, SKOS.notation)): int(rdf.value(c, KD.rank))
        for c in rdf.subjects(RDF.type, KD.CefrLevel)
    }
    assert ranks == {"A1": 1, "A2": 2, "B1": 3, "B2": 4, "C1": 5, "C2": 6}


def test_mbo_levels_map_to_eqf_and_nlqf(rdf) -> None:
    for n in range(1, 5):
        level = URIRef(f"{BASE}def/mbo-level/{n}")
        assert rdf.value(level, KD.eqfLevel) == URIRef(f"http://data.europa.eu/snb/eqf/{n}")
        assert rdf.value(level, KD.nlqfLevel) == URIRef(f"{BASE}def/nlqf-level/{n}")
        assert rdf.value(level, DCTERMS.source) is not None
