"""/queries: the saved queries as a documented, parameterised web API (and /openapi.json)."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, jsonify, render_template, request

from ..openapi import DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET, RESERVED, openapi_document
from ..query import media
from ..query.engine import SelectResult
from ..query.errors import BadParameter, NotFound
from ..query_catalogue import catalogue_triples, query_iri
from ..saved_queries import ParameterError, SavedQuery
from .sparql import budget, public_root, respond, runtime

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
    offered = (media.JSON_DOCUMENT, media.HTML)
    fmt = media.negotiate(request, offered, "the list of saved queries")
    if fmt is media.JSON_DOCUMENT:
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
    """The saved query with its parameters bound (engine substitution), then the same steps as
    /sparql: negotiation for both kinds of result, engine, response."""
    query = saved_queries().get(name)
    if query is None:
        known = ", ".join(saved_queries())
        raise NotFound(f"no saved query named {name!r}; the saved queries are: {known}")
    repeated = sorted(k for k in request.args if len(request.args.getlist(k)) > 1)
    if repeated:  # each parameter is one value (as /openapi.json says); which one would count is a guess
        raise BadParameter(repeated[0], "given more than once; give it once")
    bound = query.bind({k: v for k, v in request.args.items() if k not in RESERVED})
    limit = _integer("limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    offset = _integer("offset", 0, 0, MAX_OFFSET)
    wanted = media.wanted_for_query(request.headers.get("Accept", ""), request.args.to_dict(flat=False))
    page, whole = query.api_queries(bound, limit, offset)
    engine = runtime().engine
    if whole is None:
        return respond(engine, page, wanted)
    counted = engine.run(whole, budget())
    total = len(counted.rows) if isinstance(counted, SelectResult) else 1
    response = respond(engine, page, wanted)
    response.headers["Link"] = _links(name, offset, limit, total)
    response.headers["X-Total-Count"] = str(total)
    return response


@blueprint.route("/openapi.json")
def openapi() -> Response:
    return jsonify(openapi_document(saved_queries().values(), public_root()))


@blueprint.route("/.well-known/sparql-examples")
def sparql_examples() -> Response:
    fmt = media.negotiate(request, media.RDF_FORMATS, "the saved queries as RDF", lenient=True)
    triples = catalogue_triples(saved_queries().values(), runtime().config.base)
    return Response(
        media.serialize_triples(triples, fmt), content_type=fmt.content_type, headers={"Vary": "Accept"}
    )
