"""The ontology's documentation page (/def/ and /def/kd as HTML), rendered from the served graph.

Rendered by us rather than by pyLODE: pyLODE glued the nl and en labels together, showed
``Preferred Namespace Uri: kd:``, ran its table of contents off the window, logged on import and
pinned an old release. Here every term has its label and definition in the page's language with
the other language beside it, its super-classes or super-properties, domain and range as links,
and an anchor (``/def/kd#Qualification``) so that the hash URIs of the terms land on it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pyoxigraph as ox

from kdgraph.pages.documents import Index
from kdgraph.query.engine import Query

OWL = "http://www.w3.org/2002/07/owl#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCT = "http://purl.org/dc/terms/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"

ONTOLOGY_PAGE = """
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
CONSTRUCT {{
  ?s ?p ?o . ?o rdfs:label ?olabel .
  ?scheme a skos:ConceptScheme ; skos:prefLabel ?slabel ; skos:hasTopConcept ?concept .
  ?concept skos:inScheme ?scheme .
}} WHERE {{
  {{ ?s ?p ?o . FILTER(STRSTARTS(STR(?s), "{kd}") || ?s = <{ontology}>)
     OPTIONAL {{ ?o rdfs:label ?olabel }} }}
  UNION
  {{ ?scheme a skos:ConceptScheme ; skos:prefLabel ?slabel .
     OPTIONAL {{ ?concept skos:inScheme ?scheme }} }}
}}
"""


def ontology_query(base: str) -> Query:
    return Query(ONTOLOGY_PAGE.format(kd=f"{base}def/kd#", ontology=f"{base}def/kd"))


@dataclass
class Ref:
    href: str
    label: str
    external: bool


@dataclass
class Term:
    iri: str
    fragment: str
    label: str
    other_label: str
    definition: str
    other_definition: str
    parents: list[Ref] = field(default_factory=list)
    domain: list[Ref] = field(default_factory=list)
    range: list[Ref] = field(default_factory=list)
    equivalents: list[Ref] = field(default_factory=list)
    properties: list[Ref] = field(default_factory=list)  # classes: properties with this domain


@dataclass
class OntologyPage:
    iri: str
    title: str
    other_title: str
    description: str
    facts: list[tuple[str, str, str | None]]  # (word key, text, link)
    classes: list[Term]
    object_properties: list[Term]
    datatype_properties: list[Term]
    schemes: list[tuple[str, str, int]]  # (href, label, number of concepts)


def build_page(triples: list[ox.Triple], base: str, lang: str, local: Callable[[str], str]) -> OntologyPage:
    """The page model from the ONTOLOGY_PAGE answer; ``local`` maps an IRI to its link on this server."""
    index = Index(triples)
    other = "en" if lang == "nl" else "nl"
    kd = f"{base}def/kd#"
    ontology = f"{base}def/kd"

    def ref(node: object) -> Ref | None:
        if not isinstance(node, ox.NamedNode):
            return None
        iri = node.value
        if iri.startswith(kd):
            return Ref(
                "#" + iri[len(kd) :], index.text(iri, RDFS + "label", lang, "") or iri[len(kd) :], False
            )
        short = iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]
        for prefix, namespace in PREFIX_NAMES.items():
            if iri.startswith(namespace):
                short = f"{prefix}:{iri[len(namespace) :]}"
        return Ref(local(iri), short, not iri.startswith(base))

    def refs(subject: str, predicate: str) -> list[Ref]:
        return sorted(
            (r for r in (ref(v) for v in index.values(subject, predicate)) if r),
            key=lambda r: r.label.lower(),
        )

    def terms(kind: str) -> list[Term]:
        found = []
        for subject, props in index.out.items():
            if not subject.startswith(kd) or ox.NamedNode(OWL + kind) not in props.get(RDF_TYPE, []):
                continue
            term = Term(
                subject,
                subject[len(kd) :],
                index.text(subject, RDFS + "label", lang, ""),
                index.text(subject, RDFS + "label", other, ""),
                index.text(subject, SKOS + "definition", lang, ""),
                index.text(subject, SKOS + "definition", other, ""),
                refs(subject, RDFS + ("subClassOf" if kind == "Class" else "subPropertyOf")),
                refs(subject, RDFS + "domain"),
                refs(subject, RDFS + "range"),
                refs(subject, OWL + ("equivalentClass" if kind == "Class" else "equivalentProperty")),
            )
            found.append(term)
        return sorted(found, key=lambda t: t.label.lower())

    classes = terms("Class")
    object_properties, datatype_properties = terms("ObjectProperty"), terms("DatatypeProperty")
    by_fragment = {c.fragment: c for c in classes}
    for prop in object_properties + datatype_properties:
        for domain in prop.domain:
            if domain.href.startswith("#") and domain.href[1:] in by_fragment:
                by_fragment[domain.href[1:]].properties.append(Ref("#" + prop.fragment, prop.label, False))
    facts: list[tuple[str, str, str | None]] = [("namespace", kd, None)]
    version = index.text(ontology, OWL + "versionInfo", lang, "")
    version_iri = next((v.value for v in index.values(ontology, OWL + "versionIRI")), None)
    if version:
        facts.append(("version", version, version_iri))
    for key, predicate in (("created", "created"), ("modified", "modified"), ("creator", "creator")):
        text = index.text(ontology, DCT + predicate, lang, "")
        if text:
            facts.append((key, text, None))
    for licence in index.values(ontology, DCT + "license"):
        facts.append(("licence", licence.value, licence.value))
    schemes = []
    for subject, props in index.out.items():
        if ox.NamedNode(SKOS + "ConceptScheme") in props.get(RDF_TYPE, []):
            concepts = {c.value for c in props.get(SKOS + "hasTopConcept", []) if isinstance(c, ox.NamedNode)}
            schemes.append((local(subject), index.text(subject, SKOS + "prefLabel", lang, ""), len(concepts)))
    return OntologyPage(
        ontology,
        index.text(ontology, DCT + "title", lang, ""),
        index.text(ontology, DCT + "title", other, ""),
        index.text(ontology, DCT + "description", lang, ""),
        facts,
        classes,
        object_properties,
        datatype_properties,
        sorted(schemes, key=lambda s: s[1].lower()),
    )


PREFIX_NAMES = {
    "skos": SKOS,
    "rdfs": RDFS,
    "owl": OWL,
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "prov": "http://www.w3.org/ns/prov#",
    "schema": "https://schema.org/",
    "dcterms": DCT,
    "org": "http://www.w3.org/ns/org#",
    "elm": "http://data.europa.eu/snb/model/elm/",
    "foaf": "http://xmlns.com/foaf/0.1/",
}
