"""Server configuration: one object, from ``kdgraph serve``'s arguments and ``KDGRAPH_*`` variables.

Every setting of a server is a field of :class:`ServerConfig`, with its default, what it means
(``help``, also the option's help text) and the variable that sets it (``KDGRAPH_`` + the name in
capitals). :meth:`ServerConfig.from_sources` makes the object: an argument given on the command
line wins, then the environment, then the default; a variable that does not read as its type is
a :class:`ConfigError` that names it. ``kdgraph serve`` makes its options from the fields
(``cli.serve_options``), so an option, a variable and a documented key cannot drift apart (the
table in docs/endpoint.md is checked against the fields, tests/test_cli.py). Nothing is read at
import time.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kdgraph import DEFAULT_BASE

ENV_PREFIX = "KDGRAPH_"

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
# Seconds a request waits for a free engine before it is answered 503 (Retry-After): long enough
# to ride out a burst, short enough that a client is not left hanging when every engine is busy.
ENGINE_WAIT = 2.0


# The least value of each number a server can run with (0 where 0 means "none" or "any").
_LEAST: dict[str, float] = {
    "port": 0,
    "workers": 1,
    "threads": 1,
    "query_timeout": 0,
    "max_result_bytes": 1,
    "max_request_bytes": 1,
    "cache_entries": 0,
    "cache_bytes": 0,
    "engine_memory_limit": 0,
    "engines_per_worker": 1,
    "engines_most": 1,
    "engine_wait": 0,
    "evaluations_per_client": 1,
    "connections_per_address": 0,
    "reserved_for_no_body": 0,
    "min_idle_connection_seconds": 0,
}


class ConfigError(ValueError):
    """A setting that cannot be read as its type; the message names the variable and the value."""


def about(help: str, option: str | None = None) -> dict[str, str | None]:
    """A setting's metadata: what it means, and its option's name if that is not ``--`` + the
    field's name with dashes."""
    return {"help": help, "option": option}


def _workers() -> int:
    return max(2, os.cpu_count() or 1)


@dataclass(frozen=True)
class ServerConfig:
    state_dir: Path = field(
        metadata=about(
            "Where the prepared store lives (default: a new temporary directory). With a lasting "
            "directory, a restart on unchanged input files serves the store prepared before, in seconds."
        )
    )
    host: str = field(default="127.0.0.1", metadata=about("Interface to listen on."))
    port: int = field(default=8000, metadata=about("Port to listen on (0: any free port)."))
    workers: int = field(
        default_factory=_workers,
        metadata=about("Worker processes (default: the number of CPUs, at least 2)."),
    )
    threads: int = field(
        default=THREADS,
        metadata=about(
            "Requests one worker serves at once (threads; one waiting for a slow client holds no CPU)."
        ),
    )
    base: str = field(
        default=DEFAULT_BASE,
        metadata=about(
            "Base IRI for our URIs ({base}id/..., {base}def/...); IRIs in the data are rewritten to it."
        ),
    )
    public_url: str | None = field(
        default=None,
        metadata=about(
            "Public URL of this server, for links and the service description (default: the address "
            "it listens on; never a request's Host header).",
            option="--base-url",
        ),
    )
    query_timeout: float = field(default=5.0, metadata=about("Deadline per query, in seconds."))
    max_result_bytes: int = field(
        default=50_000_000, metadata=about("Largest answer, in bytes (above: 413).")
    )
    max_request_bytes: int = field(
        default=1_000_000,
        metadata=about("Largest request body or URL parameters, in bytes (above: 413 or 414)."),
    )
    allowed_services: frozenset[str] = field(
        default_factory=frozenset,
        metadata=about(
            "A federation endpoint that SERVICE may call (repeatable; in the variable, separated by "
            "spaces). Off by default.",
            option="--allow-service",
        ),
    )
    cache_entries: int = field(default=1024, metadata=about("Answers one worker keeps in memory, at most."))
    # A handful of unique 19 MB answers must not grow a worker by gigabytes.
    cache_bytes: int = field(
        default=64_000_000,
        metadata=about("Bytes of answers one worker keeps in memory, at most (0: none are kept)."),
    )
    engine_memory_limit: int = field(
        default=2 * 1024**3, metadata=about("Bytes of address space per engine process (0: no limit).")
    )
    engines_per_worker: int = field(default=2, metadata=about("Engine processes a worker keeps ready."))
    engines_most: int = field(
        default=6, metadata=about("Engine processes a worker may grow to while others are busy.")
    )
    engine_wait: float = field(
        default=ENGINE_WAIT,
        metadata=about("Seconds a request waits for a free engine before it is answered 503."),
    )
    evaluations_per_client: int = field(
        default=4,
        metadata=about("Evaluations of one client address at once, per worker (beyond: 429)."),
    )
    connections_per_address: int = field(
        default=CONNECTIONS_PER_ADDRESS,
        metadata=about(
            "Connections one client address may hold open per worker; beyond, its idlest are closed "
            "(0: no limit, e.g. behind a reverse proxy, where every client has the proxy's address)."
        ),
    )
    reserved_for_no_body: int = field(
        default=RESERVED_FOR_NO_BODY,
        metadata=about("Threads of a worker kept for requests without a body (at most half of --threads)."),
    )
    min_idle_connection_seconds: float = field(
        default=IDLE_CONNECTION_SECONDS,
        metadata=about(
            "A connection without a byte either way for this long is closed (at least the query "
            "deadline + 5 s)."
        ),
    )

    def __post_init__(self) -> None:
        """A value no server can run with is refused here, naming its option and variable (the
        CLI says it and exits 2), rather than found later as a worker that never starts."""
        for name, least in _LEAST.items():
            value = getattr(self, name)
            if value < least:
                setting = next(s for s in dataclasses.fields(self) if s.name == name)
                raise ConfigError(
                    f"{name} is {value}, below its least value {least} "
                    f"({option_name(setting)}, {env_name(name)})"
                )
        if self.engines_most < self.engines_per_worker:
            raise ConfigError(
                f"engines_most ({self.engines_most}) is below engines_per_worker ({self.engines_per_worker})"
            )

    @property
    def idle_connection_seconds(self) -> float:
        """After this long without a byte either way a connection is closed (see the constant)."""
        return max(self.min_idle_connection_seconds, self.query_timeout + 5)

    @property
    def body_readers(self) -> int:
        """Requests whose body one worker reads at once; the other threads are kept for requests
        without a body (``reserved_for_no_body`` of them, at most half of all)."""
        return max(1, self.threads - min(self.reserved_for_no_body, self.threads // 2))

    @classmethod
    def from_sources(
        cls,
        arguments: Mapping[str, object],
        environ: Mapping[str, str],
        state_dir: Callable[[], Path] | None = None,
    ) -> ServerConfig:
        """The configuration from command-line ``arguments`` (a value of None, or an empty
        sequence, means not given), then ``environ`` (``KDGRAPH_*``), then the defaults.

        ``state_dir``: makes the state directory when neither names one (``serve``: a temporary
        directory); without it, one of the two must.
        """
        values: dict[str, Any] = {}
        for setting in dataclasses.fields(cls):
            given = arguments.get(setting.name)
            variable = env_name(setting.name)
            if isinstance(given, list | tuple | set | frozenset):  # a repeatable option
                given = frozenset(given) or None
            if given is not None:
                values[setting.name] = given
            elif variable in environ:
                values[setting.name] = _parse(setting.type, variable, environ[variable])
        if "state_dir" not in values:
            if state_dir is None:
                raise ConfigError(f"no state directory: give --state-dir or {env_name('state_dir')}")
            values["state_dir"] = state_dir()
        return cls(**values)


def env_name(name: str) -> str:
    """The environment variable of the setting ``name``."""
    return ENV_PREFIX + name.upper()


def option_name(setting: dataclasses.Field[Any]) -> str:
    """The ``kdgraph serve`` option of a setting."""
    return setting.metadata.get("option") or "--" + setting.name.replace("_", "-")


def _parse(kind: object, variable: str, text: str) -> object:
    """A variable's text as the field's type (annotations are strings: ``from __future__``)."""
    try:
        if kind == "int":
            return int(text)
        if kind == "float":
            return float(text)
        if kind == "Path":
            return Path(text)
        if kind == "frozenset[str]":
            return frozenset(text.split())
        if kind == "str | None":
            return text or None
        return text
    except ValueError:
        wanted = "an integer" if kind == "int" else "a number"
        raise ConfigError(f"{variable}={text!r} is not {wanted}") from None


def settings() -> tuple[dataclasses.Field[Any], ...]:
    """Every setting, in the order of the class."""
    return dataclasses.fields(ServerConfig)


def default(setting: dataclasses.Field[Any]) -> object:
    """A setting's default value (None for the state directory: it has none)."""
    if setting.default is not dataclasses.MISSING:
        return setting.default
    if setting.default_factory is not dataclasses.MISSING:
        return setting.default_factory()
    return None
