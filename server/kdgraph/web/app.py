"""The Flask app factory: configuration in, blueprints registered, no work at import time."""

from __future__ import annotations

import hashlib
import json
import logging
import posixpath
import time
from urllib.parse import urlsplit, urlunsplit

from flask import Flask, Response, g, request

from kdgraph.catalogue.saved_queries import load_saved_queries
from kdgraph.config import ServerConfig
from kdgraph.query.errors import UriTooLong
from kdgraph.resources import bundled_paths
from kdgraph.serving.shared_status import SharedStatus
from kdgraph.serving.worker import Runtime
from kdgraph.web import (
    crebo,
    dataset,
    dossiers,
    errors,
    health,
    linked_data,
    negotiation,
    page_language,
    queries_api,
    search,
    sparql,
    ui,
)

access_log = logging.getLogger("kdgraph.access")
# CORS is open: every response may be read by any origin (the data is public, nothing needs a
# cookie), and a preflight learns what a cross-origin request may use. Two dictionaries instead
# of a CORS library: the same headers, a tenth of the cost per request.
CORS_HEADERS = {"Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": "ETag"}
PREFLIGHT_HEADERS = {
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type, Accept, If-None-Match",
    "Access-Control-Max-Age": "86400",
}


# Every response: a browser never guesses a type we did not say (a Turtle answer run as a script).
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff"}
# Pages: never framed by another site (clickjacking), no <base> or plug-in a page did not ask
# for. Scripts and styles are not restricted here: the query UI (YASGUI) builds its own.
PAGE_HEADERS = {
    "Content-Security-Policy": "frame-ancestors 'none'; base-uri 'self'; object-src 'none'",
    "X-Frame-Options": "DENY",
}


def local_location(location: str) -> str:
    """A redirect's target as a path on this server, normalised: Werkzeug builds the target of a
    308 (``/def`` to ``/def/``) from the request's Host header, and a path with ``../`` was kept
    as sent (issue 22). Query strings stay as they are."""
    target = urlsplit(location)
    path = posixpath.normpath(target.path or "/")
    if path.startswith("//"):  # (normpath keeps a leading double slash: another host to a browser)
        path = "/" + path.lstrip("/")
    if target.path.endswith("/") and path != "/":
        path += "/"
    return urlunsplit(("", "", path, target.query, target.fragment))


def create_app(config: ServerConfig, status: SharedStatus | None = None) -> Flask:
    """``status``: the server's shared status (what is served, how the last reload went), if served."""
    app = Flask(__name__, static_folder=None)  # static files belong to the UI blueprint
    app.config["MAX_CONTENT_LENGTH"] = config.max_request_bytes
    app.extensions["kdgraph"] = Runtime(config, status)
    app.extensions["kdgraph.queries"] = load_saved_queries(bundled_paths().queries)
    for module in (sparql, queries_api, crebo, linked_data, dataset, health, search, page_language, ui):
        app.register_blueprint(module.blueprint)
    app.register_blueprint(dossiers.blueprint)  # the national structure's pages
    _install_limits_and_logging(app, config)
    errors.install(app, config.max_request_bytes)
    return app


def _install_limits_and_logging(app: Flask, config: ServerConfig) -> None:
    @app.before_request
    def start_timer() -> None:
        g.started = time.monotonic()  # the request's deadline counts from here (sparql.budget)
        if len(request.query_string) > config.max_request_bytes:
            raise UriTooLong(
                f"the URL is larger than {config.max_request_bytes} bytes; "
                "POST large queries, or shorten them"
            )

    @app.after_request
    def open_to_every_origin(response: Response) -> Response:
        response.headers.update(CORS_HEADERS)
        if request.method == "OPTIONS":
            response.headers.update(PREFLIGHT_HEADERS)
        response.headers.update(SECURITY_HEADERS)
        if response.mimetype == "text/html":
            response.headers.update(PAGE_HEADERS)
        location = response.headers.get("Location")
        if location is not None:
            response.headers["Location"] = local_location(location)
        return negotiation.write_vary(response)  # the one place Vary is written

    @app.after_request
    def log_request(response: Response) -> Response:
        query = g.get("query_text")  # set by the read-request step; no body is read again here
        access_log.info(
            json.dumps(
                {
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.monotonic() - g.get("started", time.monotonic())) * 1000, 2),
                    "query_hash": hashlib.sha256(query.encode()).hexdigest()[:16] if query else None,
                }
            )
        )
        return response
