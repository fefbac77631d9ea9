"""Where the time of one uncached /sparql request goes, step by step, inside one worker process.

Each request is a new query text (so no cache answers it), sent through the same functions the
endpoint calls, in a Flask request context but without an HTTP server or a test client, so that
what is measured is our own work per step (and the hand-off to the engine process):

    python bench/query_path_steps.py [requests]

The machine this project is built on is shared: read medians, not single runs.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from kdgraph.config import ServerConfig
from kdgraph.query import media, protocol
from kdgraph.store.served_data import prepare
from kdgraph.web import sparql
from kdgraph.web.app import create_app

RESOURCE = "https://w3id.org/kdgraph/id/qualification/productietechnicus"
STEPS = ("read request", "protocol", "pre-check", "negotiation", "engine", "response")


def main(requests: int) -> None:
    state = Path(tempfile.mkdtemp(prefix="kdgraph-steps-"))
    prepare(state, None)
    app = create_app(ServerConfig(state_dir=state))
    times: dict[str, list[float]] = {step: [] for step in STEPS}
    base = protocol.base_iri_for(app.extensions["kdgraph"].config.base)

    def one(i: int) -> None:
        text = f"SELECT ?p ?o WHERE {{ <{RESOURCE}> ?p ?o }} LIMIT {i + 1}"
        headers = {"Accept": "application/sparql-results+json"}
        with app.test_request_context("/sparql", query_string={"query": text}, headers=headers):
            marks = [time.perf_counter()]
            read = sparql.read_request()
            marks.append(time.perf_counter())
            operation = protocol.operation(read, base_iri=base)
            assert operation is not None
            marks.append(time.perf_counter())
            sparql.precheck(operation.query)
            marks.append(time.perf_counter())
            wanted = media.wanted_for_query(headers["Accept"], operation.params)
            marks.append(time.perf_counter())
            answer = sparql.runtime().engine.answer(operation.query, wanted)
            marks.append(time.perf_counter())
            sparql.Response(answer.body, content_type=answer.fmt.content_type, headers={"ETag": answer.etag})
            marks.append(time.perf_counter())
        for step, start, end in zip(STEPS, marks[:-1], marks[1:], strict=True):
            times[step].append((end - start) * 1e6)

    for i in range(200):  # the engine process started, caches of the interpreter warm
        one(10**6 + i)
    for values in times.values():
        values.clear()
    for i in range(requests):
        one(i)
    print(f"{requests} requests, each a new query text; microseconds per step")
    print(f"{'step':14} {'p50':>8} {'mean':>8}")
    for step, values in times.items():
        print(f"{step:14} {statistics.median(values):8.1f} {statistics.fmean(values):8.1f}")
    print(f"{'total (p50s)':14} {sum(statistics.median(v) for v in times.values()):8.1f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3000)
