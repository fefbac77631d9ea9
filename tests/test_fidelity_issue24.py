"""The findings of issue 24's line-by-line audit of the Productietechniek data, one test each.

Each test names the finding it pins; the expected values are the source's words
(data/productietechniek/source/), split into pages by tests/source_text.py.
"""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from kdgraph.loading import KnowledgeGraph

from .conftest import BASE
from .source_text import normalise, pages
from .test_fidelity import ID, INTERP, KD, PROV, RDF_TYPE, RDFS_LABEL, SKOS, VERBATIM, Provenance, ours

LOCATION = f"{ID}location/productietechniek-"


@pytest.fixture(scope="module")
def provenance(graph: KnowledgeGraph) -> Provenance:
    return Provenance(graph)


def graphs_of(provenance: Provenance, subject: str, predicate: str) -> dict[str, set[str]]:
    """Each value of (subject, predicate) -> the graphs that hold it."""
    return {t.object.value: provenance.graphs[t] for t in provenance.about(subject, predicate)}


def test_each_page_graph_quotes_only_what_is_on_its_own_page(provenance: Provenance) -> None:
    """A passage over a page break is split at the break: each page's graph holds its part. The
    "Nieuwe technologieën" passage and the 3d-printing quote sat whole in the page-5 and page-6
    graphs, though only "wordt." and what follows is on page 6."""
    misplaced = [
        (t.subject.value, t.object.value[:50], graph)
        for t, graphs in provenance.graphs.items()
        if ours(t) and t.predicate.value in VERBATIM
        for graph in graphs
        if graph in provenance.page and normalise(t.object.value) not in pages()[provenance.page[graph]]
    ]
    assert misplaced == []


def test_the_new_technologies_passage_is_split_at_the_break_between_pages_5_and_6(
    provenance: Provenance,
) -> None:
    texts = graphs_of(provenance, f"{ID}trend/productietechniek-nieuwe-technologieen", f"{KD}text")
    by_graph = {next(iter(g)): normalise(text) for text, g in texts.items()}
    assert set(by_graph) == {LOCATION + "s4-p5", LOCATION + "s4-p6"}
    assert by_graph[LOCATION + "s4-p5"].startswith("Het beeld wat betreft de inzet van nieuwe technologieën")
    assert by_graph[LOCATION + "s4-p5"].endswith("pas op een zeer lange termijn, van 20 à 25 jaar, echt relevant")
    assert by_graph[LOCATION + "s4-p6"].startswith("wordt. Virtual Reality (VR) en Augmented Reality (AR)")
    assert by_graph[LOCATION + "s4-p6"].endswith("uit het productieproces geïnventariseerd kunnen worden.")
    quotes = graphs_of(provenance, f"{ID}trend/productietechniek-3d-printing", f"{KD}text")
    assert {text[-20:]: graphs for text, graphs in quotes.items()} == {
        "van 20 à 25 jaar, echt relevant"[-20:]: {LOCATION + "s4-p5"},
        "wordt.": {LOCATION + "s4-p6"},
        "R en AR als experimenteel."[-20:]: {LOCATION + "s4-p6"},
    }
