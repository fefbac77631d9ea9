"""Child processes of the serving process that neither gunicorn nor its workers should know of.

multiprocessing keeps a list of the children it started, and every gunicorn worker forked
later inherits that list: at exit, a worker would signal and try to join a process that is not
its own (a traceback in the log, and the warm-up killed whenever a worker restarts). gunicorn's
arbiter also reaps every child that ends, so an exit status cannot be relied on. Hence plain
``os.fork``: results travel through a pipe, and a background job runs in a grandchild that
nobody has to wait for.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import sys
import traceback
from collections.abc import Callable
from typing import Any


def reset_signals() -> None:
    """Default signal handling in a child of gunicorn's arbiter or of a worker.

    A forked child inherits gunicorn's handlers, which only note the signal for a main loop the
    child does not run: SIGTERM would not end it. Termination signals get their default action
    (so the child ends with the server's process group); gunicorn's control signals are ignored.
    """
    for name in ("SIGTERM", "SIGINT", "SIGQUIT", "SIGCHLD"):
        signal.signal(getattr(signal, name), signal.SIG_DFL)
    for name in ("SIGHUP", "SIGUSR1", "SIGUSR2", "SIGWINCH", "SIGTTIN", "SIGTTOU"):
        signal.signal(getattr(signal, name), signal.SIG_IGN)


class ChildFailed(Exception):
    """The child ended without an answer (killed, out of memory); its stderr says more."""


def _finish(code: int) -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _wait(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):  # already reaped by gunicorn's arbiter
        os.waitpid(pid, 0)


def run_in_child(function: Callable[..., Any], *args: Any) -> Any:
    """``function(*args)`` evaluated in a forked child; its return value comes back pickled."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        reset_signals()
        os.close(read_end)
        code = 0
        try:
            with os.fdopen(write_end, "wb") as pipe:
                pickle.dump(function(*args), pipe)
        except BaseException:
            traceback.print_exc(file=sys.stderr)
            code = 1
        _finish(code)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        payload = pipe.read()
    _wait(pid)
    if not payload:
        raise ChildFailed("the child process ended without an answer")
    return pickle.loads(payload)


def detach(function: Callable[..., Any], *args: Any) -> None:
    """Start ``function(*args)`` in the background, in a grandchild that leaves no zombie."""
    pid = os.fork()
    if pid == 0:
        if os.fork() == 0:
            reset_signals()
            try:
                function(*args)
            except BaseException:
                traceback.print_exc(file=sys.stderr)
            _finish(0)
        _finish(0)
    _wait(pid)
