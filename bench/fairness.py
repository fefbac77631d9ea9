"""Fairness under abuse: do small queries from one client still get answers while others abuse?

Against our server (started here on N generated dossiers, with W workers and the query deadline
given), a separate client sends small queries, each a new text (outgoing links of a resource,
as in bench/adhoc.py), one after the other, while:

  * nothing else runs (the baseline);
  * W runaway queries run, each from its own connection, each sent again as soon as it is
    answered (503 at the deadline); then 2W of them;
  * four ~1 MB ``VALUES`` queries (just under the request limit) are sent at once;
  * 50 slow-loris connections send a header line every 2 s (here ``/health`` is polled).

Reports, per scenario, the small queries' p50/p95/max latency and how many failed (anything but
200, or no answer within the client timeout), and what the abusers got. Loopback only, every
scenario bounded in time; the abusers stop when their scenario ends.

    python bench/fairness.py --workers 4 --seconds 15
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from adhoc import Constants, Texts  # type: ignore[import-not-found]
from harness import Client, make_dataset, our_server, percentile, slow_loris  # type: ignore[import-not-found]

RUNAWAY = "# runaway {n}\nSELECT (COUNT(*) AS ?n) WHERE {{ ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }}"


@dataclass
class Outcome:
    latencies: list[float] = field(default_factory=list)
    failures: int = 0
    abusers: Counter = field(default_factory=Counter)  # status (or error) -> count
    abuse_seconds: list[float] = field(default_factory=list)


def small_queries(url: str, texts: Texts, seconds: float, timeout: float, outcome: Outcome) -> None:
    """One client, one small new query after the other, for ``seconds``."""
    client = Client(url, timeout=timeout)
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        start = time.perf_counter()
        try:
            status, _ = client.post(texts.make("outgoing links"))
        except OSError:
            status = 0
            client.close()
        if status == 200:
            outcome.latencies.append(time.perf_counter() - start)
        else:
            outcome.failures += 1
        time.sleep(0.02)


def abuse(
    url: str,
    count: int,
    make: object,
    content_type: str,
    stop: threading.Event,
    timeout: float,
    outcome: Outcome,
    repeat: bool,
) -> list[threading.Thread]:
    """``count`` abusers, each on its own connection, sending ``make(n)`` (again while ``repeat``)."""

    def run(index: int) -> None:
        client = Client(url, timeout=timeout)
        sent = 0
        while not stop.is_set() and sent < 1000:
            sent += 1
            start = time.perf_counter()
            body = make(index * 1000 + sent)  # type: ignore[operator]
            try:
                status, _ = client.request("POST", client.path, body, {"Content-Type": content_type})
                outcome.abusers[str(status)] += 1
            except OSError as error:
                outcome.abusers[type(error).__name__] += 1
                client.close()
            outcome.abuse_seconds.append(time.perf_counter() - start)
            if not repeat:
                break
        client.close()

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    return threads


def values_query(n: int, size: int = 990_000) -> str:
    """A VALUES query of about ``size`` bytes (under the default 1,000,000-byte request limit)."""
    head, tail = f"# values {n}\nSELECT ?x WHERE {{ VALUES ?x {{\n", "} } LIMIT 1"
    terms, used = [], len(head) + len(tail)
    while used < size - 40:
        term = f"<urn:x:{n}:{len(terms):07d}>\n"
        terms.append(term)
        used += len(term)
    return head + "".join(terms) + tail


def scenario(url: str, texts: Texts, args: argparse.Namespace, abusers: int = 0, values: int = 0) -> Outcome:
    outcome, stop, threads = Outcome(), threading.Event(), []
    timeout = args.timeout * 4 + 30
    if abusers:
        threads = abuse(
            url,
            abusers,
            lambda n: RUNAWAY.format(n=n),
            "application/sparql-query",
            stop,
            timeout,
            outcome,
            repeat=True,
        )
    if values:
        threads = abuse(
            url, values, values_query, "application/sparql-query", stop, 120, outcome, repeat=False
        )
    time.sleep(0.5)  # the abusers are in
    small_queries(url, texts, args.seconds, timeout, outcome)
    stop.set()
    for thread in threads:
        thread.join(timeout + 5)
    return outcome


def report(name: str, outcome: Outcome) -> None:
    ok = outcome.latencies or [float("nan")]
    abusers = ", ".join(f"{k}: {v}" for k, v in sorted(outcome.abusers.items())) or ""
    slowest = f"{max(outcome.abuse_seconds):.1f}" if outcome.abuse_seconds else ""
    print(
        f"| {name} | {len(outcome.latencies)} | {outcome.failures} | {percentile(ok, 50) * 1000:.1f} | "
        f"{percentile(ok, 95) * 1000:.1f} | {max(ok) * 1000:.1f} | {abusers} | {slowest} |",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dossiers", type=int, default=1)
    parser.add_argument("--workers", type=int, default=4, help="workers of our server (W)")
    parser.add_argument("--timeout", type=float, default=5, help="the server's query deadline (s)")
    parser.add_argument("--seconds", type=float, default=15, help="small queries per scenario, for this long")
    parser.add_argument("--loris", type=int, default=50, help="slow-loris connections")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        dataset = make_dataset(args.dossiers, Path(tmp))
        texts = Texts(Constants.of(dataset.statements), seed=3)
        env = dict(os.environ, KDGRAPH_CACHE_DIR=str(Path(tmp) / "cache"))
        server = our_server(Path(tmp), dataset.data, args.workers, env, query_timeout=args.timeout)
        try:
            server.wait_until_warm()
            w = args.workers
            print(
                f"kdgraph serve, {w} workers, query deadline {args.timeout:g} s, {args.dossiers} dossier(s); "
                f"small queries for {args.seconds:g} s per scenario\n"
            )
            print(
                "| scenario | small queries answered | failed | p50 ms | p95 ms | max ms "
                "| abusers got | slowest abuser (s) |"
            )
            print("|---|---:|---:|---:|---:|---:|---|---:|")
            report("baseline: small queries alone", scenario(server.url, texts, args))
            report(f"{w} runaway queries (= workers)", scenario(server.url, texts, args, abusers=w))
            report(f"{2 * w} runaway queries (2x workers)", scenario(server.url, texts, args, abusers=2 * w))
            report("four ~1 MB VALUES queries", scenario(server.url, texts, args, values=4))
            root = server.url.rsplit("/", 1)[0]
            loris = slow_loris(root, "/health", args.loris, args.seconds)
            ok = loris.latencies or [float("nan")]
            print(
                f"| {args.loris} slow-loris connections, /health polled every 0.2 s | {len(loris.latencies)} "
                f"| {loris.failures} | {percentile(ok, 50) * 1000:.1f} | {percentile(ok, 95) * 1000:.1f} "
                f"| {max(ok) * 1000:.1f} | {loris.held_open} still open at the end | |"
            )
        finally:
            server.stop()


if __name__ == "__main__":
    main()
