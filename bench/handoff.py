"""What the hand-off to an engine process costs, against evaluating in the request's own thread.

The evaluation design of issue 21 is chosen by this measurement (docs/performance.md). On one
store (N generated dossiers, bench/generate.py) and with the cache-free texts of bench/adhoc.py
(every text new), each text is answered, one after the other and in turn, by:

  * **in-thread**: ``evaluate`` + ``serialize`` (kdgraph.query.engine) in this thread, as the
    in-process floor does;
  * **engine**: one ``SupervisedEngine`` (the child process, the pipe, JSON request, the
    answer serialised in the child and copied back), no pool;
  * **pool**: an ``EnginePool`` as a server worker has it (fairness bookkeeping, the CPU look
    of ``LONG_CPU``, the liveness check), with a client address;
  * **echo**: a child that answers every request at once with a stored answer of the same
    size: the transport alone (pipe, two wake-ups, copies), without any evaluation.

Then the parts of the hand-off one by one (microseconds: encoding and decoding the request,
the CPU look at the child, the liveness check), and throughput with ``--threads`` threads
sending unique texts (in-thread: the GIL is released while pyoxigraph evaluates; pool: as a
worker does), with the CPU time of this process and its engine processes per request.

    python bench/handoff.py 1 --texts 600
    python bench/handoff.py 200 --texts 300

The machine this is built on is shared by several sessions: read medians, and compare modes
only within one run (they are interleaved so that they share the noise).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox

from adhoc import KINDS, Texts  # type: ignore[import-not-found]
from harness import accept_for, data_cache_dir, make_dataset  # type: ignore[import-not-found]
from kdgraph.child_processes import reset_signals
from kdgraph.config import ServerConfig
from kdgraph.query import media
from kdgraph.query.engine import Answer, Budget, Query, evaluate, serialize
from kdgraph.query.supervised import (
    EnginePool,
    SupervisedEngine,
    decode_request,
    encode_request,
)
from kdgraph.serving.worker import ENGINE_WAIT

MAX_BYTES = ServerConfig(state_dir=Path()).max_result_bytes
CLIENT = "127.0.0.1"


def wanted(text: str) -> media.Wanted:
    return media.wanted_for_query(accept_for(text), {})


class InThread:
    name = "in-thread"

    def __init__(self, store_path: str):
        self.store = ox.Store.read_only(store_path)

    def answer(self, query: Query, want: media.Wanted) -> Answer:
        fmt, body = serialize(evaluate(self.store, query), want, MAX_BYTES)
        return Answer(body, fmt)

    def close(self) -> None:
        pass


class OneEngine:
    name = "engine"

    def __init__(self, store_path: str):
        self.engine = SupervisedEngine(store_path, 30, MAX_BYTES)

    def answer(self, query: Query, want: media.Wanted) -> Answer:
        return self.engine.answer(query, want)

    def pids(self) -> list[int]:
        return [self.engine._process.pid]

    def close(self) -> None:
        self.engine.close()


class Pool:
    name = "pool"

    def __init__(self, store_path: str):
        sizes = ServerConfig(state_dir=Path())
        self.pool = EnginePool(
            lambda: SupervisedEngine(store_path, 30, MAX_BYTES),
            sizes.engines_per_worker,
            wait=ENGINE_WAIT,
            most=sizes.engines_most,
            per_client=sizes.evaluations_per_client,
        )
        until = time.monotonic() + 60
        while len(self.pool._free) < self.pool.size and time.monotonic() < until:
            time.sleep(0.01)  # started by the pool's own thread

    def answer(self, query: Query, want: media.Wanted) -> Answer:
        return self.pool.answer(query, want, Budget.within(30, CLIENT))

    def pids(self) -> list[int]:
        engines = [*self.pool._free, *self.pool._busy]
        return [engine._process.pid for engine in engines]

    def close(self) -> None:
        self.pool.close()


def _echo_main(connection, size: int) -> None:  # type: ignore[no-untyped-def]
    reset_signals()
    answer = b"json\n" + b"x" * size
    while True:
        try:
            connection.recv_bytes()
        except EOFError:
            return
        connection.send_bytes(answer)


class Echo:
    """The transport alone: request out, an answer of ``size`` bytes back, no evaluation."""

    name = "echo"

    def __init__(self, size: int):
        context = multiprocessing.get_context("fork")
        self.connection, child = context.Pipe()
        self.process = context.Process(target=_echo_main, args=(child, size), daemon=True)
        self.process.start()
        child.close()

    def answer(self, query: Query, want: media.Wanted) -> bytes:
        self.connection.send_bytes(encode_request(query, want, MAX_BYTES))
        return self.connection.recv_bytes()

    def close(self) -> None:
        self.process.kill()
        self.process.join(5)


def micro(repeat: int, work: Callable[[], object]) -> float:
    """Median microseconds of ``work`` over ``repeat`` calls."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append((time.perf_counter() - start) * 1e6)
    return statistics.median(times)


def cpu_seconds(pids: list[int]) -> float:
    """CPU seconds of this process and of the given children so far."""
    total = time.process_time()
    tick = os.sysconf("SC_CLK_TCK")
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except (OSError, IndexError, ValueError):
            continue
    return total


def throughput(mode, texts: list[str], threads: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """Requests per second and CPU ms per request with ``threads`` threads sending ``texts``."""
    shares = [texts[i::threads] for i in range(threads)]

    def send(share: list[str]) -> None:
        for text in share:
            mode.answer(Query(text), wanted(text))

    pids = mode.pids() if hasattr(mode, "pids") else []
    before, start = cpu_seconds(pids), time.perf_counter()
    workers = [threading.Thread(target=send, args=(share,)) for share in shares]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - start
    pids = mode.pids() if hasattr(mode, "pids") else []
    return len(texts) / elapsed, (cpu_seconds(pids) - before) * 1000 / len(texts)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("n", type=int, nargs="?", default=1, help="dossiers (generated data)")
    parser.add_argument("--texts", type=int, default=600, help="unique texts per mode, one at a time")
    parser.add_argument("--threads", type=int, default=8, help="threads of the throughput run")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kdgraph-handoff-") as tmp:
        dataset = make_dataset(args.n, Path(tmp), data_cache_dir())
        run(build_store(dataset.data, Path(tmp) / "store"), dataset, args)


def build_store(data: Path, path: Path) -> str:
    """An on-disk store of ``data`` with the merged statements in the default graph (as our
    stores have them), built directly: this measures evaluation, not our preparation."""
    store = ox.Store(str(path))
    store.bulk_load(
        path=str(data), format=ox.RdfFormat.N_QUADS if data.suffix == ".nq" else ox.RdfFormat.N_TRIPLES
    )
    merged = (ox.Quad(q.subject, q.predicate, q.object) for q in ox.parse(path=str(data)))
    store.bulk_extend(merged)
    store.flush()
    del store
    return str(path)


def child_cpu_ns(pids: list[int]) -> int:
    """Nanoseconds on CPU of the given processes so far (the scheduler's own count)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/schedstat") as stat:
                total += int(stat.read().split()[0])
        except (OSError, IndexError, ValueError):
            continue
    return total


def run(store_path: str, dataset, args: argparse.Namespace) -> None:  # type: ignore[no-untyped-def]
    texts = Texts(dataset.constants, seed=3)
    here, one, pool = InThread(store_path), OneEngine(store_path), Pool(store_path)
    modes = [here, one, pool]
    names = [m.name for m in modes]
    wall: dict[str, dict[str, list[float]]] = {k: {n: [] for n in names} for k in KINDS}
    cpu: dict[str, dict[str, list[float]]] = {k: {n: [] for n in names} for k in KINDS}
    sizes: dict[str, list[int]] = {k: [] for k in KINDS}
    try:
        for round_ in range(args.texts // len(KINDS) + 20):  # the first 20 rounds warm up
            for kind, make in texts.kinds().items():
                text = make()
                order = modes[round_ % 3 :] + modes[: round_ % 3]
                for mode in order:
                    pids = mode.pids() if hasattr(mode, "pids") else []
                    cpu_before, child_before = time.process_time_ns(), child_cpu_ns(pids)
                    start = time.perf_counter()
                    answer = mode.answer(Query(text), wanted(text))
                    elapsed = time.perf_counter() - start
                    spent = time.process_time_ns() - cpu_before + child_cpu_ns(pids) - child_before
                    if round_ >= 20:
                        wall[kind][mode.name].append(elapsed * 1e6)
                        cpu[kind][mode.name].append(spent / 1e3)
                sizes[kind].append(len(answer.body))
        echo = {}
        for kind, make in texts.kinds().items():
            size = int(statistics.median(sizes[kind]))
            transport = Echo(size)
            text = make()
            echo[kind] = micro(
                200, lambda text=text, transport=transport: transport.answer(Query(text), wanted(text))
            )
            transport.close()

        count = len(wall[next(iter(KINDS))]["in-thread"])
        print(f"N = {args.n}: {count} unique texts per kind and mode, interleaved")
        print("median microseconds per query, one at a time: wall time / CPU time (this process and")
        print("the engine process together); echo: the transport alone (wall)")
        print(f"{'kind':34} {'bytes':>7} " + " ".join(f"{n:>13}" for n in names) + f" {'echo':>6}")
        figures: dict = {"n": args.n, "kinds": {}}
        for kind in KINDS:
            med = {n: statistics.median(wall[kind][n]) for n in names}
            med_cpu = {n: statistics.median(cpu[kind][n]) for n in names}
            size = int(statistics.median(sizes[kind]))
            print(
                f"{kind:34} {size:7d} "
                + " ".join(f"{med[n]:6.0f} /{med_cpu[n]:6.0f}" for n in names)
                + f" {echo[kind]:6.0f}"
            )
            figures["kinds"][kind] = {"wall": med, "cpu": med_cpu, "echo": echo[kind], "bytes": size}
        geo = {
            what: {n: statistics.geometric_mean([figures["kinds"][k][what][n] for k in KINDS]) for n in names}
            for what in ("wall", "cpu")
        }
        print(
            "geometric mean: " + ", ".join(f"{n} {geo['wall'][n]:.0f} / {geo['cpu'][n]:.0f}" for n in names)
        )
        figures["geomean"] = geo

        sample = Query(texts.make("outgoing links"))
        want = wanted(sample.text)
        message = encode_request(sample, want, MAX_BYTES)
        engine = one.engine
        parts = {
            "encode_request": micro(2000, lambda: encode_request(sample, want, MAX_BYTES)),
            "decode_request (in the child)": micro(2000, lambda: decode_request(message)),
            "CPU look at the child (/proc schedstat)": micro(2000, engine._cpu_seconds),
            "liveness check (waitpid WNOHANG)": micro(2000, engine.alive),
        }
        print("parts of the hand-off, median microseconds:")
        for name, value in parts.items():
            print(f"  {name:42} {value:7.1f}")
        figures["parts"] = parts

        mixed = texts.mixed(args.texts * 2)
        rates = {}
        for mode in (here, pool):
            throughput(mode, texts.mixed(60), args.threads)  # warm (the pool may grow)
            rates[mode.name] = throughput(
                mode, mixed[: args.texts] if mode is here else mixed[args.texts :], args.threads
            )
        print(f"throughput with {args.threads} threads, unique texts (req/s, CPU ms per request):")
        for name, (rate, cpu) in rates.items():
            print(f"  {name:10} {rate:7.0f} {cpu:7.2f}")
        figures["throughput"] = rates
        if args.json:
            args.json.write_text(json.dumps(figures, indent=1))
    finally:
        for mode in modes:
            mode.close()


if __name__ == "__main__":
    main()
