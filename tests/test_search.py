"""/search over real HTTP: ranked hits over labels and texts in nl and en, HTML and JSON."""

from __future__ import annotations

import pytest
import requests

from kdgraph.search import MATCHES

BASE = "https://w3id.org/kdgraph/"


@pytest.fixture(scope="module")
def server(bundled_server):  # type: ignore[no-untyped-def]
    return bundled_server


def search(server, **params: str) -> dict:  # type: ignore[no-untyped-def]
    response = requests.get(f"{server.url}/search", params={**params, "format": "json"}, timeout=30)
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
    ranks = [MATCHES.index(hit["match"]) for hit in hits]
    assert ranks == sorted(ranks)  # exact label > label prefix > word in label > word in text
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
    html = requests.get(
        f"{server.url}/search", params={"q": "lezen"}, headers={"Accept": "text/html,*/*;q=0.8"}, timeout=30
    )
    assert (
        html.headers["Content-Type"].startswith("text/html")
        and 'href="/def/language-skill/lezen"' in html.text
    )
    as_json = requests.get(
        f"{server.url}/search", params={"q": "lezen"}, headers={"Accept": "application/json"}, timeout=30
    )
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
    response = requests.get(f"{server.url}/search", params=params, timeout=30)
    assert response.status_code == 400 and message in response.text


def test_empty_search_finds_nothing(server) -> None:  # type: ignore[no-untyped-def]
    assert search(server, q="  ")["hits"] == []
