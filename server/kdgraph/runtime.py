"""What one worker process keeps between requests: the served data, its engine, a result cache.

At the start of every request the worker reads the server's shared status (one number in
memory, see shared_status) to see whether the served data changed; if so it opens the new
store with a fresh engine. The version is then fixed for the rest of the request, so an ETag
and the body it labels always come from the same version. Results are cached by data version,
so a reload never serves a stale answer: in memory per worker, and on disk for all workers
(answer_files).
"""

from __future__ import annotations

import atexit
import hashlib
import threading
import time
from collections import OrderedDict

from flask import g, has_request_context

from . import remote_engine
from .answer_files import Answer, AnswerFiles, answers_dir
from .config import ServerConfig
from .data_state import ServedData, read_current
from .engine import EngineProcess, QueryRequest
from .remote_engine import RemoteEngine
from .shared_status import SharedStatus


class Runtime:
    def __init__(self, config: ServerConfig, status: SharedStatus | None = None):
        self.config = config
        self.status = status  # None outside a server (tests, scripts): current.json is read once
        self._served: ServedData | None = None
        self._generation = -1
        self._engine: EngineProcess | RemoteEngine | None = None
        self._files: AnswerFiles | None = None
        self._cache: OrderedDict[str, Answer] = OrderedDict()
        self._lock = threading.Lock()  # one query at a time per engine
        atexit.register(self.close)  # the engine process ends with this (worker) process

    def served(self) -> ServedData:
        """The served data, the same for the whole of one request (see the module doc)."""
        pinned = g.get("kdgraph_served") if has_request_context() else None
        if pinned is not None:
            return pinned
        if self.status is not None:
            generation = self.status.generation("served")
            if generation != self._generation:
                generation, record = self.status.read("served")
                if record is None:
                    raise FileNotFoundError("the server has published no data yet")
                self._switch(ServedData(**record["served"]))
                self._generation = generation
        elif self._served is None:
            current = read_current(self.config.state_dir)
            if current is None:
                raise FileNotFoundError(f"no served data in {self.config.state_dir}")
            self._switch(current)
        assert self._served is not None
        if has_request_context():
            g.kdgraph_served = self._served
        return self._served

    def is_latest(self) -> bool:
        """Whether the served data of this request is still what the server serves."""
        return self.status is None or self.status.generation("served") == self._generation

    def last_reload(self) -> dict | None:
        """How the last reload of this server went (None: none since it started)."""
        if self.status is None:
            return None
        _, record = self.status.read("served")
        return record.get("reload") if record else None

    def warmup_failure(self, version: str) -> str | None:
        """Why the warm-up of ``version`` failed in this server (None: it did not fail)."""
        if self.status is None:
            return None
        _, record = self.status.read("warmup")
        return record.get("error") if record and record.get("version") == version else None

    def _switch(self, current: ServedData) -> None:
        if self._served is None or (current.store_path, current.graph) != (
            self._served.store_path,
            self._served.graph,
        ):
            if self._engine is not None:
                self._engine.close()
            self._engine = self._engine_for(current)
            self._cache.clear()
        self._files = AnswerFiles(answers_dir(self.config.state_dir, current.version))
        self._served = current

    def _engine_for(self, served: ServedData) -> EngineProcess | RemoteEngine:
        if served.backend:
            return remote_engine.engine_for(served)
        return EngineProcess(served.store_path, self.config.engine_memory_limit)

    @staticmethod
    def etag_for(version: str, request: QueryRequest) -> str:
        key = repr(
            (
                version,
                request.sparql,
                request.fmt,
                sorted(request.bindings.items()),
                request.default_graphs,
                request.named_graphs,
            )
        )
        return version + "-" + hashlib.sha256(key.encode()).hexdigest()[:20]

    def answer(self, request: QueryRequest) -> Answer:
        served = self.served()
        etag = self.etag_for(served.version, request)
        with self._lock:
            cached = self._cache.get(etag)
            if cached is not None:
                self._cache.move_to_end(etag)
                return cached
            assert self._engine is not None and self._files is not None
            answer = self._files.get(etag)
            if answer is None:
                start = time.perf_counter()
                kind, body = self._engine.run(request, self.config.query_timeout)
                answer = Answer(body, request.fmt, kind, etag)
                self._files.put(answer, time.perf_counter() - start)
            self._cache[etag] = answer
            while len(self._cache) > self.config.cache_entries:
                self._cache.popitem(last=False)
            return answer

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()
