"""A TCP listener on 127.0.0.1 (port 0) that counts who connects: the target of SSRF tests.

It answers every connection as a SPARQL endpoint would (one result, ``"LEAKED"``), so that a
server that does call out gets an answer and shows it, as in issue 11. ``connections()`` is
exact without waiting for a fixed time: it makes a connection of its own and waits until the
listener has accepted it; the kernel hands out connections in order, so every connection made
before it has been accepted, and counted, by then.
"""

from __future__ import annotations

import socket
import threading

ANSWER = b'{"head":{"vars":["s"]},"results":{"bindings":[{"s":{"type":"literal","value":"LEAKED"}}]}}'
RESPONSE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\n"
    b"Content-Length: " + str(len(ANSWER)).encode() + b"\r\nConnection: close\r\n\r\n" + ANSWER
)


class Listener:
    def __init__(self) -> None:
        self._socket = socket.create_server(("127.0.0.1", 0), backlog=128)
        self.port: int = self._socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/sparql"
        self._peers: list[int] = []  # remote ports, in the order accepted
        self._own: set[int] = set()  # our own sync connections
        self.requests: list[bytes] = []  # the first bytes each caller sent
        self._accepted = threading.Condition()
        self._seen = 0  # connections() at the previous new_connections()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                connection, (_, port) = self._socket.accept()
            except OSError:
                return
            with self._accepted:
                self._peers.append(port)
                self._accepted.notify_all()
            threading.Thread(target=self._answer, args=(connection, port), daemon=True).start()

    def _answer(self, connection: socket.socket, port: int) -> None:
        with connection:
            connection.settimeout(5)
            try:
                data = connection.recv(65536)
                if data and port not in self._own:
                    self.requests.append(data)
                    connection.sendall(RESPONSE)
            except OSError:
                pass

    def connections(self) -> int:
        """How many connections anyone but this listener itself has made so far."""
        probe = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        own = probe.getsockname()[1]
        self._own.add(own)
        with self._accepted:
            if not self._accepted.wait_for(lambda: own in self._peers, timeout=30):
                raise RuntimeError("the listener did not accept its own probe connection")
        probe.close()
        return sum(1 for port in self._peers if port not in self._own)

    def new_connections(self) -> int:
        """How many connections were made since the previous call (for a listener shared by tests)."""
        total = self.connections()
        new, self._seen = total - self._seen, total
        return new

    def close(self) -> None:
        self._socket.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept(); close() alone does not
        self._socket.close()
        self._thread.join(5)

    def __enter__(self) -> Listener:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
