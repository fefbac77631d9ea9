"""No network for the engine: the guarantee that a query cannot make the server call out.

pyoxigraph evaluates ``SERVICE`` by making HTTP requests itself and has no switch to turn that
off. A pre-check (``lexer``) refuses SERVICE with a friendly 403, but a pre-check is a second
reader of the query, and two readers can disagree (the carriage-return comment of issue 11 was
exactly that). So the engine process is cut off from the network at the operating-system level:
right after it is forked, before it opens the store or starts any thread, it calls
``unshare(CLONE_NEWNET)`` and so moves into a network namespace of its own, which holds only a
loopback interface that is *down*. It then has no interface at all: every ``connect``, to the
internet, to the host's other services or to 127.0.0.1, fails with ENETUNREACH, and name lookups
fail because no resolver can be reached. Whatever a query says, however it is spelt, the engine
cannot reach anything; it also cannot accept connections.

How: ``unshare(2)`` through ctypes (Python 3.11 has no ``os.unshare``). As root, CLONE_NEWNET
alone. Unprivileged, CLONE_NEWUSER | CLONE_NEWNET: a new user namespace in which the process
holds the capability to make a network namespace (the kernel must allow unprivileged user
namespaces; a process with threads cannot enter a new user namespace, hence "before any
thread"). A network namespace belongs to a thread, not to a process, so threads started before
the call would keep the network: ``isolate_network`` refuses to run with more than one thread.

When it is not possible (a container whose seccomp profile forbids ``unshare``, a kernel without
user namespaces, ``sysctl kernel.unprivileged_userns_clone=0``) it raises ``IsolationUnavailable``
with the reason; it never returns without isolation. Raising rather than returning a flag is the
choice: a caller cannot overlook it and go on believing the engine is cut off. What the server
does then is the caller's decision, made once with ``network_isolation_problem()`` (a probe in a
throw-away child): refuse to start, or run with the pre-check as the only guard and say so
(log, /health), so that an operator knows that only the pre-check stands between a query and the
network.

Federation (``--allow-service URL``) needs network, so it cannot run in an isolated engine. The
design: a second engine that is *not* isolated, used only for the queries whose pre-check found
at least one SERVICE call and only allow-listed endpoints (``route``). Every other query, which is
nearly all of them, runs isolated. Residual risk, stated honestly: a query sent to the federating
engine has network, and the only thing that keeps it to the allow-listed endpoints is the
pre-check's reading of the text. A query that names an allow-listed endpoint *and* hides a
second SERVICE call where the pre-check and pyoxigraph read the text differently would reach that
second endpoint, from the server's network position (internal hosts included). Without an
allow-list (the default) no engine has network and this risk does not exist. Operators who
allow-list endpoints should also restrict the server's outbound traffic by firewall to those
hosts.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import enum
import errno
import os
import socket
from collections.abc import Iterable
from dataclasses import dataclass

from kdgraph.child_processes import fork

CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000


class IsolationUnavailable(RuntimeError):
    """The engine process could not be cut off from the network; ``str()`` says why."""


@dataclass(frozen=True)
class Isolation:
    """How the calling process was isolated."""

    flags: str  # "CLONE_NEWNET" or "CLONE_NEWUSER|CLONE_NEWNET"
    interfaces: tuple[str, ...]  # what is left: ("lo",), and lo is down


def _threads() -> int:
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return 1  # no /proc: cannot tell; unshare itself refuses a user namespace with threads


def _unshare(flags: int) -> None:
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    if libc.unshare(ctypes.c_int(flags)) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))


def _loopback_unreachable() -> bool:
    """True when a connection to 127.0.0.1 fails at once, as it must without a live interface."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        probe.settimeout(1)
        probe.connect(("127.0.0.1", 9))
    except OSError as error:
        return error.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH, errno.EADDRNOTAVAIL)
    finally:
        probe.close()
    return False


def isolate_network() -> Isolation:
    """Move the calling process into a network namespace without a usable interface.

    Call it in the engine child right after fork, before opening the store or starting threads.
    Raises ``IsolationUnavailable`` if that is not possible; never returns without isolation.
    """
    threads = _threads()
    if threads != 1:
        raise IsolationUnavailable(
            f"the process has {threads} threads; network isolation must happen right after fork, "
            "before any thread starts (a thread keeps the network namespace it started in)"
        )
    attempts = [CLONE_NEWNET, CLONE_NEWUSER | CLONE_NEWNET] if os.geteuid() == 0 else []
    attempts = attempts or [CLONE_NEWUSER | CLONE_NEWNET]
    reasons = []
    for flags in attempts:
        try:
            _unshare(flags)
        except OSError as error:
            reasons.append(f"unshare({_name(flags)}): {error.strerror}")
            continue
        interfaces = tuple(name for _, name in socket.if_nameindex())
        if interfaces != ("lo",) or not _loopback_unreachable():
            raise IsolationUnavailable(
                f"unshare({_name(flags)}) succeeded but the network is still reachable "
                f"(interfaces: {', '.join(interfaces)})"
            )
        return Isolation(_name(flags), interfaces)
    raise IsolationUnavailable(
        "the engine cannot be cut off from the network: "
        + "; ".join(reasons)
        + " (a container may need a seccomp profile that allows unshare, or the kernel must allow "
        "unprivileged user namespaces)"
    )


def _name(flags: int) -> str:
    names = (("CLONE_NEWUSER", CLONE_NEWUSER), ("CLONE_NEWNET", CLONE_NEWNET))
    return "|".join(name for name, flag in names if flags & flag)


def network_isolation_problem() -> str | None:
    """Whether engines can be isolated here: None if so, else the reason (for start-up, /health).

    Tried for real in a throw-away child, so the server process itself keeps its network.
    """
    reader, writer = os.pipe()
    pid = fork()  # signals held back in the child, which never runs an inherited handler
    if pid == 0:  # the child: try, report, and leave without running any Python clean-up
        os.close(reader)
        try:
            isolate_network()
            message = b""
        except IsolationUnavailable as error:
            message = str(error).encode()
        os.write(writer, message or b"ok")
        os._exit(0)
    os.close(writer)
    with os.fdopen(reader, "rb") as pipe:
        answer = pipe.read().decode()
    os.waitpid(pid, 0)
    return None if answer == "ok" else answer or "the isolation probe died"


class Route(enum.Enum):
    """Which engine may evaluate a query."""

    ISOLATED = "isolated"  # no network at all: every query without SERVICE, and the default
    FEDERATING = "federating"  # has network: only for SERVICE calls that are all allow-listed


def route(endpoints: Iterable[str | None], allowed_services: frozenset[str]) -> Route:
    """The engine for a query whose pre-check found SERVICE calls to ``endpoints``.

    FEDERATING only if there is at least one call and every endpoint is allow-listed (a variable
    endpoint, None, never is); anything else stays ISOLATED, where a call simply fails.
    """
    found = list(endpoints)
    if found and all(e is not None and e in allowed_services for e in found):
        return Route.FEDERATING
    return Route.ISOLATED
