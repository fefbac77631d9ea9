"""``kdgraph diff`` per statement and graph, run in-process on edited copies of the data (issue 24)."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import rdflib
from click.testing import CliRunner, Result

from kdgraph.cli import main
from kdgraph.resources import bundled_paths

from .conftest import edited_data

ID = "https://w3id.org/kdgraph/id/"
PT = f"{ID}qualification/productietechnicus"
MBO_LEVEL = "<https://w3id.org/kdgraph/def/kd#mboLevel> <https://w3id.org/kdgraph/def/mbo-level/4>"
STATEMENT = "    qual:productietechnicus kd:mboLevel mbo:4 .\n"
PAGE_2 = "loc:productietechniek-s0-p2 {\n"


def diff(old: Path, new: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["diff", str(old), str(new), *args])


def graph_of_the_statement() -> str:
    """The provenance graph of productietechnicus's MBO level in the bundled data."""
    quads = ox.parse(path=str(bundled_paths().data / "productietechniek/01-dossier.trig"))
    (name,) = [
        q.graph_name
        for q in quads
        if q.subject.value == PT and q.predicate.value.endswith("#mboLevel") and q.object.value.endswith("/4")
    ]
    return str(name)


def moved_to_page_2(tmp_path: Path) -> Path:
    """The data with productietechnicus's MBO level moved from its page's graph to page 2's."""
    data = edited_data(tmp_path, STATEMENT, "")
    target = data / "productietechniek/01-dossier.trig"
    text = target.read_text(encoding="utf-8")
    assert text.count(PAGE_2) == 1
    target.write_text(text.replace(PAGE_2, PAGE_2 + STATEMENT), encoding="utf-8")
    return data


def test_a_statement_that_moves_between_graphs_is_a_change(tmp_path: Path) -> None:
    result = diff(bundled_paths().data, moved_to_page_2(tmp_path))
    assert result.exit_code == 1
    body, summary = result.stdout.rsplit("\n\n", 1)
    assert body == (
        f"CHANGED <{PT}> (Productietechnicus)\n"
        f"  - {MBO_LEVEL}  in {graph_of_the_statement()}\n"
        f"  + {MBO_LEVEL}  in <{ID}location/productietechniek-s0-p2>"
    )
    assert summary.startswith("resources: 0 added, 1 changed, 0 removed; statements: 1 added, 1 removed; ")


def test_removing_one_statement_of_a_resource_is_changed_not_removed(tmp_path: Path) -> None:
    result = diff(bundled_paths().data, edited_data(tmp_path, STATEMENT, ""))
    assert result.exit_code == 1
    body, summary = result.stdout.rsplit("\n\n", 1)
    assert body == f"CHANGED <{PT}> (Productietechnicus)\n  - {MBO_LEVEL}  in {graph_of_the_statement()}"
    assert summary.startswith("resources: 0 added, 1 changed, 0 removed; statements: 0 added, 1 removed; ")
    back = diff(edited_data(tmp_path / "back", STATEMENT, ""), bundled_paths().data)
    assert back.stdout.startswith(f"CHANGED <{PT}> (Productietechnicus)\n  + {MBO_LEVEL}  in ")


def test_a_resource_no_version_described_before_is_added(tmp_path: Path) -> None:
    new = f'{PAGE_2}    qual:nieuw a kd:Qualification ;\n        rdfs:label "Nieuw"@nl .\n'
    result = diff(bundled_paths().data, edited_data(tmp_path, PAGE_2, new))
    assert result.exit_code == 1
    assert result.stdout.startswith(f"ADDED <{ID}qualification/nieuw> (Nieuw)\n")
    removed = diff(edited_data(tmp_path / "r", PAGE_2, new), bundled_paths().data)
    assert removed.stdout.startswith(f"REMOVED <{ID}qualification/nieuw> (Nieuw)\n")


def test_turtle_changelog_declares_only_the_prefixes_it_uses(tmp_path: Path) -> None:
    result = diff(bundled_paths().data, moved_to_page_2(tmp_path), "--format", "turtle")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    declared = {line.split()[1].rstrip(":") for line in lines if line.startswith("@prefix")}
    body = "\n".join(line for line in lines if not line.startswith("@prefix"))
    assert declared == {"rdf", "cs", "xsd", "kd", "mbo", "qualification", "location", "dcterms"}
    assert all(f"{prefix}:" in body for prefix in declared)
    graph = rdflib.Graph().parse(data=result.stdout, format="turtle")
    sources = {
        (str(p).rsplit("#", 1)[-1], str(graph.value(o, rdflib.DCTERMS.source)))
        for _, p, o in graph
        if str(p).endswith(("#addition", "#removal"))
    }
    assert sources == {
        ("removal", graph_of_the_statement().strip("<>")),
        ("addition", f"{ID}location/productietechniek-s0-p2"),
    }


def test_diff_names_versions_as_the_server_does(bundled_app) -> None:  # type: ignore[no-untyped-def]
    same = diff(bundled_paths().data, bundled_paths().data)
    assert same.exit_code == 0
    served = bundled_app.get("/health", timeout=30).json()["version"]
    assert same.stdout == f"no changes (version {served})\n"
