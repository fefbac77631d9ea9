"""Answers kept on disk beside the served data, shared by every worker and kept across restarts.

Each worker also keeps answers in memory, but with four workers the first request of a
query was evaluated four times, and at 2000 dossiers one saved query takes seconds; on disk,
the first evaluation serves every worker, and a restart on the same data starts warm. The
directory belongs to one data version (the key starts with it), so it is never stale, and it is
removed when that version stops being served. Only answers that took a noticeable time are
written, up to a budget of bytes per version, so arbitrary queries cannot fill the disk.

Each file carries the length and SHA-256 of its answer: a file that was truncated or changed
is removed and the answer evaluated again, never served. (Not flushed to disk one by one: an
answer lost in a crash is only evaluated again.)
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

MIN_SECONDS = 0.02  # cheaper answers are not worth a file
MAX_BYTES = 50_000_000  # one answer (the endpoint's default result limit)
BUDGET_BYTES = 1_000_000_000  # all answers of one version


@dataclass(frozen=True)
class Answer:
    body: bytes
    fmt: str
    kind: str  # table | graph
    etag: str


def answers_dir(state_dir: Path, version: str) -> Path:
    return state_dir / f"answers-{version}"


class AnswerFiles:
    def __init__(self, directory: Path):
        self.directory = directory

    def get(self, etag: str) -> Answer | None:
        path = self.directory / etag
        try:
            with path.open("rb") as handle:
                header = json.loads(handle.readline())
                body = handle.read()
            if len(body) != header["length"] or hashlib.sha256(body).hexdigest() != header["sha256"]:
                raise ValueError("damaged")
            return Answer(body, header["fmt"], header["kind"], etag)
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError):
            with contextlib.suppress(OSError):
                path.unlink()  # evaluated again, and written anew
            return None

    def put(self, answer: Answer, seconds: float) -> None:
        if seconds < MIN_SECONDS or len(answer.body) > MAX_BYTES:
            return
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            used = sum(entry.stat().st_size for entry in os.scandir(self.directory))
            if used + len(answer.body) > BUDGET_BYTES:
                return
            header = {
                "fmt": answer.fmt,
                "kind": answer.kind,
                "length": len(answer.body),
                "sha256": hashlib.sha256(answer.body).hexdigest(),
            }
            temporary = self.directory / f".tmp-{answer.etag}.{os.getpid()}"
            try:
                with temporary.open("wb") as handle:
                    handle.write(json.dumps(header).encode() + b"\n")
                    handle.write(answer.body)
                os.replace(temporary, self.directory / answer.etag)
            finally:
                with contextlib.suppress(OSError):
                    temporary.unlink()
        except OSError:
            pass  # a full or read-only disk only means the next worker evaluates again
