"""Benchmark: our server against Oxigraph's own server, in the same run, on the same data.

For each size N (synthetic dossiers from bench/generate.py):
  * SHACL validation: ``kdgraph validate`` on the data, as a maintainer runs it before serving
    (the reference has no counterpart; it serves whatever it is given);
  * first start on new data: ``kdgraph serve --data`` (load, reuse the verdict of that validation,
    build the store, start workers) against ``oxigraph load`` + ``oxigraph serve-read-only``, and
    how long our background warm-up (dump files, saved-query answers) takes after that;
  * start-up to ready: both servers restarted on the data they prepared (our state directory,
    the reference's store directory), which is how a deployed server starts;
  * latency p50/p95/p99 per saved query at concurrency 1, interleaved (ours, reference, ours, ...),
    each query sent to /sparql with its example parameters bound, Accept JSON;
  * throughput at concurrency 8 over all saved queries;
  * peak memory (PSS) of each server's whole process tree while serving, and during the first start.
Prints a markdown table with the ratio ours/reference per figure.

    python bench/run.py 1 200 --rounds 100 --seconds 10
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pyoxigraph as ox
import requests

from generate import generate  # type: ignore[import-not-found]
from kdgraph.loading import load_graph
from kdgraph.resources import bundled_paths
from kdgraph.saved_queries import load_saved_queries

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A server process group, its start-up time and its peak memory (PSS, sampled from /proc)."""

    def __init__(self, name: str, commands: list[list[str]], url: str, env: dict[str, str] | None = None):
        self.name, self.url, self.peak_kb = name, url, 0
        start = time.perf_counter()
        for command in commands[:-1]:  # preparation steps (e.g. oxigraph load)
            subprocess.run(command, check=True, capture_output=True)
        self.process = subprocess.Popen(
            commands[-1],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            env=env,
        )
        self._stop = threading.Event()
        threading.Thread(target=self._sample, daemon=True).start()
        while True:
            try:
                if requests.get(f"{url}?query=ASK%7B%7D", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if self.process.poll() is not None or time.perf_counter() - start > 900:
                raise RuntimeError(f"{name} did not start")
            time.sleep(0.05)
        self.startup = time.perf_counter() - start
        self.startup_peak_kb, self.peak_kb = self.peak_kb, self._tree_kb()  # from here on: serving

    def wait_until_warm(self) -> float:
        """Seconds from ready until /health reports our warm-up done (see kdgraph.warmup)."""
        start = time.perf_counter()
        health = self.url.replace("/sparql", "/health")
        while not requests.get(health, timeout=30).json().get("warm"):
            time.sleep(0.1)
        return time.perf_counter() - start

    def _tree_kb(self) -> int:
        total = 0
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
                if int(fields[3]) != self.process.pid:  # process group id (session leader = pid)
                    continue
                # PSS: shared pages (forked workers, the page cache of a shared store) counted once
                with open(f"/proc/{entry}/smaps_rollup") as rollup:
                    total += next(int(line.split()[1]) for line in rollup if line.startswith("Pss:"))
            except (OSError, StopIteration, IndexError, ValueError):
                continue
        return total

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak_kb = max(self.peak_kb, self._tree_kb())
            time.sleep(0.05)

    def stop(self) -> None:
        self._stop.set()
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def ask(session: requests.Session, url: str, query: str) -> float:
    start = time.perf_counter()
    response = session.post(
        url, data={"query": query}, headers={"Accept": "application/sparql-results+json"}, timeout=60
    )
    elapsed = time.perf_counter() - start
    if response.status_code != 200:
        raise RuntimeError(f"{url}: {response.status_code} {response.text[:200]}")
    return elapsed


def throughput(url: str, queries: list[str], seconds: float, concurrency: int = 8) -> float:
    done = [0] * concurrency
    deadline = time.perf_counter() + seconds

    def worker(index: int) -> None:
        rng = random.Random(index)
        with requests.Session() as session:
            while time.perf_counter() < deadline:
                ask(session, url, rng.choice(queries))
                done[index] += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(done) / seconds


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


def our_server(tmp: Path, workers: int, env: dict[str, str]) -> Server:
    port = free_port()
    command = [
        str(BIN / "kdgraph"),
        "serve",
        "--data",
        str(tmp / "data.nt"),
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--state-dir",
        str(tmp / "state"),
        "--query-timeout",
        "60",
    ]
    return Server("kdgraph", [command], f"http://127.0.0.1:{port}/sparql", env)


def reference_server(tmp: Path, load: bool) -> Server:
    oxigraph, port = shutil.which("oxigraph") or str(BIN / "oxigraph"), free_port()
    files = [str(tmp / "ontology.nt"), str(tmp / "data.nt")]
    serve = [oxigraph, "serve-read-only", "--location", str(tmp / "ox"), "--bind", f"127.0.0.1:{port}"]
    commands = [[oxigraph, "load", "--location", str(tmp / "ox"), "--file", *files]] if load else []
    return Server(
        "oxigraph", [*commands, [*serve, "--union-default-graph"]], f"http://127.0.0.1:{port}/query"
    )


def measure(n: int, tmp: Path, queries: dict[str, str], ontology: list, args: argparse.Namespace) -> None:
    data = tmp / "data.nt"
    ox.serialize(generate(n), output=str(data), format=ox.RdfFormat.N_TRIPLES)
    ox.serialize(ontology, output=str(tmp / "ontology.nt"), format=ox.RdfFormat.N_TRIPLES)
    env = dict(os.environ, KDGRAPH_CACHE_DIR=str(tmp / "cache"))

    start = time.perf_counter()
    subprocess.run([str(BIN / "kdgraph"), "validate", str(data)], env=env, check=True, capture_output=True)
    validation = time.perf_counter() - start

    first = our_server(tmp, args.workers, env)
    warm_up = first.wait_until_warm()  # dumps and saved-query answers, written after ready
    first.stop()
    reference_first = reference_server(tmp, load=True)
    reference_first.stop()
    ours = our_server(tmp, args.workers, env)  # restart on the prepared state directory
    reference = reference_server(tmp, load=False)
    try:
        latencies: dict[str, dict[str, list[float]]] = {q: {"ours": [], "ref": []} for q in queries}
        with requests.Session() as s_ours, requests.Session() as s_ref:
            for _ in range(args.rounds):
                for name, text in queries.items():
                    latencies[name]["ours"].append(ask(s_ours, ours.url, text))
                    latencies[name]["ref"].append(ask(s_ref, reference.url, text))
        tput_ours = throughput(ours.url, list(queries.values()), args.seconds)
        tput_ref = throughput(reference.url, list(queries.values()), args.seconds)
    finally:
        ours.stop()
        reference.stop()
    triples = len(data.read_bytes().splitlines()) + len(ontology)
    print(f"### N = {n} dossiers ({triples} triples)\n")
    print("| figure | kdgraph | oxigraph server | ratio ours/ref |")
    print("|---|---:|---:|---:|")
    ratios = []
    for name in queries:
        o, r = latencies[name]["ours"], latencies[name]["ref"]
        for p in (50, 95, 99):
            mine, theirs = percentile(o, p) * 1000, percentile(r, p) * 1000
            if p == 50:
                ratios.append(mine / theirs)
            print(f"| {name} p{p} (ms) | {mine:.2f} | {theirs:.2f} | {mine / theirs:.2f} |")
    slowest = max(percentile(latencies[name]["ours"], 50) for name in queries) * 1000
    rows = [
        ("p50 geometric mean over the saved queries", "", "", f"{statistics.geometric_mean(ratios):.2f}"),
        ("slowest saved query, p50 (ms)", f"{slowest:.2f}", "", ""),
        (
            "throughput at concurrency 8 (req/s)",
            f"{tput_ours:.0f}",
            f"{tput_ref:.0f}",
            f"{tput_ours / tput_ref:.2f}",
        ),
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
