"""Evasion attempts against /sparql: none of them may make the server connect anywhere (issue 11).

A real ``kdgraph serve`` and a listener on 127.0.0.1 that counts connections (tests/listener.py,
which answers like a SPARQL endpoint, so a call that gets out shows ``LEAKED``). Every case
asserts its status (403 for what the pre-check refuses; 400 where the engine rejects the syntax;
200 where the spec says the text holds no SERVICE call or the graph is simply empty) *and* zero
connections to the listener. The refusal is the friendly part; zero connections must hold even
where the pre-check and the engine read a query differently, which is why the engine processes
have no network (kdgraph.query.isolation).

Where ``strace`` is installed (Debian package ``strace``), the whole module also runs with strace
attached to every process of the server, tracing ``connect`` and ``accept4``: the last test
asserts that no process of the server connected to the listener (a connect that fails with
ENETUNREACH, inside an isolated engine, is not a connection) and, as the control that strace did
trace the workers, that it saw them accept our requests.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from .listener import Listener
from .server_process import ServerProcess

pytestmark = pytest.mark.server  # real `kdgraph serve` processes (see conftest)

PT = "https://w3id.org/kdgraph/id/qualification/productietechnicus"
SPARQL_QUERY = {"Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"}


@pytest.fixture(scope="module")
def listener() -> Iterator[Listener]:
    with Listener() as target:
        yield target


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[ServerProcess]:  # type: ignore[no-untyped-def]
    with ServerProcess(["--workers", "2"], tmp_path_factory.mktemp("evasion-state")) as process:
        yield process


def _session_pids(session: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[3]) == session:  # field 6 of stat: the session id
                pids.append(int(entry.name))
    return pids


class Strace:
    """strace -f attached to every process of the server (until ``stop``)."""

    def __init__(self, server: ServerProcess, log: Path):
        self.log = log
        pids = _session_pids(server.process.pid)
        arguments = [a for pid in pids for a in ("-p", str(pid))]
        self.process = subprocess.Popen(
            ["strace", "-f", "-e", "trace=connect,accept4,accept", "-o", str(log), *arguments],
            stderr=subprocess.PIPE,
            text=True,
        )
        # strace reports on stderr, per process, that it attached (or that the process is gone)
        waiting = {str(pid) for pid in pids}
        assert self.process.stderr is not None
        while waiting:
            line = self.process.stderr.readline()
            if not line:
                raise RuntimeError(f"strace could not attach to the server's processes {pids}")
            waiting -= set(re.findall(r"\d+", line))

    def stop(self) -> str:
        self.process.terminate()
        self.process.wait(30)
        if self.process.stderr is not None:
            self.process.stderr.close()
        return self.log.read_text(errors="replace")


@pytest.fixture(scope="module")
def strace(server: ServerProcess, tmp_path_factory) -> Iterator[Strace | None]:  # type: ignore[no-untyped-def]
    if shutil.which("strace") is None:
        yield None
        return
    tracer = Strace(server, tmp_path_factory.mktemp("strace") / "connect.log")
    yield tracer
    if tracer.process.poll() is None:
        tracer.stop()


@pytest.fixture(autouse=True)
def fresh(strace: Strace | None, listener: Listener) -> None:
    """Every test runs with strace attached (when there is strace) and counts its own connections."""
    listener.new_connections()


def post(server: ServerProcess, query: str, **params: str) -> requests.Response:
    return requests.post(
        f"{server.url}/sparql", params=params, data=query.encode(), headers=SPARQL_QUERY, timeout=60
    )


def assert_no_connection(listener: Listener, response: requests.Response) -> None:
    assert "LEAKED" not in response.text, "the listener's answer came back through the server"
    new = listener.new_connections()
    assert new == 0, f"the server connected to the listener {new} times: {listener.requests[-1:]}"


def assert_refused(
    server: ServerProcess, listener: Listener, query: str, statuses: tuple[int, ...] = (403,)
) -> str:
    response = post(server, query)
    assert response.status_code in statuses, (response.status_code, response.text)
    assert_no_connection(listener, response)
    return response.text


# ------------------------------------------------------------------ the SSRF of issue 11


def test_regression_cr_comment_hides_service_from_the_check(server, listener) -> None:  # type: ignore[no-untyped-def]
    """Issue 11: rdflib ended the comment at LF only; SPARQL (and Oxigraph) end it at CR too."""
    query = f"SELECT * WHERE {{ BIND(1 AS ?x) #\r SERVICE <{listener.url}> {{ ?s ?p ?o }}\n }}"
    text = assert_refused(server, listener, query)
    assert "SERVICE" in text and listener.url in text
    for response in (
        requests.get(f"{server.url}/sparql", params={"query": query}, timeout=60),
        requests.post(f"{server.url}/sparql", data={"query": query}, timeout=60),
    ):
        assert response.status_code == 403
        assert_no_connection(listener, response)


# ------------------------------------------------------------------ comment terminators


@pytest.mark.parametrize("terminator", ["\r", "\n", "\r\n"], ids=["CR", "LF", "CRLF"])
def test_service_after_a_comment_that_ends_is_refused(server, listener, terminator) -> None:  # type: ignore[no-untyped-def]
    assert_refused(
        server, listener, f"SELECT * WHERE {{ BIND(1 AS ?x) #{terminator} SERVICE <{listener.url}> {{ }}\n}}"
    )


@pytest.mark.parametrize("terminator", ["\x0c", "\u2028", "\x85"], ids=["FF", "U+2028", "NEL"])
def test_service_behind_a_comment_that_does_not_end_is_no_call(server, listener, terminator) -> None:  # type: ignore[no-untyped-def]
    """FF, LINE SEPARATOR and NEL do not end a SPARQL comment: the SERVICE is comment text."""
    query = f"SELECT ?x WHERE {{ BIND(1 AS ?x) #{terminator} SERVICE <{listener.url}> {{ ?s ?p ?o }}\n}}"
    response = post(server, query)
    assert response.status_code == 200, response.text
    assert [b["x"]["value"] for b in response.json()["results"]["bindings"]] == ["1"]
    assert_no_connection(listener, response)


# ------------------------------------------------------------------ escapes


def test_codepoint_escape_in_the_keyword(server, listener) -> None:  # type: ignore[no-untyped-def]
    """§19.2 makes ``\\u0053ERVICE`` the keyword; pyoxigraph rejects it. 403 or 400, never a call."""
    assert_refused(server, listener, f"SELECT * WHERE {{ \\u0053ERVICE <{listener.url}> {{ }} }}", (403, 400))


def test_codepoint_escape_in_the_middle_of_the_keyword(server, listener) -> None:  # type: ignore[no-untyped-def]
    assert_refused(server, listener, f"SELECT * WHERE {{ SER\\u0056ICE <{listener.url}> {{ }} }}", (403, 400))


def test_service_glued_to_its_endpoint_and_group(server, listener) -> None:  # type: ignore[no-untyped-def]
    assert_refused(server, listener, f"SELECT*WHERE{{SERVICE<{listener.url}>{{?s ?p ?o}}}}")
    assert_refused(server, listener, f"SELECT*WHERE{{VALUES ?e{{<{listener.url}>}}SERVICE?e{{?s ?p ?o}}}}")


def test_service_in_having_and_order_by(server, listener) -> None:  # type: ignore[no-untyped-def]
    service = f"EXISTS {{ SERVICE <{listener.url}> {{ ?s ?p ?o }} }}"
    assert_refused(server, listener, f"SELECT (COUNT(*) AS ?n) WHERE {{ ?a ?b ?c }} HAVING({service})")
    assert_refused(server, listener, f"SELECT ?a WHERE {{ ?a ?b ?c }} ORDER BY ({service})")


def test_codepoint_escape_in_the_iri(server, listener) -> None:  # type: ignore[no-untyped-def]
    escaped = listener.url.replace("sparql", "\\u0073parql")
    assert_refused(server, listener, f"SELECT * WHERE {{ SERVICE <{escaped}> {{ }} }}")


def test_escape_that_opens_a_long_string_in_one_reading_only(server, listener) -> None:  # type: ignore[no-untyped-def]
    """'\\u0027' is "'" to pyoxigraph but ''' (a long string up to the comment) after §19.2."""
    assert_refused(
        server, listener, f"SELECT * WHERE {{ BIND('\\u0027' AS ?a) SERVICE <{listener.url}> {{ }} #'''\n}}"
    )


# ------------------------------------------------------------------ where SERVICE can hide


PLACES = {
    "EXISTS": "FILTER EXISTS {{ {s} }}",
    "NOT EXISTS": "FILTER NOT EXISTS {{ {s} }}",
    "MINUS": "?q ?p ?o MINUS {{ {s} }}",
    "OPTIONAL": "OPTIONAL {{ {s} }}",
    "UNION": "{{ ?q ?p ?o }} UNION {{ {s} }}",
    "sub-query": "{{ SELECT * WHERE {{ {s} }} }}",
    "nested sub-query": "{{ SELECT * WHERE {{ {{ SELECT * WHERE {{ {s} }} }} }} }}",
    "GRAPH ?g": "GRAPH ?g {{ {s} }}",
    "GRAPH iri": "GRAPH <https://w3id.org/kdgraph/graph/kdgraph> {{ {s} }}",
    "BIND EXISTS": "BIND(EXISTS {{ {s} }} AS ?e)",
    "inside SERVICE": "SERVICE <http://127.0.0.1:1/> {{ {s} }}",
    "blank-node object": "?q ?p [ ?x ?y ] . {{ {s} }}",
}


@pytest.mark.parametrize("place", list(PLACES))
def test_service_nested_anywhere_is_refused(server, listener, place) -> None:  # type: ignore[no-untyped-def]
    pattern = PLACES[place].format(s=f"SERVICE <{listener.url}> {{ ?s ?p ?o }}")
    assert_refused(server, listener, f"SELECT * WHERE {{ {pattern} }}")


@pytest.mark.parametrize("form", ["ASK WHERE", "CONSTRUCT WHERE", "DESCRIBE ?s WHERE"])
def test_service_in_every_query_form_is_refused(server, listener, form) -> None:  # type: ignore[no-untyped-def]
    assert_refused(server, listener, f"{form} {{ SERVICE <{listener.url}> {{ ?s ?p ?o }} }}")


@pytest.mark.parametrize(
    "keyword",
    [
        "SERVICE SILENT",
        "service silent",
        "SeRvIcE",
        "service",
        "SERVICE\tSILENT",
        "SERVICE #c\r",
        "SERVICE#\n",
    ],
)
def test_service_in_any_case_and_silent_is_refused(server, listener, keyword) -> None:  # type: ignore[no-untyped-def]
    assert_refused(server, listener, f"SELECT * WHERE {{ {keyword} <{listener.url}> {{ ?s ?p ?o }} }}")


@pytest.mark.parametrize(
    "binding",
    ["VALUES ?x {{ <{url}> }}", "BIND(<{url}> AS ?x)", 'BIND(IRI("{url}") AS ?x)', ""],
    ids=["VALUES", "BIND", "BIND-IRI", "unbound"],
)
def test_variable_endpoint_is_refused(server, listener, binding) -> None:  # type: ignore[no-untyped-def]
    bound = binding.format(url=listener.url)
    text = assert_refused(server, listener, f"SELECT * WHERE {{ {bound} SERVICE ?x {{ ?s ?p ?o }} }}")
    assert "?x" in text


@pytest.mark.parametrize(
    "spelling",
    [
        "PREFIX e: <{root}> SELECT * WHERE {{ SERVICE e:sparql {{ }} }}",
        "PREFIX : <{root}> SELECT * WHERE {{ SERVICE :sparql {{ }} }}",
        "PREFIX e: <{root}> SELECT * WHERE {{ SERVICEe:sparql {{ }} }}",
        "PREFIX e: <{root}> SELECT * WHERE {{ SERVICE SILENT e:sparql {{ }} }}",
        "PREFIX e: <{root}sp> SELECT * WHERE {{ SERVICE e:arql {{ }} }}",
    ],
    ids=["prefixed", "empty-prefix", "glued-keyword", "silent-prefixed", "split-name"],
)
def test_service_by_prefixed_name_is_refused(server, listener, spelling) -> None:  # type: ignore[no-untyped-def]
    text = assert_refused(server, listener, spelling.format(root=f"http://127.0.0.1:{listener.port}/"))
    assert listener.url in text  # the message names the resolved endpoint


@pytest.mark.parametrize(
    "spelling",
    [
        "BASE <{root}> SELECT * WHERE {{ SERVICE <sparql> {{ }} }}",
        "BASE <{root}a/b/> SELECT * WHERE {{ SERVICE <../../sparql> {{ }} }}",
        "BASE <{root}> PREFIX e: <> SELECT * WHERE {{ SERVICE e:sparql {{ }} }}",
    ],
    ids=["relative", "dot-segments", "relative-prefix"],
)
def test_service_by_base_relative_iri_is_refused(server, listener, spelling) -> None:  # type: ignore[no-untyped-def]
    assert_refused(server, listener, spelling.format(root=f"http://127.0.0.1:{listener.port}/"))


def test_service_to_an_allow_listed_endpoint_is_not_enough_for_another(server, listener) -> None:  # type: ignore[no-untyped-def]
    """Nothing is allow-listed on this server: even an endpoint that is not the listener is 403."""
    assert_refused(
        server, listener, "SELECT * WHERE { SERVICE <https://query.wikidata.org/sparql> { ?s ?p ?o } }"
    )


# ------------------------------------------------------------------ the dataset: unknown graphs are empty


def test_from_naming_the_listener_is_an_empty_graph_never_fetched(server, listener) -> None:  # type: ignore[no-untyped-def]
    response = post(server, f"SELECT (COUNT(*) AS ?n) FROM <{listener.url}> WHERE {{ ?s ?p ?o }}")
    assert response.status_code == 200, response.text
    assert response.json()["results"]["bindings"][0]["n"]["value"] == "0"
    assert_no_connection(listener, response)


def test_from_named_naming_the_listener_is_an_empty_graph_never_fetched(server, listener) -> None:  # type: ignore[no-untyped-def]
    query = f"SELECT (COUNT(*) AS ?n) FROM NAMED <{listener.url}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"
    response = post(server, query)
    assert response.status_code == 200, response.text
    assert response.json()["results"]["bindings"][0]["n"]["value"] == "0"
    assert_no_connection(listener, response)


def test_default_graph_uri_naming_the_listener_is_an_empty_graph(server, listener) -> None:  # type: ignore[no-untyped-def]
    response = post(server, "ASK { ?s ?p ?o }", **{"default-graph-uri": listener.url})
    assert response.status_code == 200, response.text
    assert response.json()["boolean"] is False
    assert_no_connection(listener, response)


def test_named_graph_uri_naming_the_listener_is_an_empty_graph(server, listener) -> None:  # type: ignore[no-untyped-def]
    response = post(server, "ASK { GRAPH ?g { ?s ?p ?o } }", **{"named-graph-uri": listener.url})
    assert response.status_code == 200, response.text
    assert response.json()["boolean"] is False
    assert_no_connection(listener, response)


def test_describe_of_the_listener_fetches_nothing(server, listener) -> None:  # type: ignore[no-untyped-def]
    response = requests.post(
        f"{server.url}/sparql",
        data=f"DESCRIBE <{listener.url}>".encode(),
        headers={"Content-Type": "application/sparql-query", "Accept": "application/n-triples"},
        timeout=60,
    )
    assert response.status_code == 200 and response.text.strip() == ""
    assert_no_connection(listener, response)


def test_the_data_still_answers_next_to_the_refusals(server, listener) -> None:  # type: ignore[no-untyped-def]
    """The control: this server does answer queries (so a 403 above is a refusal, not an outage)."""
    response = post(server, f"ASK {{ <{PT}> ?p ?o }}")
    assert response.status_code == 200 and response.json()["boolean"] is True


# ------------------------------------------------------------------ LOAD and every update form


UPDATES = {
    "LOAD": "LOAD <{url}>",
    "LOAD SILENT INTO": "LOAD SILENT <{url}> INTO GRAPH <urn:g>",
    "INSERT DATA": "INSERT DATA {{ <urn:a> <urn:b> <urn:c> }}",
    "DELETE DATA": "DELETE DATA {{ <urn:a> <urn:b> <urn:c> }}",
    "DELETE WHERE": "DELETE WHERE {{ ?s ?p ?o }}",
    "INSERT WHERE SERVICE": "INSERT {{ ?s ?p ?o }} WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
    "DELETE INSERT": "DELETE {{ ?s ?p ?o }} INSERT {{ ?s ?p 1 }} WHERE {{ ?s ?p ?o }}",
    "WITH": "WITH <urn:g> DELETE {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o }}",
    "USING": "INSERT {{ ?s ?p ?o }} USING <{url}> WHERE {{ ?s ?p ?o }}",
    "CLEAR": "CLEAR ALL",
    "DROP": "DROP SILENT GRAPH <urn:g>",
    "CREATE": "CREATE GRAPH <urn:g>",
    "ADD": "ADD DEFAULT TO <urn:g>",
    "MOVE": "MOVE DEFAULT TO <urn:g>",
    "COPY": "COPY DEFAULT TO <urn:g>",
    "lower case": "load <{url}>",
    "after a CR comment": "# comment\rLOAD <{url}>",
    "escaped keyword": "\\u004cOAD <{url}>",
}


@pytest.mark.parametrize("how", ["query-param", "update-form", "update-body", "update-get"])
@pytest.mark.parametrize("update", list(UPDATES))
def test_updates_are_refused_and_load_fetches_nothing(server, listener, update, how) -> None:  # type: ignore[no-untyped-def]
    text = UPDATES[update].format(url=listener.url)
    url = f"{server.url}/sparql"
    if how == "query-param":
        response = requests.post(url, data={"query": text}, timeout=60)
    elif how == "update-form":
        response = requests.post(url, data={"update": text}, timeout=60)
    elif how == "update-body":
        response = requests.post(
            url, data=text.encode(), headers={"Content-Type": "application/sparql-update"}, timeout=60
        )
    else:
        response = requests.get(url, params={"update": text}, timeout=60)
    assert response.status_code == 403, (response.status_code, response.text)
    assert "read-only" in response.text
    assert_no_connection(listener, response)


def test_nothing_changed_after_the_updates(server) -> None:  # type: ignore[no-untyped-def]
    response = post(server, "ASK { GRAPH <urn:g> { ?s ?p ?o } }")
    assert response.status_code == 200 and response.json()["boolean"] is False


# ------------------------------------------------------------------ strace: the system's view


def test_zz_strace_saw_no_connection_to_the_listener(
    strace: Strace | None, listener: Listener, server: ServerProcess
) -> None:
    """Runs last in this module: every evasion above has been tried under strace by now."""
    assert post(server, "ASK {}").status_code == 200  # the control below: a request strace must see
    if strace is None:
        pytest.skip(
            "strace is not installed (Debian package 'strace'): only the listener's count was checked"
        )
    log = strace.stop()
    attempts = [line for line in log.splitlines() if f"htons({listener.port})" in line]
    connected = [line for line in attempts if "ENETUNREACH" not in line]
    assert connected == [], "a server process connected to the listener:\n" + "\n".join(connected)
    assert re.search(r"accept4?\(", log), "strace traced no accept: it did not watch the workers"
    assert os.path.getsize(strace.log) > 0
