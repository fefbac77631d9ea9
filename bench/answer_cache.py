"""Does the answer cache earn its place? The same server with and without it, in the same rounds.

One real ``kdgraph serve --workers 2`` per variant, all on the same data, started side by side;
every request goes to each of them in turn (the order rotated every round), so a busy machine
slows them alike. Two workloads:

* **cache-free** first (bench/adhoc.py's researcher queries, every text new): p50 per kind at
  concurrency 1, throughput at concurrency 8. Here a cache can only cost: it must not slow these.
* **repeated saved queries** (the bundled catalogue's example texts): the first pass (every
  query once: nothing cached yet), then p50 per query at concurrency 1 over ``--rounds`` more
  passes, then throughput at concurrency 8 on a random mix of them.

Each workload comes from its own loopback address, the cache-free one before any long query:
the engine pools run the queries of an address whose queries ran long at low priority.

A variant is the server with module attributes replaced before it starts (its workers are forked
from it, so they inherit them): ``none`` keeps no answer (``--cache-bytes 0``), ``memory``
is the server as shipped (a bounded memory LRU per worker). Until commit 5c2066f the server also
kept answer files on disk, shared by the workers; this script's version of that commit measured
them as a third variant, ``memory+disk`` (docs/performance.md, "The answer cache").

    python bench/answer_cache.py 200 --rounds 20 --seconds 10
"""

from __future__ import annotations

import argparse
import math
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

from adhoc import Texts  # type: ignore[import-not-found]
from harness import (  # type: ignore[import-not-found]
    Client,
    Server,
    client_address,
    data_cache_dir,
    free_port,
    load,
    make_dataset,
    percentile,
    timed,
)
from kdgraph.catalogue.saved_queries import load_saved_queries
from kdgraph.resources import bundled_paths

# what each variant adds to `kdgraph serve`
VARIANTS = {"none": ["--cache-bytes", "0"], "memory": []}
LAUNCH = "import sys\nfrom kdgraph.cli import main; sys.argv[0] = 'kdgraph'; main()"


def start(variant: str, data: Path, tmp: Path) -> Server:
    port = free_port()
    command = [sys.executable, "-c", LAUNCH, "serve", "--data", str(data), "--port", str(port)]
    command += VARIANTS[variant]
    command += ["--workers", "2", "--state-dir", str(tmp / f"state-{variant}"), "--query-timeout", "60"]
    url = f"http://127.0.0.1:{port}"
    env = dict(os.environ, KDGRAPH_CACHE_DIR=str(data_cache_dir() / "verdicts"))  # kept by the bytes read
    return Server(variant, [command], f"{url}/sparql", env, f"{url}/health", tmp / f"{variant}.log")


def geomean(values: list[float]) -> float:
    return math.exp(sum(math.log(v) for v in values) / len(values))


def rounds(servers: list[Server], texts: list[list[str]], source: str) -> list[list[list[float]]]:
    """Each round's texts to every server in turn, the order rotated per round: per server, per
    text position, the seconds of each round. ``source``: the client's own loopback address (a
    server that evaluated long queries from an address runs its next ones at low priority)."""
    clients = [Client(s.url, timeout=120, source=source) for s in servers]
    out: list[list[list[float]]] = [[[] for _ in texts[0]] for _ in servers]
    for number, round_ in enumerate(texts):
        order = [*range(number % len(servers), len(servers)), *range(number % len(servers))]
        for position, text in enumerate(round_):
            for index in order:
                elapsed, status, body = timed(clients[index], text)
                if status != 200:
                    raise RuntimeError(f"{servers[index].name}: {status} {body[:300]!r} for\n{text}")
                out[index][position].append(elapsed)
    return out


def loads(servers: list[Server], texts: list[str], seconds: float) -> list[tuple[float, int]]:
    """Per server: answers with status 200 per second at concurrency 8, and the other answers.
    Each server gets two runs of half the time, in the order a b c, then c b a, so that a
    machine that gets busier or quieter meanwhile favours none of them. The two runs send
    different halves of ``texts``: a text sent once is not sent again."""
    done = [[0, 0, 0.0] for _ in servers]
    halves = texts[: len(texts) // 2], texts[len(texts) // 2 :]
    forward = list(range(len(servers)))
    for half, order in zip(halves, (forward, forward[::-1]), strict=True):
        for index in order:
            run = load(servers[index].url, half, seconds / 2)
            done[index][0] += run.requests - run.errors
            done[index][1] += run.errors
            done[index][2] += run.seconds
    return [(ok / elapsed, errors) for ok, errors, elapsed in done]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("size", type=int, help="dossiers (bench/generate.py)")
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument(
        "--slow", type=float, default=1.0, help="saved queries slower (s, first pass) stay out of the mix"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        tmp = Path(directory)
        dataset = make_dataset(args.size, tmp, data_cache_dir())
        servers = [start(variant, dataset.data, tmp) for variant in args.variants]
        try:
            report(servers, dataset, args)
        finally:
            for server in servers:
                server.stop()


def report(servers: list[Server], dataset, args: argparse.Namespace) -> None:  # type: ignore[no-untyped-def]
    texts = Texts(dataset.constants, seed=1)
    new = rounds(servers, [list(texts.mixed(6)) for _ in range(args.rounds)], client_address(1))
    unique = texts.mixed(int(args.seconds * 20_000))
    fresh = loads(servers, unique, args.seconds)  # before any long query
    saved = [q.example_text() for q in load_saved_queries(bundled_paths().queries).values()]
    first = rounds(servers, [saved], client_address(2))
    again = rounds(servers, [saved] * args.rounds, client_address(2))
    slowest = [max(first[i][p][0] for i in range(len(servers))) for p in range(len(saved))]
    mix = [text for text, seconds in zip(saved, slowest, strict=True) if seconds <= args.slow]
    rng = random.Random(0)
    repeated = [rng.choice(mix) for _ in range(int(args.seconds * 20_000))]
    cached = loads(servers, repeated, args.seconds)
    print(
        f"N = {args.size} ({dataset.statements} data statements), 2 workers per server, "
        f"{args.rounds} rounds\n"
    )
    print(
        "| variant | saved: first pass (s) | saved: p50 geomean (ms) | saved: req/s at c=8 (not 200) "
        "| cache-free: p50 geomean (ms) | cache-free: req/s at c=8 (not 200) |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for index, server in enumerate(servers):
        p50_saved = geomean([percentile(xs, 50) * 1000 for xs in again[index]])
        p50_new = geomean([percentile(xs, 50) * 1000 for xs in new[index]])
        print(
            f"| {server.name} | {sum(x[0] for x in first[index]):.2f} | {p50_saved:.2f} "
            f"| {cached[index][0]:.0f} ({cached[index][1]}) | {p50_new:.2f} "
            f"| {fresh[index][0]:.0f} ({fresh[index][1]}) |",
            flush=True,
        )
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout
    print(f"\n({len(saved)} saved queries, {len(mix)} in the c=8 mix; commit {commit.strip()})")


if __name__ == "__main__":
    main()
