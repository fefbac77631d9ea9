"""What a hostile client sends comes back nowhere (issue 22): a real server on the bundled data.

A forged Host header names no link, redirect or service description; every response says
``nosniff``, every page that it must not be framed; an error body never echoes a huge header;
a redirect's target is a normalised path on this server.
"""

from __future__ import annotations

import http.client
from urllib.parse import urlsplit

import requests

from .server_process import ServerProcess

EVIL = {"Host": "evil.example"}


def test_a_forged_host_header_comes_back_in_no_redirect_link_or_service_description(
    bundled_server: ServerProcess,
) -> None:
    url = bundled_server.url
    slash = requests.get(f"{url}/def", headers=EVIL, allow_redirects=False, timeout=30)  # to /def/
    assert slash.status_code == 308 and slash.headers["Location"] == "/def/"
    described = requests.get(f"{url}/sparql", headers={**EVIL, "Accept": "text/turtle"}, timeout=30)
    assert described.status_code == 200 and "evil.example" not in described.text
    assert f"<{url}/sparql>" in described.text  # the address it listens on
    page = requests.get(
        f"{url}/queries/cq01-qualifications-levels", headers=EVIL, params={"limit": 1}, timeout=30
    )
    assert page.status_code == 200 and "evil.example" not in page.headers["Link"]
    assert page.headers["Link"].startswith(f"<{url}/queries/cq01-qualifications-levels?")


def test_redirects_are_normalised_paths_on_this_server(bundled_server: ServerProcess) -> None:
    """Sent as is (requests would remove the dot segments before sending)."""
    parts = urlsplit(bundled_server.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request("GET", "/id/dossier/x/../productietechniek")
        answer = connection.getresponse()
        answer.read()
    finally:
        connection.close()
    assert answer.status == 303 and answer.getheader("Location") == "/doc/id/dossier/productietechniek"


def test_every_response_says_nosniff_and_pages_may_not_be_framed(bundled_server: ServerProcess) -> None:
    url = bundled_server.url
    page = requests.get(f"{url}/", timeout=30)
    assert page.headers["Content-Type"].startswith("text/html")
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    for path in ("/health", "/sparql?query=ASK%7B%7D", "/nothing-here"):
        answer = requests.get(url + path, timeout=30)
        assert answer.headers["X-Content-Type-Options"] == "nosniff", path


def test_an_error_body_does_not_echo_a_huge_accept_header(bundled_server: ServerProcess) -> None:
    accept = ", ".join(f"application/x-nothing-{n}" for n in range(9000))  # about 233 KB
    answer = requests.get(
        f"{bundled_server.url}/sparql", params={"query": "ASK {}"}, headers={"Accept": accept}, timeout=30
    )
    assert answer.status_code == 406 and len(answer.content) <= 2100
    assert answer.text.rstrip().endswith("[... shortened by the server]")
