"""/search, in-process (Flask's test client): ranked hits over labels and texts in nl and en,
HTML and JSON."""

from __future__ import annotations

import pytest

from kdgraph.pages.search_ranking import MATCHES

BASE = "https://w3id.org/kdgraph/"


@pytest.fixture(scope="module")
def server(bundled_app):  # type: ignore[no-untyped-def]
    return bundled_app


def search(server, **params: str) -> dict:  # type: ignore[no-untyped-def]
    response = server.get("/search", params={**params, "format": "json"}, timeout=30)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("application/json")
    return response.json()


def test_ranked_exact_label_first_then_labels_then_texts(server) -> None:  # type: ignore[no-untyped-def]
    hits = search(server, q="lezen")["hits"]
    assert hits[0]["iri"] == f"{BASE}def/language-skill/lezen"
    assert (hits[0]["match"], hits[0]["label"], hits[0]["type"]["label"]) == (
        "exact_label",
        "lezen",
        "taalvaardigheid",
    )
    # grouped by kind, the kinds in the order of their best hit; within a kind: exact label >
    # label prefix > word in label > word in text
    kinds: dict[str, list[int]] = {}
    for hit in hits:
        kinds.setdefault(hit["type"]["iri"], []).append(MATCHES.index(hit["match"]))
    assert all(ranks == sorted(ranks) for ranks in kinds.values())
    assert [ranks[0] for ranks in kinds.values()] == sorted(ranks[0] for ranks in kinds.values())
    assert len({hit["iri"] for hit in hits}) == len(hits)  # one hit per resource
    assert f"{BASE}id/language-requirement/productietechniek-tabel-productietechnicus-lezen" in {
        hit["iri"] for hit in hits if hit["match"] == "word_in_label"
    }


def test_english_labels_are_searched_and_named_in_english(server) -> None:  # type: ignore[no-untyped-def]
    hits = search(server, q="reading", lang="en")["hits"]
    assert hits[0]["iri"] == f"{BASE}def/language-skill/lezen"
    assert (hits[0]["label"], hits[0]["type"]["label"]) == ("reading", "language skill")


def test_text_hits_carry_the_words_around_the_term(server) -> None:  # type: ignore[no-untyped-def]
    hits = search(server, q="fabriek zonder licht")["hits"]
    texts = [hit for hit in hits if hit["match"] == "word_in_text"]
    assert texts and all("fabriek zonder licht" in hit["text"].lower() for hit in texts)


def test_html_for_browsers_json_by_accept(server) -> None:  # type: ignore[no-untyped-def]
    html = server.get("/search", params={"q": "lezen"}, headers={"Accept": "text/html,*/*;q=0.8"}, timeout=30)
    assert (
        html.headers["Content-Type"].startswith("text/html")
        and 'href="/def/language-skill/lezen"' in html.text
    )
    as_json = server.get("/search", params={"q": "lezen"}, headers={"Accept": "application/json"}, timeout=30)
    assert as_json.json()["hits"][0]["label"] == "lezen"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"q": "x" * 201}, "longer than 200"),
        ({"q": "a", "format": "xml"}, "format"),
        ({"q": "a", "lang": "de"}, "lang"),
    ],
)
def test_bad_search_requests_are_400(server, params: dict, message: str) -> None:  # type: ignore[no-untyped-def]
    response = server.get("/search", params=params, timeout=30)
    assert response.status_code == 400 and message in response.text


def test_empty_search_finds_nothing(server) -> None:  # type: ignore[no-untyped-def]
    assert search(server, q="  ")["hits"] == []


INTERPRETATION = f"{BASE}id/interpretation/productietechniek-taalkeuze-en-toelichting-gelden-voor"
AUTOMATION = f"{BASE}id/trend/productietechniek-automatisering-en-digitalisering"


def hit_for(hits: list[dict], iri: str) -> dict:
    return next(hit for hit in hits if hit["iri"] == iri)


def test_dutch_page_shows_the_dutch_text_of_a_hit_that_has_both(server) -> None:  # type: ignore[no-untyped-def]
    """Browser review of /search: a Dutch page showed "Choice of language and rationale …"."""
    hits = search(server, q="het beheersingsniveau", lang="nl")["hits"]
    hit = hit_for(hits, INTERPRETATION)  # its kd:reason matches in nl and in en
    assert (hit["match"], hit["label"], hit["label_lang"], hit["type"]["label"], hit["type"]["lang"]) == (
        "word_in_text",
        "Taalkeuze en toelichting Lezen (A2) gelden voor beide niveau 4-kwalificaties",
        "nl",
        "interpretatie",
        "nl",
    )
    assert (hit["text"], hit["text_lang"]) == (
        '…het Engels gekozen ..." en "Het beheersingsniveau van de taalvaardigheid Lezen (A2) is…',
        "nl",
    )
    english = hit_for(search(server, q="het beheersingsniveau", lang="en")["hits"], INTERPRETATION)
    assert (english["label"], english["text_lang"], english["text"]) == (
        "Choice of language and rationale Lezen (A2) apply to both level-4 qualifications",
        "en",
        '…choosing English and "Het beheersingsniveau van de taalvaardigheid Lezen (A2) is gekozen…',
    )
    # Both labels contain "lezen" (the same rank): the Dutch page shows the Dutch one.
    lezen = hit_for(search(server, q="lezen", lang="nl")["hits"], INTERPRETATION)
    assert (lezen["text"], lezen["text_lang"]) == (lezen["label"], "nl")


def test_other_language_only_when_the_page_language_has_no_match(server) -> None:  # type: ignore[no-untyped-def]
    hits = search(server, q="rationale", lang="nl")["hits"]
    hit = hit_for(hits, f"{BASE}id/language-statement/productietechniek-toelichting-lezen-a2")
    assert (hit["label"], hit["label_lang"], hit["text"], hit["text_lang"]) == (
        "Toelichting: lezen op A2",
        "nl",
        "Rationale: reading at A2",
        "en",
    )
    html = server.get("/search", params={"q": "rationale", "lang": "nl"}, timeout=30).text
    assert '<span class="note excerpt" lang="en"><mark>Rationale</mark>: reading at A2</span>' in html
    assert 'lang="nl"' not in html.split("<main", 1)[1]  # Dutch words on a Dutch page are not marked


def test_excerpt_cut_mid_word_is_cut_at_word_boundaries(server) -> None:  # type: ignore[no-untyped-def]
    """Browser review of /search: excerpts began or ended inside a word ("…kt in een", "bijstur…")."""
    hit = hit_for(search(server, q="het gevolg is dat het uitlezen")["hits"], AUTOMATION)
    assert hit["text"] == (
        "…in een papierloze fabriek. Het gevolg is dat het uitlezen van informatie en het bijsturen…"
    )
    start, end = hit["text_match"]
    assert hit["text"][start:end] == "Het gevolg is dat het uitlezen"
    hit = hit_for(search(server, q="fabriek zonder licht")["hits"], AUTOMATION)
    assert hit["text"] == (
        "…eindstreven daarbij is een fabriek zonder licht, een fabriek die slechts onder het…"
    )
    assert hit["text_match"] == [28, 48]


def test_html_shows_the_json_excerpt_with_the_term_marked(server) -> None:  # type: ignore[no-untyped-def]
    term = "het gevolg is dat het uitlezen"
    hit = hit_for(search(server, q=term)["hits"], AUTOMATION)
    start, end = hit["text_match"]
    html = server.get("/search", params={"q": term}, timeout=30).text
    expected = f"{hit['text'][:start]}<mark>{hit['text'][start:end]}</mark>{hit['text'][end:]}"
    assert f'<span class="note excerpt">{expected}</span>' in html


def test_excerpt_of_a_term_inside_a_word_starts_with_that_word(server) -> None:  # type: ignore[no-untyped-def]
    hit = hit_for(search(server, q="abriek zonder licht")["hits"], AUTOMATION)
    start, end = hit["text_match"]
    assert hit["text"][start - 1 : end] == "fabriek zonder licht"
    assert hit["text"].startswith("…") and hit["text"][1:].split(" ", 1)[0] == "eindstreven"
