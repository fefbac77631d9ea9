"""The storage interface every query goes through, and its embedded implementation.

Handlers, the CLI and tests talk to a ``QueryStore``; they never know whether the graph is
in process (Oxigraph) or behind a remote SPARQL endpoint, so one can replace the other.
rdflib's own SPARQL evaluator is deliberately not used on the query path (too slow; see the
performance issue): pyoxigraph evaluates, rdflib stays for modelling and SHACL.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

import pyoxigraph as ox

from .loading import KnowledgeGraph

# Result serialisation formats by short name (CLI --format, HTTP format=), per query form.
RESULT_FORMATS: dict[str, ox.QueryResultsFormat] = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}
GRAPH_FORMATS: dict[str, ox.RdfFormat] = {
    "ttl": ox.RdfFormat.TURTLE,
    "nt": ox.RdfFormat.N_TRIPLES,
    "jsonld": ox.RdfFormat.JSON_LD,
    "rdfxml": ox.RdfFormat.RDF_XML,
}

Term = ox.NamedNode | ox.BlankNode | ox.Literal


class QueryError(ValueError):
    """A query the engine rejects (syntax or evaluation); the message says what is wrong."""


@dataclass
class SelectResult:
    variables: list[str]
    rows: list[dict[str, Term]]


@dataclass
class AskResult:
    value: bool


@dataclass
class GraphResult:
    triples: list[ox.Triple]


QueryResult = SelectResult | AskResult | GraphResult


class QueryStore(Protocol):
    """What the rest of kdgraph needs from a SPARQL engine."""

    @property
    def version(self) -> str: ...

    def __len__(self) -> int: ...

    def query(self, sparql: str, bindings: Mapping[str, Term] | None = None) -> QueryResult: ...

    def serialize(self, sparql: str, fmt: str, bindings: Mapping[str, Term] | None = None) -> bytes: ...


def fill_store(store: ox.Store, quads: Iterable[ox.Quad]) -> None:
    """The layout of every kdgraph store: each quad in its named graph, the merge in the default graph.

    The default graph holds each triple of any graph once, so a query sees the merged graph and
    asks for provenance with ``GRAPH ?g``. (Oxigraph's ``use_default_graph_as_union`` would
    return a triple once per graph it is in.) ``bulk_extend`` is the fastest way in (faster than
    serialising and bulk-loading the text: 8 s instead of 11 s for 900,000 quads); the store
    drops duplicates itself.
    """
    quads = list(quads)
    store.bulk_extend(quads)
    store.bulk_extend(
        ox.Quad(q.subject, q.predicate, q.object) for q in quads if isinstance(q.graph_name, ox.NamedNode)
    )


class OxigraphStore:
    """An in-memory pyoxigraph store holding one KnowledgeGraph, read-only by convention."""

    def __init__(self, graph: KnowledgeGraph):
        self._store = ox.Store()
        fill_store(self._store, graph.quads)
        self._version = graph.version
        self._size = len(graph)

    @property
    def version(self) -> str:
        return self._version

    def __len__(self) -> int:
        return self._size

    def _run(self, sparql: str, bindings: Mapping[str, Term] | None):  # type: ignore[no-untyped-def]
        substitutions = {ox.Variable(k): v for k, v in (bindings or {}).items()}
        try:
            return self._store.query(sparql, substitutions=substitutions or None)
        except SyntaxError as error:
            raise QueryError(f"SPARQL syntax error: {error.msg}") from None
        except (OSError, ValueError) as error:
            raise QueryError(str(error)) from None

    def query(self, sparql: str, bindings: Mapping[str, Term] | None = None) -> QueryResult:
        result = self._run(sparql, bindings)
        try:
            if isinstance(result, ox.QueryBoolean):
                return AskResult(bool(result))
            if isinstance(result, ox.QuerySolutions):
                names = [v.value for v in result.variables]
                rows = [{n: s[n] for n in names if s[n] is not None} for s in result]
                return SelectResult(names, rows)
            return GraphResult(list(result))
        except (OSError, ValueError) as error:
            raise QueryError(str(error)) from None

    def serialize(self, sparql: str, fmt: str, bindings: Mapping[str, Term] | None = None) -> bytes:
        return serialize_result(self._run(sparql, bindings), fmt)[1]


def serialize_result(result: object, fmt: str) -> tuple[str, bytes]:
    """("graph" | "table", bytes) for a pyoxigraph query result in the short format ``fmt``."""
    graph = isinstance(result, ox.QueryTriples)
    formats: Mapping[str, object] = GRAPH_FORMATS if graph else RESULT_FORMATS
    if fmt not in formats:
        raise QueryError(f"format '{fmt}' does not fit a {'graph' if graph else 'table'} result")
    try:
        if graph:
            return "graph", ox.serialize(result, format=GRAPH_FORMATS[fmt]) or b""
        return "table", result.serialize(format=RESULT_FORMATS[fmt]) or b""  # type: ignore[attr-defined]
    except (OSError, ValueError) as error:
        raise QueryError(str(error)) from None
