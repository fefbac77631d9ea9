"""Shared fixtures: the bundled graph, loaded once, an engine over it, and the app in two layers.

The tests come in two layers, each of which runs alone (the README says how):

- **fast** (unmarked): in-process. Protocol and page cases go through Flask's test client
  (``bundled_app``, an in_process.InProcessServer); graph, engine and CLI cases call the code.
- **server**: real ``kdgraph serve`` processes (``bundled_server``, or ``serve(args, state_dir)``
  for a server of a test's own): processes, signals, kills, slow clients and connections, clients
  that need a socket (SPARQLWrapper, rdflib, curl) and fault injection. **browser**: Chromium
  (``browser``); these use a real server too, so they are marked ``server`` as well.

The marks are given here, by fixture: a test that uses ``serve``, ``bundled_server`` or
``browser`` (itself or through another fixture) is marked, so a new test cannot forget it. A
test that starts a ServerProcess any other way must carry ``pytest.mark.server`` itself; if it
does not, ServerProcess refuses to start (see ``pytest_runtest_setup``), so the fast layer never
starts a server unseen.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import rdflib

from kdgraph.catalogue.saved_queries import SavedQuery, load_saved_queries
from kdgraph.pipeline.loading import KnowledgeGraph, load_graph
from kdgraph.query.engine import EmbeddedEngine
from kdgraph.resources import bundled_paths

from . import server_process
from .in_process import InProcessServer
from .server_process import ServerProcess

BASE = "https://w3id.org/kdgraph/"
KD = rdflib.Namespace(f"{BASE}def/kd#")


REPOSITORY = Path(__file__).resolve().parents[1]


def pytest_configure(config: pytest.Config) -> None:
    """The tests test the working tree, never an installed copy of it (a `pip install .` made
    before an edit would be tested instead): refused at once, with the command that fixes it."""
    import kdgraph

    imported = Path(kdgraph.__file__).resolve()
    if not imported.is_relative_to(REPOSITORY / "server"):
        raise pytest.UsageError(
            f"kdgraph is imported from {imported.parent}, not from this working tree "
            f"({REPOSITORY}/server): install it editable, `pip install -e '.[test]'`"
        )


# fixture -> the marks of every test that uses it (directly or through other fixtures)
MARKS_BY_FIXTURE = {"serve": ("server",), "bundled_server": ("server",), "browser": ("browser", "server")}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        for mark in sorted({m for name in used & MARKS_BY_FIXTURE.keys() for m in MARKS_BY_FIXTURE[name]}):
            item.add_marker(mark)
        if item.get_closest_marker("browser") and not item.get_closest_marker("server"):
            item.add_marker("server")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Before the test's fixtures: ServerProcess starts only for a test marked ``server``."""
    server_process.RUNNING_TEST = item


def pytest_runtest_teardown(item: pytest.Item) -> None:
    server_process.RUNNING_TEST = None


@pytest.fixture(scope="session", autouse=True)
def cache_dir(tmp_path_factory):  # type: ignore[no-untyped-def]
    """A cache of validation verdicts for this test run only (server processes inherit it)."""
    import os

    folder = tmp_path_factory.mktemp("kdgraph-cache")
    previous = os.environ.get("KDGRAPH_CACHE_DIR")
    os.environ["KDGRAPH_CACHE_DIR"] = str(folder)
    yield folder
    if previous is None:
        del os.environ["KDGRAPH_CACHE_DIR"]
    else:
        os.environ["KDGRAPH_CACHE_DIR"] = previous


@pytest.fixture(scope="session")
def graph() -> KnowledgeGraph:
    return load_graph()


@pytest.fixture(scope="session")
def engine(graph: KnowledgeGraph) -> EmbeddedEngine:
    """The embedded engine on the bundled graph: the same engine interface as the server's."""
    return EmbeddedEngine.of_quads(graph.quads)


SBB_XML = Path(__file__).resolve().parents[2] / "shared" / "sbb-xml"
# The saved queries that ask what only SBB's XML gives (crebo codes, domains, work processes).
NATIONAL_QUERIES = frozenset(
    {
        "cq13-crebo-lookup",
        "cq14-qualifications-by-level-and-domain",
        "cq15-shared-competences",
        "cq16-recurring-work-processes",
    }
)


@pytest.fixture(scope="session")
def national() -> EmbeddedEngine:
    """The bundled data and SBB's three sample dossiers, as `serve --data data --data <XML>` loads them."""
    if not (SBB_XML / "2755-Dienstverlening.xml").is_file():
        pytest.skip(f"SBB's sample XML is not at {SBB_XML} (it comes with the workplace's shared/ folder)")
    graph = load_graph([bundled_paths().data, SBB_XML])
    assert graph.warnings == []  # the real files hold nothing the importer does not know
    return EmbeddedEngine.of_quads(graph.quads)


@pytest.fixture(scope="session")
def saved_queries() -> dict[str, SavedQuery]:
    return load_saved_queries(bundled_paths().queries)


@pytest.fixture(scope="session")
def rdf(graph: KnowledgeGraph) -> rdflib.Graph:
    """The same graph in rdflib, for checks that walk it in Python."""
    import pyoxigraph as ox

    g = rdflib.Graph()
    g.parse(data=ox.serialize(graph.triples, format=ox.RdfFormat.N_TRIPLES).decode(), format="nt")
    return g


@pytest.fixture(scope="session")
def data_only() -> rdflib.Graph:
    """Only the instance data in data/ (no ontology), as maintainers write it."""
    import pyoxigraph as ox

    from kdgraph.pipeline.loading import collect_files

    g = rdflib.Graph()
    for path in collect_files([bundled_paths().data]):  # TriG: the merge of its graphs
        triples = dict.fromkeys(q.triple for q in ox.parse(path=str(path)))
        g.parse(data=ox.serialize(list(triples), format=ox.RdfFormat.N_TRIPLES).decode(), format="nt")
    return g


def run_kdgraph(*args: str) -> subprocess.CompletedProcess[str]:
    """``kdgraph ARGS`` in this process (click's runner), as a finished process: the same command
    without a Python start per call (a second each on a loaded machine). Its --endpoint or --to
    still talks HTTP to a real server."""
    from click.testing import CliRunner

    from kdgraph.cli import main

    result = CliRunner().invoke(main, list(args))
    return subprocess.CompletedProcess(["kdgraph", *args], result.exit_code, result.stdout, result.stderr)


RENAMED_DOSSIER = (
    'rdfs:label "Productietechniek"@nl ;',
    'rdfs:label "Productietechniek (herzien)"@nl ;',
)


def edited_data(directory: Path, old: str, new: str, file: str = "productietechniek/01-dossier.trig") -> Path:
    """A copy of the bundled data in ``directory``/data with one edit: a new version to work on."""
    import shutil

    data = directory / "data"
    shutil.copytree(bundled_paths().data, data)
    target = data / file
    text = target.read_text(encoding="utf-8")
    assert old in text, f"edit anchor not found in {file}: {old!r}"
    target.write_text(text.replace(old, new), encoding="utf-8")
    return data


@pytest.fixture(scope="session")
def serve() -> type[ServerProcess]:
    """Real ``kdgraph serve`` processes: ``with serve(args, state_dir) as server`` (a
    ServerProcess). Using this fixture marks a test ``server``."""
    return ServerProcess


@pytest.fixture(scope="session")
def bundled_server(serve, tmp_path_factory) -> Iterator[ServerProcess]:  # type: ignore[no-untyped-def]
    """One real ``kdgraph serve`` on the bundled data, shared by the tests that only read."""
    with serve(["--workers", "3"], tmp_path_factory.mktemp("bundled-state")) as process:
        yield process


@pytest.fixture(scope="session")
def bundled_app(tmp_path_factory) -> Iterator[InProcessServer]:  # type: ignore[no-untyped-def]
    """The app on the bundled data, prepared as ``kdgraph serve`` prepares it and answering in
    this process through Flask's test client, with the same calls as ``bundled_server``; shared
    by the tests that only read (the fast layer's server)."""
    # a generous deadline: on a loaded machine a cold page must not become a 503 (no test of
    # this layer depends on the deadline; those that do start a server with a short one)
    with InProcessServer(tmp_path_factory.mktemp("bundled-app") / "state", query_timeout=60) as server:
        yield server
