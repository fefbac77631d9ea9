"""One JSON object per line for every log event of the server (issue 22): ours, granian's, and
an engine's or a child's failure, whose Python traceback used to break the one-line format.

A message that already is a JSON object (the access log's) is kept as it is, with the level added;
any other becomes ``{"time", "pid", "level", "logger", "message"}``, and an exception adds
``"error"`` (its type and text) and ``"where"`` (the innermost frames, on one line).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
import traceback


def _where(error: BaseException) -> str:
    frames = traceback.extract_tb(error.__traceback__)[-3:]
    return " <- ".join(
        f"{frame.filename.rsplit('/', 1)[-1]}:{frame.lineno} {frame.name}" for frame in reversed(frames)
    )


def failure_fields(error: BaseException) -> dict[str, str]:
    return {"error": f"{type(error).__name__}: {error}", "where": _where(error)}


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        fields: dict = {}
        if message.startswith("{"):
            try:
                fields = json.loads(message)
            except ValueError:
                fields = {}
        if not isinstance(fields, dict) or not fields:
            fields = {"message": message}
        line = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + "Z",
            "pid": record.process,
            "level": record.levelname,
            "logger": record.name,
            **fields,
        }
        if record.exc_info and record.exc_info[1] is not None:
            line.update(failure_fields(record.exc_info[1]))
        return json.dumps(line, ensure_ascii=False)


def log_event(message: str, level: str = "INFO", **fields: object) -> None:
    """One JSON line on stderr for an event outside logging (preparation, start, a child)."""
    line = {
        "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + "Z",
        "pid": os.getpid(),
        "level": level,
        "logger": "kdgraph",
        "message": message,
        **fields,
    }
    sys.stderr.write(json.dumps(line, ensure_ascii=False) + "\n")
    sys.stderr.flush()


def report_failure(what: str, error: BaseException) -> None:
    """One JSON line on stderr for a failure in a child process (no logging set up there)."""
    log_event(what, "ERROR", **failure_fields(error))
