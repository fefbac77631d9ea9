"""The one engine interface every query goes through, and its embedded implementation.

Three implementations, one protocol (:class:`Engine`): ``EmbeddedEngine`` evaluates in this
process (CLI, tests, warm-up), ``supervised.SupervisedEngine`` in a child process killed at the
deadline (the server: pyoxigraph cannot cancel a query), ``remote.RemoteEngine`` on an external
SPARQL store. Callers inside kdgraph ask for rows or triples (:meth:`Engine.run`); only the HTTP
edge asks for bytes (:meth:`Engine.answer`), in the format the client negotiated for whichever
kind of result the query turns out to give. The engine parses the query, once: its form (SELECT,
ASK, CONSTRUCT, DESCRIBE), its dataset and its syntax errors come from Oxigraph, never from a
second parser. No engine ever calls ``update``: stores are opened read-only where they live on disk.
"""

from __future__ import annotations

import functools
import hashlib
import io
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

import pyoxigraph as ox

from kdgraph.query import media
from kdgraph.query.errors import QueryFailed, QuerySyntaxError, TooLarge
from kdgraph.query.media import Format, Wanted
from kdgraph.store.layout import fill_store

Term = ox.NamedNode | ox.BlankNode | ox.Literal

# How the default graph of a query is formed when neither the query (FROM) nor the protocol
# (default-graph-uri) names one. True: the union of all named graphs (Oxigraph's option, which
# also overrides FROM). False: the store's own default graph, which then holds the merged data.
# The one place this is decided; the store layout of the provenance work sets it to False.
UNION_DEFAULT_GRAPH = False

# What internal callers' results travel as (between processes, in caches): Oxigraph's fastest
# parsers on both sides.
TRANSPORT = Wanted.of("json", "nt")


@dataclass(frozen=True)
class Query:
    """A query as the engine runs it: its text, bound variables and protocol dataset."""

    text: str
    substitutions: tuple[tuple[str, Term], ...] = ()  # sorted (variable, term) pairs
    default_graphs: tuple[str, ...] | None = None  # protocol dataset: None = as the query says
    named_graphs: tuple[str, ...] | None = None
    base_iri: str | None = None  # relative IRIs in the query resolve against it (see protocol)

    @classmethod
    def bound(
        cls,
        text: str,
        bindings: Mapping[str, Term] | None = None,
        default_graphs: tuple[str, ...] | None = None,
        named_graphs: tuple[str, ...] | None = None,
    ) -> Query:
        substitutions = tuple(sorted((bindings or {}).items(), key=lambda item: item[0]))
        return cls(text, substitutions, default_graphs, named_graphs)

    @functools.cached_property
    def key(self) -> str:
        """A digest of what makes two queries the same answer (with the data version and the
        format): computed once per query, whatever asks for it."""
        parts = (
            self.text,
            tuple((name, str(term)) for name, term in self.substitutions),
            self.default_graphs,
            self.named_graphs,
            self.base_iri,
        )
        return hashlib.blake2b(repr(parts).encode(), digest_size=10).hexdigest()


@dataclass(frozen=True)
class Budget:
    """Until when an answer is worth having, and who is asking.

    A request's deadline counts from its arrival, so reading the body and the pre-check use up
    its time too, and the evaluation gets only what is left. ``client`` (the remote address) is
    what the fairness limits of an engine pool count; internal callers leave it empty.
    """

    deadline: float  # on the time.monotonic() clock
    client: str = ""

    @classmethod
    def within(cls, seconds: float, client: str = "") -> Budget:
        return cls(time.monotonic() + seconds, client)

    def remaining(self) -> float:
        return self.deadline - time.monotonic()


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


Result = SelectResult | AskResult | GraphResult


@dataclass(frozen=True)
class Answer:
    """The bytes of one answer, in the format negotiated for its kind."""

    body: bytes
    fmt: Format
    etag: str = field(default="", compare=False)


class Engine(Protocol):
    def run(self, query: Query, budget: Budget | None = None) -> Result:
        """Rows, a boolean or triples: for callers inside kdgraph."""
        ...

    def answer(self, query: Query, wanted: Wanted, budget: Budget | None = None) -> Answer:
        """The serialised answer, for the HTTP edge and the CLI. ``budget``: the request's
        deadline and client (None: the engine's own deadline from now, no client limit)."""
        ...

    def close(self) -> None: ...


# ---------------------------------------------------------------- evaluating with pyoxigraph

_POSITION = re.compile(r"^error at (\d+):(\d+): (.*)$", re.DOTALL)


def syntax_error(error: SyntaxError) -> QuerySyntaxError:
    """Oxigraph's "error at LINE:COLUMN: message" as our error, with line and column."""
    found = _POSITION.match(error.msg or str(error))
    if found:
        return QuerySyntaxError(found.group(3), int(found.group(1)), int(found.group(2)))
    return QuerySyntaxError(error.msg or str(error))


def dataset_arguments(query: Query) -> dict:
    """pyoxigraph's keyword arguments for the dataset and bindings of ``query``.

    Protocol dataset parameters replace the query's FROM / FROM NAMED altogether (SPARQL 1.1
    Protocol 2.1.4). A graph we do not hold is simply empty: Oxigraph never fetches one.
    """
    kwargs: dict = {}
    if query.default_graphs is not None or query.named_graphs is not None:
        kwargs["default_graph"] = [ox.NamedNode(g) for g in query.default_graphs or ()]
        kwargs["named_graphs"] = [ox.NamedNode(g) for g in query.named_graphs or ()]
    elif UNION_DEFAULT_GRAPH:
        kwargs["use_default_graph_as_union"] = True
    if query.base_iri:
        kwargs["base_iri"] = query.base_iri
    if query.substitutions:
        kwargs["substitutions"] = {ox.Variable(name): term for name, term in query.substitutions}
    return kwargs


def evaluate(store: ox.Store, query: Query) -> ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples:
    try:
        return store.query(query.text, **dataset_arguments(query))
    except SyntaxError as error:
        raise syntax_error(error) from None
    except (OSError, ValueError, RuntimeError, TypeError) as error:
        raise QueryFailed(str(error)) from None


def kind_of(result: object) -> str:
    return media.RDF if isinstance(result, ox.QueryTriples) else media.RESULTS


def serialize(
    result: ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples, wanted: Wanted, max_bytes: int
) -> tuple[Format, bytes]:
    """Serialise a pyoxigraph result in the format wanted for its kind (406 if none fits)."""
    fmt = wanted.for_kind(kind_of(result))
    try:
        if isinstance(result, ox.QueryTriples):
            body = media.serialize_triples(result, fmt)
        else:
            body = media.serialize_results(result, fmt)
    except (OSError, ValueError, RuntimeError) as error:  # raised lazily, while evaluating
        raise QueryFailed(str(error)) from None
    if len(body) > max_bytes:
        raise TooLarge(
            f"the result is {len(body)} bytes, above the limit of {max_bytes}; add LIMIT or narrow the query"
        )
    return fmt, body


def to_result(result: ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples) -> Result:
    try:
        if isinstance(result, ox.QueryBoolean):
            return AskResult(bool(result))
        if isinstance(result, ox.QuerySolutions):
            names = [v.value for v in result.variables]
            # a solution iterates its values in the order of the variables: one pass, no lookup by name
            rows = [{n: t for n, t in zip(names, s, strict=True) if t is not None} for s in result]
            return SelectResult(names, rows)
        return GraphResult(list(result))
    except (OSError, ValueError, RuntimeError) as error:
        raise QueryFailed(str(error)) from None


def decode(answer: Answer) -> Result:
    """A result from its bytes (what travelled from an engine process or an external store)."""
    try:
        if answer.fmt.kind == media.RDF:
            parsed = ox.parse(io.BytesIO(answer.body), format=media.rdf_parser(answer.fmt))
            return GraphResult([quad.triple for quad in parsed])
        return to_result(
            ox.parse_query_results(io.BytesIO(answer.body), format=media.result_parser(answer.fmt))
        )
    except (SyntaxError, ValueError) as error:
        raise QueryFailed(f"an answer could not be read back: {error}") from None


# ---------------------------------------------------------------- embedded


class EmbeddedEngine:
    """pyoxigraph in this process: no deadline (CLI, tests, the background warm-up)."""

    def __init__(self, store: ox.Store, max_bytes: int = 2**62):
        self._store, self.max_bytes = store, max_bytes

    @classmethod
    def of_quads(cls, quads: Iterable[ox.Quad]) -> EmbeddedEngine:
        """An in-memory store holding ``quads`` in the layout of every kdgraph store."""
        store = ox.Store()
        fill_store(store, quads)
        return cls(store)

    @classmethod
    def open(cls, path: str, max_bytes: int = 2**62) -> EmbeddedEngine:
        return cls(ox.Store.read_only(path), max_bytes)

    def run(self, query: Query, budget: Budget | None = None) -> Result:
        return to_result(evaluate(self._store, query))

    def answer(self, query: Query, wanted: Wanted, budget: Budget | None = None) -> Answer:
        fmt, body = serialize(evaluate(self._store, query), wanted, self.max_bytes)
        return Answer(body, fmt)

    def close(self) -> None:
        pass
