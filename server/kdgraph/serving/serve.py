"""Running the app under granian's WSGI server (several worker processes), with data reload on SIGHUP.

The data is prepared before any worker starts (see store.served_data). On SIGHUP, granian's main
process only wakes a preparation thread and goes on with its own loop (watching and respawning
workers): the thread has the edited data prepared aside in a child process, and publishes the
new version in the server's shared status (see shared_status) only if it loads, conforms and
was written completely. Workers switch on their next request. Whatever goes wrong, the outcome
is in the shared status for /health, and the old version keeps serving. (granian's own SIGHUP
behaviour, respawning every worker, is not used.)

Why granian (measured in bench/http_stack.py): 2.5-3.5x cheaper per request than gunicorn's
sync workers, and connections that send their headers slowly hold no Python thread (hyper reads
them in Rust, with a timeout: ``HEADER_READ_TIMEOUT``), where 50 of them stopped gunicorn.

GET queries: hyper refuses a request target above 65,534 bytes (414, no body) whatever the
settings (``http1_buffer_size`` included: measured), so above 64 KB queries must be POSTed; a
request head beyond granian's default buffer (about 400 kB) is 431, also without a body.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import resource
import signal
import socket
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from granian.constants import Interfaces
from granian.http import HTTP1Settings
from granian.net import SocketSpec
from granian.server.mp import MPServer

from kdgraph.child_processes import die_with
from kdgraph.config import ServerConfig
from kdgraph.log_lines import JsonLines
from kdgraph.serving.connection_guard import ConnectionGuard
from kdgraph.serving.shared_status import SharedStatus
from kdgraph.store.served_data import ServedData, reload, retire
from kdgraph.web.app import create_app

log = logging.getLogger("kdgraph")

# Connections one worker serves at once (granian's backpressure counts connections, idle ones and
# those still sending headers included): far above the threads. granian never closes a connection
# that sends nothing (or nothing more), so alone this did not hold (issue 22): connection_guard
# closes idle ones and caps them per client address.
CONNECTIONS = 1024
HEADER_READ_TIMEOUT = 10  # seconds a client may take to send its request line and headers
STOP_TIMEOUT = 10  # seconds a worker may take to finish its requests at shutdown before SIGKILL


class Preparer:
    """The main process's preparation thread: one reload at a time, SIGHUPs during one coalesce."""

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
        self._wanted = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kdgraph-preparer", daemon=True)
        status.write("served", {"served": asdict(served), "reload": None})

    def start(self) -> None:
        """Start the thread (it dies with the server)."""
        self._thread.start()

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
        retire(self.config.state_dir, previous, self.served)  # the workers were told just now


class _Intended(logging.Filter):
    """Drops granian's warning that 32 threads per worker are many for few cores: they are
    meant (most of them wait for a client or an engine, holding no GIL)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "Python threads" not in record.getMessage()


# granian's own lines as JSON lines (log_lines), on stderr with ours (granian's default: stdout)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"intended": {"()": _Intended}},
    "formatters": {"server": {"()": JsonLines}},
    "handlers": {
        "server": {"class": "logging.StreamHandler", "formatter": "server", "stream": "ext://sys.stderr"},
    },
    "loggers": {
        "_granian": {"handlers": ["server"], "filters": ["intended"], "level": "INFO", "propagate": False},
        "granian.access": {"handlers": ["server"], "level": "WARNING", "propagate": False},  # ours is JSON
    },
}


class KdgraphServer(MPServer):
    """granian's multi-process server: SIGHUP wakes our Preparer; one listening socket for all."""

    def __init__(self, preparer: Preparer, hups_before_start: list[int], **options: Any):
        self.preparer, self.hups_before_start = preparer, hups_before_start
        super().__init__(**options)

    def signal_handler_reload(self, *args: object) -> None:
        if os.getpid() == self.pid:  # (a worker still loading the app has this handler too)
            self.preparer.wake()  # never blocks the main loop, never respawns a worker

    def signal_handler_interrupt(self, *args: object) -> None:
        """SIGTERM/SIGINT. A worker inherits this handler until it has loaded the app and set its
        own: there, the signal would only be noted for a loop the worker does not run, and it
        would serve on until killed at STOP_TIMEOUT (measured: 10 s to stop). It ends at once."""
        if os.getpid() != self.pid:
            os._exit(0)
        super().signal_handler_interrupt(*args)

    def startup(self, spawn_target: Callable[..., None], target_loader: Callable[[], Any]) -> None:
        super().startup(spawn_target, target_loader)  # from here on, our handler takes SIGHUP
        self.preparer.start()
        if self.hups_before_start:  # a SIGHUP came while the data was prepared, or just after
            self.preparer.wake()

    def _init_shared_socket(self) -> None:
        """One listening socket, bound here and shared by every worker (as gunicorn did).

        granian on Linux lets each worker bind a socket of its own (SO_REUSEPORT): then while a
        killed worker is respawned, its queued connections are reset and, with one worker, new
        ones refused (measured; test_faults pins it). A socket of the main process keeps them
        queued for the new worker. The "Listening at" line then gives the port actually bound,
        also for port 0 (granian 2.8 logs port 0 and binds each worker's port on its own).

        This overrides granian's private method because granian has no public way to do it
        (checked in granian 2.8.9's source and in its repository up to August 2026): the server
        takes ``address``/``port``/``backlog``/``uds`` and no socket or file descriptor; every
        worker binds its own ``ListenerSpec`` (``src/net.rs``, ``set_reuse_port``) with no option
        to turn that off, and the maintainer declined one (PR #897 "Refactor socket sharing on
        Linux": "this moves responsibility onto users"; issues #567, #849). ``uds`` does share
        one socket bound in the main process, but a Unix socket would need a TCP proxy in front
        (a hop per request). So this is granian's own code path for other systems
        (``AbstractServer._init_shared_socket`` and ``MPServer``'s inheritable wrapper), taken on
        Linux too: the attributes set here are the ones granian's workers read.
        """
        holder = SocketSpec(self.bind_addr, self.bind_port, self.backlog).build()
        # granian's __init__ sets ``self._shd = None`` unannotated, so its inferred type is None
        # (granian's own _init_shared_socket assigns a SocketHolder to it the same way)
        self._shd = holder  # type: ignore[assignment]
        self._sfd = holder.get_fd()
        self._ssp = None
        self._sso = socket.socket(fileno=self._sfd)
        self._sso.set_inheritable(True)  # forked workers accept on it
        self._sso.listen(self.backlog)  # now, not when a worker starts: a client may connect at once
        self.bind_port = self._sso.getsockname()[1]

    def listening_url(self) -> str:
        """The URL of the address listened on (the port actually bound); on every interface, the
        machine's name (--base-url says better)."""
        host = self.bind_addr
        if host in ("0.0.0.0", "::", ""):
            host = socket.gethostname()
        return f"http://{f'[{host}]' if ':' in host else host}:{self.bind_port}"


def _worker_app(config: ServerConfig, status: SharedStatus, server: KdgraphServer) -> Callable[[], Any]:
    main = os.getpid()

    def load() -> Any:  # in the worker, forked from the main process (status is inherited)
        nonlocal config
        die_with(main)  # a kill -9 of the main process ends the workers, and so their engines
        signal.signal(signal.SIGHUP, signal.SIG_IGN)  # only the main process reloads
        if not config.public_url:  # links name the address listened on, never a request's Host
            config = replace(config, public_url=server.listening_url())
        guard = ConnectionGuard(config.idle_connection_seconds, config.connections_per_address)
        guard.start()
        app = create_app(config, status)
        app.extensions["kdgraph.connections"] = guard  # (for /health)
        return app

    return load


def raise_open_files_limit() -> None:
    """Soft limit of open files up to the hard one: each connection holds a descriptor, and a
    worker that runs out cannot accept (nor open a store file) until some close."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


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
    was prepared (the data may have changed since). It is read once granian's handlers have
    replaced the caller's, so a SIGHUP that arrives in between is not lost (a flaky test showed it)."""
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, force=True)
    for handler in logging.getLogger().handlers:
        handler.setFormatter(JsonLines())
    # Workers must be forked, not spawned: they inherit the shared status mapped here and the app
    # loader below (a closure). Python's default on Linux until 3.13; 3.14 would spawn.
    multiprocessing.set_start_method("fork", force=True)
    raise_open_files_limit()  # (inherited by the workers)
    status = SharedStatus()
    preparer = Preparer(config, data, backend, served, status)
    server = KdgraphServer(
        preparer,
        hups_before_start if hups_before_start is not None else [],
        target="kdgraph.web.app:create_app",  # (for granian's messages; the app comes from _worker_app)
        address=host,
        port=port,
        interface=Interfaces.WSGI,
        workers=workers,
        blocking_threads=config.threads,
        # (its maximum) an idle thread ends after this long, and with it every child it forked
        # (PR_SET_PDEATHSIG; see child_processes): engines must not be forked by these threads
        blocking_threads_idle_timeout=600,
        backpressure=CONNECTIONS,
        http1_settings=HTTP1Settings(header_read_timeout=HEADER_READ_TIMEOUT * 1000, keep_alive=True),
        websockets=False,
        log_dictconfig=LOGGING,
        log_access=False,
        respawn_failed_workers=True,
        workers_kill_timeout=STOP_TIMEOUT,
    )
    server.serve(target_loader=_worker_app(config, status, server), wrap_loader=False)
