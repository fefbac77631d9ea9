"""Benchmark: our server against Oxigraph's own server, in the same run, on the same data.

For each size N (synthetic dossiers from bench/generate.py):
  * SHACL validation: ``kdgraph validate`` on the data, as a maintainer runs it before serving
    (the reference has no counterpart; it serves whatever it is given);
  * first start on new data: ``kdgraph serve --data`` (load, reuse the verdict of that validation,
    build the store, start workers) against ``oxigraph load`` + ``oxigraph serve-read-only``, and
    how long our background warm-up (dump files, saved-query answers) takes after that;
  * start-up to ready: both servers restarted on the data they prepared (our state directory,
    the reference's store directory), which is how a deployed server starts;
  * cache-free workload (bench/adhoc.py): six kinds of query, every request a new text with
    constants drawn from the data, the same texts to both servers, interleaved; p50/p95/p99 per
    kind at concurrency 1 and throughput at concurrency 8;
  * cached: latency p50/p95/p99 per saved query at concurrency 1, interleaved (ours, reference,
    ours, ...), each query sent to /sparql with its example parameters bound, Accept JSON, the
    same texts again and again (our warm-up answered them before the first request);
  * throughput at concurrency 8 over all saved queries (cached, likewise);
  * peak memory (PSS) of each server's whole process tree while serving, and during the first start.
The reference loads exactly the quads our server serves, with the same default-graph semantics
(see harness.reference_data). Prints markdown tables with the ratio ours/reference per figure.

    python bench/run.py 1 200 --rounds 100 --seconds 10
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox

import adhoc  # type: ignore[import-not-found]
from harness import (  # type: ignore[import-not-found]
    BIN,
    Client,
    make_dataset,
    our_server,
    percentile,
    reference_data,
    reference_server,
    server_load,
    timed,
)
from kdgraph.loading import load_graph
from kdgraph.resources import bundled_paths
from kdgraph.saved_queries import load_saved_queries


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("sizes", nargs="*", type=int, default=[1])
    parser.add_argument(
        "--rounds", type=int, default=100, help="requests per query and server at concurrency 1"
    )
    parser.add_argument("--seconds", type=float, default=10, help="duration of each throughput run")
    parser.add_argument("--workers", type=int, default=4, help="workers of our server")
    parser.add_argument(
        "--adhoc-rounds", type=int, default=100, help="new texts per kind and server (cache-free)"
    )
    args = parser.parse_args()
    saved = load_saved_queries(bundled_paths().queries)
    queries = {name: q.example_text() for name, q in saved.items()}
    ontology = load_graph([], with_ontology=True).triples
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, CPython {platform.python_version()}, "
        f"pyoxigraph/oxigraph {ox.__version__ if hasattr(ox, '__version__') else ''}\n"
    )
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            measure(n, Path(tmp), queries, ontology, args)


def measure(n: int, tmp: Path, queries: dict[str, str], ontology: list, args: argparse.Namespace) -> None:
    dataset = make_dataset(n, tmp)
    env = dict(os.environ, KDGRAPH_CACHE_DIR=str(tmp / "cache"))

    start = time.perf_counter()
    command = [str(BIN / "kdgraph"), "validate", str(dataset.data)]
    subprocess.run(command, env=env, check=True, capture_output=True)
    validation = time.perf_counter() - start

    first = our_server(tmp, dataset.data, args.workers, env)
    warm_up = first.wait_until_warm()  # dumps and saved-query answers, written after ready
    first.stop()
    same_data = reference_data(tmp / "state", tmp)  # the quads we serve, our default-graph semantics
    reference_first = reference_server(tmp, same_data, load=True)
    reference_first.stop()
    ours = our_server(tmp, dataset.data, args.workers, env)  # restart on the prepared state directory
    reference = reference_server(tmp, same_data, load=False)
    try:
        latencies: dict[str, tuple[list[float], list[float]]] = {q: ([], []) for q in queries}
        clients = Client(ours.url), Client(reference.url)
        for _ in range(args.rounds):
            for name, text in queries.items():
                for client, sink in zip(clients, latencies[name], strict=True):
                    elapsed, status, _ = timed(client, text)
                    if status != 200:
                        raise RuntimeError(f"{client.host}:{client.port} answered {status} to {name}")
                    sink.append(elapsed)
        rng = random.Random(0)
        repeated = [rng.choice(list(queries.values())) for _ in range(int(args.seconds * 20_000))]
        (tput_ours, cpu_ours), (tput_ref, cpu_ref) = (
            server_load(server, repeated, args.seconds) for server in (ours, reference)
        )
        cache_free = adhoc.measure(
            ours, reference, adhoc.Constants.of(dataset.statements), args.adhoc_rounds, args.seconds
        )
    finally:
        ours.stop()
        reference.stop()
    print(f"### N = {n} dossiers ({len(dataset.statements) + len(ontology)} statements)\n")
    print("Cache-free: every request a new query text, so no cache can answer it.\n")
    adhoc.print_figures(cache_free)
    print(
        "\n**Cached**: the saved queries with their example parameters, the same texts again and again;"
        "\nour warm-up answered them before the first request, so these figures are those of a cache.\n"
    )
    print("| figure (cached) | kdgraph | oxigraph server | ratio ours/ref |")
    print("|---|---:|---:|---:|")
    ratios = []
    for name, (o, r) in latencies.items():
        for p in (50, 95, 99):
            mine, theirs = percentile(o, p) * 1000, percentile(r, p) * 1000
            if p == 50:
                ratios.append(mine / theirs)
            print(f"| {name} p{p} (ms) | {mine:.2f} | {theirs:.2f} | {mine / theirs:.2f} |")
    slowest = max(percentile(o, 50) for o, _ in latencies.values()) * 1000
    rows = [
        ("p50 geometric mean over the saved queries", "", "", f"{statistics.geometric_mean(ratios):.2f}"),
        ("slowest saved query, p50 (ms)", f"{slowest:.2f}", "", ""),
        (
            "throughput at concurrency 8, saved queries (req/s)",
            *_ratio(tput_ours.rate, tput_ref.rate, "{:.0f}"),
        ),
        ("server CPU time per request in that run (ms)", *_ratio(cpu_ours, cpu_ref, "{:.2f}")),
        ("start-up to ready, prepared data (s)", *_ratio(ours.startup, reference.startup, "{:.2f}")),
        (
            "peak memory while serving, all processes (MB)",
            *_ratio(ours.peak_kb / 1024, reference.peak_kb / 1024, "{:.0f}"),
        ),
        ("first start on new data (s)", *_ratio(first.startup, reference_first.startup, "{:.2f}")),
        ("then warm-up: dumps and saved-query answers (s)", f"{warm_up:.2f}", "", ""),
        ("peak memory during our first start (MB)", f"{first.startup_peak_kb / 1024:.0f}", "", ""),
        ("SHACL validation, `kdgraph validate` (s)", f"{validation:.2f}", "", ""),
    ]
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print(flush=True)


def _ratio(ours: float, reference: float, form: str) -> tuple[str, str, str]:
    return form.format(ours), form.format(reference), f"{ours / max(reference, 1e-9):.2f}"


if __name__ == "__main__":
    main()
