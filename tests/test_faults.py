"""An operator's worst day: every fault ends serving the last good version, or in a clear refusal.

Real ``kdgraph serve`` processes (tests/server_process.py). Full and read-only disks are small
tmpfs filesystems mounted for the test (as root; skipped where mounting is not allowed, the
in-process tests in test_state_dir.py cover the same paths with a failing writer).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from .conftest import edited_data
from .server_process import KDGRAPH, ServerProcess

pytestmark = pytest.mark.server  # real `kdgraph serve` processes (see conftest)

DOSSIER_FILE = "productietechniek/01-dossier.trig"
LABEL = '"Productietechniek"@nl'
DOSSIER = "https://w3id.org/kdgraph/id/dossier/productietechniek"
NL_LABELS = (
    f"SELECT ?label WHERE {{ <{DOSSIER}> <http://www.w3.org/2000/01/rdf-schema#label> ?label "
    'FILTER(LANG(?label) = "nl") } ORDER BY ?label'
)


def health(server: ServerProcess) -> dict:
    return requests.get(f"{server.url}/health", timeout=30).json()


def nl_labels(server: ServerProcess) -> list[str]:
    response = requests.get(
        f"{server.url}/sparql",
        params={"query": NL_LABELS},
        headers={"Accept": "application/sparql-results+json"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return [row["label"]["value"] for row in response.json()["results"]["bindings"]]


def reload_and_wait(server: ServerProcess, timeout: float = 180) -> dict:
    """SIGHUP, then /health once this reload is recorded."""
    before = health(server)["last_reload"]
    server.hup()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        current = health(server)
        if current["last_reload"] != before:
            return current
        time.sleep(0.1)
    raise AssertionError("the reload never finished:\n" + "\n".join(server.log))


def relabel(data: Path, label: str) -> None:
    """Give the dossier a new Dutch label (a new version that conforms), written in place."""
    path = data / DOSSIER_FILE
    text = path.read_text(encoding="utf-8")
    start = text.index('rdfs:label "', text.index("dossier:productietechniek a")) + len("rdfs:label ")
    end = text.index(" ;", start)
    path.write_text(text[:start] + label + text[end:], encoding="utf-8")


def leftovers(state: Path) -> list[str]:
    """Files or directories no served version uses."""
    current = json.loads((state / "current.json").read_text(encoding="utf-8"))
    names = []
    for entry in state.iterdir():
        if entry.name.startswith(".tmp-") or (
            entry.name.startswith("build-") and str(entry) != current["build"]
        ):
            names.append(entry.name)
        if entry.is_dir():
            names += [f"{entry.name}/{p.name}" for p in entry.glob(".tmp-*")]
    return names


def refused_start(state: Path, data: Path) -> str:
    """``kdgraph serve`` that must refuse to start: exit 2, a message and no traceback (its stderr)."""
    done = subprocess.run(
        [KDGRAPH, "serve", "--port", "0", "--state-dir", str(state), "--data", str(data)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr and "not serving" in done.stderr
    return done.stderr


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return edited_data(tmp_path, LABEL, LABEL)  # an unchanged copy to edit


# ------------------------------------------------------------------ integrity (point 1)


@pytest.mark.parametrize("delay", [0.02, 0.06, 0.1, 0.16])
def test_validated_files_changed_right_after_sighup_serve_exactly_the_validated_graph_or_are_refused(
    data: Path, tmp_path: Path, delay: float
) -> None:
    with ServerProcess(["--data", str(data), "--workers", "1"], tmp_path / "state") as server:
        assert nl_labels(server) == ["Productietechniek"]
        relabel(data, '"Productietechniek (gevalideerd)"@nl')
        validated = subprocess.run([KDGRAPH, "validate", str(data)], capture_output=True, timeout=300)
        assert validated.returncode == 0  # the verdict is now remembered for these bytes
        before = health(server)["last_reload"]
        server.hup()
        time.sleep(delay)  # the operator's next edit lands while the reload reads the files
        relabel(data, '"Productietechniek (gevalideerd)"@nl , "Tweede naam"@nl')
        deadline = time.monotonic() + 180
        while health(server)["last_reload"] == before and time.monotonic() < deadline:
            time.sleep(0.1)
        after = health(server)
        served = nl_labels(server)
        if after["last_reload"]["ok"]:  # it read the validated bytes: exactly those are served
            assert served == ["Productietechniek (gevalideerd)"]
        else:  # it read the violating bytes: refused, the old version still serves
            assert "SHACL violations" in after["last_reload"]["error"]
            assert served == ["Productietechniek"]
        assert after["conforms"] is True and after["violations"] == 0
        # restoring the validated file brings exactly the validated graph, never the violating one
        relabel(data, '"Productietechniek (gevalideerd)"@nl')
        restored = reload_and_wait(server)
        assert restored["last_reload"]["ok"] is True, restored
        assert nl_labels(server) == ["Productietechniek (gevalideerd)"]


# ------------------------------------------------------------------ disks


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 24 MB tmpfs for the state directory, to fill up or make read-only."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small filesystem here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path) -> Path:
    """Fill ``disk`` to the last byte; remove the returned file to make room again."""
    filler = disk / "filler"
    descriptor = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        for size in (1 << 20, 4096, 1):
            try:
                while os.write(descriptor, b"\0" * size):
                    pass
            except OSError as error:
                assert error.errno == errno.ENOSPC
    finally:
        os.close(descriptor)
    return filler


def remount(disk: Path, mode: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{mode}", str(disk)], check=True)


def test_full_disk_at_reload_keeps_serving_and_health_says_why(data: Path, small_disk: Path) -> None:
    state = small_disk / "state"
    with ServerProcess(["--data", str(data), "--workers", "2"], state) as server:
        first = health(server)
        filler = fill(small_disk)
        relabel(data, '"Productietechniek (herzien)"@nl')
        failed = reload_and_wait(server)
        assert failed["last_reload"]["ok"] is False
        assert "No space left on device" in failed["last_reload"]["error"]
        assert failed["status"] == "degraded" and "the last reload failed" in failed["reasons"][0]
        assert failed["version"] == first["version"] and nl_labels(server) == ["Productietechniek"]
        assert leftovers(state) == []  # the interrupted build is gone
        assert server.process.poll() is None  # the main process survived
        filler.unlink()
        done = reload_and_wait(server)
        assert done["last_reload"]["ok"] is True and done["status"] == "ok"
        assert nl_labels(server) == ["Productietechniek (herzien)"]


def test_read_only_disk_at_reload_keeps_serving_and_a_restart_serves_what_is_there(
    data: Path, small_disk: Path
) -> None:
    state = small_disk / "state"
    with ServerProcess(["--data", str(data), "--workers", "1"], state) as server:
        version = health(server)["version"]
        remount(small_disk, "ro")
        relabel(data, '"Productietechniek (herzien)"@nl')
        failed = reload_and_wait(server)
        assert (
            failed["last_reload"]["ok"] is False and "Read-only file system" in failed["last_reload"]["error"]
        )
        assert failed["status"] == "degraded" and nl_labels(server) == ["Productietechniek"]
    relabel(data, LABEL)  # back to what the read-only state holds: it can be served as it is
    with ServerProcess(["--data", str(data), "--workers", "1"], state) as server:
        again = health(server)
        assert again["version"] == version and again["status"] == "ok" and again["last_reload"] is None
        assert nl_labels(server) == ["Productietechniek"]
    relabel(data, '"Productietechniek (herzien)"@nl')
    refused = refused_start(state, data)
    assert "Read-only file system" in refused


# ------------------------------------------------------------------ damaged state files


def _store_file(state: Path) -> Path:
    build = Path(json.loads((state / "current.json").read_text(encoding="utf-8"))["build"])
    return max((build / "store").glob("*.sst"), key=lambda p: p.stat().st_size)


DAMAGE = {
    "current.json truncated": lambda s: (s / "current.json").write_bytes(
        (s / "current.json").read_bytes()[:40]
    ),
    "current.json deleted": lambda s: (s / "current.json").unlink(),
    "manifest truncated": lambda s: (_store_file(s).parent.parent / "manifest.json").write_bytes(b'{"fi'),
    "store file deleted": lambda s: _store_file(s).unlink(),
    "store file truncated": lambda s: _store_file(s).write_bytes(_store_file(s).read_bytes()[:100]),
    "stale reload.json": lambda s: (s / "reload.json").write_text('{"ok": false, "error": "old"}'),
    "dump truncated": lambda s: (_store_file(s).parent.parent / "dumps/kdgraph.ttl").write_bytes(b"@prefix"),
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_damaged_state_is_rebuilt_at_restart_never_served(data: Path, tmp_path: Path, damage: str) -> None:
    state = tmp_path / "state"
    with ServerProcess(["--data", str(data), "--workers", "1"], state) as server:
        before = health(server)
    DAMAGE[damage](state)
    with ServerProcess(["--data", str(data), "--workers", "1"], state) as server:
        after = health(server)
        assert (
            after["version"] == before["version"] and after["status"] == "ok" and after["last_reload"] is None
        )
        assert nl_labels(server) == ["Productietechniek"]
        dump = requests.get(f"{server.url}/dumps/kdgraph.ttl", timeout=30)
        assert dump.status_code == 200 and len(dump.content) > 100_000
        assert leftovers(state) == [] and not (state / "reload.json").exists()
        if damage.startswith(("current.json truncated", "manifest", "store")):
            assert any("preparing the data anew" in line for line in server.log), server.log


def test_damaged_state_that_cannot_be_rebuilt_is_a_clear_refusal(data: Path, tmp_path: Path) -> None:
    state = tmp_path / "state"
    with ServerProcess(["--data", str(data), "--workers", "1"], state):
        pass
    _store_file(state).unlink()
    dossier = data / DOSSIER_FILE
    dossier.write_text(dossier.read_text(encoding="utf-8").replace('"2023-08-01"^^xsd:date', '"2023-08-01'))
    refused = refused_start(state, data)
    assert ".sst: missing" in refused and "01-dossier.trig:" in refused


def test_a_store_file_deleted_while_serving_is_reported_by_health_and_rebuilt_by_a_reload(
    data: Path, tmp_path: Path
) -> None:
    """/health only reads: it says what is damaged and since when, and leaves the repair to the
    preparation (before, it sent the main process a SIGHUP: a read that changed what is served)."""
    with ServerProcess(["--data", str(data), "--workers", "1"], tmp_path / "state") as server:
        deleted = _store_file(server.state_dir)
        deleted.unlink()
        noticed = health(server)
        assert noticed["status"] == "degraded" and ".sst" in noticed["reasons"][0]
        assert noticed["damaged"]["path"] == str(deleted) and noticed["damaged"]["problem"] == "missing"
        since = datetime.fromisoformat(noticed["damaged"]["since"])
        assert since == datetime.fromtimestamp(int(deleted.parent.stat().st_mtime), UTC)
        again = health(server)  # asking again repairs nothing, nor starts a preparation
        assert again["damaged"] == noticed["damaged"] and again["last_reload"] is None
        assert (
            not list(server.state_dir.glob("build-*/store"))
            or len(list(server.state_dir.glob("build-*"))) == 1
        )
        rebuilt = reload_and_wait(server)
        assert (
            rebuilt["last_reload"]["ok"] is True and rebuilt["status"] == "ok" and rebuilt["damaged"] is None
        )
        count = "SELECT (COUNT(*) AS ?n) WHERE { ?q a <https://w3id.org/kdgraph/def/kd#Qualification> }"
        answer = requests.get(f"{server.url}/sparql", params={"query": count}, timeout=30)
        assert answer.json()["results"]["bindings"][0]["n"]["value"] == "4"


# ------------------------------------------------------------------ processes


WORKER_BOOTED = re.compile(r"Spawning worker-\d+ with PID: (\d+)")
LISTENING = re.compile(r"Listening at: (http://[\d.]+:\d+)")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _children(pid: int) -> list[int]:
    """The children of ``pid``, forked by any of its threads."""
    children: list[int] = []
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError):
                children += [int(p) for p in (task / "children").read_text().split()]
    return children


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


def _wait_until(condition, timeout: float = 30) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_a_worker_killed_with_sigkill_leaves_no_engine_and_the_port_is_free_after_stop(
    data: Path, tmp_path: Path
) -> None:
    port = _free_port()
    args = ["--data", str(data), "--workers", "1", "--port", str(port)]
    with ServerProcess(args, tmp_path / "state") as server:
        assert nl_labels(server) == ["Productietechniek"]  # the worker has started its engine
        workers = [p for p in _children(server.process.pid) if _children(p)]
        assert len(workers) == 1
        engines = _children(workers[0])
        os.kill(workers[0], signal.SIGKILL)
        assert _wait_until(lambda: not any(_alive(e) for e in engines)), "the engine outlived its worker"
        assert _wait_until(lambda: health(server)["status"] == "ok")  # a new worker answers
        group = server.process.pid
    assert _wait_until(lambda: not _alive(group))
    with ServerProcess(args, tmp_path / "state") as again:  # the same port
        assert again.url.endswith(f":{port}") and nl_labels(again) == ["Productietechniek"]


def test_a_connection_made_while_the_only_worker_is_dead_waits_for_its_replacement(
    data: Path, tmp_path: Path
) -> None:
    """One listening socket, bound by the main process, shared by the workers (serve.py): a
    client that connects while no worker lives is queued there and answered by the respawned
    worker. With granian's default on Linux (a socket per worker, SO_REUSEPORT) it was refused,
    and the killed worker's queued connections reset. The main process is stopped meanwhile, so
    no new worker can be running when the client connects (granian respawns at once)."""
    with ServerProcess(["--data", str(data), "--workers", "1"], tmp_path / "state") as server:
        port = int(server.url.rsplit(":", 1)[1])
        assert nl_labels(server) == ["Productietechniek"]  # the worker runs, with its engines
        (worker,) = [p for p in _children(server.process.pid) if _children(p)]
        os.kill(server.process.pid, signal.SIGSTOP)
        try:
            os.kill(worker, signal.SIGKILL)
            assert _wait_until(lambda: not _alive(worker))
            client = socket.create_connection(("127.0.0.1", port), timeout=60)
            client.sendall(b"GET /health HTTP/1.1\r\nHost: kdgraph\r\nConnection: close\r\n\r\n")
        finally:
            os.kill(server.process.pid, signal.SIGCONT)
        with client:
            answer = b""
            while chunk := client.recv(65536):
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
        assert worker not in _children(server.process.pid)  # answered by its replacement


def test_a_server_killed_during_a_reload_restarts_on_the_last_good_version(
    data: Path, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    with ServerProcess(["--data", str(data), "--workers", "1"], state) as server:
        version = health(server)["version"]
        builds = set(state.glob("build-*"))
        relabel(data, '"Productietechniek (herzien)"@nl')  # not validated yet
        server.hup()
        assert _wait_until(lambda: set(state.glob("build-*")) - builds or health(server)["last_reload"], 120)
        os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait()
    with ServerProcess(["--data", str(data), "--workers", "1"], state) as server:
        after = health(server)
        assert after["last_reload"] is None and after["status"] == "ok"
        # the restart prepares the edited data (or found it already current): never a half build
        assert nl_labels(server) == ["Productietechniek (herzien)"]
        assert leftovers(state) == []
        assert after["version"] != version


def test_reload_leaves_the_main_process_free_to_replace_a_killed_worker(data: Path, tmp_path: Path) -> None:
    with ServerProcess(["--data", str(data), "--workers", "1"], tmp_path / "state") as server:
        assert nl_labels(server) == ["Productietechniek"]  # the worker has started its engine
        main = server.process.pid

        def booted() -> set[int]:
            return {int(m.group(1)) for m in map(WORKER_BOOTED.search, server.log) if m}

        worker = next(p for p in _children(main) if _children(p))
        relabel(data, '"Productietechniek (herzien)"@nl')  # SHACL takes a while
        before = health(server)["last_reload"]
        server.hup()

        def preparing() -> list[int]:  # the preparation child
            return [p for p in _children(main) if p not in booted() and _alive(p)]

        assert _wait_until(preparing, 60)
        preparer = preparing()
        os.kill(worker, signal.SIGKILL)
        assert _wait_until(lambda: booted() - {worker}, 60)  # granian started a new worker
        labels = nl_labels(server)  # answered by the new worker
        if any(_alive(p) for p in preparer):  # so it was answered while the reload was prepared
            assert labels == ["Productietechniek"] and health(server)["last_reload"] == before
        deadline = time.monotonic() + 120
        while health(server)["last_reload"] == before and time.monotonic() < deadline:
            time.sleep(0.1)
        assert health(server)["last_reload"]["ok"] is True
        assert nl_labels(server) == ["Productietechniek (herzien)"]


def test_a_sighup_while_the_data_is_prepared_at_start_is_a_reload_once_serving(
    data: Path, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    relabel(data, '"Productietechniek (herzien)"@nl')  # not validated yet
    log = tmp_path / "serve.log"
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [KDGRAPH, "serve", "--port", "0", "--state-dir", str(state), "--data", str(data)],
            stderr=stderr,
            start_new_session=True,
        )
    try:
        assert _wait_until(lambda: (state / "lock").exists(), 60)  # (taken after SIGHUP is handled)
        os.kill(process.pid, signal.SIGHUP)
        assert _wait_until(lambda: LISTENING.search(log.read_text()), 120), log.read_text()
        url = LISTENING.search(log.read_text()).group(1)  # type: ignore[union-attr]
        assert _wait_until(lambda: requests.get(f"{url}/health", timeout=30).json()["last_reload"], 120)
        after = requests.get(f"{url}/health", timeout=30).json()
        assert after["last_reload"]["ok"] is True and after["status"] == "ok"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(60)


def _serve_without_state_dir(tmpdir: Path, stop: signal.Signals) -> None:
    """Start ``kdgraph serve`` with TMPDIR=``tmpdir`` and no --state-dir; once listening, ``stop`` it."""
    process = subprocess.Popen(
        [KDGRAPH, "serve", "--port", "0", "--workers", "1"],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TMPDIR": str(tmpdir)},
        start_new_session=True,
    )
    assert process.stderr is not None
    for line in process.stderr:
        if "Listening at" in line:
            break
    assert len(list(tmpdir.glob("kdgraph-*"))) == 1  # its own; an abandoned one is gone by now
    os.killpg(process.pid, stop)
    process.wait(60)
    process.stderr.close()


def test_without_state_dir_the_temporary_directory_is_removed_at_exit_and_after_a_kill(
    tmp_path: Path,
) -> None:
    _serve_without_state_dir(tmp_path, signal.SIGTERM)
    assert list(tmp_path.glob("kdgraph-*")) == []
    _serve_without_state_dir(tmp_path, signal.SIGKILL)
    assert len(list(tmp_path.glob("kdgraph-*"))) == 1  # the killed one's: the next start removes it
    _serve_without_state_dir(tmp_path, signal.SIGTERM)
    assert list(tmp_path.glob("kdgraph-*")) == []


def test_long_get_queries_reach_our_code_up_to_the_fixed_request_line_limit(bundled_server) -> None:  # type: ignore[no-untyped-def]
    """gunicorn cut GET queries off at 4 kB until its limit was switched off; granian's HTTP
    parser (hyper) has a fixed limit of 65,534 bytes for the request target, which no setting
    raises (measured: 65,000 answered, 65,600 refused). Up to it, a GET query reaches our code;
    above it, 414 URI Too Long, and above granian's request-head buffer (about 400 kB, and so
    above our own 1 MB limit) 431 Request Header Fields Too Large: POST such queries."""
    padding = "# " + "x" * 60_000 + "\n"
    long = requests.get(
        f"{bundled_server.url}/sparql",
        params={"query": padding + "ASK { ?s ?p ?o }"},
        headers={"Accept": "application/sparql-results+json"},
        timeout=30,
    )
    assert long.status_code == 200 and long.json()["boolean"] is True
    for size, status in ((66_000, 414), (1_100_000, 431)):
        too_long = requests.get(
            f"{bundled_server.url}/sparql", params={"query": "# " + "x" * size + "\nASK {}"}, timeout=30
        )
        assert too_long.status_code == status, size
    posted = requests.post(
        f"{bundled_server.url}/sparql",
        data={"query": "# " + "x" * 500_000 + "\nASK { ?s ?p ?o }"},
        headers={"Accept": "application/sparql-results+json"},
        timeout=30,
    )
    assert posted.status_code == 200 and posted.json()["boolean"] is True


def test_sighup_reloads_the_data_without_restarting_the_workers_and_leaves_no_zombie(
    data: Path, tmp_path: Path
) -> None:
    """granian's own SIGHUP respawns every worker; ours only wakes the preparation thread. The
    preparation children it starts are reaped by us (granian reaps only its workers)."""
    with ServerProcess(["--data", str(data), "--workers", "2"], tmp_path / "state") as server:
        main = server.process.pid
        workers = {int(m.group(1)) for m in map(WORKER_BOOTED.search, server.log) if m}
        assert len(workers) == 2 and set(_children(main)) >= workers
        relabel(data, '"Productietechniek (herzien)"@nl')
        after = reload_and_wait(server)
        assert after["last_reload"]["ok"] is True
        assert nl_labels(server) == ["Productietechniek (herzien)"]
        assert {int(m.group(1)) for m in map(WORKER_BOOTED.search, server.log) if m} == workers
        assert all(_alive(worker) for worker in workers)
        assert not any("espawning" in line for line in server.log), server.log
        assert _wait_until(lambda: all(_alive(child) for child in _children(main))), [
            Path(f"/proc/{child}/stat").read_text() for child in _children(main)
        ]


def test_fifty_slow_loris_connections_do_not_stop_health(bundled_server) -> None:  # type: ignore[no-untyped-def]
    """Issue 12: under gunicorn's sync workers, 50 connections that send a header line now and then
    held every worker, and /health went unanswered. granian reads headers in Rust, apart from the
    Python threads that run the app, so such connections hold no thread."""
    host, port = urlsplit(bundled_server.url).hostname, urlsplit(bundled_server.url).port
    slow = [socket.create_connection((host, port), timeout=30) for _ in range(50)]
    stop = threading.Event()

    def drip() -> None:  # a header line a second on every connection, never the blank line
        while not stop.wait(1):
            for connection in slow:
                with contextlib.suppress(OSError):  # (closed by the server at its header timeout)
                    connection.sendall(b"X-Slow: %d\r\n" % time.monotonic_ns())

    dripping = threading.Thread(target=drip, daemon=True)
    try:
        for connection in slow:
            connection.sendall(b"GET /health HTTP/1.1\r\nHost: kdgraph\r\n")
        dripping.start()
        for _ in range(5):  # each on a new connection, while the slow ones are open
            answer = requests.get(f"{bundled_server.url}/health", timeout=30)
            assert answer.status_code == 200 and answer.json()["status"] == "ok"
            time.sleep(1)
    finally:
        stop.set()
        dripping.join(30)
        for connection in slow:
            connection.close()


# ------------------------------------------------------------------ nobody can take it offline (issue 22)


def _descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (workers, engines, preparation children)."""
    found, todo = [], [pid]
    while todo:
        for child in _children(todo.pop()):
            found.append(child)
            todo.append(child)
    return found


def _closed_by_server(connection: socket.socket) -> bool:
    """Whether the server has closed ``connection`` (end of stream or reset), without waiting."""
    connection.setblocking(False)
    try:
        return connection.recv(65536) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def test_a_kill_9_of_the_main_process_leaves_no_process_and_a_restart_serves_at_once(
    data: Path, tmp_path: Path
) -> None:
    """What an operator, a watchdog or the OOM killer does: SIGKILL to the main process only.
    Before, its workers and engines served on, re-parented to PID 1, holding the port and the
    state directory's lock, and every restart failed."""
    port = _free_port()
    args = ["--data", str(data), "--workers", "2", "--port", str(port)]
    state = tmp_path / "state"
    server = ServerProcess(args, state)
    try:
        assert nl_labels(server) == ["Productietechniek"]  # a worker has started its engines
        main = server.process.pid
        below = _descendants(main)
        assert len([p for p in below if _children(p)]) >= 1  # a worker with engines
        os.kill(main, signal.SIGKILL)
        server.process.wait(30)
        assert _wait_until(lambda: not any(_alive(p) for p in below)), [
            Path(f"/proc/{p}/cmdline").read_bytes() for p in below if _alive(p)
        ]
    finally:
        server.stop()
    with ServerProcess(args, state) as again:  # the same port and state directory, at once
        assert again.url.endswith(f":{port}") and health(again)["status"] == "ok"
        assert nl_labels(again) == ["Productietechniek"]


def test_silent_and_idle_connections_are_closed_and_a_thousand_from_one_address_cannot_stop_health(
    tmp_path: Path,
) -> None:
    """A connection that sends nothing, or nothing more after its answer, is closed by the server;
    one address cannot hold more than its share of a worker's connections. Before, granian kept
    them all open, and 1,024 silent ones filled a worker: /health went unanswered while they were
    held."""
    with ServerProcess(["--workers", "1"], tmp_path / "state") as server:
        host, port = urlsplit(server.url).hostname, urlsplit(server.url).port
        assert host is not None and port is not None
        flood: list[socket.socket] = []
        quiet: list[socket.socket] = []
        try:
            for _ in range(1100):  # more than a worker's 1,024 connections, all from one address
                connection = socket.socket()
                connection.bind(("127.0.0.7", 0))
                connection.setblocking(False)
                with contextlib.suppress(BlockingIOError):
                    connection.connect((host, port))
                flood.append(connection)
            answer = requests.get(f"{server.url}/health", timeout=60)  # from 127.0.0.1
            assert answer.status_code == 200 and answer.json()["status"] == "ok"
            for _ in range(2):  # under the limit per address: only their silence closes them
                quiet.append(
                    socket.create_connection((host, port), timeout=30, source_address=("127.0.0.8", 0))
                )
            answered = socket.create_connection((host, port), timeout=30, source_address=("127.0.0.8", 0))
            answered.sendall(b"GET /health HTTP/1.1\r\nHost: kdgraph\r\n\r\n")
            assert answered.recv(65536).startswith(b"HTTP/1.1 200")
            quiet.append(answered)  # keep-alive, and nothing more
            assert _wait_until(lambda: all(_closed_by_server(c) for c in quiet), 60)
            assert _wait_until(lambda: sum(_closed_by_server(c) for c in flood) == len(flood), 60)
            answer = requests.get(f"{server.url}/health", timeout=60)
            assert answer.status_code == 200 and answer.json()["status"] == "ok"
        finally:
            for connection in flood + quiet:
                connection.close()


def test_a_query_sent_while_every_engine_of_its_worker_was_killed_is_answered_by_a_fresh_one(
    data: Path, tmp_path: Path
) -> None:
    """An engine killed while idle (an operator, the OOM killer): the next query never reached
    it. Before, that query got 503; now it goes to a fresh engine."""
    with ServerProcess(["--data", str(data), "--workers", "1"], tmp_path / "state") as server:
        assert nl_labels(server) == ["Productietechniek"]  # the worker has started its engines
        worker = next(p for p in _children(server.process.pid) if _children(p))
        engines = _children(worker)
        for engine in engines:
            os.kill(engine, signal.SIGKILL)
        assert _wait_until(lambda: not any(_alive(e) for e in engines))
        assert nl_labels(server) == ["Productietechniek"]  # a new text: no cache answers it
        again = requests.get(
            f"{server.url}/sparql",
            params={"query": NL_LABELS + " # again"},
            headers={"Accept": "application/sparql-results+json"},
            timeout=30,
        )
        assert again.status_code == 200


def test_a_damaged_dump_is_never_served_and_health_says_so(data: Path, tmp_path: Path) -> None:
    """Before, a dump cut to 1,000 bytes was served 200 with the version's ETag; now each dump is
    checked against the size and SHA-256 in its build's manifest before it is sent."""
    state = tmp_path / "state"
    with ServerProcess(["--data", str(data), "--workers", "1"], state) as server:
        whole = requests.get(f"{server.url}/dumps/kdgraph.ttl", timeout=30)
        assert whole.status_code == 200 and len(whole.content) > 1000
        dump = Path(json.loads((state / "current.json").read_text())["build"]) / "dumps" / "kdgraph.ttl"
        with dump.open("r+b") as handle:
            handle.truncate(1000)
        cut = requests.get(f"{server.url}/dumps/kdgraph.ttl", timeout=30)
        assert (
            cut.status_code == 503 and "damaged" in cut.text and "1000 bytes, the manifest says" in cut.text
        )
        assert health(server)["damaged"]["path"] == str(dump)
        dump.write_bytes(whole.content[:-1] + b"X")  # the same size, other bytes
        changed = requests.get(f"{server.url}/dumps/kdgraph.ttl", timeout=30)
        assert changed.status_code == 503 and "content differs from the manifest" in changed.text
        reported = health(server)
        assert reported["status"] == "degraded" and "content differs" in reported["damaged"]["problem"]
        dump.unlink()
        gone = requests.get(f"{server.url}/dumps/kdgraph.ttl", timeout=30)
        assert gone.status_code == 503 and "missing" in gone.text
        assert reload_and_wait(server)["status"] == "ok"  # the same data, prepared anew
        again = requests.get(f"{server.url}/dumps/kdgraph.ttl", timeout=30)
        assert again.status_code == 200 and again.content == whole.content
