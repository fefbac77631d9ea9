"""Child processes of the server that cannot outlive it, and that granian does not track.

granian starts its workers with multiprocessing, which keeps a list of the children it started;
a worker forked later inherits that list, and at exit would signal and try to join a process
that is not its own. Hence plain ``os.fork``: results travel through a pipe, and the one who
forked a child reaps it (granian's main process reaps only its workers): ``run_in_child`` waits
for its child, so no zombie is left behind. Shared by the query path (engine processes), the
store (a version is prepared in a child) and the server's processes: plumbing, not a concern.

Every child (a preparation, a worker's engine) calls ``reset_signals`` first: it dies
with its parent (``PR_SET_PDEATHSIG``, so a worker killed with SIGKILL takes its engine along),
and it closes the network sockets it inherited (so a child that is still finishing cannot
keep the server's port bound after the server stopped, nor a client's connection open).

Signals are held back across the fork (``signals_held``) until ``reset_signals`` has put the
child's own handlers in place. Without that, a SIGTERM to the server's process group that
reached a child in its first microseconds ran granian's inherited handler, which sets an event
whose lock another thread of the parent may have held at the fork: the child hung in the
handler forever, before it had asked to die with its parent, holding the listening socket and
the server's stderr (found as a test run that hung at a server's stop).

``PR_SET_PDEATHSIG`` fires when the *thread* that forked the child ends, not its process: a
child must be forked by a thread that lives as long as it should (the main thread, the
preparation thread, the engine pool's starter thread), never by one of granian's request
threads, which end after ``blocking_threads_idle_timeout`` idle seconds (measured: their
children were killed).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import pickle
import signal
import socket
import stat
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from kdgraph.log_lines import report_failure

_PR_SET_PDEATHSIG = 1
# Signals a child gets handlers of its own for (``reset_signals``); held back until then.
_TERMINATING = ("SIGTERM", "SIGINT", "SIGQUIT", "SIGCHLD")
_IGNORED = ("SIGHUP", "SIGUSR1", "SIGUSR2", "SIGWINCH", "SIGTTIN", "SIGTTOU")
_HELD = {getattr(signal, name) for name in (*_TERMINATING, *_IGNORED)}


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Hold back (block) the signals ``reset_signals`` handles in the calling thread, around a
    fork done inside whose child never comes back out of the block (multiprocessing's start):
    the child inherits the mask and lets them through once its handlers are its own. (The
    parent's other threads still take them meanwhile.)"""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _HELD)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def fork() -> int:
    """``os.fork`` with the signals held back in the child: it must call ``reset_signals``
    first (or end with ``os._exit``); the parent gets its mask back at once."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _HELD)
    try:
        pid = os.fork()
    except BaseException:  # no child
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
        raise
    if pid != 0:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
    return pid


def _die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when the thread that forked it ends."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def die_with(parent: int) -> None:
    """End this process at once if ``parent`` has ended, and from now on whenever it ends.

    For a granian worker (forked by the main process's main thread, which lives as long as the
    main process): without it, a ``kill -9`` of the main process left the workers (and their
    engines) serving the old version on the port and holding the state directory's lock."""
    _die_with_parent()
    if os.getppid() != parent:  # it ended before the death signal was asked for
        os._exit(1)


def close_network_sockets() -> None:
    """Close every inherited TCP socket: a granian worker's listener, and its clients' connections.

    An engine forked while a client was connected held that connection open after granian had
    closed it (measured: an idle keep-alive connection stayed open for good, whatever granian or
    the connection guard did). A child never needs them; its pipes (AF_UNIX) stay."""
    for name in os.listdir("/proc/self/fd"):
        descriptor = int(name)
        try:
            if not stat.S_ISSOCK(os.fstat(descriptor).st_mode):
                continue
            probe = socket.socket(fileno=os.dup(descriptor))
        except OSError:
            continue
        network = probe.family in (socket.AF_INET, socket.AF_INET6)
        probe.close()
        if network:
            with contextlib.suppress(OSError):
                os.close(descriptor)


def reset_signals() -> None:
    """Make a forked child of the server: default signals, death with its parent, no sockets.

    A forked child inherits granian's handlers, which only note the signal for a main loop the
    child does not run: SIGTERM would not end it. Termination signals get their default action
    (so the child ends with the server's process group); SIGHUP (our reload) and the other
    control signals are ignored. Then the signals held back across the fork come through (a
    SIGTERM sent meanwhile ends the child here).
    """
    parent = os.getppid()
    _die_with_parent()
    if parent == 1:  # the parent ended before the death signal was asked for
        os._exit(1)
    for name in _TERMINATING:
        signal.signal(getattr(signal, name), signal.SIG_DFL)
    for name in _IGNORED:
        signal.signal(getattr(signal, name), signal.SIG_IGN)
    close_network_sockets()
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _HELD)


class ChildFailed(Exception):
    """The child ended without an answer (killed, out of memory); its stderr says more."""


def _finish(code: int) -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _wait(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):  # already reaped (by end_children at exit)
        os.waitpid(pid, 0)


def run_in_child(function: Callable[..., Any], *args: Any) -> Any:
    """``function(*args)`` evaluated in a forked child; its return value comes back pickled."""
    read_end, write_end = os.pipe()
    pid = fork()
    if pid == 0:
        os.close(read_end)
        reset_signals()
        code = 0
        try:
            with os.fdopen(write_end, "wb") as pipe:
                pickle.dump(function(*args), pipe)
        except BaseException as error:
            report_failure("a child process of the server failed", error)
            code = 1
        _finish(code)
    os.close(write_end)
    try:
        with os.fdopen(read_end, "rb") as pipe:
            payload = pipe.read()
    finally:
        _wait(pid)
    if not payload:
        raise ChildFailed("the child process ended without an answer")
    return pickle.loads(payload)


def end_children() -> None:
    """SIGKILL and reap every child of this process (the server's, at its exit)."""
    children: set[int] = set()
    for task in os.listdir("/proc/self/task"):
        with contextlib.suppress(OSError):
            listed = Path(f"/proc/self/task/{task}/children").read_text()
            children.update(int(pid) for pid in listed.split())
    for pid in children:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    for pid in children:
        _wait(pid)
