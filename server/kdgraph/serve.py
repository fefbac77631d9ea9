"""Running the app under gunicorn (several workers), with data reload on SIGHUP.

The data is prepared before any worker starts (see data_state). On SIGHUP, gunicorn's arbiter
only wakes a preparation thread and goes on with its own loop (watching and restarting
workers): the thread has the edited data prepared aside in a child process, and publishes the
new version in the server's shared status (see shared_status) only if it loads, conforms and
was written completely. Workers switch on their next request. Whatever goes wrong, the outcome
is in the shared status for /health, and the old version keeps serving. (gunicorn's own SIGHUP
behaviour, re-reading its configuration and replacing every worker, is not used.)
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from gunicorn.app.base import BaseApplication
from gunicorn.arbiter import Arbiter
from gunicorn.config import KNOWN_SETTINGS

from . import warmup
from .config import ServerConfig
from .data_state import ServedData, reload, retire
from .shared_status import SharedStatus
from .web.app import create_app

log = logging.getLogger("kdgraph")


class Preparer:
    """The arbiter's preparation thread: one reload at a time, SIGHUPs during one coalesce."""

    def __init__(
        self,
        config: ServerConfig,
        data: Sequence[Path] | None,
        backend: str | None,
        served: ServedData,
        status: SharedStatus,
    ):
        self.config, self.data, self.backend, self.status = config, data, backend, status
        self.served = served
        self._warmup: tuple[int, str] | None = None  # pid and version of the last warm-up
        self._wanted = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kdgraph-preparer", daemon=True)
        status.write("served", {"served": asdict(served), "reload": None})

    def start(self) -> None:
        """Start the thread and the first warm-up (both die with the arbiter)."""
        self._thread.start()
        self._start_warmup()

    def _start_warmup(self) -> None:
        """The warm-up of what is served now (unless one for it still runs); an older one is stopped."""
        if self._warmup is not None:
            pid, version = self._warmup
            if version == self.served.version and _alive(pid):
                return
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)  # before its version's files are retired
        self._warmup = (warmup.start(self.config, self.served, self.status), self.served.version)

    def wake(self) -> None:
        self._wanted.set()

    def _run(self) -> None:
        while True:
            self._wanted.wait()
            self._wanted.clear()
            try:
                self._reload()
            except Exception as error:  # a bug: the thread must go on, the old version serves
                log.exception("reload failed unexpectedly")
                outcome = {"ok": False, "at": "", "error": f"{type(error).__name__}: {error} (a bug; logged)"}
                with contextlib.suppress(ValueError):
                    self.status.write("served", {"served": asdict(self.served), "reload": outcome})

    def _reload(self) -> None:
        log.info("SIGHUP: reloading data from %s", self.backend or self.data or "bundled data")
        served, outcome = reload(self.config.state_dir, self.data, self.config.base, self.backend)
        previous = self.served
        if served is not None:
            self.served = served
        self.status.write("served", {"served": asdict(self.served), "reload": outcome})
        if not outcome["ok"]:
            log.error("reload failed; still serving %s: %s", self.served.version, outcome["error"])
            return
        log.info("reload: serving version %s", self.served.version)
        self._start_warmup()  # stops the previous version's warm-up first
        retire(self.config.state_dir, previous, self.served)  # the workers were told just now


def _alive(pid: int) -> bool:
    """Whether ``pid`` still runs (a zombie that the arbiter has not reaped yet does not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1][0] != "Z"
    except OSError:
        return False


class KdgraphArbiter(Arbiter):  # type: ignore[misc]
    def start(self) -> None:
        super().start()  # from here on, gunicorn's own handler takes SIGHUP (see handle_hup)
        self.app.preparer.start()
        if self.app.hups_before_start:  # a SIGHUP came while the data was prepared, or just after
            self.app.preparer.wake()

    def handle_hup(self) -> None:
        self.app.preparer.wake()  # never blocks the arbiter's loop


class KdgraphServer(BaseApplication):  # type: ignore[misc]
    def __init__(self, config: ServerConfig, options: dict, preparer: Preparer, hups_before_start: list[int]):
        self.server_config, self.options, self.preparer = config, options, preparer
        self.hups_before_start = hups_before_start  # filled by the caller's SIGHUP handler until ours
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):  # type: ignore[no-untyped-def]
        return create_app(self.server_config, self.preparer.status)

    def run(self) -> None:
        try:
            KdgraphArbiter(self).run()
        except RuntimeError as error:  # as gunicorn's own run(): e.g. the port is in use
            print(f"\nError: {error}\n", file=sys.stderr)
            sys.exit(1)


def run(
    config: ServerConfig,
    data: Sequence[Path] | None,
    host: str,
    port: int,
    workers: int,
    served: ServedData,
    backend: str | None = None,
    hups_before_start: list[int] | None = None,
) -> None:
    """Serve ``served``. ``hups_before_start``: the SIGHUPs the caller's handler noted while the data
    was prepared (the data may have changed since). It is read once gunicorn's own handler has
    replaced the caller's, so a SIGHUP that arrives in between is not lost (a flaky test showed it)."""
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s", force=True)
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "sync",
        # gunicorn's own watchdog must be later than our query deadline, which answers 503 first
        "timeout": int(config.query_timeout) + 30,
        "graceful_timeout": 10,
        "errorlog": "-",
        "loglevel": "info",
        # No limit on the request line: our own limit (max_request_bytes, 1 MB, answered with a
        # 413 that says what to do) applies to GET queries too; gunicorn's 4094 bytes would cut
        # long GET queries off with a bare 400 first (asked for by the safety review).
        "limit_request_line": 0,
    }
    if any(setting.name == "control_socket_disable" for setting in KNOWN_SETTINGS):
        options["control_socket_disable"] = True  # gunicorn >= 27: no shared ~/.gunicorn socket
    preparer = Preparer(config, data, backend, served, SharedStatus())
    KdgraphServer(config, options, preparer, hups_before_start if hups_before_start is not None else []).run()
