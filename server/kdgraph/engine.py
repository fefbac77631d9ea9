"""Query evaluation with a deadline, in a child process that can be stopped.

pyoxigraph cannot cancel a running query, and a thread cannot be killed, so each worker sends
its queries to one engine process of its own. When the deadline passes, that process is
killed (which really stops the work) and a fresh one is started; the worker answers 503 and
goes on serving. The engine opens the shared on-disk store read-only.
"""

from __future__ import annotations

import multiprocessing
import resource
from dataclasses import dataclass, field
from multiprocessing.connection import Connection

import pyoxigraph as ox

from .forking import reset_signals
from .store import serialize_result

_CONTEXT = multiprocessing.get_context("fork")


class QueryTimeout(Exception):
    pass


class EngineFailure(Exception):
    """The engine process died or refused (e.g. out of memory); the request can be retried."""


class QueryFailed(Exception):
    """The engine rejected the query (syntax or evaluation error); a client error."""


class ResultTooLarge(Exception):
    pass


@dataclass(frozen=True)
class QueryRequest:
    sparql: str
    fmt: str
    bindings: dict[str, str] = field(default_factory=dict)  # variable -> N-Triples term
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    max_bytes: int = 50_000_000


def parse_term(text: str) -> ox.NamedNode | ox.Literal | ox.BlankNode:
    triple = next(iter(ox.parse(f"<urn:s> <urn:p> {text} .", format=ox.RdfFormat.N_TRIPLES)))
    return triple.object


def evaluate(store: ox.Store, request: QueryRequest) -> tuple[str, bytes]:
    kwargs: dict = {}  # the default graph is the merge of all graphs (see store.fill_store)
    if request.default_graphs:
        kwargs = {"default_graph": [ox.NamedNode(g) for g in request.default_graphs]}
    if request.named_graphs:
        kwargs["named_graphs"] = [ox.NamedNode(g) for g in request.named_graphs]
    if request.bindings:
        kwargs["substitutions"] = {ox.Variable(k): parse_term(v) for k, v in request.bindings.items()}
    return serialize_result(store.query(request.sparql, **kwargs), request.fmt)


def _engine_main(connection: Connection, store_path: str, memory_limit: int) -> None:
    reset_signals()  # forked from a gunicorn worker: end with it on SIGTERM
    if memory_limit:
        resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))
    store = ox.Store.read_only(store_path)
    while True:
        try:
            request: QueryRequest = connection.recv()
        except EOFError:
            return
        try:
            kind, payload = evaluate(store, request)
            if len(payload) > request.max_bytes:
                connection.send(
                    (
                        "too_large",
                        f"the result is {len(payload)} bytes, above the limit of "
                        f"{request.max_bytes}; add LIMIT or narrow the query",
                    )
                )
            else:
                connection.send(("ok", kind, payload))
        except SyntaxError as error:
            connection.send(("query_error", f"SPARQL syntax error: {error.msg}"))
        except (ValueError, RuntimeError, OSError, TypeError) as error:
            connection.send(("query_error", str(error)))
        except MemoryError:
            connection.send(("engine_error", "the query needed more memory than the engine may use"))


class EngineProcess:
    """One engine child for one (single-threaded) worker."""

    def __init__(self, store_path: str, memory_limit: int = 0):
        self.store_path, self._memory_limit = store_path, memory_limit
        self._start()

    def _start(self) -> None:
        self._connection, child = _CONTEXT.Pipe()
        self._process = _CONTEXT.Process(
            target=_engine_main, args=(child, self.store_path, self._memory_limit), daemon=True
        )
        self._process.start()
        child.close()

    def restart(self) -> None:
        self.close()
        self._start()

    def close(self) -> None:
        if self._process.is_alive():
            self._process.kill()
        self._process.join(timeout=5)
        self._connection.close()

    def run(self, request: QueryRequest, timeout: float) -> tuple[str, bytes]:
        try:
            self._connection.send(request)
            ready = self._connection.poll(timeout)
        except (BrokenPipeError, EOFError, OSError):
            self.restart()
            raise EngineFailure("the query engine stopped; it has been restarted, please retry") from None
        if not ready:
            self.restart()  # kills the runaway evaluation for real
            raise QueryTimeout(f"the query did not finish within {timeout:g} s and was stopped")
        try:
            reply = self._connection.recv()
        except (EOFError, OSError):
            self.restart()
            raise EngineFailure("the query engine stopped (out of memory?); it has been restarted") from None
        status = reply[0]
        if status == "ok":
            return reply[1], reply[2]
        if status == "too_large":
            raise ResultTooLarge(reply[1])
        if status == "query_error":
            raise QueryFailed(reply[1])
        self.restart()
        raise EngineFailure(reply[1])
