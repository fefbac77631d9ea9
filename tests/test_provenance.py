"""Every resource in data/ traces back to a section and page of the source (or a cited public source)."""

from __future__ import annotations

import rdflib
from rdflib import DCTERMS, RDF, URIRef

from .conftest import BASE, KD


def our_subjects(g: rdflib.Graph) -> set[URIRef]:
    return {s for s in g.subjects() if isinstance(s, URIRef) and str(s).startswith(f"{BASE}id/")}


def test_every_data_resource_has_a_source_location_with_section_and_page(data_only, rdf) -> None:
    missing = []
    for subject in our_subjects(data_only):
        locations = list(data_only.objects(subject, KD.sourceLocation))
        if not locations and (subject, DCTERMS.source, None) not in data_only:
            missing.append(subject)
        for loc in locations:
            assert (loc, RDF.type, KD.SourceLocation) in rdf, f"{subject}: {loc} is not a SourceLocation"
            assert rdf.value(loc, KD.page) is not None, f"{loc} has no page"
            section = rdf.value(loc, KD.section)
            assert rdf.value(section, KD.sectionNumber) is not None, f"{loc} has no numbered section"
    assert not missing, f"resources without provenance: {sorted(missing)}"


def test_every_subject_in_data_is_ours_or_labelled(data_only) -> None:
    """Statements about outside IRIs are only labels (for display), never unsourced facts."""
    for s, p, _o in data_only:
        if not str(s).startswith(f"{BASE}id/"):
            assert p in (RDF.type, rdflib.RDFS.label), f"unsourced statement about {s}: {p}"


def test_pages_match_the_table_of_contents(rdf) -> None:
    """Section start pages as printed in the table of contents (page 3)."""
    toc = {1: 4, 2: 4, 3: 4, 4: 4, 5: 6, 6: 6, 7: 6, 8: 7, 9: 7, 10: 8, 11: 8, 12: 9, 13: 9, 14: 9}
    starts = {}
    for section in rdf.subjects(RDF.type, KD.DocumentSection):
        number = int(rdf.value(section, KD.sectionNumber))
        starts[number] = int(rdf.value(section, rdflib.URIRef("https://schema.org/pageStart")))
    assert {n: p for n, p in starts.items() if n} == toc


def test_all_fourteen_sections_are_represented(data_only, rdf) -> None:
    """Each section 1-14 is the source of at least one resource other than its own structure."""
    structural = {KD.SourceLocation, KD.DocumentSection}
    used: set[int] = set()
    for subject, loc in data_only.subject_objects(KD.sourceLocation):
        if any((subject, RDF.type, t) in data_only for t in structural):
            continue
        used.add(int(rdf.value(rdf.value(loc, KD.section), KD.sectionNumber)))
    assert set(range(1, 15)) <= used


def test_not_applicable_is_stated_not_missing(rdf) -> None:
    statements = {}
    for st in rdf.subjects(RDF.type, KD.NotApplicableStatement):
        number = int(rdf.value(rdf.value(st, KD.aboutSection), KD.sectionNumber))
        statements.setdefault(number, []).append(str(rdf.value(st, KD.statedAs)))
    assert statements == {2: ["N.v.t."], 5: ["n.v.t."], 6: ["Nee"] * 4, 13: ["N.v.t."], 14: ["N.v.t."]}
