"""Server configuration: from arguments or KDGRAPH_* environment variables, never import time."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from kdgraph import DEFAULT_BASE

# Python threads per worker process: one per request in the app. A thread waiting for a slow
# request body holds no CPU and no GIL, only its stack, so there are many (kdgraph serve --threads).
THREADS = 128
# Of those, the threads that only requests without a body may use (GET queries, pages, /health):
# granian cannot time out a body that arrives slowly, so a thread reading one is held until the
# client ends it; without this lane, THREADS slow-body connections stop a worker altogether.
RESERVED_FOR_NO_BODY = 32
# A connection on which nothing was received or sent for this long is closed (connection_guard);
# never less than the query deadline plus the wait for an engine, so that a request being
# evaluated is not taken for an idle connection.
IDLE_CONNECTION_SECONDS = 10.0
# Connections one client address may hold open in one worker; beyond, its idlest are closed
# (0: no limit, for a server behind a reverse proxy, where every client has the proxy's address).
CONNECTIONS_PER_ADDRESS = 64


@dataclass(frozen=True)
class ServerConfig:
    state_dir: Path
    base: str = DEFAULT_BASE
    public_url: str | None = None  # where /sparql is reachable, for the service description
    query_timeout: float = 5.0  # seconds
    max_result_bytes: int = 50_000_000
    max_request_bytes: int = 1_000_000
    allowed_services: frozenset[str] = field(default_factory=frozenset)
    cache_entries: int = 1024
    engine_memory_limit: int = 2 * 1024**3  # bytes of address space per engine process; 0 = none
    engines_per_worker: int = 2  # engine processes a worker keeps ready
    engines_most: int = 6  # engine processes a worker may grow to while others are busy
    evaluations_per_client: int = 4  # evaluations of one client address at once, per worker
    threads: int = THREADS  # requests one worker serves at once
    connections_per_address: int = CONNECTIONS_PER_ADDRESS  # per worker; 0 = no limit

    @property
    def idle_connection_seconds(self) -> float:
        """After this long without a byte either way a connection is closed (see the constant)."""
        return max(IDLE_CONNECTION_SECONDS, self.query_timeout + 5)

    @property
    def body_readers(self) -> int:
        """Requests whose body one worker reads at once; the other threads are kept for requests
        without a body (RESERVED_FOR_NO_BODY of them, at most half of all)."""
        return max(1, self.threads - min(RESERVED_FOR_NO_BODY, self.threads // 2))

    @classmethod
    def from_env(cls, state_dir: Path | None = None) -> ServerConfig:
        env = os.environ
        services = frozenset(s for s in env.get("KDGRAPH_ALLOWED_SERVICES", "").split() if s)
        return cls(
            state_dir=state_dir or Path(env["KDGRAPH_STATE_DIR"]),
            base=env.get("KDGRAPH_BASE", DEFAULT_BASE),
            public_url=env.get("KDGRAPH_PUBLIC_URL") or None,
            query_timeout=float(env.get("KDGRAPH_QUERY_TIMEOUT", "5")),
            max_result_bytes=int(env.get("KDGRAPH_MAX_RESULT_BYTES", "50000000")),
            max_request_bytes=int(env.get("KDGRAPH_MAX_REQUEST_BYTES", "1000000")),
            allowed_services=services,
        )
