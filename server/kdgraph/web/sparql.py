"""/sparql: the SPARQL 1.1 Protocol (query operation only; the graph is read-only).

The request travels through named steps, each in its own module of ``kdgraph.query``:
read the request → protocol (exactly one query, its dataset, read-only) → safety pre-check →
engine (parse, evaluate, serialise in the negotiated format) → response. Errors of any step
are raised, never answered here: the app maps every one of them to its status in one place.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, g, redirect, request
from werkzeug.wrappers import Response as BaseResponse

from kdgraph.query import isolation, lexer, media, protocol, request_reader
from kdgraph.query.engine import Answer, Budget, Engine, Query
from kdgraph.query.media import Wanted
from kdgraph.serving.worker import Runtime
from kdgraph.web import negotiation
from kdgraph.web.service_description import service_description

blueprint = Blueprint("sparql", __name__)


def runtime() -> Runtime:
    found: Runtime = current_app.extensions["kdgraph"]  # (an Any mapping: set by app.create_app)
    return found


def public_root() -> str:
    """Where this server is reached: ``--base-url``, else the address it listens on (set by
    ``serve``); never the request's Host header, which any client chooses (issue 22: a
    ``Host: evil.example`` came back in links and the service description, a cache-poisoning
    risk behind a cache that ignores Host). Outside a server (an app made in a test or a
    script), ``LOCAL_ROOT``."""
    return (runtime().config.public_url or LOCAL_ROOT).rstrip("/")


LOCAL_ROOT = "http://localhost"


def endpoint_url() -> str:
    return public_root() + "/sparql"


# ---------------------------------------------------------------- the steps


def read_request() -> protocol.ReadRequest:
    """Step 1: what the client sent, as text: strict UTF-8, one size limit for every body."""
    read = request_reader.read_request(
        request.environ, runtime().config.max_request_bytes, runtime().body_lane
    )
    g.query_text = read.body if read.body is not None else next(iter(read.params.get("query", ())), None)
    return read


def precheck(query: Query) -> isolation.Route:
    """Step 3: the safety pre-check, a friendly 403/400 before the engine sees the query.

    It reads the tokens only (``lexer``), by the grammar's rules and by the engine's; it is not
    the guarantee (the engine process has no network, see ``isolation``). What it found decides
    which engine may run the query: only a query whose SERVICE calls are all allow-listed goes
    to the engine that has network.
    """
    allowed = runtime().config.allowed_services
    found = lexer.scan(query.text, base=query.base_iri)
    refusal = lexer.refusal(found, allowed)
    if refusal is not None:
        raise refusal
    return isolation.route((call.endpoint for call in found.services), allowed)


def budget() -> Budget:
    """This request's deadline, counted from its arrival (reading the body and the pre-check
    spend it too), and its client, whose evaluations at once the engines limit."""
    return Budget(g.started + runtime().config.query_timeout, request.remote_addr or "")


def respond(engine: Engine, query: Query, wanted: Wanted) -> Response:
    """Steps 4-6: the engine's answer (or the cache's) as a response, or 304."""
    answer: Answer = engine.answer(query, wanted, budget())
    headers: dict[str, str] = {}
    if answer.etag:  # a version of our data answered it (not a federated query)
        headers |= {"ETag": f'"{answer.etag}"', "Cache-Control": "public, max-age=60"}
        if request.if_none_match.contains(answer.etag):
            return Response(status=304, headers=headers)
    return Response(answer.body, content_type=answer.fmt.content_type, headers=headers)


# ---------------------------------------------------------------- the endpoint


def _service_description() -> BaseResponse:  # (a redirect is Werkzeug's Response)
    fmt = negotiation.page_or_rdf("the service description")
    if fmt is media.HTML:  # a browser: the query UI
        return redirect("/", code=303)
    body = media.serialize_triples(service_description(endpoint_url(), runtime().served()), fmt)
    return Response(body, content_type=fmt.content_type)


@blueprint.route("/sparql", methods=["GET", "POST"])
def sparql() -> BaseResponse:
    read = read_request()
    operation = protocol.operation(read, base_iri=protocol.base_iri_for(runtime().config.base))
    if operation is None:
        return _service_description()
    runtime().refuse_if_shedding(request.remote_addr or "")  # before any parsing (see EnginePool)
    route = precheck(operation.query)
    wanted = negotiation.wanted_for_query(operation.params)
    engine = runtime().federating_engine if route is isolation.Route.FEDERATING else runtime().engine
    return respond(engine, operation.query, wanted)
