"""/sparql: the SPARQL 1.1 Protocol (query operation only; the graph is read-only)."""

from __future__ import annotations

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, redirect, request

from ..engine import EngineFailure, QueryFailed, QueryRequest, QueryTimeout, ResultTooLarge
from ..protocol import RDF_SERIALISATIONS, NotAcceptable, content_type, negotiate
from ..query_check import QueryRejected, check_graph_parameters, check_query
from ..runtime import Runtime
from .service_description import service_description

blueprint = Blueprint("sparql", __name__)


def runtime() -> Runtime:
    return current_app.extensions["kdgraph"]


def problem(status: int, message: str) -> Response:
    """Every error: a status and a plain-text body that says what to fix."""
    return Response(message.rstrip() + "\n", status=status, mimetype="text/plain")


def public_root() -> str:
    """Where this server is reached: the configured public URL, else the request's root."""
    public = runtime().config.public_url
    return public.rstrip("/") if public else request.url_root.rstrip("/")


def endpoint_url() -> str:
    return public_root() + "/sparql"


def _query_text() -> tuple[str | None, str | None]:
    """(query, update) from GET parameters, an urlencoded form, or a direct POST body."""
    if request.method == "GET":
        return request.args.get("query"), request.args.get("update")
    mimetype = request.mimetype
    if mimetype == "application/sparql-query":
        return request.get_data(as_text=True), None
    if mimetype == "application/sparql-update":
        return None, request.get_data(as_text=True)
    if mimetype == "application/x-www-form-urlencoded":
        return request.form.get("query"), request.form.get("update")
    raise QueryRejected(
        415,
        f"unsupported Content-Type {mimetype or '(none)'}: POST a query as "
        "application/x-www-form-urlencoded (query=...) or application/sparql-query",
    )


def _graph_parameters() -> tuple[list[str], list[str]]:
    """Protocol dataset parameters, from the URL and (for form posts) the body."""
    sources = [request.args]
    if request.method == "POST" and request.mimetype == "application/x-www-form-urlencoded":
        sources.append(request.form)
    defaults = [iri for source in sources for iri in source.getlist("default-graph-uri")]
    named = [iri for source in sources for iri in source.getlist("named-graph-uri")]
    return defaults, named


def _service_description() -> Response:
    accept = request.accept_mimetypes
    best = accept.best_match(["text/html", *RDF_SERIALISATIONS])
    if best == "text/html" and accept["text/html"] > accept["text/turtle"]:
        return redirect("/", code=303)
    media = best if best in RDF_SERIALISATIONS else "text/turtle"
    if accept and accept.best not in (None, "*/*") and best is None:
        available = ", ".join(RDF_SERIALISATIONS)
        return problem(406, f"the service description is available as {available}")
    body = ox.serialize(
        service_description(endpoint_url(), runtime().served()), format=RDF_SERIALISATIONS[media]
    )
    return Response(body, mimetype=media, content_type=f"{media}; charset=utf-8")


@blueprint.route("/sparql", methods=["GET", "POST"])
def sparql() -> Response:
    try:
        query, update = _query_text()
        if update is not None:
            raise QueryRejected(
                403, "this endpoint is read-only: SPARQL Update is refused and nothing was changed"
            )
        if query is None:
            if request.method == "GET":
                return _service_description()
            raise QueryRejected(400, "no query: send the SPARQL query in the 'query' parameter")
        config = runtime().config
        served = runtime().served()
        own = frozenset(served.graphs)
        checked = check_query(query, own, config.allowed_services)
        defaults, named = _graph_parameters()
        check_graph_parameters(defaults + named, own)
        fmt = negotiate(checked.form, request.accept_mimetypes, request.values.get("format"))
        query_request = QueryRequest(
            sparql=query,
            fmt=fmt,
            default_graphs=tuple(defaults) or checked.default_graphs,
            named_graphs=tuple(named) or checked.named_graphs,
            max_bytes=config.max_result_bytes,
        )
        return respond(query_request)
    except QueryRejected as error:
        return problem(error.status, str(error))
    except NotAcceptable as error:
        return problem(406, str(error))


def respond(query_request: QueryRequest) -> Response:
    """Evaluate (or answer from cache / 304) and build the response; shared with saved queries."""
    rt = runtime()
    etag = rt.etag_for(rt.served().version, query_request)
    headers = {"ETag": f'"{etag}"', "Cache-Control": "public, max-age=60", "Vary": "Accept"}
    if request.if_none_match.contains(etag):
        return Response(status=304, headers=headers)
    try:
        answer = rt.answer(query_request)
    except QueryTimeout as error:
        return problem(503, f"{error}; simplify the query or add LIMIT")
    except ResultTooLarge as error:
        return problem(413, str(error))
    except QueryFailed as error:
        return problem(400, str(error))
    except EngineFailure as error:
        return problem(503, str(error))
    return Response(answer.body, content_type=content_type(answer.fmt), headers=headers)
