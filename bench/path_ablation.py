"""What each part of our own query path costs: the request thread's CPU per /sparql request,
with one part taken out at a time, against the floor with engines (bench/floor_app.py).

Through Flask's WSGI app with its test client (no HTTP server: granian's share is the same for
every variant), on N generated dossiers, each request a new text ("outgoing links" of
bench/adhoc.py), the variants in a random order each round so that they share the noise; the
engine processes' CPU is not counted (the hand-off is bench/handoff.py's measurement):

    python bench/path_ablation.py [rounds] [N]

Taking a part out here is only a measurement (it patches this process): the pre-check, the
answer cache's lookup and store, and the after-request hooks (access log, CORS and security
headers) each stay in the server.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from adhoc import Texts  # type: ignore[import-not-found]
from harness import JSON, data_cache_dir, make_dataset  # type: ignore[import-not-found]
from kdgraph.config import ServerConfig
from kdgraph.query import isolation
from kdgraph.serving import worker
from kdgraph.serving.shared_status import SharedStatus
from kdgraph.store.served_data import prepare
from kdgraph.web import sparql
from kdgraph.web.app import create_app

KIND = "outgoing links"


def main(rounds: int, n: int) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="kdgraph-ablation-"))
    dataset = make_dataset(n, tmp, data_cache_dir())
    state = tmp / "state"
    served = prepare(state, [dataset.data], require_conformance=False, at_start=True)
    status = SharedStatus()
    status.write("served", {"served": json.loads((state / "current.json").read_text()), "reload": None})
    app = create_app(ServerConfig(state_dir=state), status)
    os.environ["KDGRAPH_FLOOR_STORE"] = served.store_path
    import floor_app  # type: ignore[import-not-found]  # (reads the store's path on first use)

    ours, floor = app.test_client(), floor_app.engine_app.test_client()
    precheck, cached_answer = sparql.precheck, worker.CachedEngine.answer
    hooks = list(app.after_request_funcs[None])

    def restore() -> None:
        sparql.precheck, worker.CachedEngine.answer = precheck, cached_answer  # type: ignore[method-assign]
        app.after_request_funcs[None] = list(hooks)

    def without_precheck() -> None:
        sparql.precheck = lambda query: isolation.Route.ISOLATED

    def without_cache() -> None:
        worker.CachedEngine.answer = lambda self, query, wanted, budget=None: self.inner.answer(  # type: ignore[method-assign]
            query, wanted, budget
        )

    def without_hooks() -> None:
        app.after_request_funcs[None] = []

    variants: dict[str, tuple[object, Callable[[], None]]] = {
        "kdgraph": (ours, lambda: None),
        "without the pre-check": (ours, without_precheck),
        "without the answer cache": (ours, without_cache),
        "without the after-request hooks (access log, headers)": (ours, without_hooks),
        "floor with engines": (floor, lambda: None),
    }
    texts = Texts(dataset.constants, seed=21)
    spent: dict[str, list[float]] = {name: [] for name in variants}
    rng = random.Random(1)
    try:
        for round_ in range(rounds + 30):  # 30 rounds to warm up
            order = list(variants)
            rng.shuffle(order)
            for name in order:
                client, patch = variants[name]
                restore()
                patch()
                data = {"query": texts.make(KIND)}
                start = time.thread_time_ns()
                response = client.post(  # type: ignore[attr-defined]
                    "/sparql", data=data, headers={"Accept": JSON}, environ_base={"REMOTE_ADDR": "127.0.0.5"}
                )
                if round_ >= 30:
                    spent[name].append((time.thread_time_ns() - start) / 1e3)
                if response.status_code != 200:
                    raise RuntimeError(f"{name}: {response.status_code} {response.data[:300]!r}")
    finally:
        restore()
        app.extensions["kdgraph"].close()
    print(f"N = {n}, {rounds} requests per variant; request thread's CPU, median µs")
    for name, values in spent.items():
        print(f"  {name:55} {statistics.median(values):6.0f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 800, int(sys.argv[2]) if len(sys.argv) > 2 else 1)
