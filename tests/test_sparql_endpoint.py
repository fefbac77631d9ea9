"""The SPARQL endpoint: protocol cases in-process (Flask's test client), the rest over real HTTP.

One named case per protocol behaviour. Expected answers come from the source: four
qualifications, two at level 4. ``server`` is the app in this process (conftest's
``bundled_app``); ``real_server`` a real ``kdgraph serve`` process, for what needs one: its
engine processes, its log, a runaway query stopped beside others, SIGHUP, chunked bodies and
clients that need a socket (SPARQLWrapper, rdflib).
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import os
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import rdflib
import requests

from kdgraph.resources import bundled_paths

from .in_process import InProcessServer
from .listener import Listener
from .server_process import HttpMethods, ServerProcess, wait_for

KD = "https://w3id.org/kdgraph/def/kd#"
QUALIFICATIONS = f"PREFIX kd: <{KD}> SELECT ?q WHERE {{ ?q a kd:Qualification }} ORDER BY ?q"
PT = "https://w3id.org/kdgraph/id/qualification/productietechnicus"
LEVEL4 = f"PREFIX kd: <{KD}> ASK {{ <{PT}> kd:mboLevel ?l }}"
CONSTRUCT = f"PREFIX kd: <{KD}> CONSTRUCT {{ ?q kd:mboLevel ?l }} WHERE {{ ?q kd:mboLevel ?l }}"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o . ?p ?q ?r }"
Q = [
    f"https://w3id.org/kdgraph/id/qualification/{s}"
    for s in (
        "allround-medewerker-productietechniek",
        "medewerker-productietechniek",
        "productietechnicus",
        "researchinstrumentmaker",
    )
]


@pytest.fixture(scope="module")
def server(bundled_app: InProcessServer) -> InProcessServer:
    return bundled_app


@pytest.fixture(scope="module")
def real_server(serve, tmp_path_factory):  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("served")
    shutil.copytree(bundled_paths().data, root / "data")
    process = serve(["--data", str(root / "data"), "--workers", "3", "--query-timeout", "2"], root / "state")
    process.data_dir = root / "data"
    with process:
        yield process


def sparql(server: HttpMethods, query: str, accept: str | None = None, **params: str) -> requests.Response:
    headers = {"Accept": accept} if accept else {}
    return server.get("/sparql", params={"query": query, **params}, headers=headers, timeout=30)


def count(server: HttpMethods) -> int:
    body = sparql(server, COUNT, "application/sparql-results+json").json()
    return int(body["results"]["bindings"][0]["n"]["value"])


# ---------------------------------------------------------------- formats


def test_get_query_json(server) -> None:  # type: ignore[no-untyped-def]
    response = sparql(server, QUALIFICATIONS, "application/sparql-results+json")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/sparql-results+json; charset=utf-8"
    assert [b["q"]["value"] for b in response.json()["results"]["bindings"]] == Q


def test_get_query_xml(server) -> None:  # type: ignore[no-untyped-def]
    response = sparql(server, QUALIFICATIONS, "application/sparql-results+xml")
    assert response.headers["Content-Type"] == "application/sparql-results+xml; charset=utf-8"
    assert [r["q"] for r in rdflib.query.Result.parse(io.BytesIO(response.content), format="xml")] == [
        rdflib.URIRef(q) for q in Q
    ]


def test_get_query_csv(server) -> None:  # type: ignore[no-untyped-def]
    response = sparql(server, QUALIFICATIONS, "text/csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert [row["q"] for row in csv.DictReader(io.StringIO(response.text))] == Q


def test_get_query_tsv(server) -> None:  # type: ignore[no-untyped-def]
    response = sparql(server, QUALIFICATIONS, "text/tab-separated-values")
    assert response.headers["Content-Type"] == "text/tab-separated-values; charset=utf-8"
    assert response.text.split("\n")[1:5] == [f"<{q}>" for q in Q]


def test_ask_json(server) -> None:  # type: ignore[no-untyped-def]
    assert sparql(server, LEVEL4).json() == {"head": {}, "boolean": True}


@pytest.mark.parametrize(
    ("media", "rdflib_format"),
    [
        ("text/turtle", "turtle"),
        ("application/n-triples", "nt"),
        ("application/ld+json", "json-ld"),
        ("application/rdf+xml", "xml"),
    ],
)
def test_construct_formats(server, media: str, rdflib_format: str) -> None:  # type: ignore[no-untyped-def]
    response = sparql(server, CONSTRUCT, media)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == f"{media}; charset=utf-8"
    graph = rdflib.Graph().parse(data=response.content, format=rdflib_format)
    assert len(graph) == 4
    assert (
        rdflib.URIRef(Q[2]),
        rdflib.URIRef(f"{KD}mboLevel"),
        rdflib.URIRef("https://w3id.org/kdgraph/def/mbo-level/4"),
    ) in graph


def test_format_parameter_overrides_accept(server) -> None:  # type: ignore[no-untyped-def]
    response = sparql(server, QUALIFICATIONS, "application/sparql-results+json", format="csv")
    assert response.headers["Content-Type"].startswith("text/csv")


def test_get_query_accept_bad(server) -> None:  # type: ignore[no-untyped-def]
    response = sparql(server, QUALIFICATIONS, "image/png")
    assert response.status_code == 406
    assert "text/csv" in response.text


def test_post_form_query(server) -> None:  # type: ignore[no-untyped-def]
    response = server.post(
        "/sparql", data={"query": QUALIFICATIONS}, headers={"Accept": "text/csv"}, timeout=30
    )
    assert response.status_code == 200 and Q[0] in response.text


def test_post_direct_query(server) -> None:  # type: ignore[no-untyped-def]
    response = server.post(
        "/sparql",
        data=QUALIFICATIONS.encode(),
        headers={"Content-Type": "application/sparql-query", "Accept": "text/csv"},
        timeout=30,
    )
    assert response.status_code == 200 and Q[3] in response.text


def test_post_unsupported_content_type(server) -> None:  # type: ignore[no-untyped-def]
    response = server.post("/sparql", data="{}", headers={"Content-Type": "application/json"}, timeout=30)
    assert response.status_code == 415 and "application/sparql-query" in response.text


# ---------------------------------------------------------------- service description


@pytest.mark.parametrize(
    ("media", "rdflib_format"), [("text/turtle", "turtle"), ("application/rdf+xml", "xml")]
)
def test_service_description(server, media: str, rdflib_format: str) -> None:  # type: ignore[no-untyped-def]
    response = server.get("/sparql", headers={"Accept": media}, timeout=30)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith(media)
    graph = rdflib.Graph().parse(data=response.content, format=rdflib_format)
    sd = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
    assert (
        rdflib.URIRef(f"{server.url}/sparql"),
        sd.endpoint,
        rdflib.URIRef(f"{server.url}/sparql"),
    ) in graph
    assert (None, sd.resultFormat, rdflib.URIRef("http://www.w3.org/ns/formats/SPARQL_Results_CSV")) in graph


def test_browser_get_without_query_gets_the_ui(server) -> None:  # type: ignore[no-untyped-def]
    response = server.get("/sparql", headers={"Accept": "text/html,application/xhtml+xml"}, timeout=30)
    assert response.status_code == 200 and "yasgui" in response.text.lower()
    assert response.history and response.history[0].status_code == 303


# ---------------------------------------------------------------- read-only and safety


@pytest.mark.parametrize("how", ["form", "direct", "as-query"])
def test_post_update_read_only(server, how: str) -> None:  # type: ignore[no-untyped-def]
    before = count(server)
    update = "INSERT DATA { <urn:x> <urn:y> <urn:z> }"
    if how == "form":
        response = server.post("/sparql", data={"update": update}, timeout=30)
    elif how == "direct":
        response = server.post(
            "/sparql",
            data=update,
            headers={"Content-Type": "application/sparql-update"},
            timeout=30,
        )
    else:
        response = server.post("/sparql", data={"query": update}, timeout=30)
    assert response.status_code == 403 and "read-only" in response.text
    assert count(server) == before


def test_load_is_refused(server) -> None:  # type: ignore[no-untyped-def]
    response = server.post("/sparql", data={"query": "LOAD <http://127.0.0.1:1/x.ttl>"}, timeout=30)
    assert response.status_code == 403


def test_service_is_refused_and_never_called(server) -> None:  # type: ignore[no-untyped-def]
    with Listener() as listener:
        response = sparql(server, f"SELECT * WHERE {{ SERVICE <{listener.url}> {{ ?s ?p ?o }} }}")
        assert response.status_code == 403 and "SERVICE" in response.text
        assert listener.connections() == 0


def test_service_hidden_after_a_comment_ended_by_cr_is_refused_regression_ssrf(server) -> None:  # type: ignore[no-untyped-def]
    """Issue 11: SPARQL ends a comment at CR, rdflib's check only at LF, so this SERVICE ran."""
    with Listener() as listener:
        text = f"SELECT * WHERE {{ BIND(1 AS ?x) #\r SERVICE <{listener.url}> {{ ?s ?p ?o }}\n }}"
        response = server.post(
            "/sparql",
            data=text.encode(),
            headers={"Content-Type": "application/sparql-query"},
            timeout=30,
        )
        assert response.status_code == 403 and "LEAKED" not in response.text
        assert listener.connections() == 0


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                stat = (entry / "stat").read_text()
                if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
    return found


def test_engine_processes_have_no_network(real_server) -> None:  # type: ignore[no-untyped-def]
    """The guarantee behind the pre-check: every engine child lives in a network namespace of its
    own (no interface), so a query that a pre-check misread still cannot reach anything."""
    for _ in range(6):  # more than there are workers: every worker starts its engine
        assert sparql(real_server, LEVEL4).status_code == 200
    main = real_server.process.pid
    engines = [engine for worker in _children(main) for engine in _children(worker)]
    assert engines, "no engine process found"
    own = os.readlink(f"/proc/{main}/ns/net")
    assert all(os.readlink(f"/proc/{engine}/ns/net") != own for engine in engines)


def test_graphs_we_do_not_hold_are_empty_and_never_fetched(server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """FROM / FROM NAMED / default-graph-uri / named-graph-uri naming a graph we do not hold:
    the query runs on an empty graph (as the specs and every peer do); nothing is fetched or read."""
    secret = tmp_path / "secret.ttl"
    secret.write_text('<urn:s> <urn:p> "TOPSECRET-4711" .\n', encoding="utf-8")
    with Listener() as listener:
        remote = listener.url
        asked = [
            sparql(server, f"SELECT * FROM <{remote}> WHERE {{ ?s ?p ?o }}"),
            sparql(server, f"SELECT * FROM <{secret.as_uri()}> WHERE {{ ?s ?p ?o }}"),
            sparql(server, f"SELECT * FROM NAMED <{remote}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"),
            sparql(server, "SELECT * WHERE { ?s ?p ?o } LIMIT 5", **{"default-graph-uri": remote}),
            sparql(server, "SELECT * WHERE { ?s ?p ?o } LIMIT 5", **{"default-graph-uri": secret.as_uri()}),
            sparql(server, "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }", **{"named-graph-uri": remote}),
        ]
        assert listener.connections() == 0
    for response in asked:
        assert response.status_code == 200, response.text
        assert response.json()["results"]["bindings"] == []
        assert "TOPSECRET" not in response.text


def test_protocol_dataset_overrides_the_querys_from(server) -> None:  # type: ignore[no-untyped-def]
    ontology = "https://w3id.org/kdgraph/graph/ontology"
    text = "SELECT (COUNT(*) AS ?n) FROM <urn:nothing> WHERE { ?s ?p ?o }"
    in_query = int(sparql(server, text).json()["results"]["bindings"][0]["n"]["value"])
    by_protocol = sparql(server, text, **{"default-graph-uri": ontology})
    in_ontology = sparql(server, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{ontology}> {{ ?s ?p ?o }} }}")
    assert in_query == 0
    assert (
        by_protocol.json()["results"]["bindings"][0]["n"]["value"]
        == in_ontology.json()["results"]["bindings"][0]["n"]["value"]
        != "0"
    )


def test_two_queries_are_400_not_the_first_one(server) -> None:  # type: ignore[no-untyped-def]
    """Regression: a second query= parameter was ignored (the first one won)."""
    response = server.get("/sparql", params=[("query", LEVEL4), ("query", QUALIFICATIONS)], timeout=30)
    assert response.status_code == 400 and "exactly one" in response.text
    mixed = server.post("/sparql", params={"query": LEVEL4}, data={"query": COUNT}, timeout=30)
    assert mixed.status_code == 400


def test_own_graph_can_be_named(server) -> None:  # type: ignore[no-untyped-def]
    health = server.get("/health", timeout=30).json()
    graph = "https://w3id.org/kdgraph/graph/ontology"
    assert graph in health["graphs"] and "https://w3id.org/kdgraph/graph/queries" in health["graphs"]
    response = sparql(server, f"SELECT (COUNT(*) AS ?n) FROM <{graph}> WHERE {{ ?s ?p ?o }}")
    assert response.status_code == 200
    in_ontology = int(response.json()["results"]["bindings"][0]["n"]["value"])
    kd_class = "SELECT (COUNT(*) AS ?n) FROM <%s> WHERE { ?c a <http://www.w3.org/2002/07/owl#Class> }"
    assert sparql(server, kd_class % graph).json()["results"]["bindings"][0]["n"]["value"] != "0"
    # the default graph is the merge: data, ontology and saved queries, each triple once
    assert 0 < in_ontology < health["data_triples"] < count(server) == health["triples"]


def test_the_default_graph_holds_each_triple_once_regression_union_duplicates(server) -> None:  # type: ignore[no-untyped-def]
    """A triple in two graphs is one triple of the default graph (not once per graph, as union mode)."""
    label = "https://w3id.org/kdgraph/def/kd#Qualification"
    query = f"SELECT ?o WHERE {{ <{label}> <http://www.w3.org/2000/01/rdf-schema#label> ?o }}"
    rows = sparql(server, query).json()["results"]["bindings"]
    values = [(r["o"]["value"], r["o"].get("xml:lang")) for r in rows]
    assert len(values) == len(set(values)) >= 2


def test_malformed_query_is_400_with_position(server) -> None:  # type: ignore[no-untyped-def]
    response = sparql(server, "SELECT ?s WHERE { ?s ?p }")
    assert response.status_code == 400
    assert "line 1" in response.text and "column" in response.text and "Traceback" not in response.text


def test_empty_query_is_400(server) -> None:  # type: ignore[no-untyped-def]
    assert sparql(server, "  ").status_code == 400


def test_request_too_large_is_413(server) -> None:  # type: ignore[no-untyped-def]
    big = "SELECT * WHERE { ?s ?p ?o } # " + "x" * 1_100_000
    response = server.post(
        "/sparql",
        data=big.encode(),
        headers={"Content-Type": "application/sparql-query"},
        timeout=30,
    )
    assert response.status_code == 413


def test_a_body_that_is_not_utf8_is_400_regression_lossy_decoding(server) -> None:  # type: ignore[no-untyped-def]
    response = server.post(
        "/sparql",
        data=b'SELECT * WHERE { ?s ?p "caf\xe9" }',
        headers={"Content-Type": "application/sparql-query"},
        timeout=30,
    )
    assert response.status_code == 400 and "UTF-8" in response.text


def test_a_chunked_body_over_the_limit_is_413_regression_truncation(real_server) -> None:  # type: ignore[no-untyped-def]
    """A chunked body over 1 MB was cut at the limit and a different query ran (200)."""

    def chunks() -> Iterator[bytes]:
        yield f"{LEVEL4} #".encode()
        for _ in range(11):
            yield b"x" * 100_000

    response = real_server.post(
        "/sparql",
        data=chunks(),
        headers={"Content-Type": "application/sparql-query"},
        timeout=30,
    )
    assert response.status_code == 413


def test_runaway_query_is_stopped_while_others_are_served(real_server) -> None:  # type: ignore[no-untyped-def]
    """A query that would run for hours is stopped at the deadline (503, not a hung worker) and a
    query sent while it is evaluated is answered. No clock is read: "while" is the engine load
    that /health reports, waited for (it may be missed if the runaway ends first; the answers
    are asserted either way)."""
    outcome: list[requests.Response] = []
    thread = threading.Thread(target=lambda: outcome.append(sparql(real_server, RUNAWAY)))
    thread.start()

    def evaluating() -> bool:  # (/health answers from any of the workers)
        load = real_server.get("/health").json()["engines_of_this_worker"]
        return bool(load and load["evaluating"]) or not thread.is_alive()

    wait_for(evaluating, "the runaway to be evaluated")
    quick = sparql(real_server, LEVEL4)
    thread.join()
    assert quick.status_code == 200 and quick.json()["boolean"] is True
    assert outcome[0].status_code == 503 and "stopped" in outcome[0].text
    assert int(outcome[0].headers["Retry-After"]) > 0
    assert sparql(real_server, LEVEL4).status_code == 200  # the worker recovered


# ---------------------------------------------------------------- HTTP behaviour


def test_etag_and_304(server) -> None:  # type: ignore[no-untyped-def]
    first = sparql(server, QUALIFICATIONS, "text/csv")
    etag = first.headers["ETag"]
    assert "max-age" in first.headers["Cache-Control"]
    again = server.get(
        "/sparql",
        params={"query": QUALIFICATIONS},
        headers={"Accept": "text/csv", "If-None-Match": etag},
        timeout=30,
    )
    assert again.status_code == 304 and again.content == b""
    other = sparql(server, QUALIFICATIONS, "application/sparql-results+json")
    assert other.headers["ETag"] != etag


def test_cors_preflight(server) -> None:  # type: ignore[no-untyped-def]
    response = server.options(
        "/sparql",
        headers={
            "Origin": "https://yasgui.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Content-Type",
        },
        timeout=30,
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] in ("*", "https://yasgui.example")
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    simple = sparql(server, LEVEL4)
    assert (
        "Access-Control-Allow-Origin" not in simple.headers or simple.headers["Access-Control-Allow-Origin"]
    )


def test_cors_on_actual_request(server) -> None:  # type: ignore[no-untyped-def]
    response = server.get(
        "/sparql",
        params={"query": LEVEL4},
        headers={"Origin": "https://yasgui.example"},
        timeout=30,
    )
    assert response.headers["Access-Control-Allow-Origin"] in ("*", "https://yasgui.example")


def test_health(server) -> None:  # type: ignore[no-untyped-def]
    health = server.get("/health", timeout=30).json()
    assert health["triples"] == count(server) and health["conforms"] is True and health["violations"] == 0
    assert len(health["version"]) == 16


def test_access_log_has_one_structured_line_per_request(real_server) -> None:  # type: ignore[no-untyped-def]
    marker = "SELECT ?marker WHERE { ?marker ?p ?o } LIMIT 1"
    sparql(real_server, marker)
    digest = hashlib.sha256(marker.encode()).hexdigest()[:16]

    def logged() -> list[dict]:
        # (every log line of the serving process is one JSON object; the preparation before it
        # prints plain lines such as "serving N triples")
        lines = [json.loads(line) for line in list(real_server.log) if line.startswith("{")]
        return [line for line in lines if line.get("query_hash") == digest]

    mine = wait_for(logged, "the request's line in the access log")
    assert (
        len(mine) == 1
        and mine[0]["path"] == "/sparql"
        and set(mine[0])
        == {
            *("time", "pid", "level", "logger"),
            *("method", "path", "status", "duration_ms", "query_hash"),
        }
    )


def test_unknown_path_is_404_plain_text(server) -> None:  # type: ignore[no-untyped-def]
    response = server.get("/no/such/thing", timeout=30)
    assert response.status_code == 404 and "Traceback" not in response.text


# ---------------------------------------------------------------- real clients


def test_sparqlwrapper_json_xml_csv_and_construct(real_server) -> None:  # type: ignore[no-untyped-def]
    from SPARQLWrapper import CSV, JSON, TURTLE, XML, SPARQLWrapper

    client = SPARQLWrapper(f"{real_server.url}/sparql")
    client.setQuery(QUALIFICATIONS)
    client.setReturnFormat(JSON)
    assert [b["q"]["value"] for b in client.query().convert()["results"]["bindings"]] == Q
    client.setReturnFormat(XML)
    assert len(client.query().convert().getElementsByTagName("result")) == 4
    client.setReturnFormat(CSV)
    assert client.query().convert().decode().splitlines()[1:] == Q
    client.setQuery(CONSTRUCT)
    client.setReturnFormat(TURTLE)
    graph = rdflib.Graph().parse(data=client.queryAndConvert(), format="turtle")
    assert isinstance(graph, rdflib.Graph) and len(graph) == 4


def test_rdflib_sparqlstore(real_server) -> None:  # type: ignore[no-untyped-def]
    from rdflib.plugins.stores.sparqlstore import SPARQLStore

    graph = rdflib.Graph(store=SPARQLStore(f"{real_server.url}/sparql", returnFormat="json"))
    rows = list(graph.query(QUALIFICATIONS))
    assert [str(r.q) for r in rows] == Q


def test_rdflib_parses_a_resource_as_ntriples_regression_text_plain(real_server) -> None:  # type: ignore[no-untyped-def]
    """rdflib's ``Graph().parse(url, format="nt")`` sends ``Accept: text/plain, */*;q=0.1``, N-Triples'
    media type before RDF 1.1: it got the HTML page (and ``text/plain`` alone was 406). A real
    rdflib against a real server."""
    server = real_server
    graph = rdflib.Graph()
    graph.parse(f"{server.url}/id/qualification/productietechnicus", format="nt")  # 303 to /doc/id/...
    level = rdflib.URIRef(
        "https://w3id.org/kdgraph/def/mbo-level/4"
    )  # qual:productietechnicus kd:mboLevel mbo:4
    assert (rdflib.URIRef(PT), rdflib.URIRef(KD + "mboLevel"), level) in graph
    alone = requests.get(
        f"{server.url}/doc/id/qualification/productietechnicus", headers={"Accept": "text/plain"}
    )
    assert (
        alone.status_code == 200 and alone.headers["Content-Type"] == "application/n-triples; charset=utf-8"
    )
    assert alone.headers["Vary"] == "Accept, Accept-Language, Cookie"
    construct = sparql(server, CONSTRUCT, "text/plain")  # a graph answer too; results have no text/plain
    assert construct.headers["Content-Type"] == "application/n-triples; charset=utf-8"
    assert len(rdflib.Graph().parse(data=construct.text, format="nt")) == 4
    assert sparql(server, QUALIFICATIONS, "text/plain").status_code == 406


def test_text_plain_is_ntriples_in_the_app(server: InProcessServer) -> None:
    """The same over Flask's test client: rdflib's header, and text/plain alone."""
    for accept in ("text/plain, */*;q=0.1", "text/plain"):
        response = server.get("/doc/id/qualification/productietechnicus", headers={"Accept": accept})
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "application/n-triples; charset=utf-8"
        graph = rdflib.Graph().parse(data=response.text, format="nt")
        level = rdflib.URIRef("https://w3id.org/kdgraph/def/mbo-level/4")
        assert (rdflib.URIRef(PT), rdflib.URIRef(KD + "mboLevel"), level) in graph
    browser = server.get("/doc/id/qualification/productietechnicus", headers={"Accept": "text/html"})
    assert browser.headers["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    ("path", "accept", "vary"),
    [
        ("/sparql?query=ASK%7B%7D", "*/*", "Accept"),  # an answer: chosen by Accept only
        ("/sparql?query=ASK%7B%7D", "image/png", "Accept"),  # the 406 varies too
        ("/sparql", "text/turtle", "Accept"),  # the service description
        ("/sparql", "text/html", "Accept"),  # a browser: 303 to the query UI
        ("/no/such/page", "text/html", "Accept, Accept-Language, Cookie"),  # a 404 page in a language
        ("/no/such/page", "*/*", "Accept"),  # the plain-text 404
        ("/id/qualification/productietechnicus", "text/turtle", "Accept"),  # the 303
        ("/doc/id/qualification/productietechnicus", "text/html", "Accept, Accept-Language, Cookie"),
        ("/search?q=productie", "application/json", "Accept, Accept-Language, Cookie"),
        ("/queries", "text/html", "Accept, Accept-Language, Cookie"),
        ("/.well-known/sparql-examples", "text/html", "Accept"),
        ("/dataset", "text/turtle", "Accept"),
        ("/def/", "*/*", "Accept-Language, Cookie"),  # one page in the reader's language
        ("/health", "*/*", None),
        ("/openapi.json", "*/*", None),
    ],
)
def test_vary_names_what_chose_the_answer(server, path: str, accept: str, vary: str | None) -> None:  # type: ignore[no-untyped-def]
    """One place writes Vary (the app's after_request), from what the route negotiated and
    whether a page's language was chosen; a cache keys on exactly these headers."""
    response = server.get(path, headers={"Accept": accept}, allow_redirects=False, timeout=30)
    assert response.status_code < 500, response.text
    assert response.headers.get("Vary") == vary


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("kdgraph.ttl", "text/turtle; charset=utf-8"),
        ("kdgraph.jsonld", "application/ld+json; charset=utf-8"),
        ("kdgraph.trig", "application/trig; charset=utf-8"),
        ("kdgraph.nt.gz", "application/gzip"),
    ],
)
def test_a_dump_says_its_charset_once_regression(server, name: str, content_type: str) -> None:  # type: ignore[no-untyped-def]
    response = server.get(f"/dumps/{name}", timeout=60)
    assert response.status_code == 200 and response.headers["Content-Type"] == content_type


# ---------------------------------------------------------------- reload


def reload_and_wait(server: ServerProcess, timeout: float = 30) -> dict:
    """Send SIGHUP and wait until /health reports the outcome of that reload."""
    before = server.get("/health", timeout=30).json()["last_reload"]
    server.hup()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        health = server.get("/health", timeout=30).json()
        if health["last_reload"] and health["last_reload"] != before:
            return health
        time.sleep(0.1)
    raise AssertionError("no reload seen; log:\n" + "\n".join(server.log[-20:]))


def test_reload_keeps_old_graph_on_broken_edit_then_takes_a_good_one(real_server) -> None:  # type: ignore[no-untyped-def]
    dossier = real_server.data_dir / "productietechniek" / "01-dossier.trig"
    original = dossier.read_text(encoding="utf-8")
    version = real_server.get("/health", timeout=30).json()["version"]
    try:
        dossier.write_text(original.replace('"2023-08-01"^^xsd:date', '"2023-08-01'), encoding="utf-8")
        health = reload_and_wait(real_server)
        assert health["last_reload"]["ok"] is False and "01-dossier.trig:" in health["last_reload"]["error"]
        assert health["version"] == version and health["status"] == "degraded"
        assert sparql(real_server, LEVEL4).json()["boolean"] is True

        dossier.write_text(original.replace("kd:mboLevel mbo:2 .", "kd:mboLevel mbo:7 ."), encoding="utf-8")
        health = reload_and_wait(real_server)
        assert health["last_reload"]["ok"] is False and "violation" in health["last_reload"]["error"].lower()
        assert health["version"] == version

        dossier.write_text(
            original.replace(
                'rdfs:label "Productietechniek"@nl ;',
                'rdfs:label "Productietechniek (herzien)"@nl ;',
            ),
            encoding="utf-8",
        )
        health = reload_and_wait(real_server)
        assert health["last_reload"]["ok"] is True and health["version"] != version
        label = (
            "SELECT ?l WHERE { <https://w3id.org/kdgraph/id/dossier/productietechniek> "
            "<http://www.w3.org/2000/01/rdf-schema#label> ?l FILTER(LANG(?l) = 'nl') }"
        )
        # every worker switches over: ask more often than there are workers
        for _ in range(6):
            bindings = sparql(real_server, label).json()["results"]["bindings"]
            assert [b["l"]["value"] for b in bindings] == ["Productietechniek (herzien)"]
    finally:
        dossier.write_text(original, encoding="utf-8")
        assert reload_and_wait(real_server)["version"] == version


def test_a_carriage_return_in_a_literal_arrives_as_one_in_xml(real_server) -> None:  # type: ignore[no-untyped-def]
    """Regression: Oxigraph writes CR raw in XML, which every XML parser reads back as LF."""
    from SPARQLWrapper import XML, SPARQLWrapper

    text = 'SELECT ?x WHERE { BIND("cr\\rhere" AS ?x) }'
    client = SPARQLWrapper(f"{real_server.url}/sparql")
    client.setQuery(text)
    client.setReturnFormat(XML)
    literal = client.queryAndConvert().getElementsByTagName("literal")[0]  # type: ignore[union-attr]
    assert literal.firstChild.data == "cr\rhere"
    construct = 'CONSTRUCT { <urn:s> <urn:p> "cr\\rhere" } WHERE {}'
    response = sparql(real_server, construct, "application/rdf+xml")
    graph = rdflib.Graph().parse(data=response.content, format="xml")
    assert [str(o) for o in graph.objects()] == ["cr\rhere"]


# ---------------------------------------------------------------- one mapping from error to status


def test_timeouts_on_pages_void_and_sparql_are_503_with_retry_after(tmp_path: Path) -> None:
    """Regression: a deadline passed while building a page or the VoID description gave 500."""
    with InProcessServer(tmp_path / "state", query_timeout=0.000001) as slow:
        for path in (
            "/doc/id/qualification/productietechnicus",
            "/def/kd",
            "/dataset",
            "/sparql?query=ASK%7B%7D",
        ):
            response = slow.get(path, headers={"Accept": "text/html"}, timeout=30)
            assert response.status_code == 503, (path, response.status_code, response.text)
            assert int(response.headers["Retry-After"]) > 0 and "Traceback" not in response.text


def test_an_allow_listed_service_is_called_and_no_other(tmp_path: Path) -> None:
    """Federation: only queries whose SERVICE calls are all allow-listed reach the engine that
    has network; the same endpoint hidden next to a second one is refused."""
    with Listener() as allowed, Listener() as other:
        with InProcessServer(tmp_path / "state", allowed_services=frozenset([allowed.url])) as federating:
            called = sparql(federating, f"SELECT ?s WHERE {{ SERVICE <{allowed.url}> {{ ?s ?p ?o }} }}")
            assert called.status_code == 200, called.text
            assert [b["s"]["value"] for b in called.json()["results"]["bindings"]] == ["LEAKED"]
            assert "ETag" not in called.headers  # another server's data: not cached as ours
            both = (
                f"SELECT ?s WHERE {{ SERVICE <{allowed.url}> {{ ?s ?p ?o }} "
                f"SERVICE <{other.url}> {{ ?s ?p ?o }} }}"
            )
            assert sparql(federating, both).status_code == 403
        assert allowed.connections() == 1 and other.connections() == 0
