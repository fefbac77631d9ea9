"""The whole benchmark of issues 12 and 21 in one run: our server against Oxigraph's own server
and against the floors (bench/floor_app.py), on the same machine and the same data, written to
one markdown report.

For each size N (synthetic dossiers from bench/generate.py, kept between runs in a data cache):
  * preparation: SHACL validation (``kdgraph validate``, as a maintainer runs it before serving;
    the reference has no counterpart), first start on new data (``kdgraph serve --data``: load,
    reuse that verdict, build the store, start workers) against ``oxigraph load`` +
    ``oxigraph serve-read-only`` (ours includes writing the version's dumps), and start-up to
    ready when both restart on the data they prepared;
  * **cached** saved queries (the same texts again and again, answered by our cache): p50/p95/p99
    per saved query at concurrency 1, interleaved (ours, reference, ours, ...), each with its
    example parameters bound, Accept JSON; throughput at concurrency 8 over them;
  * **cache-free** workload (bench/adhoc.py): six kinds of query, every request a new text with
    constants drawn from the data, the same texts to both servers, interleaved; p50/p95/p99 per
    kind, throughput at concurrency 8 on unique texts, server CPU time per request; the same
    texts in the same rounds to the three floors (bench/floor_app.py): the in-process floor
    (Flask under granian evaluating with pyoxigraph in the request thread, nothing else; the
    targets of issue 21 are set against it, so the gap is what our safety costs), a constant
    Flask answer (what any Flask endpoint can reach against Oxigraph), and that route with our
    engine pool behind it (what the killable engine processes cost);
  * at the smallest N, if it is 1: the dossier page warm (bench/dossier_page.py, in a process
    of its own on the bundled data);
  * at the largest N: PSS of each server's whole process tree after ``--memory-queries`` more
    unique queries (adhoc.memory_after);
  * once, at the smallest N: the fairness scenarios of bench/fairness.py (our server alone,
    deadline ``--fairness-timeout``).
The reference loads exactly the quads our server serves, with the same default-graph semantics
(see harness.reference_data). The report opens with the command, date, commit, machine and
versions, then one table of every target of issues 21 and 12 with the figure measured and
whether it is met; the detailed tables follow. Everything is printed as it is measured, and the report file is
rewritten after every section (a run that breaks off keeps what it measured).

    python bench/run.py 1 200 2000 --out docs/benchmarks.md     # about 30 min on a quiet machine
    python bench/run.py 1 200 2000 --skip cached --out /tmp/targets.md  # about 8 minutes less
    python bench/run.py 1 --rounds 5 --seconds 1 --adhoc-rounds 5 --memory-queries 50 \\
        --fairness-seconds 2 --out /tmp/smoke.md     # a smoke test
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import json
import os
import platform
import random
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import adhoc  # type: ignore[import-not-found]
import dossier_page  # type: ignore[import-not-found]
import fairness  # type: ignore[import-not-found]
from harness import (  # type: ignore[import-not-found]
    BIN,
    Client,
    Dataset,
    Latencies,
    Load,
    Server,
    data_cache_dir,
    latency_table,
    make_dataset,
    our_server,
    p50_geomean,
    percentile,
    ratio_row,
    reference_data,
    reference_server,
    server_load,
    timed,
)
from kdgraph.catalogue.saved_queries import load_saved_queries
from kdgraph.pipeline.loading import load_graph
from kdgraph.resources import bundled_paths

ROOT = Path(__file__).resolve().parent.parent
CACHED = "cached: same texts again and again, answered by our cache"
CACHE_FREE = "cache-free: new text per request"
TARGET_SIZES = (1, 200, 2000)  # the sizes issues 12 and 21 set targets at
FLOOR_P50 = 1.1  # issue 21: cache-free p50 geomean at most this times the in-process floor's
FLOOR_TPUT = 0.9  # issue 21: throughput at 200 and 2000 at least this times the floor's
PAGE_MS = 50  # issue 21: the dossier page, warm, at one dossier
SKIPPABLE = ("cached", "fairness", "page", "memory")
MEMORY_SIZE = 2000
FIGURE_HEADER = ("| figure | kdgraph | oxigraph server | ratio ours/ref | |", "|---|---:|---:|---:|---|")
P50_LIMIT_MS = 50  # fairness: small queries' p50 while abused


@dataclass
class Target:
    """One row of the summary: a target of ``issue``, the figure measured, met or not (None:
    not measured in this run)."""

    target: str
    figure: str = "not measured in this run"
    met: bool | None = None
    issue: int = 12

    def line(self) -> str:
        verdict = {True: "**met**", False: "**not met**", None: "-"}[self.met]
        return f"| {self.issue} | {self.target} | {self.figure} | {verdict} |"

    def measured(self, figure: str, met: bool | None) -> Target:
        return Target(self.target, figure, met, self.issue)


@dataclass
class Report:
    """The markdown report: header, summary of the targets, detailed sections; printed as it
    grows and rewritten to ``out`` after every section."""

    out: Path | None
    header: list[str]
    targets: dict[str, Target]
    sections: list[str] = field(default_factory=list)
    floors: list[str] = field(default_factory=list)  # a row per N: the floor against Oxigraph
    timings: list[tuple[str, float, float, float]] = field(default_factory=list)  # name, s, load, load
    kept: list[str] = field(default_factory=list)  # sections of ``out`` that other scripts wrote

    def __post_init__(self) -> None:
        self.kept = kept_sections(self.out)

    def section(self, title: str, label: str, lines: list[str], step: str | None = None) -> None:
        """A detailed section; ``step``: the name given to ``timed`` for its measurement, whose
        duration and load average go under the label."""
        text = f"### {title}\n\n*{label}*\n\n"
        for name, seconds, before, after in self.timings:
            if name == step:
                text += f"Measured in {seconds:.0f} s; load average (1 min) {before:.2f} before, "
                text += f"{after:.2f} after.\n\n"
        text += "\n".join(lines) + "\n"
        print(text, flush=True)
        self.sections.append(text)
        self.write()

    def timed(self, name: str, work: Callable[[], object]) -> object:
        """Run ``work``, noting its duration and the load average (1 min) before and after."""
        before, start = os.getloadavg()[0], time.perf_counter()
        print(f"[{datetime.now(UTC):%H:%M:%S}] {name} (load {before:.2f}) ...", flush=True)
        result = work()
        seconds, after = time.perf_counter() - start, os.getloadavg()[0]
        print(f"[{datetime.now(UTC):%H:%M:%S}] {name}: {seconds:.1f} s (load {after:.2f})", flush=True)
        self.timings.append((name, seconds, before, after))
        self.write()
        return result

    def write(self) -> None:
        if self.out is None:
            return
        summary = [
            "## Summary: the targets of issues 21 and 12",
            "",
            "| issue | target | measured | |",
            "|---:|---|---|---|",
            *(t.line() for t in self.targets.values()),
            "",
        ]
        if self.floors:
            summary += [
                "Cache-free, every server against Oxigraph (p50 geomean ratio to Oxigraph / throughput "
                "at concurrency 8 against Oxigraph's), the same new texts in the same rounds: the "
                "floors of bench/floor_app.py and kdgraph. *in-process floor*: a Flask route under "
                "granian evaluating with pyoxigraph in the request thread, nothing else (the targets "
                "of issue 21 are set against it: the gap to kdgraph is what our safety costs). "
                "*floor*: that route answering a constant; no Flask endpoint can do better. *floor "
                "with engines*: that route handing each query to our engine pool, the processes "
                "killed at the deadline, nothing else of ours. The machine's load during each step is "
                "in the last table: on a shared machine, read ratios from the same run only.",
                "",
                "| N | in-process floor | floor | floor with engines | kdgraph |",
                "|---:|---:|---:|---:|---:|",
                *self.floors,
                "",
            ]
        timings = [
            "## Duration of each step, and the machine's load average (1 min) before and after",
            "",
            "| step | seconds | load before | load after |",
            "|---|---:|---:|---:|",
            *(f"| {name} | {s:.1f} | {a:.2f} | {b:.2f} |" for name, s, a, b in self.timings),
            "",
        ]
        body = "\n".join([*self.header, "", *summary, "## Details", "", *self.sections, *timings, *self.kept])
        self.out.parent.mkdir(parents=True, exist_ok=True)
        partial = self.out.with_suffix(".partial")
        partial.write_text(body, encoding="utf-8")
        partial.replace(self.out)


OWN_SECTIONS = ("## Summary", "## Details", "## Duration of each step")


def kept_sections(out: Path | None) -> list[str]:
    """The level-2 sections of an existing report that this script does not write (figures of
    other bench scripts, added by hand below a run's output): kept, after the new run's."""
    if out is None or not out.is_file():
        return []
    kept: list[str] = []
    keep = False
    for line in out.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            keep = not line.startswith(OWN_SECTIONS)
        elif line.startswith("# "):
            keep = False
        if keep:
            kept.append(line)
    return kept


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("sizes", nargs="*", type=int, default=[1])
    parser.add_argument(
        "--rounds", type=int, default=100, help="requests per saved query and server at concurrency 1"
    )
    parser.add_argument("--seconds", type=float, default=10, help="duration of each throughput run")
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count(), help="workers of our server (default: the CPU count)"
    )
    parser.add_argument(
        "--adhoc-rounds", type=int, default=100, help="new texts per kind and server (cache-free)"
    )
    parser.add_argument(
        "--memory-queries",
        type=int,
        default=5000,
        help="at the largest N: PSS after this many unique queries",
    )
    parser.add_argument(
        "--fairness-seconds", type=float, default=15, help="small queries per fairness scenario (0: none)"
    )
    parser.add_argument(
        "--fairness-timeout", type=float, default=5, help="query deadline in the fairness run"
    )
    parser.add_argument("--loris", type=int, default=50, help="slow-header and slow-body connections")
    parser.add_argument(
        "--query-budget",
        type=float,
        default=20,
        help="seconds of cached rounds per saved query at most (binds only where Oxigraph takes "
        "seconds per saved query: N = 2000; 20 keeps the whole run near 30 minutes)",
    )
    parser.add_argument(
        "--slow-query",
        type=float,
        default=1,
        help="saved queries slower (p50, s) stay out of the throughput mix",
    )
    parser.add_argument(
        "--skip",
        nargs="+",
        default=[],
        choices=SKIPPABLE,
        help="leave steps out to save time: the cached saved queries (about 8 of the 30 minutes of "
        "1 200 2000), the fairness scenarios (about 2), the dossier page, the memory run. (The SHACL "
        "validation cannot be left out: `kdgraph serve` validates what it serves)",
    )
    parser.add_argument("--out", type=Path, help="write the markdown report here")
    parser.add_argument(
        "--data-cache",
        default=str(data_cache_dir()),
        help="keep generated data here between runs ('' : generate every time) [%(default)s]",
    )
    args = parser.parse_args()
    sizes = args.sizes or [1]
    if "fairness" in args.skip:
        args.fairness_seconds = 0
    if "memory" in args.skip:
        args.memory_queries = 0
    cache = Path(args.data_cache) if args.data_cache else None
    report = Report(args.out, header(args, cache), initial_targets(args.workers))
    report.write()
    saved = load_saved_queries(bundled_paths().queries)
    queries = {name: q.example_text() for name, q in saved.items()}
    ontology = len(load_graph([], with_ontology=True).triples)
    for n in sizes:
        with tempfile.TemporaryDirectory(prefix=f"kdgraph-bench-{n}-") as tmp:
            dataset = report.timed(f"N = {n}: data", lambda n=n, tmp=tmp: make_dataset(n, Path(tmp), cache))
            assert isinstance(dataset, Dataset)
            source = "reused from the data cache" if dataset.reused else "generated"
            report.header.append(
                f"- data, N = {n}: {dataset.statements} data statements (+ {ontology} ontology), "
                f"{source} in {dataset.seconds:.1f} s: `{dataset.data}`"
            )
            measure(report, dataset, Path(tmp), queries, args, memory=n == max(sizes))
            if n == min(sizes) == 1 and "page" not in args.skip:
                page = report.timed("N = 1: dossier page", measure_page)
                assert isinstance(page, dict)
                page_target(report.targets, page)
                report.section(
                    "N = 1: the dossier page (bench/dossier_page.py)",
                    "the real app on the bundled data through Flask's test client; warm: asked before",
                    page_lines(page),
                    "N = 1: dossier page",
                )
            if n == min(sizes) and args.fairness_seconds > 0:
                fair_tmp = Path(tmp) / "fairness"
                fair_tmp.mkdir()
                setting, rows = report.timed(  # type: ignore[misc]
                    f"N = {n}: fairness",
                    lambda dataset=dataset, fair_tmp=fair_tmp: fairness.measure(
                        dataset,
                        fair_tmp,
                        args.workers,
                        args.fairness_timeout,
                        args.fairness_seconds,
                        args.loris,
                    ),
                )
                fairness_targets(report.targets, rows, args.workers, args.fairness_timeout)
                report.section(
                    f"N = {n}: fairness under abuse (bench/fairness.py)",
                    f"{CACHE_FREE} (small queries and runaways alike); {setting}",
                    [*fairness.HEADER, *(row.line() for row in rows)],
                    f"N = {n}: fairness",
                )
    report.header.append(f"- finished: {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC")
    report.write()


def measure(
    report: Report,
    dataset: Dataset,
    tmp: Path,
    queries: dict[str, str],
    args: argparse.Namespace,
    memory: bool,
) -> None:
    n = dataset.n
    env = dict(os.environ, KDGRAPH_CACHE_DIR=str(tmp / "cache"))
    step_prepare, step_cached, step_free = (
        f"N = {n}: {what}" for what in ("preparation", "cached", "cache-free")
    )
    step_memory = f"N = {n}: memory after {args.memory_queries} unique queries"
    prepared = report.timed(step_prepare, lambda: prepare(dataset, tmp, env, args.workers))
    first, reference_first, validation, same_data = prepared  # type: ignore[misc]
    ours = our_server(tmp, dataset.data, args.workers, env)  # restart on the prepared state directory
    reference = reference_server(tmp, same_data, load=False)
    cached: Cached | None = None
    try:
        if "cached" not in args.skip:
            cached = report.timed(step_cached, lambda: measure_cached(ours, reference, queries, args))  # type: ignore[assignment]
        floors = adhoc.floor_servers(tmp, args.workers)  # only beside the cache-free workload
        try:
            cache_free = report.timed(
                step_free,
                lambda: adhoc.measure(
                    ours, reference, dataset.constants, args.adhoc_rounds, args.seconds, floors=floors
                ),
            )
        finally:
            for floor in floors:
                floor.stop()
        assert isinstance(cache_free, adhoc.Figures)
        kb = None
        if memory and args.memory_queries:
            kb = report.timed(
                step_memory,
                lambda: adhoc.memory_after([ours, reference], dataset.constants, args.memory_queries),
            )
    finally:
        ours.stop()
        reference.stop()

    report.section(
        f"N = {n}: preparation and start-up",
        "not query figures",
        [
            *FIGURE_HEADER,
            ratio_row("SHACL validation, `kdgraph validate` (s)", validation, None, "{:.2f}"),
            ratio_row(
                "first start on new data, dumps included (s)",
                first.startup,
                reference_first.startup,
                "{:.2f}",
            ),
            ratio_row(
                "peak memory during our first start (MB)", first.startup_peak_kb / 1024, None, "{:.0f}"
            ),
            ratio_row("start-up to ready, prepared data (s)", ours.startup, reference.startup, "{:.2f}"),
            ratio_row(
                "peak memory while serving, all processes (MB)",
                ours.peak_kb / 1024,
                reference.peak_kb / 1024,
                "{:.0f}",
            ),
        ],
        step_prepare,
    )
    if cached is not None:
        report.section(f"N = {n}: cached saved queries", CACHED, cached_lines(cached, args), step_cached)
    free_lines = adhoc.figures_table(cache_free)
    inprocess = cache_free.floor(adhoc.IN_PROCESS_FLOOR)
    if inprocess is not None:
        free_lines += ["", *adhoc.against_floor_table(cache_free, inprocess)]
    report.section(f"N = {n}: cache-free workload (bench/adhoc.py)", CACHE_FREE, free_lines, step_free)
    floor_lines = [adhoc.FLOOR_NOTE]
    for floor in cache_free.floors:
        floor_lines += ["", *adhoc.floor_table(cache_free, floor)]
    report.section(
        f"N = {n}: the floors, measured with the cache-free workload", CACHE_FREE, floor_lines, step_free
    )
    reference_rate = max(cache_free.rate[1], 1e-9)
    cells = [
        f"{p50_geomean(cache_free.against_reference(floor)):.2f} / {floor.rate / reference_rate:.2f}x"
        for floor in cache_free.floors
    ]
    cells.append(f"{cache_free.p50_geomean():.2f} / {cache_free.rate[0] / reference_rate:.2f}x")
    report.floors.append(f"| {n} | " + " | ".join(cells) + " |")
    if kb:
        report.section(
            f"N = {n}: memory while serving",
            CACHE_FREE + f" ({args.memory_queries} unique queries at "
            "concurrency 8, after the cache-free run)",
            [
                *FIGURE_HEADER,
                adhoc.memory_row(args.memory_queries, kb),  # type: ignore[arg-type]
            ],
            step_memory,
        )
    size_targets(report.targets, n, cached, cache_free, kb)


def cached_lines(cached: Cached, args: argparse.Namespace) -> list[str]:
    """The cached saved queries' section: latencies per query, p99 over all, throughput."""
    latencies, ((tput_ours, cpu_ours), (tput_ref, cpu_ref)) = cached.latencies, cached.loads
    pooled = cached.pooled()
    lines = [
        *latency_table("saved query (cached)", latencies),
        ratio_row(
            "p99 over all saved-query requests (ms)",
            percentile(pooled[0], 99) * 1000,
            percentile(pooled[1], 99) * 1000,
            "{:.2f}",
        ),
        ratio_row(
            "throughput at concurrency 8, saved queries (req/s)", tput_ours.rate, tput_ref.rate, "{:.0f}"
        ),
        ratio_row("server CPU time per request in that run (ms)", cpu_ours, cpu_ref, "{:.2f}"),
    ]
    if tput_ours.errors or tput_ref.errors:
        lines.append(f"| non-200 answers under load | {tput_ours.errors} | {tput_ref.errors} | | |")
    rounds = {name: len(o) + cached.failed[name][0] for name, (o, _) in latencies.items()}
    lines.append("")
    lines.append(
        f"Rounds per saved query (at most {args.rounds}, within {args.query_budget:g} s each): "
        + ", ".join(f"{k} {v}" for k, v in rounds.items())
        + "."
    )
    failures = {k: v for k, v in cached.failed.items() if any(v)}
    if failures:
        lines.append(
            "Not answered (not 200, or nothing within the client timeout), ours / reference: "
            + ", ".join(f"{k} {a} / {b}" for k, (a, b) in failures.items())
            + "."
        )
    if cached.excluded:
        lines.append(
            f"Left out of the throughput mix (p50 over {args.slow_query:g} s, or not answered): "
            + ", ".join(cached.excluded)
            + "."
        )
    return lines


def prepare(dataset: Dataset, tmp: Path, env: dict[str, str], workers: int) -> tuple:  # type: ignore[type-arg]
    """Validation, first starts of both servers on new data, and the reference's copy of our quads."""
    start = time.perf_counter()
    subprocess.run(
        [str(BIN / "kdgraph"), "validate", str(dataset.data)], env=env, check=True, capture_output=True
    )
    validation = time.perf_counter() - start
    first = our_server(tmp, dataset.data, workers, env)  # ready once the version and its dumps are written
    first.stop()
    same_data = reference_data(tmp / "state", tmp)  # the quads we serve, our default-graph semantics
    reference_first = reference_server(tmp, same_data, load=True)
    reference_first.stop()
    return first, reference_first, validation, same_data


@dataclass
class Cached:
    latencies: Latencies  # answered requests only
    failed: dict[str, tuple[int, int]]  # query -> (ours, reference): not 200, or no answer in time
    excluded: list[str]  # too slow for the throughput mix
    loads: tuple[tuple[Load, float], tuple[Load, float]]  # (load, CPU ms per request) of ours, ref

    def pooled(self) -> tuple[list[float], list[float]]:
        """Every answered request's latency, ours and the reference's, over all saved queries."""
        return (
            [x for o, _ in self.latencies.values() for x in o],
            [x for _, r in self.latencies.values() for x in r],
        )


def measure_cached(
    ours: Server, reference: Server, queries: dict[str, str], args: argparse.Namespace
) -> Cached:
    """Saved queries at concurrency 1, interleaved, then throughput at concurrency 8 on both.

    Each query gets ``--rounds`` rounds, or fewer when they would take longer than
    ``--query-budget`` seconds (at least one): a saved query that takes minutes at thousands of
    dossiers must not make the run take days. The throughput mix leaves out the queries whose
    p50 on either server is over ``--slow-query`` seconds (a load run cannot stop a request in
    flight), and says which.
    """
    latencies: Latencies = {q: ([], []) for q in queries}
    failed = dict.fromkeys(queries, (0, 0))
    timeout = max(60.0, args.query_budget)
    clients = Client(ours.url, timeout=timeout), Client(reference.url, timeout=timeout)
    for name, text in queries.items():
        start = time.perf_counter()
        for round_ in range(args.rounds):
            if round_ and time.perf_counter() - start > args.query_budget:
                break
            for side, (client, sink) in enumerate(zip(clients, latencies[name], strict=True)):
                try:
                    elapsed, status, _ = timed(client, text)
                except OSError:
                    client.close()
                    status = 0
                if status == 200:
                    sink.append(elapsed)
                else:
                    counts = list(failed[name])
                    counts[side] += 1
                    failed[name] = (counts[0], counts[1])
    fast = [
        name
        for name, (o, r) in latencies.items()
        if o and r and max(percentile(o, 50), percentile(r, 50)) <= args.slow_query
    ]
    rng = random.Random(0)
    repeated = [queries[rng.choice(fast)] for _ in range(int(args.seconds * 20_000))] if fast else []
    loads = tuple(server_load(server, repeated, args.seconds) for server in (ours, reference))
    return Cached(latencies, failed, [q for q in queries if q not in fast], loads)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------- the targets


def initial_targets(workers: int) -> dict[str, Target]:
    """Every target of issues 21 and 12, not measured yet (issue 21's first)."""
    targets = {}
    for n in TARGET_SIZES:
        targets[f"floor-p50-{n}"] = Target(
            f"cache-free, N = {n}: p50 geomean kdgraph/in-process floor at most {FLOOR_P50:g}", issue=21
        )
    targets["floor-tput-1"] = Target(
        "cache-free, N = 1: throughput at concurrency 8 at least 1.0x Oxigraph's", issue=21
    )
    for n in TARGET_SIZES[1:]:
        targets[f"floor-tput-{n}"] = Target(
            f"cache-free, N = {n}: throughput at concurrency 8 at least {FLOOR_TPUT:g}x the in-process "
            "floor's",
            issue=21,
        )
    targets["page"] = Target(f"the dossier page, N = 1: warm median under {PAGE_MS} ms", issue=21)
    targets["memory"] = Target(
        f"memory while serving at N = {MEMORY_SIZE}: PSS of the whole process tree under 1 GB after "
        "5,000 unique queries",
        issue=21,
    )
    for n in TARGET_SIZES:
        targets[f"free-p50-{n}"] = Target(f"cache-free, N = {n}: p50 geomean ours/Oxigraph at most 1.2")
        targets[f"free-tput-{n}"] = Target(f"cache-free, N = {n}: throughput at concurrency 8 at least 1.0x")
    targets["cached-p50"] = Target("cached saved queries, N = 1: p50 geomean ours/Oxigraph at most 1.0")
    targets["cached-tput"] = Target("cached saved queries, N = 1: throughput at concurrency 8 at least 1.0x")
    targets["cached-p99"] = Target(
        "cached saved queries, N = 1: p99 at most 2x Oxigraph's (over all saved-query requests)"
    )
    for key, scenario in (
        ("runaways-w", f"W = {workers} runaways from W clients"),
        ("runaways-2w", f"2W = {2 * workers} runaways from 2W clients"),
        ("runaways-one", f"2W = {2 * workers} runaways from one client"),
        ("values", "four ~1 MB VALUES queries"),
    ):
        targets[key] = Target(
            f"fairness, {scenario}: other clients' small queries p50 < {P50_LIMIT_MS} ms, none fails"
        )
    targets["slow headers"] = Target(
        "fairness: 50 slow-loris connections do not stop /health (no poll fails)"
    )
    targets["slow bodies"] = Target("fairness: 50 slow-body connections do not stop /health (no poll fails)")
    return targets


def size_targets(
    targets: dict[str, Target],
    n: int,
    cached: Cached | None,
    free: adhoc.Figures,
    memory_kb: list[int] | None,
) -> None:
    if n in TARGET_SIZES:
        geomean, tput = free.p50_geomean(), free.rate[0] / max(free.rate[1], 1e-9)
        targets[f"free-p50-{n}"] = targets[f"free-p50-{n}"].measured(f"{geomean:.2f}", geomean <= 1.2)
        targets[f"free-tput-{n}"] = targets[f"free-tput-{n}"].measured(f"{tput:.2f}x", tput >= 1.0)
        floor = free.floor(adhoc.IN_PROCESS_FLOOR)
        if floor is not None:
            ratio = p50_geomean(free.against_floor(floor))
            targets[f"floor-p50-{n}"] = targets[f"floor-p50-{n}"].measured(
                f"{ratio:.2f} (kdgraph {free.p50_geomean():.2f}, floor "
                f"{p50_geomean(free.against_reference(floor)):.2f} against Oxigraph)",
                ratio <= FLOOR_P50,
            )
            if n == 1:
                targets["floor-tput-1"] = targets["floor-tput-1"].measured(
                    f"{tput:.2f}x ({free.rate[0]:.0f} / {free.rate[1]:.0f} req/s)", tput >= 1.0
                )
            else:
                share = free.rate[0] / max(floor.rate, 1e-9)
                targets[f"floor-tput-{n}"] = targets[f"floor-tput-{n}"].measured(
                    f"{share:.2f}x ({free.rate[0]:.0f} / {floor.rate:.0f} req/s)", share >= FLOOR_TPUT
                )
    if n == 1 and cached is not None:
        (tput_ours, _), (tput_ref, _) = cached.loads
        cached_p50, cached_tput = p50_geomean(cached.latencies), tput_ours.rate / max(tput_ref.rate, 1e-9)
        pooled = cached.pooled()
        cached_p99 = percentile(pooled[0], 99) / percentile(pooled[1], 99)
        for key, figure, met in (
            ("cached-p50", f"{cached_p50:.2f}", cached_p50 <= 1.0),
            ("cached-tput", f"{cached_tput:.2f}x", cached_tput >= 1.0),
            ("cached-p99", f"{cached_p99:.2f}x", cached_p99 <= 2.0),
        ):
            targets[key] = targets[key].measured(figure, met)
    if memory_kb:
        mb = memory_kb[0] / 1024
        if n == MEMORY_SIZE:
            targets["memory"] = targets["memory"].measured(f"{mb:.0f} MB", mb < 1024)
        else:
            targets["memory"] = targets["memory"].measured(
                f"not at N = {MEMORY_SIZE} (N = {n}: {mb:.0f} MB)", None
            )


def fairness_targets(
    targets: dict[str, Target], rows: list[fairness.Row], workers: int, deadline: float
) -> None:
    runaways = [row for row in rows if row.kind == "runaways"]
    by_key = dict(zip(("runaways-w", "runaways-2w", "runaways-one"), runaways, strict=True))
    by_key["values"] = next(row for row in rows if row.kind == "values")
    for key, row in by_key.items():
        p50 = row.p(50)
        met = p50 is not None and p50 < P50_LIMIT_MS and row.failed == 0
        figure = (
            f"p50 {'-' if p50 is None else f'{p50:.1f}'} ms, {row.answered} answered, {row.failed} failed"
        )
        targets[key] = targets[key].measured(figure, met)
    for kind in ("slow headers", "slow bodies"):
        row = next(row for row in rows if row.kind == kind)
        figure = f"{row.answered} polls answered, {row.failed} failed"
        targets[kind] = targets[kind].measured(figure, row.answered > 0 and row.failed == 0)


# ---------------------------------------------------------------------------- the dossier page


def measure_page(requests: int = 50) -> dict[str, float]:
    """bench/dossier_page.py in a process of its own (its app, engines and memory end with it)."""
    script = Path(dossier_page.__file__)
    done = subprocess.run(
        [sys.executable, str(script), str(requests), "--json"],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def page_target(targets: dict[str, Target], page: dict[str, float]) -> None:
    targets["page"] = targets["page"].measured(
        f"{page['median']:.1f} ms (p90 {page['p90']:.1f} ms)", page["median"] < PAGE_MS
    )


def page_lines(page: dict[str, float]) -> list[str]:
    return [
        "| figure | kdgraph | | | |",
        "|---|---:|---:|---:|---|",
        ratio_row("first request, cold (ms)", page["cold"], None, "{:.1f}"),
        ratio_row(f"warm, median of {page['requests']:.0f} (ms)", page["median"], None, "{:.1f}"),
        ratio_row("warm, p90 (ms)", page["p90"], None, "{:.1f}"),
        ratio_row("warm, median CPU time of the request (ms)", page["cpu"], None, "{:.1f}"),
        ratio_row("If-None-Match, 304 (ms)", page["not_modified"], None, "{:.1f}"),
    ]


# ---------------------------------------------------------------------------- the header


def header(args: argparse.Namespace, cache: Path | None) -> list[str]:
    def git(*argv: str) -> str:
        return subprocess.run(["git", "-C", str(ROOT), *argv], capture_output=True, text=True).stdout.strip()

    dirty = git("status", "--porcelain", "--untracked-files=no")
    oxigraph = shutil.which("oxigraph", path=str(BIN)) or "oxigraph"
    server = subprocess.run([oxigraph, "--version"], capture_output=True, text=True).stdout.strip()
    versions = [f"CPython {platform.python_version()}", server or "oxigraph server: not found"]
    for package in ("pyoxigraph", "granian", "gunicorn", "flask", "kdgraph"):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            versions.append(f"{package} {importlib.metadata.version(package)}")
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    one, five, fifteen = os.getloadavg()
    return [
        "# Benchmark run (bench/run.py)",
        "",
        f"- command: `{shlex.join(['python', os.path.relpath(sys.argv[0], ROOT), *sys.argv[1:]])}`",
        f"- started: {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC",
        f"- commit: {git('rev-parse', '--short', 'HEAD')}"
        + (" with uncommitted changes to tracked files" if dirty else " (clean tree)"),
        f"- machine: {platform.machine()}, {os.cpu_count()} cores, {memory:.1f} GiB, {platform.platform()}; "
        f"load average at the start {one:.2f} / {five:.2f} / {fifteen:.2f} (1 / 5 / 15 min); "
        "per step below",
        f"- versions: {', '.join(versions)}",
        f"- our server: `kdgraph serve --workers {args.workers}` (W = {args.workers}); reference: "
        "`oxigraph serve-read-only` on a dump of exactly the quads we serve",
        "- generated data: "
        + (
            f"kept between runs in `{cache}`, keyed by N, the generator's code, the bundled data and "
            "pyoxigraph's version (a changed key generates anew)"
            if cache
            else "generated in this run (no data cache)"
        ),
        f"- labels: *{CACHED}* / *{CACHE_FREE}*",
    ]


if __name__ == "__main__":
    main()
