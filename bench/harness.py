"""What every benchmark script shares: server processes and their memory, clients, percentiles.

The clients are deliberately thin (``http.client`` on a kept-alive connection, load from forked
processes) so that on a 2-core machine the load generator costs little next to the server it
measures, and costs the same whichever server it measures. Everything talks to loopback only,
and every loop is bounded in count and in time.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import multiprocessing
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import NamedTuple

import requests

BIN = Path(sys.executable).parent
JSON = "application/sparql-results+json"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


Latencies = dict[str, tuple[list[float], list[float]]]  # query -> (ours, reference), in seconds


def p50_geomean(latencies: Latencies) -> float:
    """The geometric mean over the queries (those both servers answered) of the p50 ratio
    ours/reference."""
    ratios = [percentile(o, 50) / percentile(r, 50) for o, r in latencies.values() if o and r]
    return statistics.geometric_mean(ratios) if ratios else float("nan")


def latency_table(
    what: str, latencies: Latencies, measured: str = "kdgraph", reference: str = "oxigraph"
) -> list[str]:
    """Markdown lines: one row per query, p50 / p95 / p99 of both servers (``measured`` names
    the first, ``reference`` the second) and the p50 and p99 ratios, then the geometric mean of
    the p50 ratios. A query a server never answered shows -."""
    lines = [
        f"| {what} | {measured} p50 / p95 / p99 (ms) | {reference} p50 / p95 / p99 (ms) "
        "| p50 ratio | p99 ratio |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, (o, r) in latencies.items():
        mine, theirs = (
            " / ".join(f"{percentile(x, p) * 1000:.2f}" for p in (50, 95, 99)) if x else "-" for x in (o, r)
        )
        if o and r:
            p50, p99 = (f"{percentile(o, p) / percentile(r, p):.2f}" for p in (50, 99))
        else:
            p50 = p99 = "-"
        lines.append(f"| {name} | {mine} | {theirs} | {p50} | {p99} |")
    lines.append(f"| **p50 geometric mean of ratios** | | | **{p50_geomean(latencies):.2f}** | |")
    return lines


def ratio_row(name: str, ours: float, reference: float | None, form: str) -> str:
    """A markdown row of a figure for both servers (or ours alone) and the ratio ours/reference,
    in a table of five columns like ``latency_table``'s."""
    if reference is None:
        return f"| {name} | {form.format(ours)} | | | |"
    ratio = ours / max(reference, 1e-9)
    return f"| {name} | {form.format(ours)} | {form.format(reference)} | {ratio:.2f} | |"


def _group(leader: int) -> Iterator[tuple[str, list[str]]]:
    """(pid, fields of /proc/pid/stat after the name) of every process in the process group of
    ``leader`` (our servers are started as session leaders: pid = group id)."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        if len(fields) > 14 and fields[3] == str(leader):
            yield entry, fields


def tree_pss_kb(leader: int) -> int:
    """PSS of a process group: pages shared by forked workers (and the page cache of a shared
    store) count once."""
    total = 0
    for pid, _ in _group(leader):
        try:
            with open(f"/proc/{pid}/smaps_rollup") as rollup:
                total += next(int(line.split()[1]) for line in rollup if line.startswith("Pss:"))
        except (OSError, StopIteration, IndexError, ValueError):
            continue
    return total


def tree_cpu_seconds(leader: int) -> float:
    """CPU seconds (user + system, with reaped children) used so far by a process group: the
    cost of work, which a busy shared machine inflates far less than latency."""
    ticks = sum(sum(int(f) for f in fields[11:15]) for _, fields in _group(leader))  # u/s/cu/cs time
    return ticks / os.sysconf("SC_CLK_TCK")


class Server:
    """A server process group, its start-up time and its peak memory (PSS, sampled from /proc)."""

    def __init__(
        self,
        name: str,
        commands: list[list[str]],
        url: str,
        env: dict[str, str] | None = None,
        ready_url: str | None = None,
        log: Path | None = None,
    ):
        self.name, self.url, self.peak_kb = name, url, 0
        ready_url = ready_url or f"{url}?query=ASK%7B%7D"
        start = time.perf_counter()
        for command in commands[:-1]:  # preparation steps (e.g. oxigraph load)
            subprocess.run(command, check=True, capture_output=True)
        output = log.open("ab") if log else subprocess.DEVNULL
        self.process = subprocess.Popen(
            commands[-1], stdout=output, stderr=output, start_new_session=True, env=env
        )
        self._stop = threading.Event()
        threading.Thread(target=self._sample, daemon=True).start()
        while True:
            try:
                if requests.get(ready_url, timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if self.process.poll() is not None or time.perf_counter() - start > 1800:
                tail = log.read_text(errors="replace")[-3000:] if log else ""
                raise RuntimeError(f"{name} did not start: {' '.join(commands[-1])}\n{tail}")
            time.sleep(0.05)
        self.startup = time.perf_counter() - start
        self.startup_peak_kb, self.peak_kb = self.peak_kb, self.pss_kb()  # from here on: serving

    def pss_kb(self) -> int:
        return tree_pss_kb(self.process.pid)

    def cpu_seconds(self) -> float:
        return tree_cpu_seconds(self.process.pid)

    def reset_peak(self) -> None:
        self.peak_kb = self.pss_kb()

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak_kb = max(self.peak_kb, self.pss_kb())
            time.sleep(0.05)

    def stop(self) -> None:
        self._stop.set()
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(5)


# ---------------------------------------------------------------------------- clients


class Reply(NamedTuple):
    status: int
    headers: http.client.HTTPMessage
    body: bytes


def client_address(index: int) -> str:
    """The loopback source address of client ``index``: 127.0.0.2, 127.0.0.3, ... (all of 127/8
    is loopback on Linux), so that each client is a different client as a server sees it."""
    number = 2 + index
    if not 0 < number < 1 << 24:
        raise ValueError(f"no loopback address for client {index}")
    return f"127.{number >> 16}.{(number >> 8) & 255}.{number & 255}"


class Client:
    """One kept-alive HTTP/1.1 connection that POSTs SPARQL queries (form-encoded, as browsers
    and most SPARQL clients send them) and returns (status, body); reconnects when closed.
    ``source``: the local address to connect from (see ``client_address``)."""

    def __init__(self, url: str, timeout: float = 60, source: str | None = None):
        parts = urllib.parse.urlsplit(url)
        self.host, self.port, self.path, self.timeout = parts.hostname, parts.port, parts.path, timeout
        self.source = (source, 0) if source else None
        self._connection: http.client.HTTPConnection | None = None

    def post(self, query: str, accept: str = JSON) -> tuple[int, bytes]:
        body = urllib.parse.urlencode({"query": query})
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": accept}
        return self.request("POST", self.path, body, headers)

    def request(
        self, method: str, path: str, body: str | None = None, headers: dict | None = None
    ) -> tuple[int, bytes]:
        reply = self.exchange(method, path, body, headers)
        return reply.status, reply.body

    def exchange(self, method: str, path: str, body: str | None = None, headers: dict | None = None) -> Reply:
        """One request; the status, headers and body of its answer."""
        for attempt in (0, 1):
            if self._connection is None:
                self._connection = http.client.HTTPConnection(
                    self.host, self.port, timeout=self.timeout, source_address=self.source
                )
            try:
                self._connection.request(method, path, body, headers or {})
                response = self._connection.getresponse()
                data = response.read()
                if response.getheader("Connection", "").lower() == "close":
                    self.close()
                return Reply(response.status, response.headers, data)
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()  # a kept-alive connection the server closed: once more on a new one
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def accept_for(query: str) -> str:
    """The media type to ask for: N-Triples for the graph forms, JSON results otherwise (the
    benchmark writes its queries, so a keyword test is enough)."""
    return "application/n-triples" if re.search(r"\b(DESCRIBE|CONSTRUCT)\b", query) else JSON


def timed(client: Client, query: str) -> tuple[float, int, bytes]:
    """Seconds, status and body of one query."""
    start = time.perf_counter()
    status, body = client.post(query, accept_for(query))
    return time.perf_counter() - start, status, body


def answer_size(body: bytes) -> int:
    """Solutions in a JSON result, or triples in N-Triples: to check both servers answered alike."""
    if body.startswith(b"{"):
        import json

        parsed = json.loads(body)
        return len(parsed["results"]["bindings"]) if "results" in parsed else 1
    return sum(1 for line in body.splitlines() if line.strip())


def _load_worker(url: str, queries: list[str], deadline: float, out) -> None:  # type: ignore[no-untyped-def]
    client, done, errors = Client(url), 0, 0
    latencies = []
    for query in queries:  # each process its own slice: every text is sent once
        if time.time() >= deadline:
            break
        try:
            elapsed, status, _ = timed(client, query)
        except OSError:
            errors += 1
            client.close()
            continue
        latencies.append(elapsed)
        done += 1
        errors += status != 200
    out.send((done, errors, latencies))


@dataclass
class Load:
    requests: int
    errors: int
    seconds: float
    latencies: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


def load(url: str, queries: list[str], seconds: float, concurrency: int = 8) -> Load:
    """``concurrency`` forked client processes, each sending its share of ``queries`` in order
    on its own connection until the share or ``seconds`` runs out; requests per second."""
    context = multiprocessing.get_context("fork")
    pipes, processes = [], []
    start = time.perf_counter()
    deadline = time.time() + seconds
    for index in range(concurrency):
        receive, send = context.Pipe(duplex=False)
        share = queries[index::concurrency]
        process = context.Process(target=_load_worker, args=(url, share, deadline, send), daemon=True)
        process.start()
        pipes.append(receive)
        processes.append(process)
    results = [pipe.recv() for pipe in pipes]
    elapsed = time.perf_counter() - start
    for process in processes:
        process.join(10)
    return Load(
        sum(r[0] for r in results), sum(r[1] for r in results), elapsed, [x for r in results for x in r[2]]
    )


def server_load(
    server: Server, queries: list[str], seconds: float, concurrency: int = 8
) -> tuple[Load, float]:
    """``load`` against one of our Servers, and the CPU milliseconds its processes spent per request."""
    before = server.cpu_seconds()
    done = load(server.url, queries, seconds, concurrency)
    return done, (server.cpu_seconds() - before) * 1000 / max(1, done.requests)


@dataclass
class WrkResult:
    rate: float
    p50: float  # ms
    p99: float  # ms


def wrk(url: str, concurrency: int, seconds: float) -> WrkResult:
    """``wrk`` (Debian package) against one URL: the fastest load generator at hand, for the
    figures where the client must cost far less than the server (a trivial response)."""
    binary = shutil.which("wrk")
    if binary is None:
        raise SystemExit("this measurement needs wrk: apt-get install wrk")
    threads = min(concurrency, 2)
    out = subprocess.run(
        [binary, f"-t{threads}", f"-c{concurrency}", f"-d{max(1, round(seconds))}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 60,
    ).stdout

    def ms(label: str) -> float:
        value, unit = re.search(rf"^\s*{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()  # type: ignore[union-attr]
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    return WrkResult(rate, ms("50%"), ms("99%"))


# ---------------------------------------------------------------------------- abuse


@dataclass
class Poll:
    polls: int = 0
    failures: int = 0
    latencies: list[float] = field(default_factory=list)
    held_open: int = 0  # slow connections the server still kept open at the end
    slow_got: Counter = field(default_factory=Counter)  # what the slow connections got: status or "closed"


def poll(
    url: str,
    path: str,
    seconds: float,
    every: float = 0.2,
    timeout: float = 10,
    while_running: Callable[[], bool] = lambda: True,
    source: str | None = None,
) -> Poll:
    """GET ``path`` on a fresh connection (from ``source``) every ``every`` seconds for
    ``seconds``; a failure is anything but 200 within ``timeout``."""
    result = Poll()
    end = time.perf_counter() + seconds
    while time.perf_counter() < end and while_running():
        client = Client(url, timeout=timeout, source=source)
        start = time.perf_counter()
        result.polls += 1
        try:
            status, _ = client.request("GET", path)
            if status == 200:
                result.latencies.append(time.perf_counter() - start)
            else:
                result.failures += 1
        except OSError:
            result.failures += 1
        finally:
            client.close()
        time.sleep(max(0.0, every - (time.perf_counter() - start)))
    return result


def slow_loris(
    url: str,
    path: str,
    connections: int,
    seconds: float,
    interval: float = 2.0,
    body: str | None = None,
    first_client: int | None = None,
) -> Poll:
    """``connections`` slow clients while ``path`` is polled; the poll's outcome.

    Each sends a request's headers one line every ``interval`` seconds and never finishes; with
    ``body`` (a path), each instead sends complete headers of a POST to ``body`` announcing a
    100 kB form body, then one byte of it every ``interval`` seconds. With ``first_client``, the
    poller is client ``first_client`` and slow connection i is client ``first_client + 1 + i``
    (``client_address``: each its own loopback source address); else all come from 127.0.0.1.
    """
    parts = urllib.parse.urlsplit(url)

    def source(index: int) -> tuple[str, int] | None:
        return None if first_client is None else (client_address(first_client + index), 0)

    sockets: list[socket.socket] = []
    for index in range(connections):
        address = (parts.hostname, parts.port)
        s = socket.create_connection(address, timeout=5, source_address=source(1 + index))
        if body:
            s.sendall(
                f"POST {body} HTTP/1.1\r\nHost: {parts.hostname}\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\nq".encode()
            )
        else:
            s.sendall(f"GET {path} HTTP/1.1\r\nHost: {parts.hostname}\r\n".encode())
        sockets.append(s)
    stop = threading.Event()
    alive = set(range(connections))

    def trickle() -> None:
        line = 0
        while not stop.wait(interval):
            line += 1
            for index in list(alive):
                try:
                    sockets[index].sendall(b"u" if body else f"X-Slow-{line}: {line}\r\n".encode())
                except OSError:
                    alive.discard(index)  # the server closed it: good

    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    poller = source(0)
    try:
        result = poll(url, path, seconds, source=poller[0] if poller else None)
    finally:
        stop.set()
        thread.join(interval + 5)
        for s in sockets:
            result_of = _what_it_got(s)
            if result_of == "still open":
                result.held_open += 1
            result.slow_got[result_of] += 1
            s.close()
    return result


def _what_it_got(s: socket.socket) -> str:
    """What the server sent a slow connection: its status line's code, "closed" (closed without
    an answer), or "still open" (nothing yet)."""
    s.setblocking(False)
    try:
        data = s.recv(4096)
    except BlockingIOError:
        return "still open"
    except OSError:
        return "closed"
    if not data:
        return "closed"
    match = re.match(rb"HTTP/1\.[01] (\d{3})", data)
    return match.group(1).decode() if match else "closed"


# ---------------------------------------------------------------------------- the two servers


ID = "https://w3id.org/kdgraph/id/"
KD = "https://w3id.org/kdgraph/def/kd#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
SAMPLE = 20_000  # constants kept per kind: plenty to draw from, small to keep and to fork


@dataclass
class Constants:
    """IRIs from the data that the benchmark's queries ask about (a random sample of each kind,
    the same sample for the same data)."""

    resources: list[str]  # subjects under id/
    linked: list[str]  # objects under id/ (have incoming links)
    qualifications: list[str]
    dossiers: list[str]

    @classmethod
    def of(cls, statements: Iterable) -> Constants:  # type: ignore[type-arg]
        import pyoxigraph as ox

        subjects, objects, quals, dossiers = set(), set(), set(), set()
        for t in statements:
            s, o = t.subject, t.object
            if isinstance(s, ox.NamedNode) and s.value.startswith(ID):
                subjects.add(s.value)
            if isinstance(o, ox.NamedNode) and o.value.startswith(ID):
                objects.add(o.value)
                if t.predicate.value == f"{KD}dossier":
                    dossiers.add(o.value)
            if t.predicate.value == RDF_TYPE and o.value == f"{KD}Qualification":
                quals.add(s.value)
        rng = random.Random(0)
        kinds = (subjects, objects, quals, dossiers)
        return cls(*(rng.sample(sorted(x), min(len(x), SAMPLE)) for x in kinds))


@dataclass
class Dataset:
    """N generated dossiers, written once for both servers."""

    n: int
    data: Path  # our input file (N-Triples, or N-Quads when the data has named graphs)
    statements: int  # data statements in it (no ontology)
    constants: Constants
    reused: bool  # taken from the data cache rather than generated in this run
    seconds: float  # to generate it, or to find it in the cache


def data_cache_dir() -> Path:
    """Where generated data sets are kept between runs: $KDGRAPH_BENCH_CACHE, else
    ~/.cache/kdgraph-bench."""
    return Path(os.environ.get("KDGRAPH_BENCH_CACHE") or Path.home() / ".cache" / "kdgraph-bench")


def dataset_key(n: int) -> str:
    """What a generated data set depends on: N, the generator's code, the bundled data it copies
    (as loaded: the loader's reading counts too), pyoxigraph's serialiser and how the constants
    are drawn. Any change gives a new key, so a stale data set is never reused."""
    import inspect

    import pyoxigraph as ox

    import generate  # type: ignore[import-not-found]

    digest = hashlib.sha256(f"{n}\n{ox.__version__}\n".encode())
    digest.update(Path(generate.__file__).read_bytes())
    digest.update(inspect.getsource(Constants).encode())
    for statement in generate.generate(1):
        digest.update(str(statement).encode())
    return digest.hexdigest()[:16]


def _generate_into(n: int, directory: Path) -> None:
    """Generate N dossiers into ``directory``: the data file and meta.json (count, constants)."""
    from generate import data_suffix, generate, write  # type: ignore[import-not-found]

    statements = generate(n)
    data = directory / f"data{data_suffix()}"
    write(statements, data)
    meta = {"file": data.name, "statements": len(statements), "constants": asdict(Constants.of(statements))}
    (directory / "meta.json").write_text(json.dumps(meta), encoding="utf-8")


def make_dataset(n: int, tmp: Path, cache: Path | None = None) -> Dataset:
    """N dossiers: from ``cache`` (a directory; see ``data_cache_dir``) when generated before for
    the same ``dataset_key``, else generated (in a child process, so that this one never holds
    millions of statements while it measures) into ``cache``, or into ``tmp`` without a cache."""
    start = time.perf_counter()
    target = cache / f"data-{n}-{dataset_key(n)}" if cache else tmp / f"data-{n}"
    reused = (target / "meta.json").is_file()
    if not reused:
        target.parent.mkdir(parents=True, exist_ok=True)
        building = Path(tempfile.mkdtemp(prefix=f".data-{n}-", dir=target.parent))
        child = multiprocessing.get_context("fork").Process(target=_generate_into, args=(n, building))
        child.start()
        child.join()
        if child.exitcode != 0:
            shutil.rmtree(building, ignore_errors=True)
            raise RuntimeError(f"generating {n} dossiers failed (exit {child.exitcode})")
        try:
            building.rename(target)
        except OSError:  # another run put it there meanwhile: use that one
            shutil.rmtree(building, ignore_errors=True)
    meta = json.loads((target / "meta.json").read_text(encoding="utf-8"))
    return Dataset(
        n,
        target / meta["file"],
        meta["statements"],
        Constants(**meta["constants"]),
        reused,
        time.perf_counter() - start,
    )


def our_server(
    tmp: Path,
    data: Path,
    workers: int,
    env: dict[str, str],
    query_timeout: float = 60,
    log: Path | None = None,
) -> Server:
    port = free_port()
    command = [
        str(BIN / "kdgraph"),
        "serve",
        "--data",
        str(data),
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--state-dir",
        str(tmp / "state"),
        "--query-timeout",
        f"{query_timeout:g}",
    ]
    url = f"http://127.0.0.1:{port}"
    log = log or tmp / "kdgraph.log"
    return Server("kdgraph", [command], f"{url}/sparql", env, ready_url=f"{url}/health", log=log)


def served_store(state_dir: Path) -> Path:
    """The on-disk store our server serves: named in ``current.json`` (``store_path``), else the
    newest RocksDB directory (it has IDENTITY and CURRENT files) under the state directory."""
    import json

    try:
        path = Path(json.loads((state_dir / "current.json").read_text(encoding="utf-8"))["store_path"])
        if path.is_dir():
            return path
    except (OSError, ValueError, KeyError, TypeError):
        pass
    stores = [p.parent for p in state_dir.rglob("IDENTITY") if (p.parent / "CURRENT").is_file()]
    if not stores:
        raise RuntimeError(f"no store found under {state_dir}")
    return max(stores, key=lambda p: p.stat().st_mtime)


@dataclass
class Reference:
    """What the reference server loads: exactly the quads our server serves."""

    dump: Path
    union_default_graph: bool  # our default graph is empty: we query the union of the graphs


def reference_data(state_dir: Path, tmp: Path) -> Reference:
    """Dump our served store to N-Quads for ``oxigraph load``.

    The reference gets the same quads (data, ontology, saved queries, each in its graph) and the
    same default-graph semantics: if our default graph holds the merged data (the provenance
    layout), it is served as it is; if it is empty (data only in named graphs), the reference
    runs with ``--union-default-graph`` as our engine queries the union.
    """
    import pyoxigraph as ox

    store = ox.Store.read_only(str(served_store(state_dir)))
    default = next(iter(store.quads_for_pattern(None, None, None, ox.DefaultGraph())), None)
    dump = tmp / "reference.nq"
    store.dump(output=str(dump), format=ox.RdfFormat.N_QUADS)
    del store
    return Reference(dump, union_default_graph=default is None)


def reference_server(tmp: Path, reference: Reference, load: bool) -> Server:
    """``oxigraph serve-read-only`` (the ``oxigraph`` PyPI package) on the same data as ours;
    ``load`` first runs ``oxigraph load`` (a first start on new data)."""
    oxigraph, port = shutil.which("oxigraph", path=str(BIN)) or "oxigraph", free_port()
    location = tmp / "ox"
    serve = [oxigraph, "serve-read-only", "--location", str(location), "--bind", f"127.0.0.1:{port}"]
    if reference.union_default_graph:
        serve.append("--union-default-graph")
    commands = (
        [[oxigraph, "load", "--location", str(location), "--file", str(reference.dump)]] if load else []
    )
    return Server("oxigraph", [*commands, serve], f"http://127.0.0.1:{port}/query")


FLOORS = {  # kind -> (name in reports, app in bench/floor_app.py)
    "constant": ("floor", "floor_app:app"),
    "engines": ("floor with engines", "floor_app:engine_app"),
    "in-process": ("in-process floor", "floor_app:inprocess_app"),
}


def floor_server(tmp: Path, workers: int, kind: str = "constant", store: Path | None = None) -> Server:
    """One floor of bench/floor_app.py (``FLOORS``) under granian, set as ``kdgraph serve`` sets
    it (the same worker count and threads per worker): the constant answer, the engine pool on
    ``store`` (an on-disk store) and nothing else, or pyoxigraph on ``store`` in the request
    thread."""
    from kdgraph.config import THREADS

    name, target = FLOORS[kind]
    if kind != "constant" and store is None:
        raise ValueError(f"the {name} needs a store")
    port = free_port()
    env = dict(os.environ, KDGRAPH_FLOOR_STORE=str(store or ""))
    command = [
        str(BIN / "granian"),
        "--interface",
        "wsgi",
        "--workers",
        str(workers),
        "--blocking-threads",
        str(THREADS),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--working-dir",
        str(Path(__file__).parent),
        "--no-ws",
        "--log-level",
        "warning",
        target,
    ]
    url = f"http://127.0.0.1:{port}/sparql"
    return Server(name, [command], url, env=env, ready_url=url, log=tmp / f"{name.replace(' ', '-')}.log")
