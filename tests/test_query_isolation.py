"""query.isolation: an engine process that isolated itself reaches nothing, not even 127.0.0.1.

Each check runs in a forked child (isolation is one-way and per process); the child reports
back through a pipe. The listener counts connections, so "zero" is measured, not assumed.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable

import pytest

from kdgraph.query.isolation import (
    IsolationUnavailable,
    Route,
    isolate_network,
    network_isolation_problem,
    route,
)

from .listener import Listener

PROBLEM = network_isolation_problem()
needs_isolation = pytest.mark.skipif(PROBLEM is not None, reason=f"no network isolation here: {PROBLEM}")


def in_isolated_child(work: Callable[[], dict]) -> dict:
    """Fork, isolate the child, run ``work`` there and return what it reported."""
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(reader)
        try:
            isolation = isolate_network()
            report = {"isolation": isolation.flags, "interfaces": list(isolation.interfaces), **work()}
        except BaseException as error:  # the child must report whatever happened, then leave
            report = {"failed": f"{type(error).__name__}: {error}"}
        os.write(writer, json.dumps(report).encode())
        os._exit(0)
    os.close(writer)
    with os.fdopen(reader, "rb") as pipe:
        report = json.loads(pipe.read() or b'{"failed": "child died"}')
    os.waitpid(pid, 0)
    return report


@needs_isolation
def test_isolated_child_cannot_connect_to_loopback_while_parent_can() -> None:
    with Listener() as listener:

        def connect() -> dict:
            try:
                socket.create_connection(("127.0.0.1", listener.port), timeout=5).close()
                return {"connected": True}
            except OSError as error:
                return {"connected": False, "error": error.errno}

        report = in_isolated_child(connect)
        assert report.get("connected") is False, report
        assert report["interfaces"] == ["lo"]
        assert listener.connections() == 0
        socket.create_connection(("127.0.0.1", listener.port), timeout=5).close()  # the parent can
        assert listener.connections() == 1


@needs_isolation
@pytest.mark.parametrize("silent", ["", "SILENT "])
def test_pyoxigraph_service_in_isolated_child_makes_no_connection(silent: str) -> None:
    with Listener() as listener:

        def service() -> dict:
            import pyoxigraph as ox

            query = f"SELECT ?s WHERE {{ SERVICE {silent}<{listener.url}> {{ ?s ?p ?o }} }}"
            try:
                rows = [str(row["s"]) for row in ox.Store().query(query)]  # type: ignore[index]
                return {"rows": rows}
            except OSError as error:
                return {"error": str(error)}

        report = in_isolated_child(service)
        assert "failed" not in report, report
        assert "LEAKED" not in json.dumps(report)
        if silent:  # the failed call is ignored: one solution in which ?s is unbound
            assert report["rows"] == ["None"]
        else:
            assert "unreachable" in report["error"].lower()
        assert listener.connections() == 0


def test_the_same_service_query_does_connect_without_isolation() -> None:
    """The control: the listener and pyoxigraph really do meet when nothing isolates them."""
    import pyoxigraph as ox

    with Listener() as listener:
        rows = list(ox.Store().query(f"SELECT ?s WHERE {{ SERVICE <{listener.url}> {{ ?s ?p ?o }} }}"))
        assert [row["s"].value for row in rows] == ["LEAKED"]  # type: ignore[index]
        assert listener.connections() == 1


def test_isolation_refuses_a_process_with_threads() -> None:
    import threading

    release = threading.Event()
    thread = threading.Thread(target=release.wait)
    thread.start()
    try:
        with pytest.raises(IsolationUnavailable, match="threads"):
            isolate_network()
    finally:
        release.set()
        thread.join()


def test_route_sends_only_fully_allow_listed_federation_to_the_networked_engine() -> None:
    allowed = frozenset({"https://query.wikidata.org/sparql"})
    assert route([], allowed) is Route.ISOLATED
    assert route(["https://query.wikidata.org/sparql"], allowed) is Route.FEDERATING
    assert route(["https://query.wikidata.org/sparql", "http://127.0.0.1/"], allowed) is Route.ISOLATED
    assert route(["https://query.wikidata.org/sparql", None], allowed) is Route.ISOLATED
    assert route(["https://query.wikidata.org/sparql"], frozenset()) is Route.ISOLATED


SIMULATED_REFUSAL = '''
"""Loaded by the server process under test only: unshare refused, as under a strict seccomp profile."""
import kdgraph.query.isolation as isolation


def refused():
    raise isolation.IsolationUnavailable("unshare(CLONE_NEWNET): Operation not permitted (simulated)")


isolation.isolate_network = refused
'''


@pytest.mark.server
def test_health_says_when_engines_could_not_be_isolated(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Regression: the server only logged that engines had network; /health must say it too."""
    import requests

    from .server_process import ServerProcess

    (tmp_path / "simulate").mkdir()
    (tmp_path / "simulate" / "sitecustomize.py").write_text(SIMULATED_REFUSAL, encoding="utf-8")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path / "simulate"))
    with ServerProcess([], tmp_path / "state") as server:
        health = requests.get(f"{server.url}/health", timeout=30).json()
        assert health["network_isolation"] is False
        assert health["network_isolation_problem"] == (
            "engines run WITH network access: only the pre-check refuses SERVICE "
            "(unshare(CLONE_NEWNET): Operation not permitted (simulated))"
        )
        # the pre-check still refuses SERVICE, and ordinary queries still answer
        refused = requests.get(
            f"{server.url}/sparql",
            params={"query": "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"},
            timeout=30,
        )
        assert refused.status_code == 403
        ask = requests.get(
            f"{server.url}/sparql",
            params={"query": "ASK { ?s ?p ?o }"},
            headers={"Accept": "application/sparql-results+json"},
            timeout=30,
        )
        assert ask.json()["boolean"] is True


@pytest.mark.server
@needs_isolation
def test_health_says_engines_are_isolated(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import requests

    from .server_process import ServerProcess

    with ServerProcess([], tmp_path / "state") as server:
        health = requests.get(f"{server.url}/health", timeout=30).json()
        assert health["network_isolation"] is True and "network_isolation_problem" not in health
