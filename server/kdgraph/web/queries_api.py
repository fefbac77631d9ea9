"""/queries: the saved queries as a documented, parameterised web API (and /openapi.json)."""

from __future__ import annotations

from urllib.parse import urlencode

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, jsonify, render_template, request

from kdgraph.catalogue.examples import catalogue_triples, query_iri
from kdgraph.catalogue.openapi import DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET, RESERVED, openapi_document
from kdgraph.catalogue.saved_queries import ParameterError, SavedQuery, without_header
from kdgraph.namespaces import prefixes
from kdgraph.pages.documents import compact_iri
from kdgraph.query import media
from kdgraph.query.engine import GraphResult, Query, SelectResult
from kdgraph.query.errors import BadParameter, NotFound, QueryPathError
from kdgraph.web import negotiation
from kdgraph.web.page_language import page_language
from kdgraph.web.sparql import budget, public_root, respond, runtime

blueprint = Blueprint("queries", __name__, template_folder="templates")


def saved_queries() -> dict[str, SavedQuery]:
    """The saved queries, read once when the app was created (see app.create_app)."""
    queries: dict[str, SavedQuery] = current_app.extensions["kdgraph.queries"]  # (an Any mapping)
    return queries


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
        "page_url": f"/queries/{query.name}",
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
    fmt = negotiation.negotiate(offered, "the list of saved queries")
    if fmt is media.JSON_DOCUMENT:
        return jsonify(listing)
    return Response(
        render_template("queries.html", queries=listing, server=public_root(), lang=page_language()),
        mimetype="text/html",
    )


# What a run from a saved query's page shows at most; the page links to the full result (CSV).
PAGE_ROWS = 100
# Parameters of a saved query's page that are not the query's own.
PAGE_PARAMETERS = ("run", "lang")


def wants_page() -> bool:
    """Whether the client asked for the saved query's HTML page (a browser, or ``format=html``).

    Decided from the request alone, before anything is evaluated: a browser's Accept header
    names text/html first, a SPARQL client names a result format (or */*, which gets results).
    """
    offered = (*media.RESULT_FORMATS, *media.RDF_FORMATS, media.HTML)
    try:
        chosen = negotiation.negotiate(offered, "this saved query")
    except QueryPathError:  # not acceptable as a page either: the query path says why
        return False
    return chosen is media.HTML


def query_page(query: SavedQuery) -> Response:
    """The saved query for people: its description, a form for its parameters, its text, and a
    button that runs it (``run``); the query is evaluated only when that button asks for it."""
    lang = page_language()
    given = {k: v for k, v in request.args.items() if k not in (*RESERVED, *PAGE_PARAMETERS)}
    values = {**query.example_parameters(), **given} if "run" not in request.args else given
    result, problem_text = None, ""
    if "run" in request.args:
        try:
            bound = query.bind(given)
        except ParameterError as error:  # said on the page, next to the form that can fix it
            problem_text = error.message
        else:
            answer = runtime().engine.run(Query.bound(query.paged(PAGE_ROWS, 0), bound), budget())
            result = _table(answer)
    ui_link = f"/#{query.name}"
    csv_link = f"/queries/{query.name}?" + urlencode({**values, "format": "csv"})
    html = render_template(
        "query.html",
        q=describe(query),
        lang=lang,
        values=values,
        text=without_header(query.sparql),
        result=result,
        problem=problem_text,
        limit=PAGE_ROWS,
        ui_link=ui_link,
        csv_link=csv_link,
    )
    return Response(html, content_type=media.HTML.content_type)


LABELS = """
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?s ?label WHERE {{ VALUES ?s {{ {iris} }} ?s skos:prefLabel|rdfs:label ?label }}
"""


def _labels(result: object, lang: str) -> dict[str, tuple[str, str]]:
    """IRI -> (label, its language) for the IRIs of a result, in the page's language if it has one."""
    iris = sorted(
        {
            term.value
            for term in _terms(result)
            if isinstance(term, ox.NamedNode) and not any(ch in term.value for ch in '<>"{}|^`\\ ')
        }
    )
    if not iris:
        return {}
    found = runtime().engine.run(Query(LABELS.format(iris=" ".join(f"<{i}>" for i in iris))), budget())
    labels: dict[str, tuple[str, str]] = {}
    for row in found.rows if isinstance(found, SelectResult) else []:
        label = row["label"]
        tag = getattr(label, "language", None) or ""
        known = labels.get(row["s"].value)
        if known is None or (tag == lang and known[1] != lang):
            labels[row["s"].value] = (label.value, tag)
    return labels


def _terms(result: object) -> list[object]:
    if isinstance(result, SelectResult):
        return [term for row in result.rows for term in row.values()]
    if isinstance(result, GraphResult):
        return [term for t in result.triples[:PAGE_ROWS] for term in (t.subject, t.object)]
    return []


def _table(result: object) -> dict[str, object]:
    """Rows to show: each cell a label (the term's value) and, for one of our IRIs, its page."""
    base = runtime().config.base

    names: dict[str, object] = dict(prefixes(base))
    labels = _labels(result, page_language())

    def cell(term: object) -> dict[str, str]:
        value = getattr(term, "value", "")
        href = "/" + value[len(base) :] if isinstance(term, ox.NamedNode) and value.startswith(base) else ""
        if isinstance(term, ox.NamedNode):  # by its label, else as the query UI shows it (prefixed)
            text, lang = labels.get(value) or (compact_iri(value, names), "")
            return {"text": text, "href": href, "lang": lang}
        return {"text": value, "href": href, "lang": getattr(term, "language", None) or ""}

    if isinstance(result, SelectResult):
        return {
            "variables": result.variables,
            "rows": [
                [cell(row.get(v)) if row.get(v) is not None else None for v in result.variables]
                for row in result.rows
            ],
        }
    if isinstance(result, GraphResult):
        return {
            "variables": ["subject", "predicate", "object"],
            "rows": [
                [cell(t.subject), cell(t.predicate), cell(t.object)] for t in result.triples[:PAGE_ROWS]
            ],
        }
    return {
        "variables": ["answer"],
        "rows": [[{"text": str(getattr(result, "value", "")), "href": "", "lang": ""}]],
    }


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
    if wants_page():
        return query_page(query)
    repeated = sorted(k for k in request.args if len(request.args.getlist(k)) > 1)
    if repeated:  # each parameter is one value (as /openapi.json says); which one would count is a guess
        raise BadParameter(repeated[0], "given more than once; give it once")
    bound = query.bind({k: v for k, v in request.args.items() if k not in RESERVED})
    limit = _integer("limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    offset = _integer("offset", 0, 0, MAX_OFFSET)
    wanted = negotiation.wanted_for_query(request.args.to_dict(flat=False))
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
    fmt = negotiation.negotiate(media.RDF_FORMATS, "the saved queries as RDF", lenient=True)
    triples = catalogue_triples(saved_queries().values(), runtime().config.base)
    return Response(media.serialize_triples(triples, fmt), content_type=fmt.content_type)
