"""The one table from errors to HTTP responses, for every route of the app.

The query path raises errors of one family (``kdgraph.query.errors``), each carrying its status
and headers; Werkzeug raises its ``HTTPException`` for what routing decides (404, 405, the body
limit's 413); anything else is a bug. This module turns each of the three into a response, in
one shape: a status and a short plain-text body that says what to fix, never a traceback. It
lives in the web layer so that the query path imports no web framework.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from kdgraph.query.errors import QueryPathError, TooLarge
from kdgraph.query.media import HTML, JSON_DOCUMENT
from kdgraph.web.linked_data import not_found
from kdgraph.web.negotiation import negotiate

MAX_PROBLEM_CHARACTERS = 2000  # an error body's text at most (a 406 echoed a 233 KB Accept header)


def problem(status: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
    """Every error response: a status and a plain-text body that says what to fix, bounded in size
    whatever of the request it quotes."""
    text = message.rstrip()
    if len(text) > MAX_PROBLEM_CHARACTERS:
        text = text[: MAX_PROBLEM_CHARACTERS - 30] + " [... shortened by the server]"
    return Response(text + "\n", status=status, mimetype="text/plain", headers=dict(headers or {}))


def response_for(error: QueryPathError) -> Response:
    """An error of the query path's family as its response: its own status and headers."""
    return problem(error.status, error.message, error.headers)


def install(app: Flask, max_request_bytes: int) -> None:
    """Register the three handlers: the family, Werkzeug's HTTP errors, and everything else."""
    app.register_error_handler(QueryPathError, response_for)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        if error.code == 413:  # Flask's MAX_CONTENT_LENGTH: the family's error, one wording
            return response_for(TooLarge(f"the request body is larger than {max_request_bytes} bytes"))
        if error.code == 404 and negotiate((JSON_DOCUMENT, HTML), "a missing page", lenient=True) is HTML:
            return not_found(request.path)  # a person's browser: a page in their language
        allow = {k: v for k, v in error.get_headers() if k == "Allow"}  # 405 says what is allowed
        return problem(error.code or 500, f"{error.name}: {error.description}", allow)

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:  # a bug: log it, never show a traceback
        app.logger.exception("unhandled error")
        return problem(500, "internal error; it has been logged")
