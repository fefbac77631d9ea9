"""Answers kept on disk beside the served data, shared by every worker and kept across restarts.

Each worker also keeps answers in memory (``runtime.CachedEngine``), but with four workers the
first request of a query was evaluated four times, and at 2000 dossiers one saved query takes
seconds; on disk, the first evaluation serves every worker, and a restart on the same data
starts warm. The directory belongs to one data version (the key starts with it), so it is never
stale, and it is removed when that version stops being served. Only answers that took a
noticeable time are written (an fsync'd file costs more than evaluating a cheap query again).
The files themselves are ``answer_cache.AnswerCache``'s: bounded in disk blocks really used,
checked (length and SHA-256) on every read, written atomically; a corrupt one is recomputed.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from kdgraph.query import media
from kdgraph.query.engine import Answer
from kdgraph.serving.answer_cache import AnswerCache
from kdgraph.serving.answer_cache import (
    _file_name as file_name,  # the cache's own naming rule, not a copy of it
)

MIN_SECONDS = 0.02  # cheaper answers are not worth a file
RECHECK_SECONDS = 1.0  # how stale this process's list of the directory's names may be
BUDGET_BYTES = 250_000_000  # disk blocks per process (each worker and the warm-up has its share)


def answers_dir(state_dir: Path, version: str) -> Path:
    return state_dir / f"answers-{version}"


class AnswerFiles:
    """Most lookups are for answers nobody wrote (a new query text): those cost no system call
    at all. The names in the directory are known from a listing, which is renewed only when the
    directory's modification time changed (someone wrote or removed a file), and that is looked
    at no more than once per ``RECHECK_SECONDS``: another worker's new answer is found within
    that time, and a request for a new query text never touches the file system."""

    def __init__(self, directory: Path, budget: int = BUDGET_BYTES):
        self.directory = directory
        self._cache = AnswerCache(directory, memory_bytes=0, disk_bytes=budget)
        self._listed_at: int | None = None
        self._looked_at = -RECHECK_SECONDS
        self._names: frozenset[str] = frozenset()

    def _may_hold(self, etag: str) -> bool:
        now = time.monotonic()
        if now - self._looked_at >= RECHECK_SECONDS:
            self._looked_at = now
            try:
                changed = os.stat(self.directory).st_mtime_ns
                if changed != self._listed_at:
                    self._names, self._listed_at = frozenset(os.listdir(self.directory)), changed
            except OSError:
                self._names, self._listed_at = frozenset(), None
        return file_name(etag) in self._names

    def get(self, etag: str) -> Answer | None:
        if not self._may_hold(etag):
            return None
        value = self._cache.get(etag)
        if value is None:
            return None
        name, _, body = value.partition(b"\n")
        fmt = media.BY_NAME.get(name.decode("ascii", "replace"))
        return Answer(body, fmt, etag) if fmt is not None else None

    def put(self, answer: Answer, seconds: float) -> None:
        if seconds >= MIN_SECONDS:
            self._cache.put(answer.etag, answer.fmt.name.encode() + b"\n" + answer.body)
            self._looked_at = -RECHECK_SECONDS  # our own write: list again on the next lookup
