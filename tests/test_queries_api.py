"""Saved queries as a web API: in-process (Flask's test client, conftest's ``bundled_app``), and
over real HTTP (``bundled_server``) for the clients that need a socket: the CLI's --endpoint,
schemathesis and a generated OpenAPI client."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import rdflib
import requests

from kdgraph.resources import bundled_paths

from .conftest import run_kdgraph
from .server_process import HttpMethods
from .test_competency_queries import EXPECTED

NAMES = sorted(p.stem for p in bundled_paths().queries.glob("*.rq"))
PT = "https://w3id.org/kdgraph/id/qualification/productietechnicus"
MP = "https://w3id.org/kdgraph/id/qualification/medewerker-productietechniek"


@pytest.fixture(scope="module")
def server(bundled_app):  # type: ignore[no-untyped-def]
    return bundled_app


@pytest.fixture(scope="module")
def real_server(bundled_server):  # type: ignore[no-untyped-def]
    return bundled_server


def api(server: HttpMethods, name: str, accept: str | None = None, **params: object) -> requests.Response:
    headers = {"Accept": accept} if accept else {}
    return server.get(f"/queries/{name}", params=params, headers=headers, timeout=30)


def rows(bindings: list[dict], columns: tuple[str, ...]) -> list[tuple[str | None, ...]]:
    return [tuple(b[c]["value"] if c in b else None for c in columns) for b in bindings]


@pytest.mark.parametrize("name", NAMES)
def test_saved_query_over_http_answers_from_source(server, name: str) -> None:  # type: ignore[no-untyped-def]
    params, columns, expected = EXPECTED[name]
    response = api(server, name, format="json", **params)
    assert response.status_code == 200, response.text
    got = rows(response.json()["results"]["bindings"], columns)
    if isinstance(expected, set):
        assert len(got) == len(expected) and set(got) == expected
    else:
        assert got == expected


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return run_kdgraph(*args)


def normalise(result: dict) -> dict:
    """GROUP_CONCAT's order is not defined by SPARQL; compare its parts as a sorted list."""
    for binding in result["results"]["bindings"]:
        if "technologies" in binding:
            binding["technologies"]["value"] = sorted(binding["technologies"]["value"].split(", "))
    return result


@pytest.mark.parametrize("name", NAMES)
def test_cli_local_cli_remote_and_http_agree(real_server, name: str) -> None:  # type: ignore[no-untyped-def]
    params = EXPECTED[name][0]
    pairs = [a for k, v in params.items() for a in ("--param", f"{k}={v}")]
    local = cli("query", name, "--format", "json", *pairs)
    remote = cli("query", name, "--format", "json", "--endpoint", f"{real_server.url}/sparql", *pairs)
    assert local.returncode == 0 and remote.returncode == 0, local.stderr + remote.stderr
    http = api(real_server, name, format="json", limit=10_000, **params).json()
    answers = [normalise(json.loads(local.stdout)), normalise(json.loads(remote.stdout)), normalise(http)]
    assert (
        answers[0]["results"]["bindings"]
        == answers[1]["results"]["bindings"]
        == answers[2]["results"]["bindings"]
    )


def test_paging_with_link_headers_and_stable_order(server) -> None:  # type: ignore[no-untyped-def]
    full = api(server, "cq02-routes-reachable", format="json", qualification=MP).json()["results"]["bindings"]
    pages, url = [], f"{server.url}/queries/cq02-routes-reachable"
    params = {"qualification": MP, "format": "json", "limit": 5}
    while url:
        response = server.get(url, params=params, timeout=30)
        assert response.headers["X-Total-Count"] == "21"
        pages.extend(response.json()["results"]["bindings"])
        url, params = response.links.get("next", {}).get("url"), None
    assert len(full) == 21 and pages == full
    last = api(server, "cq02-routes-reachable", qualification=MP, limit=5, offset=20)
    assert "next" not in last.links and last.links["prev"]["url"].endswith("offset=15")


@pytest.mark.parametrize(
    ("name", "params", "status", "message"),
    [
        ("cq02-routes-reachable", {}, 400, "parameter 'qualification': required"),
        ("cq02-routes-reachable", {"qualification": "productietechnicus"}, 400, "expected an absolute IRI"),
        (
            "cq03-english-requirements",
            {"minimumRank": "B1"},
            400,
            "parameter 'minimumRank': expected an integer",
        ),
        ("cq06-end-functions", {"limit": "0"}, 400, "parameter 'limit'"),
        ("cq06-end-functions", {"offset": "-1"}, 400, "parameter 'offset'"),
        ("cq06-end-functions", {"colour": "red"}, 400, "unknown parameter"),
        ("cq06-end-functions", {"format": "png"}, 406, "format='png'"),
        ("no-such-query", {}, 404, "no saved query named 'no-such-query'"),
    ],
)
def test_bad_parameters(server, name: str, params: dict, status: int, message: str) -> None:  # type: ignore[no-untyped-def]
    response = api(server, name, **params)
    assert response.status_code == status and message in response.text
    assert "Traceback" not in response.text


INJECTIONS = [
    '"',
    "'",
    '"}',
    "#",
    "\n",
    '") } ?s ?p ?o { ("',
    'x" . ?s ?p ?o . FILTER("',
    "} DROP ALL #",
    "\\",
    "\\u0022) }",
]


@pytest.mark.parametrize("payload", INJECTIONS)
def test_string_injection_is_harmless(server, payload: str) -> None:  # type: ignore[no-untyped-def]
    response = api(server, "cq04-organisations-roles", format="json", search=payload)
    assert response.status_code == 200
    result = response.json()
    assert result["results"]["bindings"] == []  # no organisation's name contains it
    assert result["head"]["vars"][:2] == ["dossier", "search"]  # the query kept its shape


@pytest.mark.parametrize("payload", INJECTIONS[:6])
def test_string_injection_through_a_remote_endpoint_is_harmless(real_server, payload: str) -> None:  # type: ignore[no-untyped-def]
    result = cli(
        "query",
        "cq04-organisations-roles",
        "--format",
        "json",
        "--endpoint",
        f"{real_server.url}/sparql",
        "--param",
        f"search={payload}",
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["results"]["bindings"] == []


@pytest.mark.parametrize(
    "payload", [f"{PT}> . ?s ?p ?o . <urn:x", f"{PT}>}} #", "urn:a b", 'https://x/"', "<urn:x>"]
)
def test_iri_injection_is_refused(server, payload: str) -> None:  # type: ignore[no-untyped-def]
    response = api(server, "cq02-routes-reachable", qualification=payload)
    assert response.status_code == 400 and "qualification" in response.text


def test_listing_json_and_html(server) -> None:  # type: ignore[no-untyped-def]
    listing = server.get("/queries", headers={"Accept": "application/json"}, timeout=30).json()
    assert [q["name"] for q in listing] == NAMES
    cq02 = next(q for q in listing if q["name"] == "cq02-routes-reachable")
    assert cq02["parameters"][0] == {
        "name": "qualification",
        "type": "iri",
        "required": True,
        "default": None,
        "values": None,
        "description": cq02["parameters"][0]["description"],
    }
    html = server.get("/queries", headers={"Accept": "text/html"}, timeout=30)
    assert html.headers["Content-Type"].startswith("text/html")
    assert all(f'id="{name}"' in html.text for name in NAMES)


def test_openapi_is_valid_and_covers_every_query(server) -> None:  # type: ignore[no-untyped-def]
    from openapi_spec_validator import validate

    spec = server.get("/openapi.json", timeout=30).json()
    validate(spec)
    assert {f"/queries/{n}" for n in NAMES} <= set(spec["paths"])
    params = {p["name"]: p for p in spec["paths"]["/queries/cq02-routes-reachable"]["get"]["parameters"]}
    assert (
        params["qualification"]["required"] is True and params["qualification"]["schema"]["format"] == "uri"
    )


def test_sparql_examples_are_discoverable(server) -> None:  # type: ignore[no-untyped-def]
    sh = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    response = server.get("/.well-known/sparql-examples", timeout=30)
    graph = rdflib.Graph().parse(data=response.text, format="turtle")
    executables = set(graph.subjects(rdflib.RDF.type, sh.SPARQLExecutable))
    assert {str(e).rsplit("/", 1)[1] for e in executables} == set(NAMES)
    for executable in executables:
        assert graph.value(executable, sh.select) is not None
        assert {lit.language for lit in graph.objects(executable, rdflib.RDFS.comment)} == {"nl", "en"}
    in_graph = server.get(
        "/sparql",
        params={
            "query": "PREFIX sh: <http://www.w3.org/ns/shacl#> "
            "SELECT (COUNT(?q) AS ?n) WHERE { ?q a sh:SPARQLExecutable }"
        },
        timeout=30,
    ).json()
    assert int(in_graph["results"]["bindings"][0]["n"]["value"]) == len(NAMES)


SCHEMATHESIS_CONFIG = """
# A 414 (a request line over the HTTP server's 64 KB) is a rejection too.
[checks.negative_data_rejection]
expected-statuses = ["400", "404", "405", "406", "413", "414", "415", "422"]

# /sparql takes any string as query=; a string that is not SPARQL is a 400 with line and column,
# which is the right answer to a schema-valid request here.
[[operations]]
include-path = "/sparql"
checks.positive_data_acceptance.expected-statuses = ["200", "400"]
"""


def test_schemathesis_all_checks_pass(real_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Every check, response-schema conformance included: each saved query's JSON answer matches
    the schema /openapi.json gives it (regression for issue 15: 40 conformance failures when every
    result was typed as a string), and ``unsupported_method``: a 405 says in ``Allow`` what is allowed."""
    (tmp_path / "schemathesis.toml").write_text(SCHEMATHESIS_CONFIG, encoding="utf-8")
    schemathesis = Path(sys.executable).parent / "schemathesis"
    result = subprocess.run(
        [
            str(schemathesis),
            "run",
            f"{real_server.url}/openapi.json",
            "--checks",
            "all",
            "--max-examples",
            "30",
            "--workers",
            "1",  # hypothesis' lambda-source cache is not thread-safe under CPython 3.11 (SystemError)
            "--generation-deterministic",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    # every operation was exercised: the saved queries, /queries, GET and POST /sparql, /health, /search
    assert f"Tested: {len(NAMES) + 5}" in result.stdout, result.stdout[-2000:]


def test_openapi_generated_client_gets_typed_rows(real_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A client generated from /openapi.json by openapi-python-client calls a saved query and reads
    typed rows: the columns of cq01's SELECT are attributes of each row."""
    (tmp_path / "openapi.json").write_bytes(real_server.get("/openapi.json", timeout=30).content)
    generator = Path(sys.executable).parent / "openapi-python-client"
    result = subprocess.run(
        [
            str(generator),
            "generate",
            "--path",
            "openapi.json",
            "--meta",
            "none",
            "--output-path",
            "kdgraph_client",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert (tmp_path / "kdgraph_client" / "client.py").is_file(), (
        result.stdout[-3000:] + result.stderr[-2000:]
    )
    program = (
        "from kdgraph_client.client import Client\n"
        "from kdgraph_client.api.saved_queries import cq01_qualifications_levels as cq01\n"
        f"answer = cq01.sync(client=Client(base_url={real_server.url!r}))\n"
        "print(type(answer).__name__)\n"
        "for row in answer.results.bindings:\n"
        "    print(row.label.value, row.mbo_level.value, row.eqf_level.value)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    assert run.returncode == 0, run.stderr[-3000:]
    lines = run.stdout.splitlines()
    assert lines[0] == "Cq01QualificationsLevelsResults"
    assert lines[1:] == [
        "Medewerker productietechniek 2 2",
        "Allround medewerker productietechniek 3 3",
        "Productietechnicus 4 4",
        "Researchinstrumentmaker 4 4",
    ]
