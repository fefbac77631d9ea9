"""Fairness under abuse: do small queries from one client still get answers while others abuse?

Against our server (started here on N generated dossiers, with W workers and the query deadline
given), one client sends small queries, each a new text (outgoing links of a resource, as in
bench/adhoc.py), one after the other, while:

  * nothing else runs (the baseline);
  * W runaway queries run, each from its own client, each sent again as soon as it is answered
    (503 at the deadline); then 2W of them; then 2W from one single client (a server that
    limits concurrent evaluations per client answers some of those at once, 503/429 with
    Retry-After);
  * four ~1 MB ``VALUES`` queries (just under the request limit) are sent at once;
  * 50 slow-loris connections send a header line every 2 s, then 50 slow-body connections send
    complete headers (with Content-Length) and then one body byte every 2 s, then as many
    slow-body connections as all workers have threads, and 50 more (in these, the small-query
    client polls ``/health`` instead).

With ``--issue22``, the targets of issue 22 instead: a small query every 50 ms while 32 clients
each run a runaway query without pause (sent again as soon as it is answered), the same while
10,000 idle sockets (from one more address) are held open, and a ``kill -9`` of the server's main
process: how many of its processes are left after 2 s, and whether a restart on the same port
and state directory answers /health.

Every client is a different client as the server sees it: each binds its socket to its own
loopback source address (127.0.0.2 for the small queries, 127.0.0.3, ... for the abusers;
``harness.client_address``). Reports, per scenario, the small queries' p50/p95/max latency and
how many failed (anything but 200, or no answer within the client timeout), and what the
abusers got (status, and whether a Retry-After came with it). An abuser that is refused waits
0.1 s before it sends again (so that 2W refused clients do not spin the two cores), but ignores
Retry-After. Loopback only, every scenario bounded in time; the abusers stop when it ends.

    python bench/fairness.py --workers 2 --seconds 15
    python bench/fairness.py --workers 2 --seconds 15 --issue22
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from adhoc import Texts  # type: ignore[import-not-found]
from harness import (  # type: ignore[import-not-found]
    Client,
    Constants,
    Dataset,
    Poll,
    client_address,
    data_cache_dir,
    make_dataset,
    our_server,
    percentile,
    slow_loris,
)
from kdgraph.config import THREADS

RUNAWAY = "# runaway {n}\nSELECT (COUNT(*) AS ?n) WHERE {{ ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }}"
SMALL = 0  # client_address index of the small-query client; the abusers are 1, 2, ...
SPARQL_QUERY = "application/sparql-query"


@dataclass
class Outcome:
    latencies: list[float] = field(default_factory=list)
    failures: int = 0
    abusers: Counter = field(default_factory=Counter)  # status (+ Retry-After) or error -> count
    abuse_seconds: list[float] = field(default_factory=list)


@dataclass
class Row:
    """One scenario's result: the small queries (or /health polls) and what the abusers got."""

    scenario: str
    kind: str  # baseline, runaways, values, slow headers, slow bodies
    answered: int
    failed: int
    latencies_ms: list[float]
    abusers: str
    slowest_abuser_s: float | None = None

    def p(self, q: float) -> float | None:
        return percentile(self.latencies_ms, q) if self.latencies_ms else None

    def line(self) -> str:
        def ms(value: float | None) -> str:
            return "-" if value is None else f"{value:.1f}"

        top = max(self.latencies_ms) if self.latencies_ms else None
        slowest = "" if self.slowest_abuser_s is None else f"{self.slowest_abuser_s:.1f}"
        return (
            f"| {self.scenario} | {self.answered} | {self.failed} | {ms(self.p(50))} | {ms(self.p(95))} "
            f"| {ms(top)} | {self.abusers} | {slowest} |"
        )


HEADER = [
    "| scenario | small queries answered | failed | p50 ms | p95 ms | max ms | abusers got "
    "| slowest abuser (s) |",
    "|---|---:|---:|---:|---:|---:|---|---:|",
]


def small_queries(
    url: str, texts: Texts, seconds: float, timeout: float, outcome: Outcome, pause: float = 0.02
) -> None:
    """One client, one small new query after the other (``pause`` between), for ``seconds``."""
    client = Client(url, timeout=timeout, source=client_address(SMALL))
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
        time.sleep(pause)


def abuse(
    url: str,
    count: int,
    make: Callable[[int], str],
    stop: threading.Event,
    timeout: float,
    outcome: Outcome,
    repeat: bool,
    one_client: bool = False,
) -> list[threading.Thread]:
    """``count`` abusers, each on its own connection from its own client address (all from one
    with ``one_client``), sending ``make(n)`` (again while ``repeat``)."""

    def run(index: int) -> None:
        client = Client(url, timeout=timeout, source=client_address(1 if one_client else 1 + index))
        sent = 0
        while not stop.is_set() and sent < 10_000:
            sent += 1
            start = time.perf_counter()
            try:
                reply = client.exchange(
                    "POST", client.path, make(index * 10_000 + sent), {"Content-Type": SPARQL_QUERY}
                )
                retry = " + Retry-After" if reply.headers.get("Retry-After") else ""
                outcome.abusers[f"{reply.status}{retry}"] += 1
                refused = reply.status != 200
            except OSError as error:
                outcome.abusers[type(error).__name__] += 1
                client.close()
                refused = True
            outcome.abuse_seconds.append(time.perf_counter() - start)
            if not repeat:
                break
            if refused and time.perf_counter() - start < 1:
                stop.wait(0.1)
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


def _counts(counter: Counter) -> str:
    return ", ".join(f"{k}: {v}" for k, v in sorted(counter.items()))


def _attack(
    url: str,
    texts: Texts,
    deadline: float,
    seconds: float,
    name: str,
    kind: str,
    start_abusers: Callable[[threading.Event, float, Outcome], list[threading.Thread]] | None = None,
    pause: float = 0.02,
) -> Row:
    """Small queries for ``seconds`` while the abusers that ``start_abusers`` starts run."""
    outcome, stop = Outcome(), threading.Event()
    timeout = deadline * 4 + 30
    threads = start_abusers(stop, timeout, outcome) if start_abusers else []
    if threads:
        time.sleep(0.5)  # the abusers are in
    small_queries(url, texts, seconds, timeout, outcome, pause)
    stop.set()
    for thread in threads:
        thread.join(timeout + 5)
    slowest = max(outcome.abuse_seconds) if outcome.abuse_seconds else None
    latencies = [x * 1000 for x in outcome.latencies]
    return Row(name, kind, len(latencies), outcome.failures, latencies, _counts(outcome.abusers), slowest)


def _slow(url: str, connections: int, seconds: float, body: bool) -> Row:
    parts = urllib.parse.urlsplit(url)
    root, path = f"{parts.scheme}://{parts.netloc}", parts.path
    result: Poll = slow_loris(
        root, "/health", connections, seconds, body=path if body else None, first_client=SMALL
    )
    what = "slow-body connections (one body byte every 2 s)" if body else "slow-loris connections"
    name = f"{connections} {what}, /health polled every 0.2 s"
    latencies = [x * 1000 for x in result.latencies]
    return Row(
        name,
        "slow bodies" if body else "slow headers",
        len(latencies),
        result.failures,
        latencies,
        _counts(result.slow_got) + " (at the end)",
    )


def scenarios(
    url: str,
    constants: Constants,
    workers: int,
    deadline: float,
    seconds: float,
    loris: int = 50,
    show: Callable[[str], None] = print,
) -> list[Row]:
    """Every scenario against the server at ``url`` (its /sparql); each row also goes to ``show``
    as soon as it is measured."""
    texts, w, rows = Texts(constants, seed=3), workers, []

    def runaways(count: int, one_client: bool = False):  # type: ignore[no-untyped-def]
        return lambda stop, timeout, outcome: abuse(
            url, count, lambda n: RUNAWAY.format(n=n), stop, timeout, outcome, True, one_client
        )

    def values(stop: threading.Event, timeout: float, outcome: Outcome) -> list[threading.Thread]:
        return abuse(url, 4, values_query, stop, 120, outcome, repeat=False)

    plan: list[Callable[[], Row]] = [
        lambda: _attack(url, texts, deadline, seconds, "baseline: small queries alone", "baseline"),
        lambda: _attack(
            url,
            texts,
            deadline,
            seconds,
            f"{w} runaway queries (= workers), {w} clients",
            "runaways",
            runaways(w),
        ),
        lambda: _attack(
            url,
            texts,
            deadline,
            seconds,
            f"{2 * w} runaway queries (2x workers), {2 * w} clients",
            "runaways",
            runaways(2 * w),
        ),
        lambda: _attack(
            url,
            texts,
            deadline,
            seconds,
            f"{2 * w} runaway queries (2x workers), all from one client",
            "runaways",
            runaways(2 * w, one_client=True),
        ),
        lambda: _attack(
            url, texts, deadline, seconds, "four ~1 MB VALUES queries, 4 clients", "values", values
        ),
        lambda: _slow(url, loris, seconds, body=False),
        lambda: _slow(url, loris, seconds, body=True),
        # more slow bodies than all workers have threads: the body lane keeps threads back
        lambda: _slow(url, w * THREADS + loris, seconds, body=True),
    ]
    for step in plan:
        rows.append(step())
        show(rows[-1].line())
    return rows


IDLE_SOCKETS = 10_000
RUNAWAY_CLIENTS = 32


@contextlib.contextmanager
def idle_sockets(url: str, count: int, source: str) -> Iterator[list[socket.socket]]:
    """``count`` connections from ``source`` that send nothing, held open meanwhile."""
    parts = urllib.parse.urlsplit(url)
    held: list[socket.socket] = []
    try:
        for _ in range(count):
            connection = socket.socket()
            connection.bind((source, 0))
            connection.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                connection.connect((parts.hostname, parts.port))
            held.append(connection)
        yield held
    finally:
        for connection in held:
            connection.close()


def _closed(connection: socket.socket) -> bool:
    try:
        return connection.recv(1) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def issue22(
    url: str, constants: Constants, deadline: float, seconds: float, show: Callable[[str], None]
) -> list[Row]:
    """The targets of issue 22 (see the module's doc), each row shown as soon as measured."""
    texts, rows = Texts(constants, seed=22), []

    def runaways(stop: threading.Event, timeout: float, outcome: Outcome) -> list[threading.Thread]:
        return abuse(url, RUNAWAY_CLIENTS, lambda n: RUNAWAY.format(n=n), stop, timeout, outcome, True)

    rows.append(
        _attack(url, texts, deadline, seconds, "baseline: a small query every 50 ms", "baseline", pause=0.05)
    )
    show(rows[-1].line())
    name = f"{RUNAWAY_CLIENTS} clients each running a runaway without pause, small query every 50 ms"
    rows.append(_attack(url, texts, deadline, seconds, name, "runaways", runaways, pause=0.05))
    show(rows[-1].line())
    source = client_address(RUNAWAY_CLIENTS + 5)
    with idle_sockets(url, IDLE_SOCKETS, source) as held:
        name = f"the same while {IDLE_SOCKETS:,} idle sockets from one address are held"
        rows.append(_attack(url, texts, deadline, seconds, name, "runaways + idle", runaways, pause=0.05))
        closed = sum(_closed(c) for c in held)
        rows[-1].abusers += f"; idle sockets closed by the server: {closed:,} of {len(held):,}"
    show(rows[-1].line())
    return rows


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            with contextlib.suppress(OSError):
                children = [int(p) for p in (task / "children").read_text().split()]
                found += children
                todo += children
    return found


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1][0] != "Z"
    except OSError:
        return False


def kill_main(server, tmp: Path, dataset: Dataset, workers: int, deadline: float, env: dict) -> str:  # type: ignore[no-untyped-def]
    """SIGKILL of the main process only: its processes left after 2 s, and a restart."""
    main = server.process.pid
    below = _descendants(main)
    os.kill(main, signal.SIGKILL)
    server.process.wait()
    time.sleep(2)
    left = [p for p in below if _alive(p)]
    start = time.perf_counter()
    again = our_server(tmp, dataset.data, workers, env, query_timeout=deadline)
    restart = time.perf_counter() - start
    again.stop()
    for pid in left:  # (leave nothing behind on the machine)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return (
        f"kill -9 of the main process (with {len(below)} processes below it): {len(left)} left after 2 s; "
        f"a restart on the same port and state directory answered /health after {restart:.1f} s"
    )


def measure(
    dataset: Dataset,
    tmp: Path,
    workers: int,
    deadline: float,
    seconds: float,
    loris: int = 50,
    show: Callable[[str], None] = print,
    only_issue22: bool = False,
) -> tuple[str, list[Row]]:
    """Start our server on ``dataset`` (W workers, the deadline given), run every scenario; a line
    that says what was measured, and the rows."""
    env = dict(os.environ, KDGRAPH_CACHE_DIR=str(tmp / "cache"))
    server = our_server(tmp, dataset.data, workers, env, query_timeout=deadline)
    try:
        setting = (
            f"kdgraph serve, W = {workers} workers (--workers {workers}), query deadline {deadline:g} s, "
            f"{dataset.n} dossier(s); small queries (or /health polls) for {seconds:g} s per scenario; "
            f"every client from its own loopback address"
        )
        show(setting + "\n")
        for line in HEADER:
            show(line)
        if not only_issue22:
            return setting, scenarios(server.url, dataset.constants, workers, deadline, seconds, loris, show)
        rows = issue22(server.url, dataset.constants, deadline, seconds, show)
        show("\n" + kill_main(server, tmp, dataset, workers, deadline, env))
        return setting, rows
    finally:
        if server.process.poll() is None:
            server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dossiers", type=int, default=1)
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count(), help="workers of our server, W (default: CPU count)"
    )
    parser.add_argument("--timeout", type=float, default=5, help="the server's query deadline (s)")
    parser.add_argument("--seconds", type=float, default=15, help="small queries per scenario, for this long")
    parser.add_argument("--loris", type=int, default=50, help="slow-loris and slow-body connections")
    parser.add_argument("--issue22", action="store_true", help="only the targets of issue 22")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        dataset = make_dataset(args.dossiers, Path(tmp), data_cache_dir())
        measure(
            dataset,
            Path(tmp),
            args.workers,
            args.timeout,
            args.seconds,
            args.loris,
            only_issue22=args.issue22,
        )


if __name__ == "__main__":
    main()
