"""/search?q=: the search box of every page; HTML for people, JSON for machines (Accept or format=json)."""

from __future__ import annotations

import json

from flask import Blueprint, Response, render_template, request

from kdgraph.pages.search_ranking import (
    MAX_HITS,
    Hit,
    compound_candidates,
    groups,
    known_words,
    normalise,
    rank,
    search_query,
    terms,
    words_query,
)
from kdgraph.query import media
from kdgraph.query.engine import TRANSPORT, Query
from kdgraph.query.errors import BadParameter
from kdgraph.web import negotiation
from kdgraph.web.page_language import LANGUAGES, page_language, word
from kdgraph.web.sparql import runtime

blueprint = Blueprint("search", __name__, template_folder="templates")
MAX_TERM = 200


def search_hits(term: str, lang: str) -> list[Hit]:
    """The ranked hits for ``term``; the one place this module asks the engine."""
    if not terms(term):  # no word in it (punctuation, symbols): nothing to look for
        return []
    rt = runtime()
    rows = _rows(search_query(rt.config.base, term))
    candidates = compound_candidates(term, rows)
    known = (
        known_words(candidates, _rows(words_query(rt.config.base, candidates))) if candidates else frozenset()
    )
    return rank(term, rows, lang, known)


def _rows(query: Query) -> list[dict]:
    return json.loads(runtime().engine.answer(query, TRANSPORT).body)["results"]["bindings"]


def closest_hits(term: str, lang: str) -> list[Hit]:
    """For a mistyped path: the hits for its words, else for a few shorter beginnings of them
    (at most five searches, whatever the path: a 404 must stay cheap)."""
    term = normalise(term)
    tries = [term, term[:-1], term[:-2], term[:-3], term[: max(4, len(term) // 2)]]
    for attempt in dict.fromkeys(t for t in tries if len(t) >= 4):
        hits = search_hits(attempt, lang)
        if hits:
            return hits
    return []


def local_href(iri: str) -> str:
    base = runtime().config.base
    return "/" + iri[len(base) :] if iri.startswith(base) else iri


@blueprint.route("/search")
def search() -> Response:
    term = request.args.get("q", "")
    if len(term) > MAX_TERM:
        raise BadParameter("q", f"the search term is longer than {MAX_TERM} characters; shorten it")
    if request.args.get("format") not in (None, "json", "html"):
        raise BadParameter("format", "must be html or json")
    wants_json = (
        negotiation.negotiate((media.HTML, media.JSON_DOCUMENT), "the search", lenient=True).name == "json"
    )
    if request.args.get("lang") not in (None, *LANGUAGES):
        raise BadParameter("lang", f"must be one of {', '.join(LANGUAGES)}")
    lang = page_language()
    hits = search_hits(term, lang) if normalise(term) else []
    if wants_json:
        body = {
            "query": term,
            "ranking": word("ranking", lang),
            "limit": MAX_HITS,
            "hits": [hit.as_json(local_href(hit.iri), local_href) for hit in hits],
        }
        return Response(
            json.dumps(body, ensure_ascii=False, indent=1), content_type=media.JSON_DOCUMENT.content_type
        )
    html = render_template(
        "search.html", hits=hits, groups=groups(hits), search_query=term, local=local_href, limit=MAX_HITS
    )
    return Response(html, content_type=media.HTML.content_type)


@blueprint.app_template_filter("local_path")
def local_path(iri: str) -> str:
    return local_href(iri)
