"""Negotiation at the HTTP edge, and the one place the ``Vary`` header is made.

The rules of negotiation are ``kdgraph.query.media``'s (a pure function of the Accept header and
the format parameters); this module hands them the request's, and remembers on ``g`` which
request headers the answer was chosen by: Accept when a route negotiated its format, and
Accept-Language and Cookie when a page's language was decided (``page_language``). The app's
``after_request`` (:func:`write_vary`) then writes ``Vary`` once, from what really decided the
answer, so that no route writes it by hand and none can forget it (a shared cache that served a
Turtle answer to a browser, or an English page to a Dutch reader, would be the result).
"""

from __future__ import annotations

from collections.abc import Sequence

from flask import Response, g, request

from kdgraph.query import media
from kdgraph.query.media import Format, Wanted

# In this order in the header (one spelling for caches to compare).
VARY_ORDER = ("Accept", "Accept-Language", "Cookie")


def vary_on(*headers: str) -> None:
    """The answer to this request depends on these request headers."""
    g.setdefault("vary", set()).update(headers)


def negotiate(offered: Sequence[Format], what: str, lenient: bool = False) -> Format:
    """The format to answer this request in, out of ``offered`` (first = default); see
    ``media.negotiate``. The answer varies on Accept, whatever the outcome (a 406 too)."""
    vary_on("Accept")
    return media.negotiate(offered, _accept(), request.args.to_dict(flat=False), what, lenient)


def page_or_rdf(what: str) -> Format:
    """A page for a browser, else RDF (``media.page_or_rdf``), varying on Accept."""
    vary_on("Accept")
    return media.page_or_rdf(_accept(), request.args.to_dict(flat=False), what)


def wanted_for_query(params: media.Parameters) -> Wanted:
    """Both choices for a SPARQL query (results or RDF), from Accept and the protocol's
    format parameters (``params``, as the request reader read them)."""
    vary_on("Accept")
    return media.wanted_for_query(_accept(), params)


def _accept() -> str:
    return request.headers.get("Accept", "")


def write_vary(response: Response) -> Response:
    """``Vary`` from what this request's answer was chosen by (``after_request``: the one place)."""
    chosen = g.get("vary")
    if chosen:
        response.headers["Vary"] = ", ".join(h for h in VARY_ORDER if h in chosen)
    return response
