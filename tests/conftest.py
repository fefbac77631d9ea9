"""Shared fixtures: the bundled graph, loaded once, and an engine over it."""

from __future__ import annotations

from pathlib import Path

import pytest
import rdflib

from kdgraph.catalogue.saved_queries import SavedQuery, load_saved_queries
from kdgraph.pipeline.loading import KnowledgeGraph, load_graph
from kdgraph.query.engine import EmbeddedEngine
from kdgraph.resources import bundled_paths

BASE = "https://w3id.org/kdgraph/"
KD = rdflib.Namespace(f"{BASE}def/kd#")


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
def bundled_server(tmp_path_factory):  # type: ignore[no-untyped-def]
    """One real ``kdgraph serve`` on the bundled data, shared by the tests that only read."""
    from .server_process import ServerProcess

    with ServerProcess(["--workers", "3"], tmp_path_factory.mktemp("bundled-state")) as process:
        yield process
