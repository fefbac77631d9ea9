"""The Flask app factory: configuration in, blueprints registered, no work at import time."""

from __future__ import annotations

import hashlib
import json
import logging
import time

from flask import Flask, Response, g, request
from flask_cors import CORS
from werkzeug.exceptions import HTTPException

from ..config import ServerConfig
from ..resources import bundled_paths
from ..runtime import Runtime
from ..saved_queries import load_saved_queries
from ..shared_status import SharedStatus
from . import dataset, health, linked_data, queries_api, sparql, ui

access_log = logging.getLogger("kdgraph.access")


def create_app(config: ServerConfig, status: SharedStatus | None = None) -> Flask:
    """``status``: the server's shared status (what is served, how the last reload went), if served."""
    app = Flask(__name__, static_folder=None)  # static files belong to the UI blueprint
    app.config["MAX_CONTENT_LENGTH"] = config.max_request_bytes
    app.extensions["kdgraph"] = Runtime(config, status)
    app.extensions["kdgraph.queries"] = load_saved_queries(bundled_paths().queries)
    CORS(
        app,
        resources={r"/*": {"origins": "*"}},
        methods=["GET", "POST", "OPTIONS"],
        allow_headers=["Content-Type", "Accept", "If-None-Match"],
        expose_headers=["ETag"],
        max_age=86400,
    )
    for module in (sparql, queries_api, linked_data, dataset, health, ui):
        app.register_blueprint(module.blueprint)
    _install_limits_and_logging(app, config)
    return app


def _install_limits_and_logging(app: Flask, config: ServerConfig) -> None:
    @app.before_request
    def start_timer() -> Response | None:
        g.started = time.perf_counter()
        if len(request.query_string) > config.max_request_bytes:
            return sparql.problem(
                413,
                f"the request is larger than {config.max_request_bytes} bytes; "
                "POST large queries, or shorten them",
            )
        return None

    @app.after_request
    def log_request(response: Response) -> Response:
        query = _query_for_log(config)
        access_log.info(
            json.dumps(
                {
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round(
                        (time.perf_counter() - g.get("started", time.perf_counter())) * 1000, 2
                    ),
                    "query_hash": hashlib.sha256(query.encode()).hexdigest()[:16] if query else None,
                }
            )
        )
        return response

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        if error.code == 413:
            return sparql.problem(413, f"the request body is larger than {config.max_request_bytes} bytes")
        return sparql.problem(error.code or 500, f"{error.name}: {error.description}")

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:  # a bug: log it, never show a traceback
        app.logger.exception("unhandled error")
        return sparql.problem(500, "internal error; it has been logged")


def _query_for_log(config: ServerConfig) -> str | None:
    """The query text, if any and if small enough to have been read (never reads a large body)."""
    if (request.content_length or 0) > config.max_request_bytes:
        return None
    if request.method == "POST" and request.mimetype == "application/sparql-query":
        return request.get_data(as_text=True)
    if request.method == "POST" and request.mimetype != "application/x-www-form-urlencoded":
        return None
    return request.values.get("query")
