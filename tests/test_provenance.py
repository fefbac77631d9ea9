"""Every statement about a resource under id/ says, by SPARQL, which section and page of the
source states it, or which outside source, or which interpretation (with its reason)."""

from __future__ import annotations

import rdflib
from rdflib import RDF

from kdgraph.query.engine import EmbeddedEngine, Query, SelectResult

from .conftest import BASE, KD

PREFIXES = f"""
PREFIX kd: <{BASE}def/kd#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX schema: <https://schema.org/>
PREFIX qual: <{BASE}id/qualification/>
PREFIX mbo: <{BASE}def/mbo-level/>
"""


def select(engine: EmbeddedEngine, query: str) -> list[tuple[str | None, ...]]:
    result = engine.run(Query(PREFIXES + query))
    assert isinstance(result, SelectResult)
    return [tuple(row[v].value if v in row else None for v in result.variables) for row in result.rows]


def test_every_id_statement_has_a_section_and_page_an_outside_source_or_an_interpretation(
    engine: EmbeddedEngine,
) -> None:
    unsourced = select(
        engine,
        f"""SELECT ?s ?p ?o WHERE {{
          ?s ?p ?o . FILTER(STRSTARTS(STR(?s), "{BASE}id/"))
          FILTER NOT EXISTS {{
            GRAPH ?g {{ ?s ?p ?o }}
            {{ ?g kd:page ?page ; kd:section/kd:sectionNumber ?section }}
            UNION {{ ?g a kd:Interpretation ; kd:reason ?reason ; prov:wasDerivedFrom ?from }}
            UNION {{ ?g schema:url ?url . FILTER(STRSTARTS(STR(?g), "{BASE}id/external-source/")) }}
          }}
        }}""",
    )
    assert unsourced == []


def test_which_section_and_page_says_a_statement(engine: EmbeddedEngine) -> None:
    """The README's example: level 4 of the Productietechnicus is stated in section 12 on page 9."""
    assert select(
        engine,
        """SELECT ?section ?page WHERE {
          GRAPH ?g { qual:productietechnicus kd:mboLevel mbo:4 }
          ?g kd:section/kd:sectionNumber ?section ; kd:page ?page }""",
    ) == [("12", "9")]


def test_levels_two_and_three_come_from_outside_sources_with_no_page(engine: EmbeddedEngine) -> None:
    rows = select(
        engine,
        """SELECT ?q ?g ?page WHERE {
          VALUES (?q ?level) {
            (qual:medewerker-productietechniek mbo:2) (qual:allround-medewerker-productietechniek mbo:3)
          }
          GRAPH ?g { ?q kd:mboLevel ?level } OPTIONAL { ?g kd:page ?page } } ORDER BY ?q ?g""",
    )
    src = f"{BASE}id/external-source/"
    assert rows == [
        (
            f"{BASE}id/qualification/allround-medewerker-productietechniek",
            f"{src}kwalificatiedossier-productietechniek-2023",
            None,
        ),
        (
            f"{BASE}id/qualification/medewerker-productietechniek",
            f"{src}kiesmbo-medewerker-productietechniek",
            None,
        ),
        (
            f"{BASE}id/qualification/medewerker-productietechniek",
            f"{src}kwalificatiedossier-productietechniek-2023",
            None,
        ),
    ]


def test_nlqf_and_eqf_levels_are_derived_from_the_level_and_the_nuffic_mapping(
    engine: EmbeddedEngine,
) -> None:
    """Nuffic gives only the general mapping (issue 24): each qualification's NLQF and EQF level is
    an interpretation derived from the source of its MBO level and that mapping, with no page."""
    rows = select(
        engine,
        """SELECT DISTINCT ?g ?from ?page WHERE {
          ?q a kd:Qualification .
          { GRAPH ?g { ?q kd:nlqfLevel ?level } } UNION { GRAPH ?g { ?q kd:eqfLevel ?level } }
          ?g a kd:Interpretation ; prov:wasDerivedFrom ?from .
          OPTIONAL { ?g kd:page ?page } } ORDER BY ?g ?from""",
    )
    interp, src = f"{BASE}id/interpretation/productietechniek-", f"{BASE}id/external-source/"
    assert rows == [
        (f"{interp}nlqf-eqf-niveau-2-en-3", f"{src}kiesmbo-medewerker-productietechniek", None),
        (f"{interp}nlqf-eqf-niveau-2-en-3", f"{src}kwalificatiedossier-productietechniek-2023", None),
        (f"{interp}nlqf-eqf-niveau-2-en-3", f"{src}nuffic-level-of-dutch-diplomas", None),
        (f"{interp}nlqf-eqf-niveau-4", f"{src}nuffic-level-of-dutch-diplomas", None),
        (f"{interp}nlqf-eqf-niveau-4", f"{BASE}id/location/productietechniek-s12-p9", None),
    ]


def test_a_statement_stated_in_two_places_sits_in_both_graphs(engine: EmbeddedEngine) -> None:
    """3d printing is named on page 5 and on page 6."""
    rows = select(
        engine,
        f"""SELECT ?page WHERE {{
          GRAPH ?g {{ <{BASE}id/technology/3d-printing> a kd:Technology }}
          ?g kd:section/kd:sectionNumber 4 ; kd:page ?page }} ORDER BY ?page""",
    )
    assert rows == [("5",), ("6",)]


def test_a_passage_over_a_page_break_is_split_at_the_break(engine: EmbeddedEngine) -> None:
    """3d printing's passage runs from page 5 onto page 6 ("... echt relevant / wordt."): each
    page's graph holds its part (issue 24)."""
    rows = select(
        engine,
        f"""SELECT ?page ?text WHERE {{
          GRAPH ?g {{ <{BASE}id/trend/productietechniek-3d-printing> kd:text ?text }}
          FILTER(STRSTARTS(?text, "Vooral 3d printing") || STR(?text) = "wordt.")
          ?g kd:page ?page }} ORDER BY ?page""",
    )
    assert [page for page, _ in rows] == ["5", "6"]
    assert rows[0][1].endswith("van 20 à 25 jaar, echt relevant") and rows[1][1] == "wordt."


def test_every_subject_in_data_is_ours_or_labelled(data_only) -> None:
    """Statements about outside IRIs are only labels (for display), never unsourced facts."""
    for s, p, _o in data_only:
        if not str(s).startswith(f"{BASE}id/"):
            assert p in (RDF.type, rdflib.RDFS.label), f"unsourced statement about {s}: {p}"


def test_no_resource_level_source_location_in_the_data(data_only) -> None:
    """The graphs say where each statement comes from; kd:sourceLocation would only repeat it."""
    assert not list(data_only.subject_objects(KD.sourceLocation))


def test_pages_match_the_table_of_contents(rdf) -> None:
    """Section start pages as printed in the table of contents (page 3)."""
    toc = {1: 4, 2: 4, 3: 4, 4: 4, 5: 6, 6: 6, 7: 6, 8: 7, 9: 7, 10: 8, 11: 8, 12: 9, 13: 9, 14: 9}
    starts = {}
    for section in rdf.subjects(RDF.type, KD.DocumentSection):
        number = int(rdf.value(section, KD.sectionNumber))
        starts[number] = int(rdf.value(section, rdflib.URIRef("https://schema.org/pageStart")))
    assert {n: p for n, p in starts.items() if n} == toc


def test_all_fourteen_sections_state_something(engine: EmbeddedEngine) -> None:
    """Each section 1-14 is the graph of at least one statement about a resource other than the
    source's own structure (locations, sections)."""
    rows = select(
        engine,
        """SELECT DISTINCT ?n WHERE {
          GRAPH ?g { ?s ?p ?o } ?g kd:section/kd:sectionNumber ?n .
          FILTER NOT EXISTS { ?s a kd:SourceLocation } FILTER NOT EXISTS { ?s a kd:DocumentSection }
        } ORDER BY ?n""",
    )
    assert {int(n) for (n,) in rows} >= set(range(1, 15))


def test_not_applicable_is_stated_not_missing(rdf) -> None:
    statements = {}
    for st in rdf.subjects(RDF.type, KD.NotApplicableStatement):
        number = int(rdf.value(rdf.value(st, KD.aboutSection), KD.sectionNumber))
        statements.setdefault(number, []).append(str(rdf.value(st, KD.statedAs)))
    assert statements == {2: ["N.v.t."], 5: ["n.v.t."], 6: ["Nee"] * 4, 13: ["N.v.t."], 14: ["N.v.t."]}
