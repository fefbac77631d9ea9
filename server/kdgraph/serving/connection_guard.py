"""Connections that hold a worker's place without using it are closed (issue 22).

granian counts every open connection against a worker's ``backpressure`` and never times out one
that sends nothing, or nothing more after an answer (its header read timeout starts at the first
byte of a request: measured, a silent connection and an idle keep-alive one stayed open for
good). 2,100 silent sockets from one address stopped /health of a two-worker server.

No granian setting closes them, and the kernel cannot either: ``TCP_DEFER_ACCEPT`` only delays
them (measured: of 3,000 silent connections, 1,980 were handed to ``accept`` at once, as SYN
cookies bypass it, and the rest when the defer period ended). So each worker sweeps its own
accepted connections (the TCP sockets among its file descriptors whose local port is one of
its listening sockets') every ``SWEEP_EVERY`` seconds, and shuts down (``shutdown``: granian
sees the end of the stream and frees the place):

* a connection on which nothing was received or sent for ``idle`` seconds (kept above the
  query deadline, so a request being evaluated is never taken for an idle one);
* the connections of one address beyond ``per_address`` in this worker, the idlest first.

The kernel's own clock per connection (``TCP_INFO``: milliseconds since the last data received
and sent) says what is idle; nothing is counted in Python per request.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import stat
import struct
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass

log = logging.getLogger("kdgraph")
SWEEP_EVERY = 0.5  # seconds between two sweeps of one worker's connections
# struct tcp_info (linux/tcp.h): 8 one-byte fields, then u32s; tcpi_last_data_sent is the 10th
# u32 and tcpi_last_data_recv the 12th (both milliseconds ago)
_TCP_INFO = struct.Struct("8B12I")
_STATE, _LAST_SENT, _LAST_RECEIVED = 0, 8 + 9, 8 + 11
# connections still open on our side (a shut one is in FIN_WAIT or LAST_ACK until granian closes it)
_OPEN = {1, 8}  # TCP_ESTABLISHED, TCP_CLOSE_WAIT (the client has closed its side)


@dataclass
class _Connection:
    sock: socket.socket
    idle_ms: int


def _idle_ms(sock: socket.socket) -> int | None:
    """Milliseconds since anything was received or sent on ``sock``; None if it is closing."""
    fields = _TCP_INFO.unpack(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, _TCP_INFO.size))
    return min(fields[_LAST_SENT], fields[_LAST_RECEIVED]) if fields[_STATE] in _OPEN else None


def _own_tcp_sockets() -> tuple[set[int], list[socket.socket]]:
    """The ports this process listens on, and a duplicate of each other TCP socket it holds.

    A duplicate refers to the socket the descriptor named when it was taken, even if the server
    closes that descriptor and reuses its number meanwhile: what is measured is what is shut."""
    ports: set[int] = set()
    found: list[socket.socket] = []
    for name in os.listdir("/proc/self/fd"):
        try:
            if not stat.S_ISSOCK(os.fstat(int(name)).st_mode):
                continue
            sock = socket.socket(fileno=os.dup(int(name)))
        except OSError:
            continue
        if sock.family not in (socket.AF_INET, socket.AF_INET6) or sock.type != socket.SOCK_STREAM:
            sock.close()
            continue
        try:
            if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN):
                ports.add(sock.getsockname()[1])
                sock.close()
                continue
        except OSError:
            sock.close()
            continue
        found.append(sock)
    return ports, found


class ConnectionGuard:
    """One per worker process: a daemon thread that sweeps the worker's accepted connections."""

    def __init__(self, idle_seconds: float, per_address: int, every: float = SWEEP_EVERY):
        self.idle_ms, self.per_address, self.every = int(idle_seconds * 1000), per_address, every
        self.closed: Counter[str] = Counter()  # why -> connections closed since the start
        self.last_closed_at: float | None = None  # time.time() of the last sweep that closed any

    def start(self) -> None:
        threading.Thread(target=self._run, name="kdgraph-connections", daemon=True).start()

    def _run(self) -> None:
        while True:
            time.sleep(self.every)
            try:
                self.sweep()
            except Exception:  # a bug: the guard must go on, the worker serves regardless
                log.exception("the connection sweep failed")

    def sweep(self) -> dict[str, int]:
        """Shut down idle connections and those beyond the limit per address; what was shut."""
        ports, sockets = _own_tcp_sockets()
        try:
            by_peer: defaultdict[str, list[_Connection]] = defaultdict(list)
            seen: set[tuple] = set()  # (a socket held under two descriptors counts once)
            for sock in sockets:
                with contextlib.suppress(OSError):  # (ended meanwhile)
                    local, peer = sock.getsockname(), sock.getpeername()
                    idle = _idle_ms(sock)
                    if local[1] in ports and idle is not None and (local, peer) not in seen:
                        seen.add((local, peer))
                        by_peer[peer[0]].append(_Connection(sock, idle))
            shut: Counter[str] = Counter()
            addresses: Counter[str] = Counter()
            for peer, connections in by_peer.items():
                connections.sort(key=lambda c: c.idle_ms, reverse=True)
                over = len(connections) - self.per_address if self.per_address else 0
                for index, connection in enumerate(connections):
                    why = "over_limit_per_address" if index < over else None
                    if why is None and connection.idle_ms >= self.idle_ms:
                        why = "idle"
                    if why is None:
                        continue
                    with contextlib.suppress(OSError):
                        connection.sock.shutdown(socket.SHUT_RDWR)
                        shut[why] += 1
                        addresses[peer] += 1
        finally:
            for sock in sockets:
                sock.close()
        if shut:
            self.closed.update(shut)
            self.last_closed_at = time.time()
            log.warning(
                json.dumps(
                    {
                        "event": "connections closed",
                        "pid": os.getpid(),
                        **shut,
                        "addresses": dict(addresses.most_common(5)),
                        "idle_seconds": self.idle_ms / 1000,
                        "per_address": self.per_address,
                    }
                )
            )
        return dict(shut)
