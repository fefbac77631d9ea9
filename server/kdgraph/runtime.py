"""What one worker process keeps between requests: the served data, its engine, a result cache.

On every request the worker checks (one stat call) whether the served data changed; if so it
opens the new store with a fresh engine. Results are cached by data version, so a reload
never serves a stale answer: in memory per worker, and on disk for all workers (answer_files).
"""

from __future__ import annotations

import atexit
import hashlib
import threading
import time
from collections import OrderedDict

from . import remote_engine
from .answer_files import Answer, AnswerFiles, answers_dir
from .config import ServerConfig
from .data_state import CURRENT, ServedData, read_current
from .engine import EngineProcess, QueryRequest
from .remote_engine import RemoteEngine


class Runtime:
    def __init__(self, config: ServerConfig):
        self.config = config
        self._served: ServedData | None = None
        self._mtime = 0.0
        self._engine: EngineProcess | RemoteEngine | None = None
        self._files: AnswerFiles | None = None
        self._cache: OrderedDict[str, Answer] = OrderedDict()
        self._lock = threading.Lock()  # one query at a time per engine
        atexit.register(self.close)  # the engine process ends with this (worker) process

    def served(self) -> ServedData:
        path = self.config.state_dir / CURRENT
        mtime = path.stat().st_mtime
        if self._served is None or mtime != self._mtime:
            current = read_current(self.config.state_dir)
            if current is None:
                raise FileNotFoundError(f"no served data in {self.config.state_dir}")
            if self._served is None or (current.store_path, current.graph) != (
                self._served.store_path,
                self._served.graph,
            ):
                if self._engine is not None:
                    self._engine.close()
                self._engine = self._engine_for(current)
                self._cache.clear()
            self._files = AnswerFiles(answers_dir(self.config.state_dir, current.version))
            self._served, self._mtime = current, mtime
        return self._served

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
