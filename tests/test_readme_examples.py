"""The README's examples run as written, against a real server, and its counts are the served ones.

A newcomer pastes the README's commands into a shell: every ``curl`` block must answer 200 with a
body, and every SPARQL query in it (the ```sparql blocks and the queries inside its Python) must
run on any SPARQL endpoint, so it declares its prefixes (our endpoint predefines none: an
undeclared prefix is a 400 here too). The blocks are run by bash exactly as written, only the
address replaced by the test server's; ``curl`` is wrapped to report each transfer's status and
size on stderr, so every call of a block is checked, not only its last.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
ADDRESS = "http://127.0.0.1:8000"
BLOCK = re.compile(r"^```(\w+)\n(.*?)^```", re.MULTILINE | re.DOTALL)
# each transfer's status and size, on stderr, whatever the block does with stdout
CURL_REPORT = "curl() { command curl -w '%{stderr}STATUS %{http_code} %{size_download}\\n' \"$@\"; }\n"


def blocks(language: str) -> list[str]:
    return [body for lang, body in BLOCK.findall(README.read_text(encoding="utf-8")) if lang == language]


def curl_blocks() -> list[str]:
    return [body for body in blocks("sh") if re.search(rf"\bcurl\b[^\n]*{re.escape(ADDRESS)}", body)]


def sparql_queries() -> list[str]:
    """The ```sparql blocks, and the triple-quoted query texts of the Python examples."""
    found = list(blocks("sparql"))
    for body in blocks("python"):
        found += [text for text in re.findall(r'"""(.*?)"""', body, re.DOTALL) if "SELECT" in text]
    return found


def test_the_readme_has_examples_to_run() -> None:
    # guards the two tests below against passing on nothing (a renamed fence, a moved block)
    assert len(curl_blocks()) >= 3
    assert len(sparql_queries()) >= 2


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
@pytest.mark.parametrize("block", curl_blocks(), ids=lambda block: block.splitlines()[-1][:60])
def test_curl_block_answers(bundled_server, block: str) -> None:  # type: ignore[no-untyped-def]
    script = CURL_REPORT + block.replace(ADDRESS, bundled_server.url)
    run = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=120)
    reports = re.findall(r"^STATUS (\d+) (\d+)$", run.stderr, re.MULTILINE)
    calls = len(re.findall(r"^\s*curl\b", block, re.MULTILINE))
    assert len(reports) == calls, run.stderr
    for status, size in reports:
        assert status == "200", run.stderr
        assert int(size) > 0, run.stderr
    assert run.stdout.strip(), run.stderr


@pytest.mark.parametrize(
    "query", sparql_queries(), ids=lambda query: re.sub(r"\s+", " ", query.split("SELECT", 1)[1])[:60]
)
def test_sparql_query_answers(bundled_app, query: str) -> None:  # type: ignore[no-untyped-def]
    response = bundled_app.post(
        "/sparql",
        data={"query": query},
        headers={"Accept": "application/sparql-results+json"},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    assert response.json()["results"]["bindings"], query


def test_counts_are_the_served_ones(bundled_app) -> None:  # type: ignore[no-untyped-def]
    """'What is in it' counts once what /health and the query list serve: keep them true."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## What is in it", 1)[1].split("\n## ", 1)[0]
    health = bundled_app.get("/health", timeout=30).json()
    queries = bundled_app.get("/queries?format=json", timeout=30).json()
    assert f"{health['data_triples']:,} triples from 23 files" in section
    assert f"`triples` is {health['triples']:,}" in section
    assert f"{len(queries)} saved queries" in section
    assert f"# {health['data_triples']} triples from 23 files conforms" in section
    assert f"# {len(queries)}\n" in section
