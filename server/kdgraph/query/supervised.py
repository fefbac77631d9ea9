"""The server's engine: evaluation in a child process that is killed when the deadline passes.

pyoxigraph cannot cancel a running query and a thread cannot be killed, so each worker sends
its queries to one engine process of its own. At the deadline that process is killed (which
really stops the work) and a fresh one started; the worker answers 503 and goes on serving.

The hand-off is cheap on purpose: the query goes over the pipe as one small JSON message, the
answer comes back as the bytes the client will get (serialised in the child, in the negotiated
format), preceded by a one-line header; nothing is pickled. The child opens the shared on-disk
store read-only, and before it reads any query it is confined (``confine``: e.g. a network
namespace without interfaces, so that no query can reach the network whatever a pre-check thinks).
"""

from __future__ import annotations

import json
import multiprocessing
import queue
import resource
import select
from collections.abc import Callable
from multiprocessing.connection import Connection

import pyoxigraph as ox

from ..forking import reset_signals
from . import errors, media
from .engine import TRANSPORT, Answer, Query, Result, decode, evaluate, serialize
from .errors import Busy, EngineFailure, QueryPathError, QueryTimeout
from .media import Wanted

_CONTEXT = multiprocessing.get_context("fork")
# The errors a child may report, by name; any other failure is the engine's, not the query's.
_REPORTABLE = {
    cls.__name__: cls
    for cls in (
        errors.QuerySyntaxError,
        errors.QueryFailed,
        errors.NotAcceptable,
        errors.TooLarge,
        errors.EngineFailure,
    )
}


def encode_request(query: Query, wanted: Wanted, max_bytes: int) -> bytes:
    """One query as the child reads it: text, N-Triples terms, graphs, format names."""
    return json.dumps(
        [
            query.text,
            [[name, str(term)] for name, term in query.substitutions],
            query.default_graphs,
            query.named_graphs,
            query.base_iri,
            [f.name if isinstance(f, media.Format) else "" for f in (wanted.results, wanted.rdf)],
            max_bytes,
        ]
    ).encode()


def _parse_term(text: str) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    return next(iter(ox.parse(f"<urn:s> <urn:p> {text} .", format=ox.RdfFormat.N_TRIPLES))).object


def decode_request(message: bytes) -> tuple[Query, Wanted, int]:
    text, substitutions, defaults, named, base_iri, (results, rdf), max_bytes = json.loads(message)
    query = Query(
        text,
        tuple((name, _parse_term(term)) for name, term in substitutions),
        None if defaults is None else tuple(defaults),
        None if named is None else tuple(named),
        base_iri,
    )
    # A kind the client cannot take is refused with the kind's name; the worker, which holds
    # the client's Wanted, turns it into the full 406 message.
    wanted = Wanted(
        media.BY_NAME[results] if results else media.RESULTS, media.BY_NAME[rdf] if rdf else media.RDF
    )
    return query, wanted, max_bytes


def _engine_main(
    connection: Connection, store_path: str, memory_limit: int, confine: Callable[[], None] | None
) -> None:
    reset_signals()  # forked from a gunicorn worker: end with it on SIGTERM
    if confine is not None:
        confine()
    if memory_limit:
        resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))
    store = ox.Store.read_only(store_path)
    while True:
        try:
            message = connection.recv_bytes()
        except EOFError:
            return
        try:
            query, wanted, max_bytes = decode_request(message)
            fmt, body = serialize(evaluate(store, query), wanted, max_bytes)
        except QueryPathError as error:
            connection.send_bytes(json.dumps([type(error).__name__, error.message]).encode())
            continue
        except MemoryError:
            connection.send_bytes(
                b'["EngineFailure", "the query needed more memory than the engine may use"]'
            )
            continue
        connection.send_bytes(json.dumps(["ok", fmt.name]).encode())
        connection.send_bytes(body)


class SupervisedEngine:
    """One engine child for one (single-threaded) worker; ``timeout`` is the deadline in seconds."""

    def __init__(
        self,
        store_path: str,
        timeout: float,
        max_bytes: int,
        memory_limit: int = 0,
        confine: Callable[[], None] | None = None,
    ):
        self.store_path, self.timeout, self.max_bytes = store_path, timeout, max_bytes
        self._memory_limit, self._confine = memory_limit, confine
        self._start()

    def _start(self) -> None:
        self._connection, child = _CONTEXT.Pipe()
        self._process = _CONTEXT.Process(
            target=_engine_main,
            args=(child, self.store_path, self._memory_limit, self._confine),
            daemon=True,
        )
        self._process.start()
        child.close()
        self._poller = select.poll()  # made once: multiprocessing's poll() builds a selector per call
        self._poller.register(self._connection.fileno(), select.POLLIN)

    def restart(self) -> None:
        self.close()
        self._start()

    def close(self) -> None:
        if self._process.is_alive():
            self._process.kill()
        self._process.join(timeout=5)
        self._connection.close()

    def answer(self, query: Query, wanted: Wanted) -> Answer:
        try:
            self._connection.send_bytes(encode_request(query, wanted, self.max_bytes))
            ready = bool(self._poller.poll(self.timeout * 1000))
        except (BrokenPipeError, EOFError, OSError):
            self.restart()
            raise EngineFailure("the query engine stopped; it has been restarted, please retry") from None
        if not ready:
            self.restart()  # kills the runaway evaluation for real
            raise QueryTimeout(
                f"the query did not finish within {self.timeout:g} s and was stopped; "
                "simplify the query or add LIMIT"
            )
        try:
            status, detail = json.loads(self._connection.recv_bytes())
            if status == "ok":
                return Answer(self._connection.recv_bytes(), media.BY_NAME[detail])
        except (EOFError, OSError):
            self.restart()
            raise EngineFailure("the query engine stopped (out of memory?); it has been restarted") from None
        if status == errors.NotAcceptable.__name__:
            wanted.for_kind(detail)  # raises the client's own 406
        kind = _REPORTABLE.get(status, EngineFailure)
        error = kind.__new__(kind)
        QueryPathError.__init__(error, detail)
        if isinstance(error, EngineFailure):
            self.restart()
        raise error

    def run(self, query: Query) -> Result:
        return decode(self.answer(query, TRANSPORT))


class EnginePool:
    """The engines of one worker that serves several requests at once (threads).

    Each evaluation takes a free engine and gives it back; a runaway query holds one engine
    until its deadline while the others go on answering. When none becomes free within
    ``wait`` seconds the answer is 503 with Retry-After: a bounded wait, never a growing queue.
    A pool of one is a single engine used by one request at a time.
    """

    def __init__(self, start: Callable[[], SupervisedEngine], size: int, wait: float):
        self._engines = [start() for _ in range(max(size, 1))]
        self._free: queue.SimpleQueue[SupervisedEngine] = queue.SimpleQueue()
        for engine in self._engines:
            self._free.put(engine)
        self.wait = wait

    def answer(self, query: Query, wanted: Wanted) -> Answer:
        try:
            engine = self._free.get(timeout=self.wait)
        except queue.Empty:
            raise Busy(
                f"all {len(self._engines)} query engines of this worker are busy; try again shortly"
            ) from None
        try:
            return engine.answer(query, wanted)
        finally:
            self._free.put(engine)

    def run(self, query: Query) -> Result:
        return decode(self.answer(query, TRANSPORT))

    def close(self) -> None:
        for engine in self._engines:
            engine.close()
