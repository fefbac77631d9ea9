"""TriG and N-Quads inputs keep their named graphs; the store holds each quad and the merge.

A small TriG fixture (tests/fixtures/sourced.trig) is added to a copy of the bundled data: a
statement stated on two pages, one on one page, one from an outside source and one that is the
modeller's reading. tests/fixtures/unsourced.trig holds statements without provenance.
"""

from __future__ import annotations

import gzip
import shutil
import subprocess
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests

from kdgraph.checks.validation import unsourced_statements
from kdgraph.pipeline.loading import load_graph
from kdgraph.query.engine import EmbeddedEngine, Query, SelectResult

from .server_process import KDGRAPH, ServerProcess

FIXTURES = Path(__file__).parent / "fixtures"
BASE = "https://w3id.org/kdgraph/"
LOC = f"{BASE}id/location/"
NOTE = ox.NamedNode("http://www.w3.org/2004/02/skos/core#note")
DOSSIER = ox.NamedNode(f"{BASE}id/dossier/productietechniek")
TWICE = ox.Literal("Fixture: gesteld op pagina 1 en op pagina 4.", language="nl")
SOURCES = f"""
PREFIX kd: <{BASE}def/kd#>
SELECT ?g ?page WHERE {{
  GRAPH ?g {{ <{DOSSIER.value}> <{NOTE.value}> ?note }}
  OPTIONAL {{ ?g kd:page ?page }}
}} ORDER BY ?page
"""


def with_fixture(tmp_path: Path, *names: str) -> Path:
    data = tmp_path / "data"
    shutil.copytree(Path(__file__).parent.parent / "data", data)
    for name in names:
        shutil.copy(FIXTURES / name, data / name)
    return data


@pytest.fixture(scope="module")
def sourced(tmp_path_factory) -> Path:  # type: ignore[no-untyped-def]
    return with_fixture(tmp_path_factory.mktemp("sourced"), "sourced.trig")


def test_trig_keeps_its_named_graphs_and_the_merge_holds_each_triple_once(sourced: Path) -> None:
    graph = load_graph([sourced])
    in_graphs = {q.graph_name.value for q in graph.quads if q.triple == ox.Triple(DOSSIER, NOTE, TWICE)}
    assert in_graphs == {LOC + "productietechniek-s0-p1", LOC + "productietechniek-s1-p4"}
    assert graph.triples.count(ox.Triple(DOSSIER, NOTE, TWICE)) == 1
    assert len(graph.triples) == len(set(graph.triples))
    assert f"{BASE}graph/ontology" in graph.graphs and LOC + "productietechniek-s1-p4" in graph.graphs
    kd_class = ox.Triple(
        ox.NamedNode(f"{BASE}def/kd#Qualification"),
        ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
        ox.NamedNode("http://www.w3.org/2002/07/owl#Class"),
    )
    ontology = {q.graph_name for q in graph.quads if q.triple == kd_class}
    assert ontology == {ox.NamedNode(f"{BASE}graph/ontology")}


def test_the_version_follows_the_graphs_not_only_the_triples(sourced: Path, tmp_path: Path) -> None:
    before = load_graph([sourced])
    moved = tmp_path / "moved.trig"
    text = (FIXTURES / "sourced.trig").read_text(encoding="utf-8")
    moved.write_text(text.replace("loc:productietechniek-s0-p1 {", "loc:productietechniek-s0-p2 {"))
    data = with_fixture(tmp_path / "m")
    shutil.copy(moved, data / "sourced.trig")
    after = load_graph([data])
    assert set(after.triples) == set(before.triples)
    assert after.version != before.version


def test_the_embedded_store_answers_provenance_by_graph(sourced: Path) -> None:
    engine = EmbeddedEngine.of_quads(load_graph([sourced]).quads)
    result = engine.run(Query(SOURCES))
    assert isinstance(result, SelectResult)
    assert [(r["g"].value, r["page"].value) for r in result.rows] == [
        (LOC + "productietechniek-s0-p1", "1"),
        (LOC + "productietechniek-s1-p4", "4"),
    ]
    once = engine.run(Query(f"SELECT ?o WHERE {{ <{DOSSIER.value}> <{NOTE.value}> ?o }}"))
    assert isinstance(once, SelectResult) and len(once.rows) == 1  # not once per graph


def test_unsourced_statements_are_reported_at_their_file_and_line(tmp_path: Path) -> None:
    data = with_fixture(tmp_path, "sourced.trig", "unsourced.trig")
    findings = unsourced_statements(load_graph([data]))
    where = sorted((f.focus.rsplit("/", 1)[-1], f.value, f.location) for f in findings)
    assert where == [
        (
            "productietechnicus",
            '"Fixture: in een graaf zonder herkomst."@nl',
            f"{data / 'unsourced.trig'}:7",
        ),
        ("researchinstrumentmaker", '"Fixture: in de standaardgraaf."@nl', f"{data / 'unsourced.trig'}:10"),
    ]


def test_kdgraph_validate_fails_on_unsourced_statements_and_passes_sourced_ones(
    sourced: Path, tmp_path: Path
) -> None:
    ok = subprocess.run([KDGRAPH, "validate", str(sourced)], capture_output=True, text=True, timeout=300)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    data = with_fixture(tmp_path, "sourced.trig", "unsourced.trig")
    bad = subprocess.run([KDGRAPH, "validate", str(data)], capture_output=True, text=True, timeout=300)
    assert bad.returncode == 1
    for line in (7, 10):
        assert f"at {data / 'unsourced.trig'}:{line}\n" in bad.stdout
    assert bad.stdout.count("kd:statementSource") == 2 and "FAILS: 2 violations" in bad.stdout


def test_every_statement_of_the_bundled_data_says_where_it_comes_from() -> None:
    graph = load_graph()
    assert any(source.has_quads for source in graph.inputs)  # the bundled data is TriG
    assert unsourced_statements(graph) == []


@pytest.mark.parametrize("fmt", ["trig", "nq"])
def test_export_as_quads_reads_back_into_the_same_quads(sourced: Path, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"graph.{fmt}"
    done = subprocess.run(
        [KDGRAPH, "export", "--format", fmt, "-o", str(out), "--data", str(sourced)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    graph = load_graph([sourced])
    assert set(ox.parse(path=str(out))) == set(graph.quads)
    assert load_graph([out], with_ontology=False).version == graph.version  # .nq/.trig load as they are


@pytest.mark.server
def test_served_store_and_dumps_carry_the_quads_and_the_merge(sourced: Path, tmp_path: Path) -> None:
    with ServerProcess(["--data", str(sourced), "--workers", "1"], tmp_path / "state") as server:
        health = server.health()
        assert LOC + "productietechniek-s0-p1" in health["graphs"]
        assert f"{BASE}graph/ontology" in health["graphs"] and f"{BASE}graph/kdgraph" not in health["graphs"]
        rows = requests.get(
            f"{server.url}/sparql", params={"query": SOURCES}, headers={"Accept": "text/csv"}, timeout=30
        ).text.splitlines()
        assert rows[1:] == [f"{LOC}productietechniek-s0-p1,1", f"{LOC}productietechniek-s1-p4,4"]
        graph = load_graph([sourced])
        trig = requests.get(f"{server.url}/dumps/kdgraph.trig", timeout=30)
        nq = requests.get(f"{server.url}/dumps/kdgraph.nq.gz", timeout=30)
        turtle = requests.get(f"{server.url}/dumps/kdgraph.ttl", timeout=30)
    queries = ox.NamedNode(f"{BASE}graph/queries")
    from_trig = {q for q in ox.parse(trig.content, format=ox.RdfFormat.TRIG) if q.graph_name != queries}
    assert from_trig == set(graph.quads)
    assert (
        set(ox.parse(gzip.decompress(nq.content), format=ox.RdfFormat.N_QUADS))
        - {q for q in ox.parse(trig.content, format=ox.RdfFormat.TRIG)}
        == set()
    )
    merged = [q.triple for q in ox.parse(turtle.content, format=ox.RdfFormat.TURTLE)]
    assert len(merged) == health["triples"] and ox.Triple(DOSSIER, NOTE, TWICE) in merged
