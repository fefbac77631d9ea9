"""/queries: the saved queries as a documented, parameterised web API (and /openapi.json)."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, jsonify, render_template, request

from ..engine import QueryRequest
from ..openapi import DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET, RESERVED, openapi_document
from ..protocol import RDF_SERIALISATIONS, NotAcceptable, negotiate
from ..query_catalogue import catalogue_triples, query_iri
from ..saved_queries import ParameterError, SavedQuery
from .sparql import problem, public_root, respond, runtime

blueprint = Blueprint("queries", __name__, template_folder="templates")


def saved_queries() -> dict[str, SavedQuery]:
    """The saved queries, read once when the app was created (see app.create_app)."""
    return current_app.extensions["kdgraph.queries"]


def describe(query: SavedQuery) -> dict:
    return {
        "name": query.name,
        "iri": query_iri(runtime().config.base, query.name),
        "url": f"{public_root()}/queries/{query.name}",
        "title": query.title,
        "description": query.description,
        "tags": list(query.tags),
        "form": query.form,
        "example": query.example,
        "try_url": f"{public_root()}/queries/{query.name}?"
        + urlencode({**query.example_parameters(), "format": "csv"}),
        "parameters": [
            {
                "name": p.name,
                "type": p.type,
                "required": p.required,
                "default": p.default,
                "values": list(p.values) or None,
                "description": p.description,
            }
            for p in query.parameters
        ],
    }


@blueprint.route("/queries")
def list_queries() -> Response:
    listing = [describe(q) for q in saved_queries().values()]
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    if request.args.get("format") == "json" or best == "application/json":
        return jsonify(listing)
    return Response(
        render_template("queries.html", queries=listing, server=public_root()), mimetype="text/html"
    )


def _integer(name: str, default: int, low: int, high: int | None) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ParameterError(name, f"expected an integer, got {raw!r}") from None
    if value < low or (high is not None and value > high):
        raise ParameterError(name, f"expected {low} to {high if high is not None else 'any'}, got {value}")
    return value


def _links(name: str, offset: int, limit: int, total: int) -> str:
    params = {k: v for k, v in request.args.items() if k not in ("offset", "limit")}

    def url(at: int) -> str:
        return f"{public_root()}/queries/{name}?" + urlencode({**params, "limit": limit, "offset": at})

    links = [f'<{url(0)}>; rel="first"']
    if offset > 0:
        links.append(f'<{url(max(offset - limit, 0))}>; rel="prev"')
    if offset + limit < total:
        links.append(f'<{url(offset + limit)}>; rel="next"')
    links.append(f'<{url(max((total - 1) // limit * limit, 0))}>; rel="last"')
    return ", ".join(links)


@blueprint.route("/queries/<name>")
def run_query(name: str) -> Response:
    query = saved_queries().get(name)
    if query is None:
        known = ", ".join(saved_queries())
        return problem(404, f"no saved query named {name!r}; the saved queries are: {known}")
    repeated = sorted(k for k in request.args if len(request.args.getlist(k)) > 1)
    if repeated:  # each parameter is one value (as /openapi.json says); which one would count is a guess
        return problem(400, f"parameter {repeated[0]!r} is given more than once; give it once")
    try:
        bindings = query.bindings({k: v for k, v in request.args.items() if k not in RESERVED})
        limit = _integer("limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
        offset = _integer("offset", 0, 0, MAX_OFFSET)
        fmt = negotiate(query.form, request.accept_mimetypes, request.args.get("format"))
    except ParameterError as error:
        return problem(400, str(error))
    except NotAcceptable as error:
        return problem(406, str(error))
    page, whole = query.api_requests(bindings, fmt, limit, offset, runtime().config.max_result_bytes)
    if whole is None:
        return respond(page)
    total = _count(whole)
    if isinstance(total, Response):
        return total
    response = respond(page)
    if response.status_code in (200, 304):
        response.headers["Link"] = _links(name, offset, limit, total)
        response.headers["X-Total-Count"] = str(total)
    return response


def _count(whole: QueryRequest) -> int | Response:
    """Rows in the whole result (for Link headers): the full result, cached like any answer."""
    full = respond(whole)
    if full.status_code == 304:  # the client holds the page, not the count: ask without condition
        return len(json.loads(runtime().answer(whole).body)["results"]["bindings"])
    if full.status_code != 200:
        return full
    return len(json.loads(full.get_data())["results"]["bindings"])


@blueprint.route("/openapi.json")
def openapi() -> Response:
    return jsonify(openapi_document(saved_queries().values(), public_root()))


@blueprint.route("/.well-known/sparql-examples")
def sparql_examples() -> Response:
    media = request.accept_mimetypes.best_match(list(RDF_SERIALISATIONS)) or "text/turtle"
    triples = catalogue_triples(saved_queries().values(), runtime().config.base)
    body = ox.serialize(triples, format=RDF_SERIALISATIONS[media])
    return Response(body, content_type=f"{media}; charset=utf-8")
