"""The app of ``kdgraph serve`` in the test process, reached through Flask's test client.

The fast layer of the tests (see conftest): protocol and page cases need the app's answers, not
a socket, a process or a signal. :class:`InProcessServer` prepares a state directory exactly as
``kdgraph serve`` does (``served_data.prepare``), publishes it in a shared status as the serving
process does, builds the app with ``create_app`` and answers every request through
``app.test_client()``. Its engines are the server's own (supervised, killable processes), so a
deadline or a refusal is the same as over HTTP.

It speaks requests' interface (``server.get("/sparql", params=..., headers=...)`` returning a
``requests.Response``), as :class:`~tests.server_process.ServerProcess` does: a test module
chooses its layer in its ``server`` fixture and asserts the same things either way. Over a real
server the same call is a real HTTP request; here a transport adapter hands requests' prepared
request (URL, method, headers, body as encoded) to the test client and its answer back.
"""

from __future__ import annotations

import http.client
import io
import itertools
import urllib.request
import urllib.response
from collections.abc import Iterable, Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

import requests
import urllib3
from flask import Flask
from requests.adapters import HTTPAdapter

from kdgraph.config import ServerConfig
from kdgraph.serving.shared_status import SharedStatus
from kdgraph.store.served_data import ServedData, prepare
from kdgraph.web.app import create_app

from .server_process import HttpMethods


class FlaskClientAdapter(HTTPAdapter):
    """requests' transport for one Flask app: each request goes through Flask's test client."""

    def __init__(self, app: Flask):
        super().__init__()
        self.app = app

    def send(  # type: ignore[override]
        self, request: requests.PreparedRequest, stream: bool = False, **_: Any
    ) -> requests.Response:
        body = request.body
        if body is not None and not isinstance(body, (bytes, str)):  # a generator: chunked upload
            body = b"".join(chunk.encode() if isinstance(chunk, str) else chunk for chunk in body)  # type: ignore[union-attr]
        # no cookie jar of its own: as over HTTP, a requests call sends what requests holds
        client = self.app.test_client(use_cookies=False)
        answer = client.open(
            request.url, method=request.method, headers=list(request.headers.items()), data=body
        )
        raw = urllib3.HTTPResponse(
            body=io.BytesIO(answer.get_data()),
            headers=answer.headers.to_wsgi_list(),
            status=answer.status_code,
            reason=answer.status.partition(" ")[2],
            preload_content=False,
            decode_content=False,
            original_response=_Sent(answer.headers.to_wsgi_list()),  # (requests reads cookies there)
        )
        answer.close()
        return self.build_response(request, raw)


class _Sent:
    """The part of http.client's response that urllib3 and requests read beside the body: its
    headers as an HTTPMessage (requests takes the cookies from there). Nothing is left to read."""

    def __init__(self, headers: list[tuple[str, str]]):
        self.msg = http.client.HTTPMessage()
        for name, value in headers:
            self.msg[name] = value  # (appends: every Set-Cookie is kept)

    def isclosed(self) -> bool:
        return True

    def close(self) -> None:
        pass


class _UrllibHandler(urllib.request.BaseHandler):
    """urllib's requests to the hosts of in-process servers, answered by them: a client that
    fetches with urllib (rdflib, for the JSON-LD context a document names) reaches the app as it
    reaches a real server. Other hosts pass on to urllib's own handlers."""

    handler_order = 100  # before urllib's HTTPHandler
    servers: ClassVar[dict[str, InProcessServer]] = {}

    def http_open(self, request: urllib.request.Request) -> urllib.response.addinfourl | None:
        server = self.servers.get(request.host)
        if server is None:
            return None
        answer = server.request(
            request.get_method(),
            request.full_url,
            headers=dict(request.header_items()),
            data=request.data,
            allow_redirects=False,  # (urllib follows them itself)
        )
        headers = http.client.HTTPMessage()
        for name, value in answer.headers.items():
            headers[name] = value
        result = urllib.response.addinfourl(
            io.BytesIO(answer.content), headers, request.full_url, answer.status_code
        )
        result.msg = answer.reason  # (as urllib's HTTPHandler sets it)
        return result


urllib.request.install_opener(urllib.request.build_opener(_UrllibHandler()))
_numbers = itertools.count(1)


class InProcessServer(HttpMethods):
    """The app on data prepared as ``kdgraph serve`` prepares it, answering in this process."""

    def __init__(self, state_dir: Path, data: Iterable[Path] | None = None, **config: Any):
        # a host of its own (no socket: the adapter and the urllib handler take its URLs)
        self.url = f"http://app{next(_numbers)}.kdgraph.test"
        self.state_dir = state_dir
        self.served: ServedData = prepare(state_dir, list(data) if data else None, at_start=True)
        self.status = SharedStatus()  # what the serving process publishes for its workers
        self.status.write("served", {"served": asdict(self.served), "reload": None})
        settings: Mapping[str, Any] = {"public_url": self.url, **config}
        self.app = create_app(ServerConfig(state_dir=state_dir, **settings), self.status)
        self._adapter = FlaskClientAdapter(self.app)
        _UrllibHandler.servers[urlsplit(self.url).netloc] = self

    def session(self) -> requests.Session:
        session = requests.Session()
        session.mount(self.url, self._adapter)
        return session

    def close(self) -> None:
        _UrllibHandler.servers.pop(urlsplit(self.url).netloc, None)
        self.app.extensions["kdgraph"].close()  # its engine processes

    def __enter__(self) -> InProcessServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
