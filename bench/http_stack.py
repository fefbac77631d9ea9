"""Which HTTP server and which way to reach the engine: measured on this machine, not guessed.

A small Flask app, served in turn by gunicorn's sync workers, gunicorn's gthread workers and
granian's WSGI server (each if installed; granian serves kdgraph, gunicorn comes with the
``bench`` extra: ``pip install -e ".[bench]"``), answers:

  * ``/trivial``: a constant response, the floor of the HTTP stack;
  * ``/q/inproc``: a small pyoxigraph query (outgoing links of one resource) on an on-disk
    read-only store opened in the worker;
  * ``/q/pipe``: the same query handed to a child process over a socketpair as raw bytes
    (length-prefixed text in, length-prefixed JSON out, no pickle);
  * ``/q/mp``: the same query through kdgraph's current engine process (multiprocessing pipe,
    pickled request and reply).

Load from ``wrk`` (Debian package; ``apt-get install wrk``) at concurrency 1 and 8, then 50
slow-loris connections (a header line every 2 s) against each server while ``/trivial`` is
polled. Last, what an engine restart costs: fork, open the read-only store, answer one query,
at 1 and 200 dossiers. Loopback only; every run bounded in time.

    python bench/http_stack.py --seconds 2 --repeat 3
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import struct
import sys
import tempfile
import threading
import time
from pathlib import Path

import pyoxigraph as ox

sys.path.insert(0, str(Path(__file__).parent))
from harness import BIN, Server, free_port, percentile, slow_loris, wrk

QUERY = "SELECT ?p ?o WHERE { <%s> ?p ?o }"

# ---------------------------------------------------------------------------- the app under test


def _evaluate(store: ox.Store, text: str) -> bytes:
    """Oxigraph's own evaluation and JSON serialisation, with nothing of ours around it."""
    return store.query(text).serialize(format=ox.QueryResultsFormat.JSON) or b""  # type: ignore[union-attr]


def _supervised(store_path: str):  # type: ignore[no-untyped-def]
    """kdgraph's server engine: a child process behind a multiprocessing pipe, killed at the deadline."""
    from kdgraph.query.supervised import SupervisedEngine

    return SupervisedEngine(store_path, timeout=30, max_bytes=50_000_000)


def _run_supervised(engine, text: str) -> bytes:  # type: ignore[no-untyped-def]
    from kdgraph.query.engine import TRANSPORT, Query

    return engine.answer(Query(text), TRANSPORT).body


def _pipe_engine_main(sock: socket.socket, store_path: str) -> None:
    store = ox.Store.read_only(store_path)
    while True:
        header = _read_exact(sock, 4)
        if not header:
            os._exit(0)
        text = _read_exact(sock, struct.unpack("!I", header)[0]).decode()
        body = _evaluate(store, text)
        sock.sendall(struct.pack("!I", len(body)) + body)


def _read_exact(sock: socket.socket, size: int) -> bytes:
    chunks, remaining = [], size
    while remaining:
        chunk = sock.recv(min(remaining, 1 << 20))
        if not chunk:
            return b""
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


class PipeEngine:
    """A forked child evaluating queries sent as raw bytes over a socketpair."""

    def __init__(self, store_path: str):
        self.sock, child = socket.socketpair()
        pid = os.fork()
        if pid == 0:
            self.sock.close()
            try:
                _pipe_engine_main(child, store_path)
            finally:
                os._exit(1)
        child.close()
        self.pid = pid

    def run(self, text: str) -> bytes:
        data = text.encode()
        self.sock.sendall(struct.pack("!I", len(data)) + data)
        return _read_exact(self.sock, struct.unpack("!I", _read_exact(self.sock, 4))[0])


def create_app():  # type: ignore[no-untyped-def]
    from flask import Flask, Response, request

    store_path, resource = os.environ["STACK_STORE"], os.environ["STACK_RESOURCE"]
    text = QUERY % resource
    app = Flask(__name__)
    local = threading.local()  # one store handle / engine per thread, opened after the fork

    @app.route("/trivial", methods=["GET", "POST"])
    def trivial() -> Response:
        request.get_data()  # a POST body is read whole, as a query form is
        return Response(b"ok\n", mimetype="text/plain")

    @app.route("/q/<mode>")
    def query(mode: str) -> Response:
        if mode == "inproc":
            if getattr(local, "store", None) is None:
                local.store = ox.Store.read_only(store_path)
            body = _evaluate(local.store, text)
        elif mode == "pipe":
            if getattr(local, "pipe", None) is None:
                local.pipe = PipeEngine(store_path)
            body = local.pipe.run(text)
        else:
            if getattr(local, "mp", None) is None:
                local.mp = _supervised(store_path)
            body = _run_supervised(local.mp, text)
        return Response(body, mimetype="application/sparql-results+json")

    return app


app = create_app() if "STACK_STORE" in os.environ else None


def asgi_bridge(wsgi, threads: int, body_seconds: float = 10, body_limit: int = 1_000_000):  # type: ignore[no-untyped-def]
    """An ASGI app that reads the whole request body in the event loop, within a deadline and a
    size limit, and only then runs the WSGI app in a pool of ``threads``: a slow client holds a
    coroutine, never a thread. (A sketch to measure the idea; no streaming responses.)"""
    import asyncio
    import io
    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(threads)

    def call(environ: dict) -> tuple[str, list, bytes]:
        started: list = []
        body = b"".join(wsgi(environ, lambda status, headers, exc=None: started.extend((status, headers))))
        return started[0], started[1], body

    async def reply(send, status: int, headers: list, body: bytes) -> None:  # type: ignore[no-untyped-def]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def application(scope, receive, send):  # type: ignore[no-untyped-def]
        loop = asyncio.get_running_loop()
        end, body = loop.time() + body_seconds, bytearray()
        while True:
            try:
                message = await asyncio.wait_for(receive(), max(0.0, end - loop.time()))
            except TimeoutError:
                return await reply(send, 408, [(b"content-type", b"text/plain")], b"request body too slow\n")
            body += message.get("body", b"")
            if len(body) > body_limit:
                return await reply(send, 413, [(b"content-type", b"text/plain")], b"request too large\n")
            if not message.get("more_body"):
                break
        headers = {
            k.decode("latin-1").upper().replace("-", "_"): v.decode("latin-1") for k, v in scope["headers"]
        }
        environ = {
            "REQUEST_METHOD": scope["method"],
            "PATH_INFO": scope["path"],
            "SCRIPT_NAME": "",
            "QUERY_STRING": scope["query_string"].decode("latin-1"),
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "0",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(bytes(body)),
            "wsgi.errors": sys.stderr,
            "wsgi.version": (1, 0),
            "wsgi.multithread": True,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
            "CONTENT_TYPE": headers.pop("CONTENT_TYPE", ""),
            "CONTENT_LENGTH": headers.pop("CONTENT_LENGTH", ""),
            **{f"HTTP_{k}": v for k, v in headers.items()},
        }
        status, response_headers, payload = await loop.run_in_executor(pool, call, environ)
        encoded = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in response_headers]
        await reply(send, int(status.split(" ", 1)[0]), encoded, payload)

    return application


asgi_app = asgi_bridge(app, int(os.environ.get("STACK_THREADS", "4"))) if app is not None else None

# ---------------------------------------------------------------------------- the measurement


def make_store(path: Path, n: int) -> str:
    """An on-disk store of n dossiers in one named graph (today's layout); a resource in it."""
    from generate import generate  # type: ignore[import-not-found]

    graph = ox.NamedNode("https://w3id.org/kdgraph/graph/kdgraph")
    triples = generate(n)
    store = ox.Store(str(path))
    store.bulk_extend(ox.Quad(t.subject, t.predicate, t.object, graph) for t in triples)
    store.flush()
    del store
    subjects = sorted({t.subject.value for t in triples if isinstance(t.subject, ox.NamedNode)})
    return next(s for s in subjects if "/id/qualification/" in s)


def servers(port: int, workers: int, threads: int) -> dict[str, list[str]]:
    bench = str(Path(__file__).parent)
    common = ["--bind", f"127.0.0.1:{port}", "--chdir", bench, "--log-level", "warning", "http_stack:app"]
    out: dict[str, list[str]] = {}
    gunicorn = shutil.which("gunicorn", path=str(BIN)) or shutil.which("gunicorn")
    if gunicorn:
        out[f"gunicorn sync x{2 * workers}"] = [gunicorn, "-w", str(2 * workers), *common]
        out[f"gunicorn gthread {workers}x{threads}"] = [
            gunicorn, "-w", str(workers), "-k", "gthread", "--threads", str(threads), *common,
        ]  # fmt: skip
    granian = shutil.which("granian", path=str(BIN)) or shutil.which("granian")
    if granian:
        # (the bridge runs Flask in its own pool of --threads, STACK_THREADS)
        for interface, label, target, pool in (
            ("wsgi", "granian wsgi", "http_stack:app", ["--blocking-threads", str(threads)]),
            ("asginl", "granian asgi + body-reading bridge", "http_stack:asgi_app", []),
        ):
            out[f"{label} {workers}x{threads}"] = [
                granian, "--interface", interface, "--host", "127.0.0.1", "--port", str(port),
                "--workers", str(workers), *pool, "--working-dir", bench,
                "--no-access-log", "--log-level", "warning", target,
            ]  # fmt: skip
    return out


def restart_cost(store_path: str, resource: str, trials: int) -> dict[str, float]:
    """Median ms from the decision to restart until the new engine has answered one query."""
    text, raw, mp = QUERY % resource, [], []
    for _ in range(trials):
        start = time.perf_counter()
        engine = PipeEngine(store_path)
        engine.run(text)
        raw.append(time.perf_counter() - start)
        engine.sock.close()
        os.waitpid(engine.pid, 0)
        start = time.perf_counter()
        process = _supervised(store_path)
        _run_supervised(process, text)
        mp.append(time.perf_counter() - start)
        process.close()
    return {
        "fork+open+1 query (raw pipe)": statistics.median(raw) * 1000,
        "kdgraph SupervisedEngine (multiprocessing pipe)": statistics.median(mp) * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=2, help="duration of each wrk run")
    parser.add_argument("--repeat", type=int, default=3, help="runs per server, endpoint and concurrency")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (gunicorn sync: twice this)")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (gthread, granian)")
    parser.add_argument("--loris", type=int, default=50, help="slow-loris connections")
    parser.add_argument("--loris-seconds", type=float, default=20)
    parser.add_argument("--restart-sizes", type=int, nargs="*", default=[1, 200])
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--only-loris", action="store_true", help="skip the wrk runs")
    parser.add_argument("--only", help="only the servers whose name contains this")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if not args.skip_http:
            store = Path(tmp) / "store-1"
            resource = make_store(store, 1)
            http_figures(args, str(store), resource)
        print("\n### Engine restart (median of 20)\n")
        print(
            "| dossiers | fork + open read-only store + first answer, raw pipe (ms) "
            "| kdgraph SupervisedEngine (ms) |"
        )
        print("|---:|---:|---:|")
        for n in args.restart_sizes:
            store = Path(tmp) / f"store-{n}"
            resource = make_store(store, n)
            cost = list(restart_cost(str(store), resource, 20).values())
            print(f"| {n} | {cost[0]:.1f} | {cost[1]:.1f} |", flush=True)


def http_figures(args: argparse.Namespace, store: str, resource: str) -> None:
    """All servers run at once (idle but one); the wrk runs go round-robin over them, repeated,
    so that the load of a shared machine falls on each alike; medians reported."""
    env = dict(os.environ, STACK_STORE=store, STACK_RESOURCE=resource, STACK_THREADS=str(args.threads))
    names = [n for n in servers(0, args.workers, args.threads) if not args.only or args.only in n]
    running: dict[str, tuple[str, Server]] = {}
    endpoints = () if args.only_loris else ("/trivial", "/q/inproc", "/q/pipe", "/q/mp")
    try:
        for name in names:
            port = free_port()
            url = f"http://127.0.0.1:{port}"
            command = servers(port, args.workers, args.threads)[name]
            running[name] = (url, Server(name, [command], url + "/trivial", env))
        runs: dict[tuple[str, str, int], list] = {}
        for url, _ in running.values():
            for endpoint in endpoints:
                wrk(url + endpoint, 8, 1)  # every engine and store opened
        for _ in range(args.repeat):
            for endpoint in endpoints:
                for concurrency in (1, 8):
                    for name, (url, _) in running.items():
                        runs.setdefault((name, endpoint, concurrency), []).append(
                            wrk(url + endpoint, concurrency, args.seconds)
                        )
        if runs:
            print(f"medians of {args.repeat} runs of {args.seconds:g} s, round-robin over the servers\n")
            print("| server | endpoint | c | req/s | p50 ms | p99 ms |")
            print("|---|---|---:|---:|---:|---:|")
        for (name, endpoint, concurrency), results in runs.items():
            rate, p50, p99 = (
                statistics.median(getattr(r, f) for r in results) for f in ("rate", "p50", "p99")
            )
            print(f"| {name} | {endpoint} | {concurrency} | {rate:.0f} | {p50:.2f} | {p99:.2f} |", flush=True)
        loris_rows = []
        for name, (url, _) in running.items():
            for kind, body in (("header lines", None), ("body bytes", "/trivial")):
                loris = slow_loris(url, "/trivial", args.loris, args.loris_seconds, body=body)
                loris_rows.append((name, kind, loris))
    finally:
        for _, server in running.values():
            server.stop()
    print(f"\n### {args.loris} slow clients (one header line or body byte every 2 s), /trivial polled")
    print(f"for {args.loris_seconds:g} s (a poll fails on no answer within 10 s)\n")
    print("| server | slow clients send | polls | failed | p50 ms | max ms | slow connections still open |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for name, kind, poll in loris_rows:
        ok = poll.latencies or [float("nan")]
        print(
            f"| {name} | {kind} | {poll.polls} | {poll.failures} | {percentile(ok, 50) * 1000:.1f} | "
            f"{max(ok) * 1000:.1f} | {poll.held_open} |"
        )


if __name__ == "__main__":
    main()
