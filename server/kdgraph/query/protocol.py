"""The protocol step: from what the client sent to exactly one read-only query and its dataset.

SPARQL 1.1 Protocol, query operation only: ``GET ?query=``, ``POST`` form (``query=``) or
``POST application/sparql-query``; ``default-graph-uri`` / ``named-graph-uri`` name the dataset
and replace the query's own FROM / FROM NAMED. Exactly one query: a second ``query`` (in the
URL and the form, or twice) is a 400, not "the first one wins". Updates in any shape are
refused here (403), before anything parses them. No Flask in here: the read-request step hands
over plain data, so the rules are tested without a server.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from kdgraph.query.engine import Query
from kdgraph.query.errors import BadRequest, Forbidden, UnsupportedMediaType
from kdgraph.query.request_reader import (
    FORM,
    QUERY_BODY,
    UPDATE_BODY,
    ReadRequest,
    dataset,
    one,
)

__all__ = ["FORM", "QUERY_BODY", "UPDATE_BODY", "Operation", "ReadRequest", "operation"]
READ_ONLY = (
    "this endpoint is read-only: SPARQL Update (INSERT, DELETE, LOAD, CLEAR, DROP, CREATE, ...) "
    "is refused and nothing was changed"
)


@dataclass(frozen=True)
class Operation:
    query: Query
    params: Mapping[str, Sequence[str]]  # for the format step (format=, output=, results=)


def base_iri_for(base: str) -> str:
    """What relative IRIs in a client's query resolve against: the endpoint's IRI in our namespace.

    Not the URL the request came in on: the answer (and its cache key) must not depend on the
    Host header, and the warm-up must be able to ask the very same query.
    """
    return f"{base}sparql"


def operation(request: ReadRequest, base_iri: str | None = None) -> Operation | None:
    """The query the request asks for, or None for a GET without one (the service description).

    ``base_iri``: what relative IRIs in the query resolve against (:func:`base_iri_for`).
    """
    params = request.params
    text: str | None
    if (request.method == "POST" and request.content_type == UPDATE_BODY) or params.get("update"):
        raise Forbidden(READ_ONLY)
    if request.method == "POST" and request.content_type == QUERY_BODY:
        if params.get("query"):
            raise BadRequest("the query is in the body; do not also send a 'query' parameter")
        text = request.body or ""
    elif request.method == "POST" and request.content_type != FORM:
        raise UnsupportedMediaType(
            f"unsupported Content-Type {request.content_type or '(none)'}: POST a query as "
            f"{FORM} (query=...) or {QUERY_BODY}"
        )
    else:
        found = one(params, "query")
        if found is None:
            if request.method in ("GET", "HEAD"):
                return None
            raise BadRequest("no query: send the SPARQL query in the 'query' parameter")
        text = found
    if not text.strip():
        raise BadRequest("the query is empty; send a SPARQL query in the 'query' parameter")
    defaults, named = dataset(params)
    given = bool(defaults or named)
    query = Query(
        text,
        default_graphs=defaults if given else None,
        named_graphs=named if given else None,
        base_iri=base_iri,
    )
    return Operation(query, params)
