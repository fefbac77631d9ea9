"""The background warm-up after a load: dumps on disk, and nothing else."""

from __future__ import annotations

import json

import pytest
import requests


@pytest.fixture(scope="module")
def server(bundled_server):  # type: ignore[no-untyped-def]
    return bundled_server


def test_dumps_wait_politely_until_written(server) -> None:  # type: ignore[no-untyped-def]
    health = server.wait_until_warm()
    dumps = server.state_dir / f"dumps-{health['version']}"
    assert sorted(p.name for p in dumps.iterdir()) == [
        "kdgraph.jsonld",
        "kdgraph.nq.gz",
        "kdgraph.nt.gz",
        "kdgraph.trig",
        "kdgraph.ttl",
    ]
    missing = requests.get(f"{server.url}/dumps/kdgraph.rdf", timeout=30)
    assert missing.status_code == 404 and "kdgraph.ttl" in missing.text


def test_the_warm_up_answers_no_saved_query_ahead_of_time(server) -> None:  # type: ignore[no-untyped-def]
    """Issue 12: the warm-up wrote every saved query's answers in guessed forms (minutes of a
    core at 200 dossiers); now a saved query is evaluated when asked, then cached."""
    health = server.wait_until_warm()
    assert set(health["warm"]) == {"seconds"}
    record = json.loads((server.state_dir / f"warm-{health['version']}.json").read_text())
    assert set(record) == {"seconds", "dumps"}
