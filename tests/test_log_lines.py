"""One JSON line per log event, an engine's own failure included (issue 22, point 6).

Before, an engine that could not open its store (or hit a bug) printed a Python traceback on
the server's stderr, breaking the one-line log. A real engine child's entry point is run in a
process of its own on a store that does not exist.
"""

from __future__ import annotations

import json
import subprocess
import sys

ENGINE_ON_A_MISSING_STORE = """
import multiprocessing
from kdgraph.query.supervised import _engine_main
parent, child = multiprocessing.Pipe()
_engine_main(child, "/nonexistent/kdgraph-store", 2**33, None)
"""


def test_an_engine_that_fails_logs_one_json_line_and_no_traceback() -> None:
    done = subprocess.run(
        [sys.executable, "-c", ENGINE_ON_A_MISSING_STORE], capture_output=True, text=True, timeout=120
    )
    assert done.returncode != 0 and "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1
    event = json.loads(lines[0])
    assert (event["level"], event["logger"], event["message"]) == (
        "ERROR",
        "kdgraph",
        "a query engine failed",
    )
    assert event["error"].startswith("FileNotFoundError: ") and "/nonexistent/kdgraph-store" in event["error"]
    assert "_engine_main" in event["where"] and {"time", "pid"} <= set(event)
