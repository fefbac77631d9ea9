"""Reading a SPARQL protocol request strictly: what the client sent, as text, or a 4xx.

Every refusal is an error of the query path's family (``kdgraph.query.errors``), raised here
with its status, so the web layer maps it like any other.

The first step of the query path, on the plain WSGI environ (Flask's ``request.environ``), so it
is tested without a server and holds whatever framework runs it. Strict, because every lenient
reading is a way to run a query other than the one that was sent:

- The body is read with a hard limit that holds for ``Content-Length`` and chunked bodies alike:
  at most ``max_bytes + 1`` bytes are read from ``wsgi.input``; more than ``max_bytes`` is 413,
  never a truncated body (a chunked body cut at the limit is a different query).
- Text is UTF-8, strictly: parameters after percent-decoding, and direct bodies. Anything else is
  400 naming the parameter and the byte offset (a lossy decode would run a different query). A
  direct body that declares another charset is 415.
- Parameters come from the URL and, for a form post, the body; the same name in both, or twice,
  is kept as repeated values in order, so that the protocol step can insist on exactly one
  ``query`` (``one``) and the format step can read every ``format``/``output``/``results``.
- A URL whose parameters decode to more than ``max_bytes`` is 414 saying to POST instead.
- A body is read only with a place in the worker's ``BodyLane``: the server cannot time out a
  body that arrives slowly, so reading one holds a thread until the client ends it. When every
  place is taken the request is refused (503, its body unread) and the threads outside the lane
  stay free for requests without a body: GET queries, pages, /health.

Note on GET: granian's HTTP parser (hyper) refuses a request target above 65,534 bytes with a
bare 414 before the app sees it, a fixed limit no setting raises. So with the default 1 MB
``max_bytes``, a GET query reaches this reader only below 64 KB (URL-encoded), and this
reader's plain-text 414 answers only when ``max_bytes`` is set lower than that.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_to_bytes

from werkzeug.http import parse_options_header

from kdgraph.query.errors import BadRequest, SlowBodies, TooLarge, UnsupportedMediaType, UriTooLong

FORM = "application/x-www-form-urlencoded"
QUERY_BODY = "application/sparql-query"
UPDATE_BODY = "application/sparql-update"
FORMAT_PARAMETERS = ("format", "output", "results")  # what clients use to ask for a format by name
DRAIN_BYTES = 64_000_000  # read and dropped from a refused body, so that the client sees the 413


class BodyLane:
    """How many request bodies one worker reads at once (``size``); more are refused unread."""

    def __init__(self, size: int):
        self.size = size
        self._places = threading.BoundedSemaphore(size)

    @contextlib.contextmanager
    def place(self) -> Iterator[None]:
        if not self._places.acquire(blocking=False):
            raise SlowBodies(
                f"{self.size} requests are sending their bodies to this worker now, as many as it "
                "reads at once; send the request again shortly (a GET query has no body)",
            )
        try:
            yield
        finally:
            self._places.release()


@dataclass(frozen=True)
class ReadRequest:
    """What the request said, decoded and size-checked (fields as the protocol step reads them)."""

    method: str  # GET | POST | ...
    content_type: str  # media type of the body, lower case, without parameters ("" if none)
    params: Mapping[str, Sequence[str]]  # URL parameters, then the form's, each name in order
    body: str | None = None  # a direct POST body (application/sparql-query or -update)


def read_request(environ: Mapping[str, Any], max_bytes: int, lane: BodyLane | None = None) -> ReadRequest:
    """Read the URL parameters and the body of one request, strictly (see the module docstring).

    Call it before anything else touches the body (Flask's ``request.form`` or ``get_data``).
    ``max_bytes``: the server's limit (``ServerConfig.max_request_bytes``); ``lane``: the
    worker's places for reading bodies (None: no limit, e.g. in tests).
    """
    method = str(environ.get("REQUEST_METHOD", "GET")).upper()
    # WSGI hands the raw query string over as latin-1 "bytes in a str"
    raw_query = str(environ.get("QUERY_STRING", "")).encode("latin-1")
    params = parse_parameters(raw_query, "the URL")
    url_bytes = sum(len(v.encode()) for values in params.values() for v in values)
    if url_bytes > max_bytes:
        raise UriTooLong(
            f"the URL's parameters are {url_bytes} bytes, above the limit of {max_bytes}: "
            "POST the query instead (application/sparql-query, or a form with query=...)",
        )
    content_type, options = parse_options_header(str(environ.get("CONTENT_TYPE", "")))
    content_type = content_type.lower()
    body: str | None = None
    if method == "POST":
        raw = read_body(environ, max_bytes, lane)
        if content_type in (FORM, QUERY_BODY, UPDATE_BODY):
            charset = options.get("charset", "utf-8").lower()
            if charset not in ("utf-8", "utf8"):
                raise UnsupportedMediaType(f"charset={charset} is not accepted: send the request in UTF-8")
        if content_type == FORM:
            for name, values in parse_parameters(raw, "the form").items():
                params.setdefault(name, []).extend(values)
        elif content_type in (QUERY_BODY, UPDATE_BODY):
            body = decode_utf8(raw, "the request body")
    return ReadRequest(method, content_type, params, body)


def read_body(environ: Mapping[str, Any], max_bytes: int, lane: BodyLane | None = None) -> bytes:
    """The whole body, or 413 if it is longer than ``max_bytes``; never a part of it; with a
    place in ``lane`` while it is read (503 when there is none)."""
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    declared = str(environ.get("CONTENT_LENGTH") or "").strip()
    if not declared and not environ.get("wsgi.input_terminated"):
        return b""  # no length and a server that does not end the stream: WSGI says read nothing
    with lane.place() if lane is not None else contextlib.nullcontext():
        return _read_body(stream, declared, max_bytes)


def _read_body(stream: Any, declared: str, max_bytes: int) -> bytes:
    if declared:
        try:
            length = int(declared)
        except ValueError:
            raise BadRequest(f"Content-Length {declared!r} is not a number") from None
        if length > max_bytes:
            _drain(stream, length)
            raise TooLarge(_too_large(f"{length} bytes", max_bytes))
        body = _read_up_to(stream, length)
        if len(body) < length:
            raise BadRequest(f"the body ended after {len(body)} of the {length} bytes announced")
        return body
    body = _read_up_to(stream, max_bytes + 1)  # chunked: one byte more tells "too long" apart
    if len(body) > max_bytes:
        _drain(stream, DRAIN_BYTES)
        raise TooLarge(_too_large(f"more than {max_bytes} bytes", max_bytes))
    return body


def _drain(stream: Any, count: int) -> None:
    """Read (and drop) what is left of a refused body, up to ``DRAIN_BYTES``.

    A server that closes a connection with unread data in it makes the kernel reset it, and the
    client then sees "connection reset" instead of our 413.
    """
    remaining = min(count, DRAIN_BYTES)
    while remaining > 0:
        part = stream.read(min(remaining, 65536))
        if not part:
            return
        remaining -= len(part)


def _read_up_to(stream: Any, count: int) -> bytes:
    """Read until ``count`` bytes or the end: ``read(n)`` may return less than n before the end."""
    parts, remaining = [], count
    while remaining > 0:
        part = stream.read(min(remaining, 65536))
        if not part:
            break
        parts.append(part)
        remaining -= len(part)
    return b"".join(parts)


def _too_large(size: str, max_bytes: int) -> str:
    return f"the request body is {size}, above the limit of {max_bytes} bytes: send a shorter query"


def decode_utf8(raw: bytes, what: str) -> str:
    """``raw`` as UTF-8, or 400 that names the first byte that is not."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise BadRequest(
            f"{what} is not valid UTF-8: byte {error.start} (0x{raw[error.start]:02x}) {error.reason}; "
            "send the query encoded as UTF-8",
        ) from None


def parse_parameters(raw: bytes, where: str) -> dict[str, list[str]]:
    """``a=1&b=2&a=3`` (percent-encoded, ``+`` for space) as names and their values, in order."""
    params: dict[str, list[str]] = {}
    for piece in raw.split(b"&"):
        if not piece:
            continue
        name_bytes, _, value_bytes = piece.partition(b"=")
        name = decode_utf8(_unquote(name_bytes), f"a parameter name in {where}")
        value = decode_utf8(_unquote(value_bytes), f"parameter '{name}' in {where}")
        params.setdefault(name, []).append(value)
    return params


def _unquote(raw: bytes) -> bytes:
    return unquote_to_bytes(raw.replace(b"+", b" "))


def one(params: Mapping[str, Sequence[str]], name: str) -> str | None:
    """The one value of ``name`` (None if absent); twice (URL and form together, or not) is 400."""
    values = params.get(name, ())
    if len(values) > 1:
        raise BadRequest(
            f"{len(values)} '{name}' parameters were sent (URL and form together); send exactly one"
        )
    return values[0] if values else None


def format_values(params: Mapping[str, Sequence[str]]) -> list[str]:
    """Every ``format``/``output``/``results`` value, in that order: clients repeat and mix them."""
    return [value for name in FORMAT_PARAMETERS for value in params.get(name, ())]


def dataset(params: Mapping[str, Sequence[str]]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The protocol dataset: (``default-graph-uri`` values, ``named-graph-uri`` values)."""
    return tuple(params.get("default-graph-uri", ())), tuple(params.get("named-graph-uri", ()))
