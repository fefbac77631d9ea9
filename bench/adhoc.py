"""Cache-free benchmark: queries as a researcher writes them, each request a text never seen before.

Six kinds of query, constants drawn from the data (N generated dossiers, bench/generate.py):
DESCRIBE of a resource, outgoing links of a resource, incoming links, routes from a
qualification, requirements of a qualification, a GROUP BY over a dossier. Every text differs
from every other (the constant, the variable names and a comment), so no cache, ours or any
other, can answer one; the same texts go to both servers, interleaved (the order rotated each
round), against ``oxigraph serve-read-only`` on the same quads and the same default-graph
semantics (see harness.reference_data). Reports p50/p95/p99 per kind at concurrency 1, the
geometric mean of the p50 ratios ours/reference, and throughput at concurrency 8 on unique
texts. The same texts go to three more servers in the same rounds, the floors
(bench/floor_app.py): the **in-process floor**, Flask under granian evaluating with pyoxigraph
in the request thread and nothing else, against which issue 21 sets its targets (the
difference to ours is what our safety costs: engine processes, pre-check, limits); Flask
answering a constant, which shows how close to Oxigraph any Flask endpoint can come here; and
that route with our engine pool behind it, which shows what evaluating in a process that can
be killed at the deadline costs.
``--memory-queries`` adds the PSS of each server's process tree after that many more unique
queries.

    python bench/adhoc.py 1 200 --rounds 200 --seconds 10
    python bench/adhoc.py 2000 --rounds 50 --memory-queries 5000
"""

from __future__ import annotations

import argparse
import functools
import os
import platform
import random
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from harness import (  # type: ignore[import-not-found]
    FLOORS,
    KD,
    Client,
    Constants,
    Server,
    answer_size,
    data_cache_dir,
    floor_server,
    latency_table,
    load,
    make_dataset,
    our_server,
    p50_geomean,
    ratio_row,
    reference_data,
    reference_server,
    served_store,
    server_load,
    timed,
)

CONSTANT_FLOOR, IN_PROCESS_FLOOR = FLOORS["constant"][0], FLOORS["in-process"][0]
PREFIXES = f"PREFIX kd: <{KD}>\nPREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"


# kind -> (which constants, template): {c} is the constant, {v} a suffix unique to the request
KINDS: dict[str, tuple[str, str]] = {
    "DESCRIBE a resource": ("resources", "DESCRIBE <{c}>"),
    "outgoing links": ("resources", "SELECT ?p_{v} ?o_{v} WHERE {{ <{c}> ?p_{v} ?o_{v} }}"),
    "incoming links": ("linked", "SELECT ?s_{v} ?p_{v} WHERE {{ ?s_{v} ?p_{v} <{c}> }}"),
    "routes from a qualification": (
        "qualifications",
        PREFIXES + "SELECT ?route_{v} ?target_{v} ?label_{v} WHERE {{\n"
        "  ?route_{v} kd:routeFrom <{c}> ; kd:routeTo ?target_{v} .\n"
        '  OPTIONAL {{ ?target_{v} rdfs:label ?label_{v} FILTER(LANG(?label_{v}) = "nl") }}\n}}',
    ),
    "requirements of a qualification": (
        "qualifications",
        PREFIXES + "SELECT ?stmt_{v} ?skill_{v} ?level_{v} WHERE {{\n"
        "  ?stmt_{v} kd:appliesTo <{c}> ; kd:hasRequirement ?req_{v} .\n"
        "  ?req_{v} kd:skill ?skill_{v} ; kd:minimumLevel ?level_{v} .\n}}",
    ),
    "GROUP BY over a dossier": (
        "dossiers",
        PREFIXES + "SELECT ?type_{v} (COUNT(?s_{v}) AS ?n_{v}) WHERE {{\n"
        "  ?s_{v} kd:dossier <{c}> ; a ?type_{v} .\n}} GROUP BY ?type_{v} ORDER BY DESC(?n_{v}) ?type_{v}",
    ),
}


class Texts:
    """Unique query texts: a random constant of the kind, a counter in the variable names and a
    random comment in each."""

    def __init__(self, constants: Constants, seed: int):
        self.c, self.rng, self.count = constants, random.Random(seed), 0

    def make(self, kind: str) -> str:
        pool, template = KINDS[kind]
        self.count += 1
        comment = f"# {self.rng.getrandbits(64):016x} ad hoc\n"
        variable = f"{self.rng.choice('abcdefgh')}{self.count}"
        return comment + template.format(c=self.rng.choice(getattr(self.c, pool)), v=variable)

    def kinds(self) -> dict[str, Callable[[], str]]:
        return {kind: functools.partial(self.make, kind) for kind in KINDS}

    def mixed(self, count: int) -> list[str]:
        kinds = list(KINDS)
        return [self.make(kinds[i % len(kinds)]) for i in range(count)]


@dataclass
class Floor:
    """One floor (bench/floor_app.py) measured alongside: per kind its latencies (s), and its
    throughput and CPU time per request under load."""

    name: str
    latencies: dict[str, list[float]]
    rate: float
    cpu_ms: float


@dataclass
class Figures:
    """Per kind: latencies (s) of ours and of the reference; throughput of both; and the floors
    measured alongside."""

    latencies: dict[str, tuple[list[float], list[float]]]
    rate: tuple[float, float]
    errors: tuple[int, int]
    cpu_ms: tuple[float, float]  # CPU time of the server's processes per request, under load
    floors: list[Floor] = field(default_factory=list)

    def p50_geomean(self) -> float:
        return p50_geomean(self.latencies)

    def against_reference(self, floor: Floor) -> dict[str, tuple[list[float], list[float]]]:
        """A floor against the reference, in the shape of ``latencies``."""
        return {kind: (floor.latencies[kind], self.latencies[kind][1]) for kind in self.latencies}

    def against_floor(self, floor: Floor) -> dict[str, tuple[list[float], list[float]]]:
        """Ours against a floor, in the shape of ``latencies``."""
        return {kind: (self.latencies[kind][0], floor.latencies[kind]) for kind in self.latencies}

    def floor(self, name: str) -> Floor | None:
        return next((floor for floor in self.floors if floor.name == name), None)


def interleaved(
    urls: list[str], texts: Texts, rounds: int, compare: frozenset[int] = frozenset()
) -> list[dict[str, list[float]]]:
    """Each new text to every server, one after the other, the order rotated every round; per
    server, per kind, the latencies. The servers whose indexes are in ``compare`` (those that
    evaluate) must answer with as many solutions (or triples), else the run stops."""
    clients = [Client(url) for url in urls]
    out: list[dict[str, list[float]]] = [{kind: [] for kind in texts.kinds()} for _ in urls]
    for round_ in range(rounds):
        shift = round_ % len(clients)
        order = [*range(shift, len(clients)), *range(shift)]
        for kind, make in texts.kinds().items():
            text = make()
            sizes = {}
            for index in order:
                elapsed, status, body = timed(clients[index], text)
                if status != 200:
                    raise RuntimeError(f"{urls[index]} answered {status} to:\n{text}")
                out[index][kind].append(elapsed)
                if index in compare:
                    sizes[index] = answer_size(body)
            if len(set(sizes.values())) > 1:
                raise RuntimeError(f"the servers answered differently ({sizes} solutions) to:\n{text}")
    return out


def measure(
    ours: Server,
    reference: Server,
    constants: Constants,
    rounds: int,
    seconds: float,
    concurrency: int = 8,
    floors: list[Server] | None = None,
) -> Figures:
    """Ours against the reference, and the ``floors`` (bench/floor_app.py) in the same rounds."""
    texts = Texts(constants, seed=1)
    servers = [ours, reference, *(floors or [])]
    urls = [server.url for server in servers]
    # connections, page cache, and a check that the servers that evaluate hold the same data
    evaluating = frozenset(i for i, server in enumerate(servers) if server.name != CONSTANT_FLOOR)
    interleaved(urls, Texts(constants, seed=0), 10, compare=evaluating)
    measured = interleaved(urls, texts, rounds)
    latencies = {kind: (measured[0][kind], measured[1][kind]) for kind in measured[0]}
    batch = texts.mixed(int(seconds * 20_000))  # more than either server answers in time
    loads = [server_load(s, batch, seconds, concurrency) for s in servers]
    (mine, cpu_mine), (theirs, cpu_theirs) = loads[:2]
    figures = Figures(
        latencies, (mine.rate, theirs.rate), (mine.errors, theirs.errors), (cpu_mine, cpu_theirs)
    )
    for server, latencies_of, (done, cpu) in zip(servers[2:], measured[2:], loads[2:], strict=True):
        figures.floors.append(Floor(server.name, latencies_of, done.rate, cpu))
    return figures


def figures_table(figures: Figures, concurrency: int = 8) -> list[str]:
    """The cache-free figures as markdown table lines."""
    ours, ref = figures.rate
    lines = [
        *latency_table("cache-free query (new text each request)", figures.latencies),
        ratio_row(f"throughput at concurrency {concurrency}, unique texts (req/s)", ours, ref, "{:.0f}"),
        ratio_row("server CPU time per request in that run (ms)", *figures.cpu_ms, "{:.2f}"),
    ]
    if any(figures.errors):
        lines.append(f"| non-200 answers under load | {figures.errors[0]} | {figures.errors[1]} | | |")
    return lines


FLOOR_NOTE = (
    "The floors (bench/floor_app.py), sent the same new texts in the same rounds, under granian as "
    "`kdgraph serve` runs it (same workers and threads). *in-process floor*: a Flask route that "
    "evaluates the query with pyoxigraph in the request thread and serialises it there, nothing "
    "else (no deadline, pre-check, limit or process boundary); issue 21 sets its targets against "
    "it, so the difference to kdgraph is what our safety costs. *floor*: a Flask route that reads "
    "the form and answers a constant; it parses and evaluates nothing, so its ratio to Oxigraph is "
    "the smallest any endpoint on Flask can reach on this machine. *floor with engines*: the same "
    "route handing the query to kdgraph's engine pool (processes that can be killed at the "
    "deadline) and returning its bytes, with nothing else of ours (no pre-check, cache or logging)."
)


def floor_table(figures: Figures, floor: Floor, concurrency: int = 8) -> list[str]:
    """A floor against the reference, as markdown table lines (see ``FLOOR_NOTE``)."""
    return [
        *latency_table(f"same texts, to the {floor.name}", figures.against_reference(floor), floor.name),
        ratio_row(
            f"throughput at concurrency {concurrency}, unique texts (req/s)",
            floor.rate,
            figures.rate[1],
            "{:.0f}",
        ),
        ratio_row("server CPU time per request in that run (ms)", floor.cpu_ms, figures.cpu_ms[1], "{:.2f}"),
    ]


def against_floor_table(figures: Figures, floor: Floor, concurrency: int = 8) -> list[str]:
    """Ours against a floor (the in-process one: what our safety costs), as markdown table lines."""
    return [
        *latency_table(
            "cache-free query, kdgraph against the floor", figures.against_floor(floor), reference=floor.name
        ),
        ratio_row(
            f"throughput at concurrency {concurrency}, unique texts (req/s)",
            figures.rate[0],
            floor.rate,
            "{:.0f}",
        ),
        ratio_row("server CPU time per request in that run (ms)", figures.cpu_ms[0], floor.cpu_ms, "{:.2f}"),
    ]


def all_tables(figures: Figures) -> list[str]:
    """Every table of one cache-free measurement: ours against Oxigraph, ours against the
    in-process floor, each floor against Oxigraph."""
    lines = figures_table(figures)
    inprocess = figures.floor(IN_PROCESS_FLOOR)
    if inprocess is not None:
        lines += ["", *against_floor_table(figures, inprocess)]
    lines += ["", FLOOR_NOTE]
    for floor in figures.floors:
        lines += ["", *floor_table(figures, floor)]
    return lines


def floor_servers(tmp: Path, workers: int) -> list[Server]:
    """The three floors (harness.FLOORS), those that evaluate on the store our server serves
    from ``tmp / "state"``; the in-process floor first (the targets of issue 21 are set
    against it)."""
    store = served_store(tmp / "state")
    return [floor_server(tmp, workers, kind, store) for kind in ("in-process", "constant", "engines")]


def memory_row(count: int, kb: list[int]) -> str:
    name = f"PSS of the process tree after {count} more unique queries (MB)"
    return ratio_row(name, kb[0] / 1024, kb[1] / 1024, "{:.0f}")


def memory_after(servers: list[Server], constants: Constants, count: int, seconds: float = 1200) -> list[int]:
    """PSS (kB) of each server's process tree after ``count`` further unique queries at concurrency 8."""
    texts = Texts(constants, seed=2).mixed(count)
    out = []
    for server in servers:
        server.reset_peak()
        done = load(server.url, texts, seconds, 8)
        if done.requests < count:
            print(f"note: {server.name} answered {done.requests} of {count} queries within {seconds:.0f} s")
        out.append(server.pss_kb())
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("sizes", nargs="*", type=int, default=[1])
    parser.add_argument("--rounds", type=int, default=100, help="texts per kind and server at concurrency 1")
    parser.add_argument("--seconds", type=float, default=10, help="duration of the throughput run")
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count(), help="workers of our server (default: the CPU count)"
    )
    parser.add_argument(
        "--memory-queries", type=int, default=0, help="then PSS after this many unique queries"
    )
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, CPython {platform.python_version()}, "
        f"pyoxigraph {ox.__version__}\n"
    )
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            run(n, Path(tmp), args)


def run(n: int, tmp: Path, args: argparse.Namespace) -> None:
    dataset = make_dataset(n, tmp, data_cache_dir())
    env = dict(os.environ, KDGRAPH_CACHE_DIR=str(tmp / "cache"))
    ours = our_server(tmp, dataset.data, args.workers, env)
    reference = reference_server(tmp, reference_data(tmp / "state", tmp), load=True)
    floors = floor_servers(tmp, args.workers)
    try:
        figures = measure(ours, reference, dataset.constants, args.rounds, args.seconds, floors=floors)
        print(f"### N = {n} dossiers ({dataset.statements} data statements), cache-free\n")
        lines = all_tables(figures)
        if args.memory_queries:
            kb = memory_after([ours, reference], dataset.constants, args.memory_queries)
            lines.append(memory_row(args.memory_queries, kb))
        print("\n".join(lines) + "\n", flush=True)
    finally:
        for server in (ours, reference, *floors):
            server.stop()


if __name__ == "__main__":
    main()
