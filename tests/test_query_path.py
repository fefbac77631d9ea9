"""The steps of the query path on their own: protocol, negotiation, engine, error mapping.

No server here: each step is plain data in, plain data (or an error of the family) out, so the
rules are pinned exactly. The same steps over real HTTP are in test_sparql_endpoint.py.
"""

from __future__ import annotations

import os
import threading
import time
import xml.dom.minidom

import pyoxigraph as ox
import pytest

from kdgraph.query import errors, media
from kdgraph.query.engine import AskResult, Budget, EmbeddedEngine, GraphResult, Query, SelectResult
from kdgraph.query.media import Wanted
from kdgraph.query.protocol import ReadRequest, operation
from kdgraph.web.errors import response_for

from .server_process import wait_for

PT = "https://w3id.org/kdgraph/id/qualification/productietechnicus"
KD = "https://w3id.org/kdgraph/def/kd#"


# ---------------------------------------------------------------- protocol


def test_exactly_one_query() -> None:
    two = ReadRequest("GET", "", {"query": ["ASK {}", "SELECT * {}"]})
    with pytest.raises(errors.BadRequest, match="exactly one"):
        operation(two)
    both = ReadRequest("POST", "application/sparql-query", {"query": ["ASK {}"]}, "SELECT * {}")
    with pytest.raises(errors.BadRequest, match="body"):
        operation(both)


@pytest.mark.parametrize(
    "request_",
    [
        ReadRequest("POST", "application/sparql-update", {}, "INSERT DATA { <urn:a> <urn:b> <urn:c> }"),
        ReadRequest("POST", "application/x-www-form-urlencoded", {"update": ["LOAD <http://x/>"]}),
        ReadRequest("GET", "", {"update": ["CLEAR ALL"], "query": ["ASK {}"]}),
    ],
)
def test_updates_in_any_shape_are_forbidden(request_: ReadRequest) -> None:
    with pytest.raises(errors.Forbidden, match="read-only"):
        operation(request_)


def test_protocol_dataset_replaces_the_querys_own() -> None:
    found = operation(ReadRequest("GET", "", {"query": ["ASK {}"], "named-graph-uri": ["urn:g"]}))
    assert found is not None
    assert found.query.default_graphs == () and found.query.named_graphs == ("urn:g",)
    plain = operation(ReadRequest("GET", "", {"query": ["ASK {}"]}))
    assert plain is not None and plain.query.default_graphs is None and plain.query.named_graphs is None


def test_get_without_query_is_the_service_description_and_other_bodies_are_415() -> None:
    assert operation(ReadRequest("GET", "", {})) is None
    assert operation(ReadRequest("HEAD", "", {})) is None
    with pytest.raises(errors.UnsupportedMediaType):
        operation(ReadRequest("POST", "application/json", {}, None))
    with pytest.raises(errors.BadRequest, match="empty"):
        operation(ReadRequest("POST", "application/sparql-query", {}, "  \n"))


# ---------------------------------------------------------------- negotiation


# What SPARQLWrapper 2 sends for each setReturnFormat on a CONSTRUCT (GET and POST alike):
# format/output/results repeated, with the media type as a second value for some.
SPARQLWRAPPER_CONSTRUCT = {
    "rdf+xml": (["rdf+xml", "application/rdf+xml"], "application/rdf+xml", "rdfxml"),
    "xml": (["xml"], "application/rdf+xml", "rdfxml"),
    "rdf": (["rdf"], "*/*", "rdfxml"),
    "n3": (
        ["n3"],
        "application/turtle,text/turtle,text/rdf+n3,application/n-triples,application/n3,text/n3",
        "ttl",
    ),
    "turtle": (["turtle"], "application/turtle,text/turtle", "ttl"),
    "json-ld": (["json-ld", "application/ld+json"], "application/ld+json,application/x-json+ld", "jsonld"),
    "json": (["json"], "*/*", "jsonld"),
    "csv": (["csv"], "*/*", "ttl"),
    "tsv": (["tsv", ""], "*/*", "ttl"),
}


@pytest.mark.parametrize("name", sorted(SPARQLWRAPPER_CONSTRUCT))
def test_what_sparqlwrapper_sends_for_a_graph_is_understood(name: str) -> None:
    values, header, expected = SPARQLWRAPPER_CONSTRUCT[name]
    params = {key: values for key in ("format", "output", "results")}
    assert media.wanted_for_query(header, params).for_kind(media.RDF).name == expected


@pytest.mark.parametrize(
    ("values", "header", "expected"),
    [
        (["json"], "application/sparql-results+json,application/json,text/javascript", "json"),
        (["xml"], "application/sparql-results+xml", "xml"),
        (["csv"], "text/csv", "csv"),
        (["tsv", "text/tab-separated-values"], "text/tab-separated-values", "tsv"),
        (["turtle"], "*/*", "json"),  # a graph format asked for a SELECT: results in the default
        (["rdf+xml", "application/rdf+xml"], "*/*", "json"),
    ],
)
def test_what_sparqlwrapper_sends_for_results_is_understood(
    values: list[str], header: str, expected: str
) -> None:
    params = {key: values for key in ("format", "output", "results")}
    assert media.wanted_for_query(header, params).for_kind(media.RESULTS).name == expected


def test_an_unknown_format_value_defers_to_accept_or_is_406() -> None:
    by_accept = media.wanted_for_query("text/csv", {"format": ["spreadsheet"]})
    assert by_accept.for_kind(media.RESULTS).name == "csv"
    typo = media.wanted_for_query("*/*", {"format": ["jsn"]})
    with pytest.raises(errors.NotAcceptable, match="jsn"):
        typo.for_kind(media.RESULTS)
    nothing = media.wanted_for_query("image/png", {})
    with pytest.raises(errors.NotAcceptable, match="text/csv"):
        nothing.for_kind(media.RESULTS)


def test_every_yasgui_menu_entry_we_offer_is_produced() -> None:
    """The graph menu of the UI offers exactly what media.py can write (the browser test clicks them)."""
    for fmt in media.RDF_FORMATS:
        assert media.wanted_for_query(fmt.media_type, {}).for_kind(media.RDF) is fmt
    for fmt in media.RESULT_FORMATS:
        assert media.wanted_for_query(fmt.media_type, {}).for_kind(media.RESULTS) is fmt


# ---------------------------------------------------------------- engine


def test_the_form_comes_from_the_engine(engine: EmbeddedEngine) -> None:
    assert isinstance(engine.run(Query(f"ASK {{ <{PT}> ?p ?o }}")), AskResult)
    assert isinstance(engine.run(Query(f"DESCRIBE <{PT}>")), GraphResult)
    # a comment or string that looks like another form does not fool it
    tricky = Query('# CONSTRUCT { ?s ?p ?o }\nSELECT ("DESCRIBE" AS ?x) WHERE {}')
    assert isinstance(engine.run(tricky), SelectResult)
    wanted = media.wanted_for_query("text/turtle", {})
    assert engine.answer(Query(f"DESCRIBE <{PT}>"), wanted).fmt.name == "ttl"
    with pytest.raises(errors.NotAcceptable):
        engine.answer(tricky, wanted)  # the Accept header fits graphs only


def test_syntax_error_has_line_and_column(engine: EmbeddedEngine) -> None:
    with pytest.raises(errors.QuerySyntaxError) as raised:
        engine.run(Query("SELECT ?s WHERE {\n  ?s ?p\n}"))
    # where Oxigraph's parser gave up: just after the '}' that cannot follow a predicate
    assert (raised.value.line, raised.value.column) == (3, 2)
    assert raised.value.status == 400 and "line 3, column 2" in raised.value.message


def test_a_graph_we_do_not_hold_is_empty(engine: EmbeddedEngine) -> None:
    unknown = Query(
        "SELECT * WHERE { ?s ?p ?o }", default_graphs=("http://127.0.0.1:9/nothing",), named_graphs=()
    )
    result = engine.run(unknown)
    assert isinstance(result, SelectResult) and result.rows == []


def test_a_carriage_return_arrives_as_a_carriage_return_in_xml(engine: EmbeddedEngine) -> None:
    """Regression: Oxigraph writes CR raw in XML, and XML parsers read a raw CR as LF."""
    select = Query('SELECT ?x WHERE { BIND("cr\\rhere" AS ?x) }')
    body = engine.answer(select, Wanted.of("xml", "rdfxml")).body
    assert b"cr&#13;here" in body
    literal = xml.dom.minidom.parseString(body).getElementsByTagName("literal")[0]
    assert literal.firstChild.data == "cr\rhere"  # type: ignore[union-attr]
    construct = Query('CONSTRUCT { <urn:s> <urn:p> "cr\\rhere" } WHERE {}')
    rdfxml = engine.answer(construct, Wanted.of("xml", "rdfxml")).body
    parsed = list(ox.parse(rdfxml, format=ox.RdfFormat.RDF_XML))
    assert parsed[0].object.value == "cr\rhere"


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (errors.QuerySyntaxError("x", 1, 2), 400),
        (errors.QueryFailed("x"), 400),
        (errors.BadParameter("limit", "x"), 400),
        (errors.Forbidden("x"), 403),
        (errors.NotAcceptable("x"), 406),
        (errors.TooLarge("x"), 413),
        (errors.UnsupportedMediaType("x"), 415),
        (errors.QueryTimeout("x"), 503),
        (errors.EngineFailure("x"), 503),
        (errors.UriTooLong("x"), 414),
        (errors.TooManyAtOnce("x"), 429),
        (errors.SlowBodies("x"), 503),
    ],
)
def test_one_table_from_error_to_status(error: errors.QueryPathError, status: int) -> None:
    response = response_for(error)
    assert response.status_code == status and response.mimetype == "text/plain"
    assert response.get_data(as_text=True) == error.message + "\n"
    assert ("Retry-After" in response.headers) == (status in (503, 429))


# ---------------------------------------------------------------- engines for a worker with threads

RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o }"


@pytest.fixture(scope="module")
def store_path(tmp_path_factory) -> str:  # type: ignore[no-untyped-def]
    from kdgraph.store.served_data import prepare

    return prepare(tmp_path_factory.mktemp("pool-state"), None).store_path


def _pool(  # type: ignore[no-untyped-def]
    store_path: str,
    size: int,
    most: int | None = None,
    per_client: int = 0,
    timeout: float = 2.0,
    wait: float = 60,
):
    """``wait``: how long a query waits for an engine (one being restarted or started takes as long
    as a loaded machine makes it); short only where the refusal after waiting is what is tested."""
    from kdgraph.query.supervised import EnginePool, SupervisedEngine

    return EnginePool(
        lambda: SupervisedEngine(store_path, timeout, 10**9),
        size,
        wait=wait,
        most=most,
        per_client=per_client,
    )


def _in_thread(call) -> tuple[threading.Thread, list]:  # type: ignore[no-untyped-def,type-arg]
    """Run ``call`` in a thread; the list receives its result or the QueryPathError it raised."""
    outcome: list = []  # type: ignore[type-arg]

    def run() -> None:
        try:
            outcome.append(call())
        except errors.QueryPathError as error:
            outcome.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def _wait_for(condition) -> None:  # type: ignore[no-untyped-def]
    wait_for(condition, "the pool to reach the state the test waits for")


ASK = Query(f"ASK {{ <{PT}> ?p ?o }}")


def test_a_runaway_holds_one_engine_of_the_pool_while_another_answers(store_path: str) -> None:
    pool = _pool(store_path, 2)
    thread, outcome = _in_thread(lambda: pool.answer(Query(RUNAWAY), Wanted.of("json", "ttl")))
    _wait_for(lambda: pool.evaluating == 1)
    quick = pool.run(ASK)
    assert thread.is_alive()  # answered while the runaway was still being evaluated
    thread.join()
    pool.close()
    assert quick == AskResult(True)
    assert len(outcome) == 1 and isinstance(outcome[0], errors.QueryTimeout)


def test_a_pool_with_every_engine_busy_answers_503_with_retry_after(
    store_path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every engine busy at normal priority (a pool also grows past engines busy at low priority,
    issue 22: here none turns low-priority before its deadline)."""
    from kdgraph.query import supervised

    monkeypatch.setattr(supervised, "RENICE_AFTER", 60.0)
    pool = _pool(store_path, 1, wait=0.2)
    thread, outcome = _in_thread(lambda: pool.run(Query(RUNAWAY)))
    _wait_for(lambda: pool.evaluating == 1)
    with pytest.raises(errors.Busy) as busy:
        pool.run(ASK)
    thread.join()
    pool.close()
    assert busy.value.status == 503 and busy.value.headers["Retry-After"]
    assert len(outcome) == 1 and isinstance(outcome[0], errors.QueryTimeout)


def test_a_pool_grows_while_runaways_hold_its_engines_and_answers_the_others(store_path: str) -> None:
    """Issue 12: runaways as many as the ready engines (and more) must not stop small queries."""
    pool = _pool(store_path, 1, most=6)  # (two long queries at once: its long share)
    runaways = [_in_thread(lambda: pool.run(Query(RUNAWAY))) for _ in range(2)]
    _wait_for(lambda: pool.evaluating == 2)
    answers = [pool.run(ASK) for _ in range(3)]
    assert all(thread.is_alive() for thread, _ in runaways)
    for thread, _ in runaways:
        thread.join()
    pool.close()
    assert answers == [AskResult(True)] * 3
    assert [type(outcome[0]) for _, outcome in runaways] == [errors.QueryTimeout] * 2


def test_one_client_has_at_most_its_share_of_evaluations_at_once(store_path: str) -> None:
    """The second evaluation of a client at its limit waits, then gets 429 with Retry-After;
    another client is answered meanwhile."""
    pool = _pool(store_path, 2, most=4, per_client=1, wait=0.2)
    _wait_for(lambda: len(pool._free) == 2)  # both engines started: the other client's is ready
    thread, outcome = _in_thread(lambda: pool.run(Query(RUNAWAY), Budget.within(2.0, "10.0.0.1")))
    _wait_for(lambda: pool.evaluating == 1)
    with pytest.raises(errors.TooManyAtOnce) as refused:
        pool.run(ASK, Budget.within(2.0, "10.0.0.1"))
    other = pool.run(ASK, Budget.within(2.0, "10.0.0.2"))
    thread.join()
    pool.close()
    assert refused.value.status == 429 and refused.value.headers["Retry-After"] == "1"
    assert other == AskResult(True)
    assert isinstance(outcome[0], errors.QueryTimeout)


def test_the_request_budget_ends_an_evaluation_before_the_engine_deadline(store_path: str) -> None:
    """The deadline counts from the request's arrival: with 0.3 s of it left, a runaway is
    stopped then, not after the engine's own 60 s (the test would hang for a minute)."""
    pool = _pool(store_path, 1, timeout=60)
    with pytest.raises(errors.QueryTimeout):
        pool.run(Query(RUNAWAY), Budget.within(0.3))
    with pytest.raises(errors.QueryTimeout):  # spent before it started: not even sent
        pool.run(ASK, Budget.within(-1))
    assert pool.run(ASK) == AskResult(True)  # the engine was restarted
    pool.close()


def test_a_long_evaluation_runs_at_low_priority_and_the_engine_is_back_to_normal_after(
    store_path: str,
) -> None:
    """Runaways yield the CPU to short queries (nice 19 after RENICE_AFTER seconds)."""
    from kdgraph.query import supervised

    pool = _pool(store_path, 1)
    thread, _ = _in_thread(lambda: pool.run(Query(RUNAWAY)))
    _wait_for(lambda: pool.evaluating == 1)
    (engine,) = pool._busy
    _wait_for(lambda: engine.niced)
    assert os.getpriority(os.PRIO_PROCESS, engine._process.pid) == supervised.LOW_PRIORITY
    thread.join()
    assert pool.run(ASK) == AskResult(True)  # on the restarted engine
    # back to this process's own priority (0, unless the tests themselves run under nice)
    assert os.getpriority(os.PRIO_PROCESS, engine._process.pid) == os.getpriority(os.PRIO_PROCESS, 0)
    pool.close()


def test_engines_outlive_the_request_thread_that_asked_for_them(store_path: str) -> None:
    """Regression: Linux kills a child when the *thread* that forked it ends (PDEATHSIG), and a
    server's request threads come and go; the pool forks from its own long-lived thread."""
    pool = _pool(store_path, 1, most=2)
    holder, _ = _in_thread(lambda: pool.run(Query(RUNAWAY)))
    _wait_for(lambda: pool.evaluating == 1)
    thread, first = _in_thread(lambda: pool.run(ASK))  # grows the pool from a short-lived thread
    thread.join()
    holder.join()
    time.sleep(0.2)  # a killed engine would be dead by now
    assert first == [AskResult(True)]
    assert [pool.run(ASK) for _ in range(4)] == [AskResult(True)] * 4
    assert pool.engines == 2  # none had to be replaced
    pool.close()


def test_closing_a_pool_lets_the_evaluations_in_progress_finish(store_path: str) -> None:
    """A reload closes the old version's pool while its requests still run: they end as they
    would have (here at their deadline, 503), not with a killed engine; then the pool's
    thread ends too (it outlives its engines, whose death signal it carries)."""
    pool = _pool(store_path, 2)
    thread, outcome = _in_thread(lambda: pool.run(Query(RUNAWAY)))
    _wait_for(lambda: pool.evaluating == 1)
    pool.close()  # the free one (or the one still starting) is stopped, the busy one evaluates on
    thread.join()
    pool._starter.join(5)
    assert isinstance(outcome[0], errors.QueryTimeout)
    assert pool.engines == 0 and not pool._starter.is_alive()


def test_long_queries_beyond_a_pools_long_share_are_stopped_and_their_address_refused_at_once(
    store_path: str,
) -> None:
    """Issue 22: however many addresses send runaways, they hold at most the long share of the
    engines (one in three); beyond it, a long query is stopped, and its address's next query is
    refused without an engine while the share is in use. A short query is answered meanwhile."""
    pool = _pool(store_path, 1, most=3)  # long share: one engine
    first = _in_thread(lambda: pool.run(Query(RUNAWAY), Budget.within(2, "10.0.0.1")))
    _wait_for(lambda: pool.shedding()["long_queries_now"] == 1)
    second = _in_thread(lambda: pool.run(Query(RUNAWAY + " # 2"), Budget.within(2, "10.0.0.2")))
    second[0].join()
    assert type(second[1][0]) is errors.LongQueriesShed
    with pytest.raises(errors.LongQueriesShed):  # its address is suspect now: not evaluated
        pool.run(ASK, Budget.within(2, "10.0.0.2"))
    assert pool.run(ASK, Budget.within(2, "10.0.0.3")) == AskResult(True)
    first[0].join()
    assert type(first[1][0]) is errors.QueryTimeout
    assert pool.shedding()["shed_last_minute"] == 2
    pool.close()


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("text/plain, */*;q=0.1", "nt"),  # rdflib's Graph().parse(url, format="nt")
        ("text/plain", "nt"),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "html"),  # a browser
        ("*/*", "html"),
    ],
)
def test_text_plain_is_ntriples_for_rdf(accept: str, expected: str) -> None:
    assert media.choose(media.DOCUMENT_FORMATS, accept, [], "a resource").name == expected
    assert media.BY_NAME["nt"].content_type == "application/n-triples; charset=utf-8"


def test_one_function_adds_the_charset_once() -> None:
    assert media.content_type("text/turtle") == "text/turtle; charset=utf-8"
    assert media.content_type("text/turtle; charset=utf-8") == "text/turtle; charset=utf-8"
    assert media.content_type("application/gzip") == "application/gzip"
