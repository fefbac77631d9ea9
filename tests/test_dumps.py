"""The dumps: part of the version's build, written before it is served, nothing else ahead of time."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests


@pytest.fixture(scope="module")
def server(bundled_server):  # type: ignore[no-untyped-def]
    return bundled_server


def test_the_dumps_are_in_the_served_build_from_the_first_request(server) -> None:  # type: ignore[no-untyped-def]
    build = Path(json.loads((server.state_dir / "current.json").read_text())["build"])
    assert sorted(p.name for p in (build / "dumps").iterdir()) == [
        "kdgraph.jsonld",
        "kdgraph.nq.gz",
        "kdgraph.nt.gz",
        "kdgraph.trig",
        "kdgraph.ttl",
    ]
    answer = requests.get(f"{server.url}/dumps/kdgraph.ttl", timeout=30)
    assert answer.status_code == 200 and answer.content == (build / "dumps" / "kdgraph.ttl").read_bytes()
    missing = requests.get(f"{server.url}/dumps/kdgraph.rdf", timeout=30)
    assert missing.status_code == 404 and "kdgraph.ttl" in missing.text


def test_nothing_is_written_beside_the_build(server) -> None:  # type: ignore[no-untyped-def]
    """Issue 12: a warm-up wrote every saved query's answers in guessed forms (minutes of a core
    at 200 dossiers), later the dumps with a marker file of its own; now the state directory
    holds the builds and current.json, and /health has nothing to wait for."""
    health = requests.get(f"{server.url}/health", timeout=30).json()
    assert "warm" not in health and health["damaged"] is None
    names = {p.name for p in server.state_dir.iterdir()}
    assert {n for n in names if not n.startswith("build-")} <= {"current.json", "lock", ".kdgraph-temporary"}
