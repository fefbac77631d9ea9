"""A real ``kdgraph serve`` process for tests: any free port, ready when /health answers."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import requests

_BESIDE = Path(sys.executable).parent / "kdgraph"
KDGRAPH = str(_BESIDE) if _BESIDE.exists() else "kdgraph"
# The pytest item being run (set by conftest): a server is started only for a test marked
# ``server``, so that ``pytest -m "not server"`` never starts one unseen. None outside pytest.
RUNNING_TEST: Any = None
T = TypeVar("T")


def wait_for(condition: Callable[[], T | None], what: str, timeout: float = 60) -> T:
    """The first truthy value of ``condition()``, polled until ``timeout`` seconds have passed
    (then AssertionError naming ``what``): a bounded wait for an event, never a fixed sleep."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout:g} s for {what}")
        time.sleep(0.05)


class HttpMethods:
    """requests' calls on one server: ``server.get("/sparql", params=...)`` is
    ``requests.get(server.url + "/sparql", params=...)``, over the transport of that server (real
    HTTP here, Flask's test client for an in_process.InProcessServer), so a test asserts the same
    whichever layer its fixture chose. A call is a new session, as ``requests.get`` is: no
    cookie or connection is carried from one call to the next."""

    url: str

    def session(self) -> requests.Session:
        return requests.Session()

    def request(self, method: str, target: str, **kwargs: Any) -> requests.Response:
        """``target``: a path on this server, or a whole URL."""
        kwargs.setdefault("timeout", 60)
        with self.session() as session:
            return session.request(method, target if "://" in target else self.url + target, **kwargs)

    def get(self, target: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", target, **kwargs)

    def post(self, target: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", target, **kwargs)

    def head(self, target: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("allow_redirects", False)  # as requests.head
        return self.request("HEAD", target, **kwargs)

    def options(self, target: str, **kwargs: Any) -> requests.Response:
        return self.request("OPTIONS", target, **kwargs)


class ServerProcess(HttpMethods):
    def __init__(self, args: Sequence[str], state_dir: Path):
        if RUNNING_TEST is not None and RUNNING_TEST.get_closest_marker("server") is None:
            raise RuntimeError(
                f"{RUNNING_TEST.nodeid} starts a real server but is not marked: use the `serve` "
                "or `bundled_server` fixture, or mark it with pytest.mark.server"
            )
        self.log: list[str] = []
        self.state_dir = state_dir
        self.process = subprocess.Popen(
            [KDGRAPH, "serve", "--port", "0", "--state-dir", str(state_dir), *args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        self._listening = threading.Event()
        self.url = ""
        self._reader = threading.Thread(target=self._read_log, daemon=True)
        self._reader.start()
        if not self._listening.wait(60):
            self.stop()
            raise RuntimeError("server did not start:\n" + "\n".join(self.log))
        self.wait_until_ready()

    def _read_log(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.log.append(line.rstrip("\n"))
            found = re.search(r"Listening at: (http://[\d.]+:\d+)", line)
            if found:
                self.url = found.group(1)
                self._listening.set()

    def wait_until_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.url}/health", timeout=2).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.05)
        raise RuntimeError("server never became ready:\n" + "\n".join(self.log))

    def health(self) -> dict:
        """/health as JSON (a version is served with its dumps: nothing is written after ready)."""
        return requests.get(f"{self.url}/health", timeout=30).json()

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def hup(self) -> None:
        os.kill(self.process.pid, signal.SIGHUP)

    def stop(self) -> None:
        """SIGTERM to the server's process group, as an operator's stop; every process of it
        must be gone within seconds, else this fails (after killing them, so that no test run
        hangs on a leftover holding the server's stderr or port)."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        deadline = time.monotonic() + 10
        while (left := self.group()) and time.monotonic() < deadline:
            time.sleep(0.05)
        if left:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
        self._reader.join(10)
        if self.process.stderr is not None and not self._reader.is_alive():
            self.process.stderr.close()
        assert not left, f"processes of the server outlived it: {left}"

    def group(self) -> list[str]:
        """The processes still in the server's process group, as "pid: command line"."""
        found = []
        for entry in Path("/proc").iterdir():
            try:
                if not entry.name.isdigit() or os.getpgid(int(entry.name)) != self.process.pid:
                    continue
                if (entry / "stat").read_text().rsplit(") ", 1)[1].startswith("Z"):
                    continue  # ended, not reaped yet: holds nothing
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except (OSError, ProcessLookupError):
                continue
            found.append(f"{entry.name}: {command.strip()}")
        return found
