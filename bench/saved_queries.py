"""Bare evaluation time of every saved query (queries/*.rq) on the bundled graph: one dossier.

A saved query is our own text, so it must be fast by construction (issue 24: every one under
50 ms at one dossier). This measures the query alone, as the engine runs it: pyoxigraph on an
in-memory store of the bundled quads in the served layout (named graphs and their merge as
the default graph; ontology and vocabularies included), the query
with its header's example parameters bound by substitution, every solution consumed. No HTTP,
no server, no cache. Each query runs once to warm up, then N times; the table gives the median
and the slowest run, in milliseconds, and the number of rows.

    python bench/saved_queries.py                  # one dossier, 21 runs
    python bench/saved_queries.py -n 51
    python bench/saved_queries.py --dossiers 200   # 200 generated dossiers (bench/generate.py):
                                                   # how each query scales with the data it returns
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time

import pyoxigraph as ox

from generate import generate  # type: ignore[import-not-found]
from kdgraph.catalogue.saved_queries import SavedQuery, load_saved_queries
from kdgraph.pipeline.loading import load_graph
from kdgraph.query.engine import Query, dataset_arguments
from kdgraph.resources import bundled_paths
from kdgraph.store.layout import fill_store

TARGET_MS = 50.0


def run_once(store: ox.Store, query: Query) -> int:
    """Evaluate ``query`` and consume its whole answer; the number of rows (or triples)."""
    result = store.query(query.text, **dataset_arguments(query))
    if isinstance(result, ox.QueryBoolean):
        return 1
    return sum(1 for _ in result)


def measure(store: ox.Store, saved: SavedQuery, runs: int) -> tuple[float, float, int]:
    """Median and slowest of ``runs`` evaluations in ms, after one warm-up; and the row count."""
    query = saved.query(saved.bind(saved.example_parameters()))
    rows = run_once(store, query)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run_once(store, query)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), max(times), rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", "--runs", type=int, default=21, help="timed runs per query (after one warm-up)")
    parser.add_argument("--dossiers", type=int, default=1, help="generated dossiers (1 = the bundled graph)")
    args = parser.parse_args(argv)
    if args.dossiers == 1:
        quads = list(load_graph().quads)
    else:  # the first generated dossier is the real one, so the example parameters still find it
        quads = list(load_graph([], with_ontology=True).quads) + generate(args.dossiers)
    store = ox.Store()
    fill_store(store, quads)  # the served layout: named graphs and their merge
    saved = load_saved_queries(bundled_paths().queries)
    print(
        f"{len(quads)} quads ({args.dossiers} dossier(s)), {len(saved)} saved queries, "
        f"{args.runs} runs each after a warm-up;"
    )
    print(f"pyoxigraph {ox.__version__}, Python {platform.python_version()}, {platform.machine()}\n")
    print("| saved query | parameters | rows | median ms | slowest ms |")
    print("|---|---|---:|---:|---:|")
    slow = []
    for name, query in sorted(saved.items()):
        median, slowest, rows = measure(store, query, args.runs)
        parameters = " ".join(f"{k}={v}" for k, v in query.example_parameters().items()) or "(defaults)"
        print(f"| {name} | {parameters} | {rows} | {median:.1f} | {slowest:.1f} |")
        if median >= TARGET_MS and args.dossiers == 1:
            slow.append(name)
    if slow:
        print(f"\nover {TARGET_MS:.0f} ms (median): {', '.join(slow)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
