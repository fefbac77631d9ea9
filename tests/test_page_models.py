"""The page models of kdgraph.pages from rows alone (no server): how SBB's clean text becomes
paragraphs and lists, how a label is picked, and how the index groups dossiers."""

from __future__ import annotations

import pyoxigraph as ox

from kdgraph.pages import index
from kdgraph.pages.rows import Block, Text, blocks, bound, pick
from kdgraph.query.engine import Term


def test_a_text_becomes_its_paragraphs_and_lists() -> None:
    # shaped like the gedrag of werkproces 2755-986399 (a line, then "- " items), and a last paragraph
    text = Text(
        "De beroepsbeoefenaar:\n- kiest de juiste materialen en middelen;\n- plant werkzaamheden.\n\nSlot.",
        "nl",
    )
    assert blocks(text) == [
        Block(lines=["De beroepsbeoefenaar:"], lang="nl"),
        Block(items=["kiest de juiste materialen en middelen;", "plant werkzaamheden."], lang="nl"),
        Block(lines=["Slot."], lang="nl"),
    ]


def test_a_label_in_the_pages_language_else_dutch_else_untagged() -> None:
    texts = [Text("x", ""), Text("Sociaal werk", "nl"), Text("Social work", "en")]
    assert pick(texts, "en") == Text("Social work", "en")
    assert pick(texts[:2], "en") == Text("Sociaal werk", "nl")
    assert pick([Text("x", "")], "nl") == Text("x", "")
    assert pick([], "nl") is None


def row(**cells: str) -> dict[str, Term]:
    """A solution as ``engine.run`` gives it: IRIs as NamedNodes, everything else as plain literals."""
    return {k: ox.NamedNode(v) if v.startswith("http") else ox.Literal(v) for k, v in cells.items()}


def test_the_index_groups_by_domain_and_puts_what_has_none_last() -> None:
    d = "https://w3id.org/kdgraph/id/dossier/"
    rows = [
        row(dossier=d + "p", dossierLabel="Productietechniek", qualification=d + "q1", label="B", level="4"),
        row(dossier=d + "p", dossierLabel="Productietechniek", qualification=d + "q2", label="A", level="2"),
        row(
            dossier=d + "s",
            dossierLabel="Sociaal werk",
            dossierCrebo="23185",
            domain=d + "zw",
            domainLabel="Zorg en welzijn",
            qualification=d + "q3",
            label="C",
            crebo="25488",
        ),
    ]
    groups = index.build(rows, "nl")
    assert [(g.domain, g.label) for g in groups] == [(d + "zw", Text("Zorg en welzijn")), (None, None)]
    productietechniek = groups[1].chambers[0][2][0]
    assert [str(q.label) for q in productietechniek.qualifications.values()] == ["A", "B"]  # by level
    assert groups[0].chambers[0][2][0].crebos == {"23185"}


def test_a_pages_parameters_are_written_into_its_query_as_terms() -> None:
    """``?this`` becomes the term's N-Triples form (escaped by pyoxigraph); ``?thisOne`` stays a variable."""
    query = bound(
        "SELECT ?o WHERE { ?this ?p ?o . ?thisOne ?p ?code FILTER(?code = ?code0) }",
        this=ox.NamedNode("https://w3id.org/kdgraph/id/dossier/a"),
        code0=ox.Literal('2"5'),
    )
    assert query.text == (
        "SELECT ?o WHERE { <https://w3id.org/kdgraph/id/dossier/a> ?p ?o . ?thisOne ?p ?code "
        'FILTER(?code = "2\\"5") }'
    )
    assert query.substitutions == ()
