"""What one worker process keeps between requests: the served data, its engine, an answer cache.

At the start of every request the worker reads the server's shared status (one number in
memory, see shared_status) to see whether the served data changed; if so it opens the new
store with fresh engines. The version is then fixed for the rest of the request, so an ETag
and the body it labels always come from the same version. Answers are cached in memory, per
worker, by data version (bounded in bytes), so a reload never serves a stale answer. The cache
is itself an engine (:class:`CachedEngine`), so callers cannot tell it is there.

There is one cache and only in memory: measured (docs/performance.md, "The answer cache"), it
makes a repeated saved query several times cheaper and costs a request with a new text nothing
measurable; the answer files on disk it had beside it (shared by the workers, fsync'd on the
request thread) made the first answers slower and the repeated ones no faster.
"""

from __future__ import annotations

import atexit
import functools
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass

from flask import g, has_request_context

from kdgraph.config import ServerConfig
from kdgraph.query import isolation
from kdgraph.query.engine import TRANSPORT, Answer, Budget, Engine, Query, Result, decode
from kdgraph.query.errors import EngineFailure
from kdgraph.query.media import Format, Wanted
from kdgraph.query.remote import RemoteEngine
from kdgraph.query.request_reader import BodyLane
from kdgraph.query.sparql_client import Endpoints, SparqlClient
from kdgraph.query.supervised import EnginePool, SupervisedEngine
from kdgraph.query.suspects import Suspects
from kdgraph.serving.shared_status import SharedStatus
from kdgraph.store.served_data import ServedData, read_current

# What a decoded result (rows or triples of pyoxigraph terms, for pages) counts against the cache's
# bytes, per byte of the N-Triples / SPARQL JSON it was decoded from. Measured as the resident
# memory of ten decoded copies of four answers of the bundled data (every triple; every triple as
# rows; the labels; the triples with their graphs): 0.2-2.2x their bytes; 4 keeps a margin, so the
# cache's budget bounds its real memory.
DECODED_WEIGHT = 4


def etag_for(version: str, query: Query, fmt: Format) -> str:
    """The ETag (and cache key) of ``query`` answered in ``fmt`` from data ``version``."""
    return f"{version}-{query.key}-{fmt.name}"


log = logging.getLogger("kdgraph")


NO_ISOLATION = "engines run WITH network access: only the pre-check refuses SERVICE"


@functools.cache
def network_isolation_problem() -> str | None:
    """Why engine processes cannot be cut off from the network here, or None (tried once per
    process); logged, and said in /health."""
    problem = isolation.network_isolation_problem()
    if problem:
        log.warning("kdgraph: %s: %s", NO_ISOLATION, problem)
    return problem


def engine_for(
    served: ServedData,
    config: ServerConfig,
    deadline: float,
    networked: bool = False,
    suspects: Suspects | None = None,
) -> Engine:
    """The engine on what ``served`` describes for clients' queries: supervised with ``deadline``
    (an external store keeps the deadline itself, as its client's timeout).

    A supervised engine has no network (``isolation``) unless ``networked``: the one used only
    for federation to allow-listed endpoints.
    """
    if served.backend:
        client = SparqlClient(Endpoints.oxigraph(served.backend), timeout=deadline)
        return RemoteEngine(client, served.graph, config.max_result_bytes, served.graphs)
    confine = None if networked or network_isolation_problem() else isolation.isolate_network

    def start() -> SupervisedEngine:
        return SupervisedEngine(
            served.store_path, deadline, config.max_result_bytes, config.engine_memory_limit, confine
        )

    return EnginePool(
        start,
        config.engines_per_worker,
        wait=config.engine_wait,
        most=config.engines_most,
        per_client=config.evaluations_per_client,
        suspects=suspects,
    )


@dataclass(frozen=True)
class Decoded:
    """A result as internal callers (pages) ask for it, kept decoded: a page that asks again
    reads the rows and triples, not bytes parsed anew (the curated dossier page's 13 ms of its
    55 built from rows). ``size``: what it counts against the cache's bytes."""

    result: Result
    size: int


def _size(entry: Answer | Decoded) -> int:
    return entry.size if isinstance(entry, Decoded) else len(entry.body)


class CachedEngine:
    """An engine in front of another, answering repeated queries from memory: least recently
    used first out, bounded in bytes (``ServerConfig.cache_bytes``) and in entries.

    One cache for both kinds of caller: the HTTP edge's answers are kept as the bytes sent, the
    pages' results (``run``) decoded. The kind of a query's result (results or RDF) is learnt
    from its first evaluation, so a repeated query finds its answer without asking the engine;
    the key holds the format actually answered in, so the same answer serves every client that
    negotiates that format. An answer larger than the whole budget is not kept (it would evict
    everything else).
    """

    def __init__(self, inner: Engine, version: str, entries: int, budget: int):
        self.inner, self.version, self.entries, self.budget = inner, version, entries, budget
        self._memory: OrderedDict[str, Answer | Decoded] = OrderedDict()
        self._bytes = 0
        self._kinds: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def kept_bytes(self) -> int:
        """Bytes of the bodies kept now."""
        return self._bytes

    def _cached(self, query: Query, wanted: Wanted) -> Answer | None:
        kind = self._kinds.get(query.key)
        formats = (
            [wanted.for_kind(kind)]
            if kind
            else [f for f in (wanted.results, wanted.rdf) if isinstance(f, Format)]
        )
        for fmt in formats:
            etag = etag_for(self.version, query, fmt)
            found = self._memory.get(etag)
            if isinstance(found, Answer):
                self._memory.move_to_end(etag)
                return found
        return None

    def _keep(self, key: str, entry: Answer | Decoded) -> None:
        if _size(entry) > self.budget:
            return
        previous = self._memory.pop(key, None)  # (two threads evaluated it at once)
        if previous is not None:
            self._bytes -= _size(previous)
        self._memory[key] = entry
        self._bytes += _size(entry)
        while len(self._memory) > self.entries or self._bytes > self.budget:
            _, old = self._memory.popitem(last=False)
            self._bytes -= _size(old)

    def _remember(self, query: Query, answer: Answer) -> None:
        if len(answer.body) > self.budget:
            return
        self._kinds[query.key] = answer.fmt.kind
        self._keep(answer.etag, answer)
        while len(self._kinds) > 4 * self.entries:
            self._kinds.popitem(last=False)

    def answer(self, query: Query, wanted: Wanted, budget: Budget | None = None) -> Answer:
        with self._lock:  # the cache's structures only: evaluations run side by side
            cached = self._cached(query, wanted)
        if cached is not None:
            return cached
        fresh = self.inner.answer(query, wanted, budget)
        answer = Answer(fresh.body, fresh.fmt, etag_for(self.version, query, fresh.fmt))
        with self._lock:
            self._remember(query, answer)
        return answer

    def run(self, query: Query, budget: Budget | None = None) -> Result:
        """Rows, a boolean or triples, decoded once per version and query (callers only read
        them). The bytes they travelled in from the engine process are not kept."""
        key = f"{self.version}-{query.key}-decoded"
        with self._lock:
            found = self._memory.get(key)
            if isinstance(found, Decoded):
                self._memory.move_to_end(key)
                return found.result
        fresh = self.inner.answer(query, TRANSPORT, budget)
        result = decode(fresh)
        with self._lock:
            self._keep(key, Decoded(result, len(fresh.body) * DECODED_WEIGHT))
        return result

    def close(self) -> None:
        self.inner.close()


def _same_data(a: ServedData, b: ServedData) -> bool:
    """Whether two descriptions of what is served name the same store, graph and version."""
    return (a.store_path, a.graph, a.version) == (b.store_path, b.graph, b.version)


class Runtime:
    """One per worker process, shared by its threads: each request pins the served data and its
    engine at its start (``g``), so a reload in the middle of a request changes nothing for it;
    the old version's engines stop when their last evaluation ends (``EnginePool.close``)."""

    def __init__(self, config: ServerConfig, status: SharedStatus | None = None):
        self.config = config
        self.status = status  # None outside a server (tests, scripts): current.json is read once
        # The served data and its engine, always replaced together in one assignment: a request
        # thread reads the pair without a lock while another thread may be switching versions.
        self._current: tuple[ServedData, CachedEngine] | None = None
        self._generation = -1
        self._federating: Engine | None = None  # only with allow-listed SERVICE endpoints
        self._switching = threading.Lock()
        self.body_lane = BodyLane(config.body_readers)  # this worker's places for reading bodies
        atexit.register(self.close)  # the engine processes end with this (worker) process

    def served(self) -> ServedData:
        """The served data, the same for the whole of one request (see the class doc)."""
        return self._pinned()[0]

    def _pinned(self) -> tuple[ServedData, CachedEngine]:
        # (Flask's g holds Any: this request's pair, set below)
        pinned: tuple[ServedData, CachedEngine] | None = (
            g.get("kdgraph_pinned") if has_request_context() else None
        )
        if pinned is not None:
            return pinned
        if self.status is not None and self.status.generation("served") != self._generation:
            with self._switching:
                generation, record = self.status.read("served")
                if generation != self._generation:
                    if record is None:
                        raise FileNotFoundError("the server has published no data yet")
                    self._switch(ServedData(**record["served"]))
                    self._generation = generation
        elif self._current is None:
            with self._switching:
                if self._current is None:
                    current = read_current(self.config.state_dir)
                    if current is None:
                        raise FileNotFoundError(f"no served data in {self.config.state_dir}")
                    self._switch(current)
        pinned = self._current
        assert pinned is not None
        if has_request_context():
            g.kdgraph_pinned = pinned
        return pinned

    def engine_load(self) -> dict | None:
        """How busy this worker's engine processes are (None: no pool, e.g. an external store)."""
        inner = self._current[1].inner if self._current is not None else None
        if not isinstance(inner, EnginePool):
            return None
        return {
            "running": inner.engines,
            "evaluating": inner.evaluating,
            "at_most": inner.most,
            **inner.shedding(),
        }

    def refuse_if_shedding(self, client: str) -> None:
        """LongQueriesShed at once if ``client`` is an address whose queries ran long and the long
        share of the engines is in use: its query is not even parsed (issue 22: refusing the
        runaways of 32 addresses, sent again at once, was most of the work left)."""
        inner = self._pinned()[1].inner  # (``engine``, declared as any Engine, is this CachedEngine)
        if isinstance(inner, EnginePool) and client:
            inner.refuse_if_shedding(client)

    def is_latest(self) -> bool:
        """Whether the served data of this request is still what the server serves."""
        return self.status is None or self.status.generation("served") == self._generation

    def last_reload(self) -> dict | None:
        """How the last reload of this server went (None: none since it started)."""
        if self.status is None:
            return None
        _, record = self.status.read("served")
        return record.get("reload") if record else None

    def _switch(self, current: ServedData) -> None:
        old = self._current
        if old is not None and _same_data(old[0], current):
            self._current = (current, old[1])
            return
        suspects = self.status.suspects if self.status is not None else None
        inner = engine_for(current, self.config, self.config.query_timeout, suspects=suspects)
        # the new pair first, then the old engines stop (after their in-flight evaluations)
        self._current = (
            current,
            CachedEngine(inner, current.version, self.config.cache_entries, self.config.cache_bytes),
        )
        federating, self._federating = self._federating, None
        for engine in (old[1] if old else None, federating):
            if engine is not None:
                engine.close()

    @property
    def engine(self) -> Engine:
        """The engine on the served data of this request (checked for a new version first)."""
        return self._pinned()[1]

    @property
    def federating_engine(self) -> Engine:
        """The engine with network, for queries whose SERVICE calls are all allow-listed; not
        cached (the answer depends on other servers' data, not only on our version)."""
        served = self.served()
        with self._switching:  # (a switch resets it under this lock: it is on the current data)
            current = self._current
            if current is None or not _same_data(current[0], served):
                raise EngineFailure("the data was reloaded while this request was being read; send it again")
            if self._federating is None:
                self._federating = engine_for(served, self.config, self.config.query_timeout, networked=True)
            return self._federating

    def close(self) -> None:
        for engine in (self._current[1] if self._current else None, self._federating):
            if engine is not None:
                engine.close()
