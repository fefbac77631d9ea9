"""forking: children that die with the thread that forked them, and are reaped by us.

Real processes (fork, ``PR_SET_PDEATHSIG``, waitid), no mocks.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest

from kdgraph import child_processes
from kdgraph.query.supervised import SupervisedEngine


def _state(pid: int) -> str | None:
    """The process state letter (Z: a zombie), or None once it is gone (reaped)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1][0]
    except OSError:
        return None


def _until(condition, timeout: float = 30) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def _ready_then_sleep(ready: int) -> None:
    os.write(ready, b"!")
    time.sleep(60)


def _sleeper() -> int:
    """A child that would sleep for a minute, forked as the engines are (``fork`` then
    ``reset_signals``), so it dies with its thread.

    Returns once the child runs (so has asked for its death signal): a thread that ended before
    that would not be the child's parent any more, another thread of the process would."""
    read_end, write_end = os.pipe()
    pid = child_processes.fork()
    if pid == 0:
        child_processes.reset_signals()
        _ready_then_sleep(write_end)
        os._exit(0)
    os.close(write_end)
    assert os.read(read_end, 1) == b"!"
    os.close(read_end)
    return pid


def _ended(pid: int) -> bool:
    """Whether child ``pid`` has ended (reaped here if so)."""
    done, _ = os.waitpid(pid, os.WNOHANG)
    return done == pid


def _in_a_thread_that_ends(function) -> int:  # type: ignore[no-untyped-def]
    """``function()`` in a short-lived thread, like one of granian's request threads."""
    result: list[int] = []
    thread = threading.Thread(target=lambda: result.append(function()))
    thread.start()
    thread.join()
    return result[0]


def test_a_child_forked_by_a_request_thread_dies_when_that_thread_ends() -> None:
    """granian ends idle request threads (blocking_threads_idle_timeout): measured, the engines
    they had forked were killed. Why engines are forked by a thread of the pool's own."""
    child = _in_a_thread_that_ends(_sleeper)
    assert _until(lambda: _ended(child)), _state(child)  # killed (it would sleep a minute)
    assert _state(child) is None  # and reaped: no zombie


def test_a_sigterm_in_a_childs_first_moments_ends_it_instead_of_running_the_parents_handler(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Regression: a child forked while the server's process group got SIGTERM could take it
    before ``reset_signals`` had run; then granian's inherited handler ran in the child (and
    could hang there on a lock held at the fork), so the child lived on, orphaned, holding the
    server's port and stderr. Signals are now held back across the fork until the child's own
    handlers are in place: such a SIGTERM ends the child (an engine, and any other child)."""
    ran_inherited = []
    previous = signal.signal(signal.SIGTERM, lambda *_: ran_inherited.append(os.getpid()))
    real = child_processes._die_with_parent

    def sigterm_first() -> None:  # the first thing every child does: now a SIGTERM arrives
        os.kill(os.getpid(), signal.SIGTERM)
        real()

    monkeypatch.setattr(child_processes, "_die_with_parent", sigterm_first)
    try:
        with pytest.raises(child_processes.ChildFailed):  # it died; no answer came back
            child_processes.run_in_child(os.getpid)
        engine = SupervisedEngine(str(Path(__file__).parent), timeout=5, max_bytes=1000)
        engine._process.join(10)
        assert engine._process.exitcode == -signal.SIGTERM
        engine.close()
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert ran_inherited == []  # nor did the parent's handler run in this process
