"""Fairness under abuse, on a real server: runaway queries cannot take every client's turn (issue 12).

Each client is its own loopback address (all of 127/8 is loopback on Linux), as the server
counts evaluations per client address. No timed assertions: "answered while the runaways still
run" is checked by the runaways' threads still waiting for their own answers (their deadline is
seconds away) when every small query has been answered.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import requests

from .server_process import ServerProcess, wait_for

pytestmark = pytest.mark.server  # real `kdgraph serve` processes (see conftest)

WORKERS = 2
DEADLINE = 6  # seconds: long enough that the small queries are done well before it
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE {{ ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }} # {n}"
PT = "https://w3id.org/kdgraph/id/qualification/productietechnicus"
SMALL = (  # the qualification's Dutch name, page 1 of the source
    f"SELECT ?label WHERE {{{{ <{PT}> <http://www.w3.org/2000/01/rdf-schema#label> ?label "
    'FILTER(lang(?label) = "nl") }} # {n}'
)


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[ServerProcess]:  # type: ignore[no-untyped-def]
    args = ["--workers", str(WORKERS), "--query-timeout", str(DEADLINE)]
    with ServerProcess(args, tmp_path_factory.mktemp("fairness-state")) as process:
        yield process


def _post(url: str, source: str, query: str) -> tuple[int, dict[str, str], bytes]:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(
        parts.hostname, parts.port, timeout=60, source_address=(source, 0)
    )
    try:
        connection.request(
            "POST",
            "/sparql",
            query.encode(),
            {"Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"},
        )
        response = connection.getresponse()
        # header names in lower case: granian (hyper) sends them so, and they are case-insensitive
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def _runaways(url: str, sources: list[str]) -> tuple[list[threading.Thread], Counter]:  # type: ignore[type-arg]
    statuses: Counter = Counter()  # type: ignore[type-arg]

    def run(index: int, source: str) -> None:
        status, headers, _ = _post(url, source, RUNAWAY.format(n=index))
        statuses[(status, "retry-after" in headers)] += 1

    threads = [threading.Thread(target=run, args=(i, s)) for i, s in enumerate(sources)]
    for thread in threads:
        thread.start()
    return threads, statuses


def _nothing_yet(connection: socket.socket) -> bool:
    """Whether the server has sent nothing on ``connection`` yet (nor closed it)."""
    connection.setblocking(False)
    try:
        connection.recv(1, socket.MSG_PEEK)  # an answer, or b"" when closed
    except BlockingIOError:
        return True
    except OSError:  # reset
        pass
    return False


def _labels(body: bytes) -> set[str]:
    return {row["label"]["value"] for row in json.loads(body)["results"]["bindings"]}


def test_small_queries_are_answered_while_twice_as_many_runaways_as_workers_run(
    server: ServerProcess,
) -> None:
    threads, statuses = _runaways(server.url, [f"127.0.1.{i + 2}" for i in range(2 * WORKERS)])
    answers = []
    for n in range(20):  # new texts: no cache can answer them
        status, _, body = _post(server.url, "127.0.0.2", SMALL.format(n=n))
        answers.append((status, _labels(body) if status == 200 else body))
    still_running = sum(thread.is_alive() for thread in threads)
    for thread in threads:
        thread.join()
    assert answers == [(200, {"Productietechnicus"})] * 20
    # answered while runaways were still evaluated: at least the long share of one worker (those
    # beyond a worker's share are stopped at once, see the next test)
    assert still_running >= 2
    assert statuses == {(503, True): 2 * WORKERS}  # the runaways end at their deadline, or shed: 503


def test_runaways_from_many_addresses_leave_a_lane_for_small_queries_and_health_says_it_sheds(
    server: ServerProcess,
) -> None:
    """Issue 22: the limit per address held, but runaways from 16 addresses filled every engine,
    and a small query from another address was answered 35 % of the time while /health said ok.
    Long queries now hold at most a share of the engines; the addresses that send them are
    refused beyond it, and /health says that the server sheds, what and why."""
    stop = threading.Event()
    statuses: Counter = Counter()  # type: ignore[type-arg]

    def keep_running(index: int) -> None:  # a runaway again as soon as the last one is answered
        sent = 0
        while not stop.is_set() and sent < 1000:
            sent += 1
            status, headers, _ = _post(
                server.url, f"127.0.3.{index + 2}", RUNAWAY.format(n=f"{index} {sent}")
            )
            statuses[(status, "retry-after" in headers)] += 1
            if status != 200:
                stop.wait(0.1)  # (refused at once: no spinning on two cores)

    threads = [threading.Thread(target=keep_running, args=(i,)) for i in range(16)]
    try:
        for thread in threads:
            thread.start()
        said = []  # /health of any worker (runaways reach both), until one says it sheds
        while not said or (said[-1][0] != "degraded" and len(said) < 600):
            health = requests.get(f"{server.url}/health", timeout=30).json()
            said.append((health["status"], " ".join(health["reasons"])))
            time.sleep(0.05)
        answers = []  # while the runaways go on: those refused at once are sent again at once
        for n in range(20):
            status, _, body = _post(server.url, "127.0.0.5", SMALL.format(n=f"many {n}"))
            answers.append((status, _labels(body) if status == 200 else body))
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert answers == [(200, {"Productietechnicus"})] * 20
    assert said[-1][0] == "degraded" and "shedding load" in said[-1][1], said
    assert set(statuses) == {(503, True)}  # deadline or shed, always with Retry-After


def test_one_client_cannot_take_every_engine_and_is_told_when_to_come_back(server: ServerProcess) -> None:
    """One address sending more runaways at once than one client may run gets 429 with
    Retry-After for the excess; another client is still answered meanwhile."""
    threads, statuses = _runaways(server.url, ["127.0.2.9"] * (6 * WORKERS))
    status, _, body = _post(server.url, "127.0.0.3", SMALL.format(n="other client"))
    for thread in threads:
        thread.join()
    assert (status, _labels(body)) == (200, {"Productietechnicus"})
    # 429 beyond the limit per address, or 503 at the deadline or when shed (its long queries
    # beyond the long share are stopped, which frees its places sooner): always with Retry-After
    assert set(statuses) <= {(503, True), (429, True)} and (503, True) in statuses


def test_slow_bodies_beyond_the_body_lane_are_refused_and_requests_without_a_body_still_served(
    tmp_path,  # type: ignore[no-untyped-def]
) -> None:
    """Regression: granian cannot time out a body that arrives slowly, so each slow body held a
    thread until its client ended it, and as many slow bodies as threads (128) stopped a worker:
    /health went unanswered. Now a worker reads at most ``threads - reserved`` bodies at once
    (here 16 threads: 8 bodies); a POST beyond that gets 503 + Retry-After without its body
    being read, and /health and GET queries keep the reserved threads. Slow bodies are added
    one at a time, each followed by a quick POST, until a POST is refused."""
    args = ["--workers", "1", "--threads", "16", "--query-timeout", str(DEADLINE)]
    with ServerProcess(args, tmp_path / "state") as server:
        parts = urlsplit(server.url)
        slow: list[socket.socket] = []
        try:
            refused = None
            while refused is None and len(slow) < 30:  # one slow body more, then a quick POST
                connection = socket.create_connection((parts.hostname, parts.port), timeout=30)
                connection.sendall(  # one byte of the 100 announced, and no more
                    b"POST /sparql HTTP/1.1\r\nHost: kdgraph\r\n"
                    b"Content-Type: application/sparql-query\r\nContent-Length: 100\r\n\r\nS"
                )
                slow.append(connection)
                time.sleep(0.05)  # let the server start reading it
                status, headers, body = _post(server.url, "127.0.0.4", SMALL.format(n=len(slow)))
                if status != 200:
                    refused = (status, headers.get("retry-after"), body.decode())
            assert refused is not None and refused[:2] == (503, "2"), refused
            assert "bodies" in refused[2] and "GET" in refused[2]
            # a slow one that came after the lane was full is refused too: wait for its answer
            unanswered = lambda: sum(_nothing_yet(connection) for connection in slow)  # noqa: E731
            wait_for(lambda: unanswered() <= 8, "the slow bodies beyond the lane to be refused")
            assert unanswered() == 8  # the lane's places
            for n in range(5):  # without a body: on the threads the lane leaves free
                health = requests.get(f"{server.url}/health", timeout=10)
                assert health.status_code == 200 and health.json()["status"] == "ok"
                answer = requests.get(
                    f"{server.url}/sparql",
                    params={"query": SMALL.format(n=f"get {n}")},
                    headers={"Accept": "application/sparql-results+json"},
                    timeout=10,
                )
                assert (answer.status_code, _labels(answer.content)) == (200, {"Productietechnicus"})
        finally:
            for connection in slow:
                connection.close()
        for attempt in range(100):  # the slow clients gone, their places are free again
            status, _, body = _post(server.url, "127.0.0.4", SMALL.format(n=f"after {attempt}"))
            if status == 200:
                break
            time.sleep(0.05)
        assert (status, _labels(body)) == (200, {"Productietechnicus"})
