"""The background warm-up after a load: dumps on disk, saved-query answers shared by all workers."""

from __future__ import annotations

import pytest
import requests

from kdgraph.answer_files import AnswerFiles
from kdgraph.resources import bundled_paths
from kdgraph.saved_queries import load_saved_queries

JSON = {"Accept": "application/sparql-results+json"}


@pytest.fixture(scope="module")
def server(bundled_server):  # type: ignore[no-untyped-def]
    return bundled_server


def stored_body(server, health: dict, etag_header: str) -> bytes:  # type: ignore[no-untyped-def]
    """The answer file under the response's ETag, read (and checked) as the workers read it."""
    stored = AnswerFiles(server.state_dir / f"answers-{health['version']}").get(etag_header.strip('"'))
    assert stored is not None, f"no answer file for {etag_header}"
    return stored.body


def test_warm_up_answers_every_saved_query_as_the_api_and_the_ui_ask_for_it(server) -> None:  # type: ignore[no-untyped-def]
    health = server.wait_until_warm()
    saved = load_saved_queries(bundled_paths().queries)
    # per saved query: /sparql with the example bound (UI, scripts) and the API's count and page,
    # for the defaults and for the example parameters (the same request when they coincide)
    assert 20 <= health["warm"]["answers"] <= 6 * len(saved)
    for name, query in saved.items():
        params = query.example_parameters()
        page = requests.get(f"{server.url}/queries/{name}", params=params, headers=JSON, timeout=30)
        assert page.status_code == 200, page.text
        # the bundled data answers in milliseconds, which workers do not write to disk: what is
        # there under the response's ETag was written by the warm-up, for exactly this request
        assert stored_body(server, health, page.headers["ETag"]) == page.content
        text = query.example_text()
        ui = requests.post(f"{server.url}/sparql", data={"query": text}, headers=JSON, timeout=30)
        assert ui.status_code == 200, ui.text
        assert stored_body(server, health, ui.headers["ETag"]) == ui.content


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
