"""A QueryStore backed by a remote SPARQL 1.1 endpoint, through SPARQLWrapper.

The second implementation of the storage interface: the same saved queries and answers,
with the graph in an established store. Parameters are bound with a VALUES block inside the
WHERE group (a remote endpoint has no variable substitution).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from urllib.error import URLError

import pyoxigraph as ox
from SPARQLWrapper import POST, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

from .protocol import MEDIA_TYPE_OF
from .saved_queries import with_values
from .store import (
    GRAPH_FORMATS,
    RESULT_FORMATS,
    AskResult,
    GraphResult,
    QueryError,
    QueryResult,
    SelectResult,
    Term,
)


class RemoteStore:
    def __init__(self, endpoint: str, timeout: float = 30, default_graph: str | None = None):
        self.endpoint, self.timeout, self.default_graph = endpoint, timeout, default_graph

    @property
    def version(self) -> str:
        return f"remote:{self.endpoint}"

    def __len__(self) -> int:
        result = self.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
        assert isinstance(result, SelectResult)
        return int(result.rows[0]["n"].value)

    def _fetch(self, sparql: str, bindings: Mapping[str, Term] | None, media: str) -> bytes:
        client = SPARQLWrapper(self.endpoint)
        client.setMethod(POST)
        client.setOnlyConneg(True)  # no ?format=: the Accept header below decides
        if self.default_graph:
            client.addDefaultGraph(self.default_graph)
        client.setTimeout(int(self.timeout))
        client.setQuery(with_values(sparql, bindings or {}))
        client.addCustomHttpHeader("Accept", media)
        try:
            return client.query().response.read()
        except (SPARQLWrapperException, URLError, OSError) as error:
            raise QueryError(f"{self.endpoint}: {error}") from None

    def serialize(self, sparql: str, fmt: str, bindings: Mapping[str, Term] | None = None) -> bytes:
        if fmt not in MEDIA_TYPE_OF:
            raise QueryError(f"unknown format {fmt!r}")
        return self._fetch(sparql, bindings, MEDIA_TYPE_OF[fmt])

    def query(self, sparql: str, bindings: Mapping[str, Term] | None = None) -> QueryResult:
        media = "application/sparql-results+json, text/turtle;q=0.9"
        body = self._fetch(sparql, bindings, media)
        try:
            if body.lstrip().startswith(b"{"):
                parsed = ox.parse_query_results(io.BytesIO(body), format=RESULT_FORMATS["json"])
                if isinstance(parsed, ox.QueryBoolean):
                    return AskResult(bool(parsed))
                names = [v.value for v in parsed.variables]
                return SelectResult(names, [{n: s[n] for n in names if s[n] is not None} for s in parsed])
            return GraphResult([q.triple for q in ox.parse(body, format=GRAPH_FORMATS["ttl"])])
        except (SyntaxError, ValueError) as error:
            raise QueryError(f"{self.endpoint} sent a result that cannot be read: {error}") from None
