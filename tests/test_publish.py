"""Publishing into a real Oxigraph server (the ``oxigraph`` PyPI package), started by the fixture."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pyoxigraph
import pytest
import rdflib
import requests

from kdgraph.pipeline.loading import load_graph
from kdgraph.resources import bundled_paths
from kdgraph.store.publish import Endpoints, SparqlClient, named_graphs_of

from .conftest import RENAMED_DOSSIER, edited_data, run_kdgraph
from .test_competency_queries import EXPECTED

pytestmark = pytest.mark.server  # real server processes: Oxigraph's, and `kdgraph serve` (see conftest)

BASE = "https://w3id.org/kdgraph/"
NAMES = sorted(p.stem for p in bundled_paths().queries.glob("*.rq"))
OXIGRAPH = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")


@pytest.fixture(scope="module")
def store(tmp_path_factory):  # type: ignore[no-untyped-def]
    if not Path(OXIGRAPH).exists():
        pytest.fail("the oxigraph server (PyPI package 'oxigraph', a test dependency) is not installed")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    location = tmp_path_factory.mktemp("oxigraph")
    process = subprocess.Popen(
        [OXIGRAPH, "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{url}/query", params={"query": "ASK {}"}, timeout=2).status_code == 200:
                break
        except requests.ConnectionError:
            time.sleep(0.05)
    yield url
    process.terminate()
    process.wait(20)


def kdgraph(*args: str) -> subprocess.CompletedProcess[str]:
    return run_kdgraph(*args)  # (in this process: see conftest)


def current(store: str) -> str:
    query = (
        "SELECT ?g WHERE { GRAPH <https://w3id.org/kdgraph/graph/current> { "
        "<https://w3id.org/kdgraph/dataset> <http://purl.org/dc/terms/hasVersion> ?g } }"
    )
    rows = requests.post(
        f"{store}/query",
        data={"query": query},
        headers={"Accept": "application/sparql-results+json"},
        timeout=30,
    ).json()
    return rows["results"]["bindings"][0]["g"]["value"]


def test_publish_then_every_saved_query_answers_the_same(store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = kdgraph("publish", "--to", store)
    assert result.returncode == 0, result.stderr
    graph = current(store)
    assert graph in result.stdout and graph.startswith("https://w3id.org/kdgraph/graph/")
    for name in NAMES:
        params = EXPECTED[name][0]
        pairs = [a for k, v in params.items() for a in ("--param", f"{k}={v}")]
        local = kdgraph("query", name, "--format", "json", *pairs)
        remote = kdgraph(
            "query", name, "--format", "json", "--endpoint", f"{store}/query", "--graph", graph, *pairs
        )
        assert remote.returncode == 0, remote.stderr
        mine, theirs = json.loads(local.stdout), json.loads(remote.stdout)
        for result_set in (mine, theirs):
            for binding in result_set["results"]["bindings"]:
                for concatenated, separator in (("technologies", ", "), ("levelSources", "; ")):
                    if concatenated in binding:  # GROUP_CONCAT order is free
                        value = binding[concatenated]["value"]
                        binding[concatenated]["value"] = sorted(value.split(separator))
        assert mine["results"]["bindings"] == theirs["results"]["bindings"], name


def test_a_new_version_switches_atomically_and_old_versions_stay(store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert kdgraph("publish", "--to", store).returncode == 0
    first = current(store)
    data = edited_data(tmp_path, *RENAMED_DOSSIER)
    result = kdgraph("publish", "--to", store, "--data", str(data))
    assert result.returncode == 0, result.stderr
    second = current(store)
    assert second != first
    count = "SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{}> {{ ?s ?p ?o }} }}"
    sizes = [
        int(
            requests.post(
                f"{store}/query",
                data={"query": count.format(g)},
                headers={"Accept": "application/sparql-results+json"},
                timeout=30,
            ).json()["results"]["bindings"][0]["n"]["value"]
        )
        for g in (first, second)
    ]
    assert sizes[0] == sizes[1] > 3000  # the old version's merged graph is still there, whole
    # its provenance graphs are kept aside under version-scoped names; under their own IRIs
    # the graphs are the current version's, so a query on the old version sees no named graphs
    location = "https://w3id.org/kdgraph/id/location/productietechniek-s12-p9"
    kept = f"{first}/id/location/productietechniek-s12-p9"
    ask = "ASK {{ GRAPH <{}> {{ ?s ?p ?o }} }}"
    for graph in (kept, location):
        assert requests.post(
            f"{store}/query",
            data={"query": ask.format(graph)},
            headers={"Accept": "application/sparql-results+json"},
            timeout=30,
        ).json()["boolean"], graph
    client = SparqlClient(Endpoints.oxigraph(store))
    assert named_graphs_of(client, BASE, second) == load_graph([data]).graphs
    assert named_graphs_of(client, BASE, first) == []
    cq04 = kdgraph(
        "query",
        "cq04-organisations-roles",
        "--format",
        "csv",
        "--endpoint",
        f"{store}/query",
        "--graph",
        first,
    )
    # the old version's merged graph answers, but without its interpretation graphs
    assert cq04.returncode == 0 and "penvoerder" in cq04.stdout and "interpretation/" not in cq04.stdout
    client.close()


def test_non_conforming_data_is_not_published(store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert kdgraph("publish", "--to", store).returncode == 0
    before = current(store)
    data = edited_data(tmp_path, "kd:mboLevel mbo:2 .", "kd:mboLevel mbo:7 .")
    result = kdgraph("publish", "--to", store, "--data", str(data))
    assert result.returncode == 1 and "violations" in result.stderr
    assert current(store) == before


def test_unreachable_store_is_a_clear_error(tmp_path: Path) -> None:
    result = kdgraph("publish", "--to", "http://127.0.0.1:9")
    assert result.returncode == 2 and "cannot reach" in result.stderr and "Traceback" not in result.stderr


def test_serve_on_the_published_store(store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The same API, saved queries and Linked Data pages, on top of the external store."""
    from .server_process import ServerProcess
    from .test_queries_api import rows

    assert kdgraph("publish", "--to", store).returncode == 0
    graph = current(store)
    with ServerProcess(["--sparql-backend", store, "--workers", "2"], tmp_path / "state") as server:
        health = requests.get(f"{server.url}/health", timeout=30).json()
        # the served version's merged graph by default, its provenance graphs as named graphs
        assert health["version"] == graph.rsplit("/", 1)[-1] and health["triples"] > 3000
        assert health["graphs"] == load_graph().graphs
        for name in NAMES:
            params, columns, expected = EXPECTED[name]
            response = requests.get(
                f"{server.url}/queries/{name}", params={"format": "json", **params}, timeout=30
            )
            assert response.status_code == 200, (name, response.text)
            got = rows(response.json()["results"]["bindings"], columns)
            assert (set(got) == expected) if isinstance(expected, set) else (got == expected), name
        page = requests.get(
            f"{server.url}/id/qualification/productietechnicus", headers={"Accept": "text/html"}, timeout=30
        )
        assert page.status_code == 200 and "<h1>Productietechnicus</h1>" in page.text
        # per-statement sources, from the provenance graphs the publish put under their own IRIs
        assert "sectie 12, pagina 9" in page.text and "voorwerk, pagina 1" in page.text
        refused = requests.get(
            f"{server.url}/sparql",
            params={"query": "SELECT * WHERE { SERVICE <http://x/> { ?s ?p ?o } }"},
            timeout=30,
        )
        assert refused.status_code == 403

        # the preparation copied the published graph into the dump files
        dump = requests.get(f"{server.url}/dumps/kdgraph.ttl", timeout=60)
        assert dump.status_code == 200
        assert len(rdflib.Graph().parse(data=dump.text, format="turtle")) == health["data_triples"]
        # the quad dump carries the provenance graphs, as the embedded server's does
        trig = requests.get(f"{server.url}/dumps/kdgraph.trig", timeout=60)
        assert trig.status_code == 200
        assert set(pyoxigraph.parse(trig.content, format=pyoxigraph.RdfFormat.TRIG)) == set(
            load_graph().quads
        )
        void = rdflib.Graph().parse(
            data=requests.get(f"{server.url}/dataset", headers={"Accept": "text/turtle"}, timeout=30).text,
            format="turtle",
        )
        triples = rdflib.URIRef("http://rdfs.org/ns/void#triples")
        assert health["data_triples"] in {o.toPython() for o in void.objects(None, triples)}

        data = edited_data(tmp_path, *RENAMED_DOSSIER)
        assert kdgraph("publish", "--to", store, "--data", str(data)).returncode == 0
        server.hup()
        deadline = time.monotonic() + 30
        while requests.get(f"{server.url}/health", timeout=30).json()["version"] == health["version"]:
            assert time.monotonic() < deadline, "the server never switched to the new version"
            time.sleep(0.1)
        page = requests.get(
            f"{server.url}/id/dossier/productietechniek", headers={"Accept": "text/html"}, timeout=30
        )
        heading = page.text[page.text.index("<h1>") : page.text.index("</h1>") + 5]
        assert heading == "<h1>Productietechniek (herzien)</h1>", heading
        page = requests.get(
            f"{server.url}/id/qualification/productietechnicus", headers={"Accept": "text/html"}, timeout=30
        )
        assert "sectie 12, pagina 9" in page.text and "voorwerk, pagina 1" in page.text
