"""Answers kept on disk beside the served data, shared by every worker and kept across restarts.

Each worker also keeps answers in memory, but with four workers the first request of a
query was evaluated four times, and at 2000 dossiers one saved query takes seconds; on disk,
the first evaluation serves every worker, and a restart on the same data starts warm. The
directory belongs to one data version (the key starts with it), so it is never stale, and it is
removed when that version stops being served. Only answers that took a noticeable time are
written, up to a budget of bytes per version, so arbitrary queries cannot fill the disk.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from .query import media
from .query.engine import Answer

MIN_SECONDS = 0.02  # cheaper answers are not worth a file
MAX_BYTES = 50_000_000  # one answer (the endpoint's default result limit)
BUDGET_BYTES = 1_000_000_000  # all answers of one version


def answers_dir(state_dir: Path, version: str) -> Path:
    return state_dir / f"answers-{version}"


class AnswerFiles:
    def __init__(self, directory: Path):
        self.directory = directory
        self._prefix = f"{directory}{os.sep}"  # plain strings: a miss costs one failed open()

    def get(self, etag: str) -> Answer | None:
        try:
            with open(self._prefix + etag, "rb") as handle:
                header = json.loads(handle.readline())
                return Answer(handle.read(), media.BY_NAME[header["fmt"]], etag)
        except (OSError, ValueError, KeyError):
            return None

    def put(self, answer: Answer, seconds: float) -> None:
        if seconds < MIN_SECONDS or len(answer.body) > MAX_BYTES:
            return
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            used = sum(entry.stat().st_size for entry in os.scandir(self.directory))
            if used + len(answer.body) > BUDGET_BYTES:
                return
            temporary = self.directory / f".{answer.etag}.{os.getpid()}"
            with temporary.open("wb") as handle:
                handle.write(json.dumps({"fmt": answer.fmt.name}).encode() + b"\n")
                handle.write(answer.body)
            os.replace(temporary, self.directory / answer.etag)
        except OSError:
            pass  # a full or read-only disk only means the next worker evaluates again
