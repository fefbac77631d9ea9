"""How every page asks the engine: the one place, through ``Engine.run`` (rows and triples).

A page model is built from pyoxigraph terms, never from bytes: ``select`` gives the solutions of a
SELECT as rows (variable -> term, unbound variables absent), ``construct`` the triples of a
CONSTRUCT or DESCRIBE. The serving engine answers repeated queries from its cache (per data
version), so asking twice in one request costs little. ``tag`` names what a page is built from
(the data version and the query) without asking the engine: the start of the page's ETag, so a
reader who has the page gets a 304 before anything is evaluated or built.
"""

from __future__ import annotations

import pyoxigraph as ox

from kdgraph.pages.rows import Row
from kdgraph.query.engine import GraphResult, Query, SelectResult
from kdgraph.query.errors import EngineFailure
from kdgraph.web.sparql import runtime


def _query(query: Query | str) -> Query:
    return query if isinstance(query, Query) else Query(query)


def select(query: Query | str) -> list[Row]:
    """The rows of a SELECT (an answer of another kind: the engine or the external store failed)."""
    result = runtime().engine.run(_query(query))
    if not isinstance(result, SelectResult):
        raise EngineFailure(f"a page's SELECT was answered with {type(result).__name__}")
    return list(result.rows)  # (the cache keeps the result: a caller may reorder its own list)


def construct(query: Query | str) -> list[ox.Triple]:
    """The triples of a CONSTRUCT or DESCRIBE."""
    result = runtime().engine.run(_query(query))
    if not isinstance(result, GraphResult):
        raise EngineFailure(f"a page's CONSTRUCT was answered with {type(result).__name__}")
    return list(result.triples)


def tag(*queries: Query | str) -> str:
    """The data version and the queries a page is built from: equal tags, equal answers."""
    return "-".join([runtime().served().version, *(_query(q).key for q in queries)])
