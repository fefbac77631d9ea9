"""The dossier page, warm, at one dossier: median of N requests through Flask's test client.

    .venv/bin/python bench/dossier_page.py [N]

A figure for docs and the issue (target: under 50 ms), not a test: it runs the real app on the
bundled data in this process (engines in their own processes, as served), asks for the page once
(cold: the engine answers, the page model is built) and then N times (warm), and N times more with
the page model built from the engine's rows and triples at every request (its per-version cache
emptied first). Wall-clock and this process's CPU time: on a loaded machine the CPU time is the
page's own work, the wall-clock also the wait for a core.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from kdgraph.config import ServerConfig
from kdgraph.serving.shared_status import SharedStatus
from kdgraph.store.served_data import prepare
from kdgraph.web.app import create_app
from kdgraph.web.linked_data import built_dossier_page

PAGE = "/doc/id/dossier/productietechniek"


def main(n: int) -> None:
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
            times, cpu, built, built_cpu = [], [], [], []
            for model_cached in (True, False):
                for _ in range(n):
                    if not model_cached:
                        built_dossier_page.cache_clear()
                    started, started_cpu = time.perf_counter(), time.process_time()
                    response = client.get(PAGE)
                    (times if model_cached else built).append((time.perf_counter() - started) * 1000)
                    (cpu if model_cached else built_cpu).append((time.process_time() - started_cpu) * 1000)
                    assert response.status_code == 200
            etag = response.headers["ETag"]
            started = time.perf_counter()
            assert client.get(PAGE, headers={"If-None-Match": etag}).status_code == 304
            not_modified = (time.perf_counter() - started) * 1000
            print(
                f"dossier page: cold {cold:.0f} ms; warm median {statistics.median(times):.1f} ms "
                f"(CPU {statistics.median(cpu):.1f} ms), p90 {sorted(times)[int(n * 0.9) - 1]:.1f} ms "
                f"over {n}; "
                f"built from rows and triples every time: median {statistics.median(built):.1f} ms "
                f"(CPU {statistics.median(built_cpu):.1f} ms); 304 {not_modified:.1f} ms"
            )
        finally:
            app.extensions["kdgraph"].close()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50)
