"""The dossier page, warm, at one dossier: median of N requests through Flask's test client.

    .venv/bin/python bench/dossier_page.py [N] [--json]

A figure for docs and the issue (target: under 50 ms), not a test: it runs the real app on the
bundled data in this process (engines in their own processes, as served), asks for the page once
(cold: the engine answers, the page model is built) and then N times (warm: the answers come from
the worker's answer cache, decoded; the page model is built from those rows and triples and the
HTML rendered at every request). Wall-clock and this process's CPU time: on a loaded machine the
CPU time is the page's own work, the wall-clock also the wait for a core.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from kdgraph.config import ServerConfig
from kdgraph.serving.shared_status import SharedStatus
from kdgraph.store.served_data import prepare
from kdgraph.web.app import create_app

PAGE = "/doc/id/dossier/productietechniek"


def measure(n: int) -> dict[str, float]:
    """Milliseconds: the first request (cold), the median and p90 of ``n`` warm ones, a 304."""
    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp) / "state"
        prepare(state, None, at_start=True)
        status = SharedStatus()
        status.write("served", {"served": json.loads((state / "current.json").read_text()), "reload": None})
        app = create_app(ServerConfig(state_dir=state, query_timeout=60), status)  # cold may be slow
        try:
            client = app.test_client()
            started = time.perf_counter()
            assert client.get(PAGE).status_code == 200
            cold = (time.perf_counter() - started) * 1000
            times: list[float] = []
            cpu: list[float] = []
            for _ in range(n):
                started, started_cpu = time.perf_counter(), time.process_time()
                response = client.get(PAGE)
                times.append((time.perf_counter() - started) * 1000)
                cpu.append((time.process_time() - started_cpu) * 1000)
                assert response.status_code == 200
            etag = response.headers["ETag"]
            started = time.perf_counter()
            assert client.get(PAGE, headers={"If-None-Match": etag}).status_code == 304
            not_modified = (time.perf_counter() - started) * 1000
        finally:
            app.extensions["kdgraph"].close()
    return {
        "cold": cold,
        "median": statistics.median(times),
        "cpu": statistics.median(cpu),
        "p90": sorted(times)[max(0, int(n * 0.9) - 1)],
        "requests": n,
        "not_modified": not_modified,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("n", nargs="?", type=int, default=50, help="warm requests")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = parser.parse_args()
    figures = measure(args.n)
    if args.json:
        print(json.dumps(figures))
        return
    print(
        f"dossier page: cold {figures['cold']:.0f} ms; warm median {figures['median']:.1f} ms "
        f"(CPU {figures['cpu']:.1f} ms), p90 {figures['p90']:.1f} ms over {args.n}; "
        f"304 {figures['not_modified']:.1f} ms"
    )


if __name__ == "__main__":
    main()
