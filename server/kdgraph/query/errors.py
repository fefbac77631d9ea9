"""Every way the query path can refuse or fail: one family of errors, each with its HTTP status.

Each error carries its HTTP status (and headers such as ``Retry-After``), so no step and no
blueprint decides a status itself: every step (reading the request, the protocol, the pre-check,
the engines, negotiation) raises an error of this family, it travels, and the web layer's single
table (``kdgraph.web.errors.response_for``) makes the response. The statuses live here, beside
the errors, so that the query path stays free of any web framework and is tested without one.
The rule of the house: input a client can fix gets a 4xx that says what to fix; bad luck on our
side (deadline, engine gone) gets 503 with ``Retry-After``; never a 500.
"""

from __future__ import annotations


class QueryPathError(Exception):
    """Base of the family; ``status`` is the HTTP status, ``headers`` extra response headers."""

    status = 500
    retry_after: int | None = None

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)} if self.retry_after is not None else {}


class BadRequest(QueryPathError):
    """The request itself is malformed: empty or duplicate query, invalid UTF-8, ..."""

    status = 400


class BadParameter(BadRequest):
    """A parameter value (saved-query parameter, limit, offset, ...) that does not fit its type."""

    def __init__(self, name: str, message: str):
        self.name = name
        super().__init__(f"parameter '{name}': {message}")


class QuerySyntaxError(BadRequest):
    """The engine could not parse the query; ``line`` and ``column`` say where (1-based)."""

    def __init__(self, detail: str, line: int | None = None, column: int | None = None):
        self.line, self.column = line, column
        where = f" at line {line}, column {column}" if line is not None else ""
        super().__init__(f"SPARQL syntax error{where}: {detail}")


class QueryFailed(BadRequest):
    """The engine parsed the query but could not evaluate it (a client's input, so 400)."""


class Forbidden(QueryPathError):
    """A query that must not run here: updates, LOAD, SERVICE to an endpoint not allow-listed."""

    status = 403


class NotFound(QueryPathError):
    status = 404


class NotAcceptable(QueryPathError):
    """No representation the client accepts can be produced; the message lists what can."""

    status = 406


class TooLarge(QueryPathError):
    """The request or the result is above its size limit."""

    status = 413


class UnsupportedMediaType(QueryPathError):
    status = 415


class UriTooLong(QueryPathError):
    """A GET whose parameters are above the request limit: POST instead."""

    status = 414


class QueryTimeout(QueryPathError):
    """The deadline passed; the evaluation was stopped. Try later or ask for less."""

    status = 503
    retry_after = 5


class EngineFailure(QueryPathError):
    """The engine (process or external store) failed; it has been restarted, a retry can work."""

    status = 503
    retry_after = 1


class TooManyAtOnce(QueryPathError):
    """This client already has as many evaluations running as one client may; others go first."""

    status = 429
    retry_after = 1


class Busy(QueryPathError):
    """Every engine of this worker is evaluating and none became free in time; come back soon."""

    status = 503
    retry_after = 2


class LongQueriesShed(Busy):
    """The share of the engines kept for long queries is in use: this query, long itself or from an
    address whose queries ran long just before, is not evaluated (or stopped), so that the other
    engines stay free for the short queries of everyone else."""

    retry_after = 10


class SlowBodies(Busy):
    """As many requests as one worker reads bodies of at once are still sending theirs; this
    body is not read, and the connection is closed (the unread body cannot be skipped; the
    client may see the connection reset rather than this answer)."""

    @property
    def headers(self) -> dict[str, str]:
        return {**super().headers, "Connection": "close"}
