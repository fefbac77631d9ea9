"""The server's engines: evaluation in child processes that are killed when the deadline passes.

pyoxigraph cannot cancel a running query and a thread cannot be killed, so a worker sends its
queries to engine processes of its own (a pool shared by the worker's threads). At the deadline
the process is killed (which really stops the work) and a fresh one started; the worker answers
503 and goes on serving.

The hand-off is cheap on purpose: the query goes over the pipe as one small JSON message, the
answer comes back in one message as the bytes the client will get (serialised in the child, in
the negotiated format) after a line naming that format, or as a JSON error; nothing is pickled.
The child opens the shared on-disk store read-only, and before it reads any query it is confined
(``confine``: e.g. a network namespace without interfaces, so that no query can reach the
network whatever a pre-check thinks).
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import multiprocessing
import os
import queue
import resource
import select
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from multiprocessing.connection import Connection

import pyoxigraph as ox

from kdgraph.child_processes import reset_signals, signals_held
from kdgraph.log_lines import report_failure
from kdgraph.query import errors, media
from kdgraph.query.engine import TRANSPORT, Answer, Budget, Query, Result, decode, evaluate, serialize
from kdgraph.query.errors import (
    Busy,
    EngineFailure,
    LongQueriesShed,
    QueryPathError,
    QueryTimeout,
    TooManyAtOnce,
)
from kdgraph.query.media import Wanted
from kdgraph.query.suspects import Suspects

_CONTEXT = multiprocessing.get_context("fork")
log = logging.getLogger("kdgraph")
RENICE_AFTER = 0.2  # seconds of evaluation after which an engine runs at low priority
LOW_PRIORITY = 19  # its nice value then
IDLE_SECONDS = 10.0  # an engine beyond a pool's size that was idle this long is stopped
# A request that finds every engine busy waits this long before the pool grows: under ordinary
# load an engine is free again within a millisecond, and more processes than cores only thrash
# the caches; an engine held by a runaway query stays busy for seconds.
GROW_AFTER = 0.01
GROW_RECHECK = 0.05  # seconds between two looks, while waiting, at whether the pool may grow
LONG_CPU = 0.05  # seconds of CPU after which an evaluation is a long one (see LONG_SHARE)
LONG_CHECK_EVERY = 0.05  # seconds between two looks at a niced evaluation's CPU time
# The share of a pool's engines that long queries (those that used LONG_CPU) may hold at once;
# the others stay free for short queries, however many addresses send long ones.
LONG_SHARE = 3  # at most one engine in LONG_SHARE (at least one)
# An address whose query ran long is "suspect" for this long: its next queries may only take an
# engine of the long share (else 503 at once, without an engine), never one kept for short ones.
SUSPECT_SECONDS = 60.0
SHED_WINDOW = 60.0  # /health reports the queries shed in this many seconds
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
    term = next(iter(ox.parse(f"<urn:s> <urn:p> {text} .", format=ox.RdfFormat.N_TRIPLES))).object
    if not isinstance(term, ox.NamedNode | ox.BlankNode | ox.Literal):  # a quoted triple: never sent
        raise ValueError(f"not a term: {text}")
    return term


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
    connection: Connection, store_path: str, memory_limit: int, confine: Callable[[], object] | None
) -> None:
    """An engine child's life; a failure of its own (the store cannot be opened, a bug) is one
    JSON line on stderr, not a Python traceback (the worker then answers 503 and restarts it)."""
    try:
        _serve_queries(connection, store_path, memory_limit, confine)
    except BaseException as error:
        report_failure("a query engine failed", error)
        os._exit(1)


def _serve_queries(
    connection: Connection, store_path: str, memory_limit: int, confine: Callable[[], object] | None
) -> None:
    reset_signals()  # forked from a server worker: end with it on SIGTERM
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
        connection.send_bytes(b"".join((fmt.name.encode(), b"\n", body)))  # one write: one wake-up


class EngineGone(EngineFailure):
    """The engine had ended before the query could be sent: nothing was evaluated, so the pool
    sends it once more, to another engine."""


class SupervisedEngine:
    """One engine child, used by one thread at a time; ``timeout`` is the deadline in seconds.

    A query that runs longer than ``RENICE_AFTER`` gives up its claim on the CPU (nice 19): on
    two cores, a few runaway queries would otherwise slow every short query beside them to
    their pace. At the deadline, or when the child fails, the child is killed and the engine is
    ``broken`` until :meth:`restart` (a pool restarts it from its own long-lived thread, see
    :class:`EnginePool`).
    """

    def __init__(
        self,
        store_path: str,
        timeout: float,
        max_bytes: int,
        memory_limit: int = 0,
        confine: Callable[[], object] | None = None,  # what it returns is not used
    ):
        self.store_path, self.timeout, self.max_bytes = store_path, timeout, max_bytes
        self._memory_limit, self._confine = memory_limit, confine
        self.broken = False
        self.niced = False
        self._start()

    def _start(self) -> None:
        self._connection, child = _CONTEXT.Pipe()
        self._process = _CONTEXT.Process(
            target=_engine_main,
            args=(child, self.store_path, self._memory_limit, self._confine),
            daemon=True,
        )
        with signals_held():  # until the child's reset_signals (see forking)
            self._process.start()
        assert self._process.pid is not None  # (started)
        self._pid: int = self._process.pid
        child.close()
        self._schedstat = self._open_schedstat()
        self._poller = select.poll()  # made once: multiprocessing's poll() builds a selector per call
        self._poller.register(self._connection.fileno(), select.POLLIN)
        self.broken = self.niced = False

    def restart(self) -> None:
        self.close()
        self._start()

    def alive(self) -> bool:
        """Whether the child still runs (one waitpid(WNOHANG)): one killed while idle, by an
        operator or the OOM killer, is found before a query is sent to it."""
        return not self.broken and self._process.is_alive()

    def close(self) -> None:
        if self._process.is_alive():
            self._process.kill()
        self._process.join(timeout=5)
        self._connection.close()
        if self._schedstat is not None:
            os.close(self._schedstat)
            self._schedstat = None
        self.broken = True

    def _kill(self) -> None:
        """Stop the child now (the evaluation really stops); :meth:`restart` makes a new one."""
        with contextlib.suppress(OSError):
            self._process.kill()
        self.broken = True

    def _open_schedstat(self) -> int | None:
        """The child's scheduler statistics, opened once: every pool evaluation reads them at
        send, and one ``pread`` costs 1.3 µs where open + read + close cost 5.6 (bench/handoff.py).
        The descriptor names this child, never a later process that reuses its pid: once it has
        ended, reading fails (ESRCH) and counts as no CPU."""
        try:
            return os.open(f"/proc/{self._process.pid}/schedstat", os.O_RDONLY)
        except OSError:
            return None

    def _cpu_seconds(self) -> float:
        """CPU time the child has used so far (its scheduler's count; it is idle between queries)."""
        if self._schedstat is None:
            return 0.0
        try:
            return int(os.pread(self._schedstat, 64, 0).split()[0]) / 1e9
        except (OSError, ValueError, IndexError):
            return 0.0

    def _wait(self, seconds: float, may_run_long: Callable[[], bool] | None, cpu_at_send: float) -> bool:
        """Whether the answer came within ``seconds``; past ``RENICE_AFTER``, at low priority.

        Once the evaluation has used ``LONG_CPU`` seconds of CPU (CPU, not time: on a loaded
        machine a small query may wait for a core that long), it goes on only if
        ``may_run_long()`` allows it; else it is stopped (``LongQueriesShed``)."""
        first = min(seconds, RENICE_AFTER)
        if self._poller.poll(first * 1000):
            return True
        if seconds <= first:
            return False
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, self._pid, LOW_PRIORITY)
            self.niced = True
        until = time.monotonic() + seconds - first
        if may_run_long is not None:
            while self._cpu_seconds() - cpu_at_send < LONG_CPU:
                left = until - time.monotonic()
                if left <= 0:
                    return False
                if self._poller.poll(min(left, LONG_CHECK_EVERY) * 1000):
                    return True
            if not may_run_long():
                self._kill()
                raise LongQueriesShed(_SHED)
        return bool(self._poller.poll(max(0.0, until - time.monotonic()) * 1000))

    def _restore_priority(self) -> None:
        """Back to the worker's own priority for the next query (0, or what the server was
        started with under ``nice``); without the right to lower a nice value (an unprivileged
        server), the engine is restarted instead."""
        try:
            os.setpriority(os.PRIO_PROCESS, self._pid, os.getpriority(os.PRIO_PROCESS, 0))
            self.niced = False
        except OSError:
            self.broken = True

    def answer(
        self,
        query: Query,
        wanted: Wanted,
        budget: Budget | None = None,
        may_run_long: Callable[[], bool] | None = None,
    ) -> Answer:
        if self.broken:
            self.restart()  # used on its own (not through a pool): restarted by its user's thread
        seconds = self.timeout if budget is None else min(self.timeout, budget.remaining())
        if seconds <= 0:
            raise QueryTimeout(_SPENT)
        cpu_at_send = self._cpu_seconds() if may_run_long is not None else 0.0
        try:
            self._connection.send_bytes(encode_request(query, wanted, self.max_bytes))
        except OSError:  # the child had ended: the query never reached it
            self._kill()
            raise EngineGone("the query engine had stopped; it has been restarted, please retry") from None
        try:
            ready = self._wait(seconds, may_run_long, cpu_at_send)
        except (BrokenPipeError, EOFError, OSError):
            self._kill()
            raise EngineFailure("the query engine stopped; it has been restarted, please retry") from None
        if not ready:
            self._kill()
            raise QueryTimeout(_TIMEOUT.format(self.timeout))
        try:
            message = self._connection.recv_bytes()
        except (EOFError, OSError):
            self._kill()
            raise EngineFailure("the query engine stopped (out of memory?); it has been restarted") from None
        finally:
            if self.niced and not self.broken:
                self._restore_priority()
        if not message.startswith(b"["):  # "format\nbody": the answer
            name, _, body = message.partition(b"\n")
            return Answer(body, media.BY_NAME[name.decode()])
        status, detail = json.loads(message)  # ["ErrorName", "message"]
        if status == errors.NotAcceptable.__name__:
            wanted.for_kind(detail)  # raises the client's own 406
        kind = _REPORTABLE.get(status, EngineFailure)
        error = kind.__new__(kind)
        QueryPathError.__init__(error, detail)
        if isinstance(error, EngineFailure):
            self._kill()
        raise error

    def run(self, query: Query, budget: Budget | None = None) -> Result:
        return decode(self.answer(query, TRANSPORT, budget))


_TIMEOUT = "the query did not finish within {:g} s and was stopped; simplify the query or add LIMIT"
_SPENT = "the request's time ran out before its query could be evaluated; send it again or simplify it"
_SHED = (
    "the server is shedding long queries: the engines it keeps for them are all in use, the others "
    "are kept for short queries; this query ran long (or your address's queries did just before), "
    "so it was not evaluated; try again later, or simplify the query or add LIMIT"
)


class EnginePool:
    """The engines of one worker process, shared by all its threads, fair to every client.

    Each evaluation takes a free engine and gives it back, so a runaway query holds one engine
    until its deadline while the others go on answering. When none is free, the pool grows, up
    to ``most`` engines, not counting those busy at low priority (``_may_grow``: at most twice
    ``most`` in all); surplus engines idle for ``IDLE_SECONDS`` are stopped again. One client
    (``Budget.client``, the remote address) has at most ``per_client`` evaluations at once in
    this worker. Both limits wait a bounded time (``wait``) and then answer 503 or 429 with
    Retry-After: never a growing queue.

    Long queries, from however many addresses, hold at most ``long_most`` engines (one in
    ``LONG_SHARE``): an evaluation that used ``LONG_CPU`` seconds of CPU takes a place of that
    share, or is stopped if none is free (503, ``LongQueriesShed``); its address is suspect for
    ``SUSPECT_SECONDS``, and a suspect's next queries only run in a free place of the share
    (else 503 at once, without an engine). The other engines stay free for short queries (issue
    22: runaways from 16 addresses had left a small query 35 % of its answers).

    Every engine is started (and restarted, after a deadline) by one long-lived thread of the
    pool, never by a request's thread: Linux kills an engine when the *thread* that forked it
    ends (``PR_SET_PDEATHSIG``, see forking), and a server's request threads come and go.
    """

    def __init__(
        self,
        start: Callable[[], SupervisedEngine],
        size: int,
        wait: float,
        most: int | None = None,
        per_client: int = 0,
        suspects: Suspects | None = None,
    ):
        self.size, self.most = max(size, 1), max(most or size, size, 1)
        self.wait, self.per_client = wait, per_client
        self._start = start
        self._free: list[SupervisedEngine] = []
        self._busy: set[SupervisedEngine] = set()
        self._idle_since: dict[int, float] = {}
        self._engines = 0  # started or starting
        self._starting = 0  # asked of the starter thread, not started yet
        self._by_client: Counter[str] = Counter()
        self.long_most = max(1, self.most // LONG_SHARE)
        self._long: set[SupervisedEngine] = set()  # engines evaluating in the long share
        self._suspects = suspects or Suspects()  # (shared by the workers of a server)
        self._shed: deque[tuple[float, str]] = deque()  # (when, address) of the queries shed
        self._changed = threading.Condition()
        self._jobs: queue.SimpleQueue[SupervisedEngine | None] = queue.SimpleQueue()
        self._closed = False
        self._starter = threading.Thread(target=self._keep_engines, name="kdgraph-engines", daemon=True)
        with self._changed:
            self._engines = self._starting = self.size
        for _ in range(self.size):
            self._jobs.put(None)
        self._starter.start()

    # ------------------------------------------------------------ the starter thread

    def _keep_engines(self) -> None:
        while True:
            try:
                job = self._jobs.get(timeout=IDLE_SECONDS)
            except queue.Empty:
                self._stop_idle_surplus()
                continue
            with self._changed:
                starting = job is None and self._starting > 0
                if starting:
                    self._starting -= 1
                closed = self._closed
                if closed and starting:  # asked for before the close: not started after it
                    self._engines -= 1
            if closed:
                if job is not None:  # a broken engine returned after the close
                    job.close()
                    with self._changed:
                        self._engines -= 1
                with self._changed:
                    if self._engines <= 0:  # every engine is stopped: this thread may end
                        return
                continue
            if job is None and not starting:
                continue  # only a wake-up
            try:
                if job is None:
                    job = self._start()
                else:
                    job.restart()
            except OSError:  # cannot fork now (memory, process limit): one engine fewer
                log.exception("an engine could not be started")  # (one JSON line: log_lines)
                with self._changed:
                    self._engines -= 1
                    self._changed.notify_all()
                continue
            self._give_back(job)

    def _stop_idle_surplus(self) -> None:
        now = time.monotonic()
        with self._changed:
            surplus = [e for e in self._free if now - self._idle_since.get(id(e), now) > IDLE_SECONDS][
                : max(0, self._engines - self.size)
            ]
            for engine in surplus:
                self._free.remove(engine)
                self._idle_since.pop(id(engine), None)
                self._engines -= 1
        for engine in surplus:
            engine.close()

    # ------------------------------------------------------------ requests' threads

    def _give_back(self, engine: SupervisedEngine) -> None:
        with self._changed:
            if self._closed:
                self._engines -= 1
            else:
                self._free.append(engine)
                self._idle_since[id(engine)] = time.monotonic()
                self._changed.notify_all()
                return
        engine.close()
        self._jobs.put(None)  # the starter thread ends once the last engine is stopped

    def _take(self, client: str, budget: Budget | None) -> SupervisedEngine:
        patience = self.wait if budget is None else max(0.0, min(self.wait, budget.remaining()))
        now = time.monotonic()
        until, grow_at, asked = now + patience, now + GROW_AFTER, False
        with self._changed:
            while True:  # (whether the client is suspect can change while it waits)
                mine = not client or not self.per_client or self._by_client[client] < self.per_client
                suspect = mine and self._refuse_suspect(client)  # (at its limit: 429 first)
                if mine and self._free:
                    engine = self._free.pop()
                    if not engine.alive():  # killed while idle: restarted, and another one taken
                        engine.broken = True
                        self._jobs.put(engine)
                        continue
                    self._busy.add(engine)
                    if client:
                        self._by_client[client] += 1
                    if suspect:  # a place of the long share from the start
                        self._long.add(engine)
                    return engine
                now = time.monotonic()
                if mine and not asked and now >= grow_at and self._may_grow():
                    asked = True  # one more engine; any that becomes free will do
                    self._engines += 1
                    self._starting += 1
                    self._jobs.put(None)
                if now >= until:
                    break
                if mine and not asked:  # wait to grow: until GROW_AFTER, then a look now and then
                    # (an engine turning low-priority lets the pool grow, and notifies no one)
                    wake = grow_at if now < grow_at and self._may_grow() else now + GROW_RECHECK
                    self._changed.wait(min(until, wake) - now)
                else:
                    self._changed.wait(until - now)
        if not mine:
            raise TooManyAtOnce(
                f"{self.per_client} queries from your address are already being evaluated here; "
                "wait for one of them to finish"
            )
        raise Busy(f"all {self.most} query engines of this worker are busy; try again shortly")

    def refuse_if_shedding(self, client: str) -> None:
        """What ``_take`` would answer a suspect address while the long share is in use, before the
        caller spends anything on its request."""
        with self._changed:
            self._refuse_suspect(client)

    def _refuse_suspect(self, client: str) -> bool:
        """Whether ``client`` is suspect; LongQueriesShed if so while the long share is in use.
        (The caller holds the lock.)"""
        suspect = bool(client) and self._suspects.until(client) > time.monotonic()
        if suspect and len(self._long) >= self.long_most:
            self._note_shed(client)
            raise LongQueriesShed(_SHED)
        return suspect

    def _may_grow(self) -> bool:
        """Whether one more engine may start: up to ``most``, not counting those busy with an
        evaluation that already runs at low priority (up to ``most`` of them), so that however
        many runaways are being evaluated, a new query finds a lane of its own at once (the
        niced ones cost it almost no CPU)."""
        slow = sum(1 for engine in self._busy if engine.niced)
        return self._engines < self.most + min(slow, self.most)

    def _turned_long(self, engine: SupervisedEngine, client: str) -> bool:
        """Whether ``engine``'s evaluation, now long, may go on in a place of the long share."""
        with self._changed:
            if client:
                self._suspects.mark(client, time.monotonic() + SUSPECT_SECONDS)
            if engine in self._long:
                return True
            if len(self._long) < self.long_most:
                self._long.add(engine)
                return True
            self._note_shed(client)
            return False

    def _note_shed(self, client: str) -> None:
        now = time.monotonic()
        self._shed.append((now, client))
        while self._shed and (self._shed[0][0] < now - SHED_WINDOW or len(self._shed) > 100_000):
            self._shed.popleft()

    def shedding(self) -> dict:
        """What this pool sheds (for /health): long queries stopped or refused lately, and why."""
        with self._changed:
            now = time.monotonic()
            recent = [client for when, client in self._shed if when >= now - SHED_WINDOW]
            return {
                "long_queries_at_most": self.long_most,
                "long_queries_now": len(self._long),
                "shed_last_minute": len(recent),
                "addresses_shed_last_minute": len(set(recent)),
            }

    def _release(self, engine: SupervisedEngine, client: str) -> None:
        with self._changed:
            self._busy.discard(engine)
            self._long.discard(engine)
            if client:
                self._by_client[client] -= 1
                if not self._by_client[client]:
                    del self._by_client[client]
                self._changed.notify_all()  # a request of this client may be waiting its turn
        if engine.broken:
            self._jobs.put(engine)  # restarted by the starter thread, then given back
        else:
            self._give_back(engine)

    @property
    def evaluating(self) -> int:
        """Engines evaluating a query now (for /health and tests)."""
        return len(self._busy)

    @property
    def engines(self) -> int:
        """Engines running or being started."""
        return self._engines

    def answer(self, query: Query, wanted: Wanted, budget: Budget | None = None) -> Answer:
        client = budget.client if budget is not None else ""
        if budget is not None and budget.remaining() <= 0:  # spent reading and checking it
            raise QueryTimeout(_SPENT)
        for attempt in (1, 2):
            engine = self._take(client, budget)
            try:
                may_run_long = functools.partial(self._turned_long, engine, client)
                return engine.answer(query, wanted, budget, may_run_long)
            except EngineGone:
                if attempt == 2:
                    raise
            finally:
                self._release(engine, client)
        raise AssertionError("unreachable")

    def run(self, query: Query, budget: Budget | None = None) -> Result:
        return decode(self.answer(query, TRANSPORT, budget))

    def close(self) -> None:
        """Stop every engine: free ones now, busy ones when their evaluation ends (a reload
        lets the requests of the old version finish). The starter thread lives until the last
        one is stopped: its end would kill the engines it started (PDEATHSIG)."""
        with self._changed:
            self._closed = True
            free, self._free = self._free, []
            self._engines -= len(free)
            self._changed.notify_all()
        for engine in free:
            engine.close()
        self._jobs.put(None)  # wakes the starter thread, which ends
