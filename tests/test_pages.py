"""Pages and the query UI's protocol cases, in-process (Flask's test client on the bundled data).

The saved query's page decided before evaluation, /queries in one language, 404 pages in the
reader's language, 304 to a page's own ETag, and the search cases of issue 23 ("lassen",
"Engels") with their exact hits from the data. The browser-side cases (share link, reload,
format menu, widths, axe) are in test_pages_browser.py.
"""

from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path

import pytest

from kdgraph.config import ServerConfig
from kdgraph.serving.shared_status import SharedStatus
from kdgraph.serving.worker import Runtime
from kdgraph.store.served_data import prepare
from kdgraph.web.app import create_app

BASE = "https://w3id.org/kdgraph/"
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@pytest.fixture(scope="module")
def app(tmp_path_factory):  # type: ignore[no-untyped-def]
    state = Path(tmp_path_factory.mktemp("pages")) / "state"
    prepare(state, None, at_start=True)
    status = SharedStatus()
    status.write("served", {"served": json.loads((state / "current.json").read_text()), "reload": None})
    # a generous deadline: on a loaded machine a cold dossier page must not become a 503
    app = create_app(ServerConfig(state_dir=state, query_timeout=60), status)
    try:
        yield app
    finally:
        app.extensions["kdgraph"].close()


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    """A new client per test: no language cookie left by another test."""
    return app.test_client()


def test_a_saved_query_page_is_served_without_running_the_query(client, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Regression: a browser got 406, after the query had run (0.9-2.0 s, every time)."""

    def no_engine(self):  # type: ignore[no-untyped-def]
        raise AssertionError("the page must not ask the engine")

    monkeypatch.setattr(Runtime, "engine", property(no_engine))
    response = client.get("/queries/cq03-english-requirements", headers={**BROWSER, "Accept-Language": "en"})
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "<h1>English requirements per qualification and skill, from every source statement</h1>" in html
    assert 'name="minimumRank" value="3"' in html  # the example's value, ready to run
    assert "#+" not in html and "PREFIX kd:" in html  # the query without its header
    assert 'href="/#cq03-english-requirements"' in html  # opens in the query UI


def test_the_page_runs_the_query_when_its_button_asks(client) -> None:  # type: ignore[no-untyped-def]
    html = client.get("/queries/cq01-qualifications-levels?format=html&run=1", headers=BROWSER).get_data(
        as_text=True
    )
    assert '<a href="/id/qualification/productietechnicus">' in html
    assert "<p>4 rijen</p>" in html  # the four qualifications of Productietechniek


def test_a_client_of_the_api_still_gets_results(client) -> None:  # type: ignore[no-untyped-def]
    for accept in ("*/*", "application/sparql-results+json", ""):
        response = client.get("/queries/cq01-qualifications-levels", headers={"Accept": accept})
        assert response.mimetype == "application/sparql-results+json", accept


def test_a_bad_parameter_on_the_page_is_said_on_the_page(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get(
        "/queries/cq03-english-requirements?format=html&run=1&minimumRank=x", headers=BROWSER
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'role="alert">parameter &#39;minimumRank&#39;' in html


@pytest.mark.parametrize(
    ("lang", "heading", "other"),
    [("nl", "Opgeslagen vragen", "English requirements"), ("en", "Saved queries", "Eisen Engels")],
)
def test_the_list_of_saved_queries_is_in_one_language(client, lang: str, heading: str, other: str) -> None:  # type: ignore[no-untyped-def]
    html = client.get(f"/queries?lang={lang}", headers=BROWSER).get_data(as_text=True)
    assert f"<h1>{heading}</h1>" in html and other not in html
    assert not re.search(r"<th[^>]*></th>", html)  # every column has a heading
    titles = re.findall(r'<h2><a href="([^"]+)">', html)
    assert len(titles) == 16 and all(
        href.startswith("/queries/cq") and "format" not in href for href in titles
    )


@pytest.mark.parametrize(("lang", "words"), [("nl", "Niet gevonden"), ("en", "Not found")])
def test_a_404_outside_id_is_a_page_in_the_readers_language(client, lang: str, words: str) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/no-such-page", headers={**BROWSER, "Accept-Language": lang})
    html = response.get_data(as_text=True)
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert f'<html lang="{lang}">' in html and f"<h1>{words}</h1>" in html
    # a program still gets the plain answer
    assert client.get("/no-such-page", headers={"Accept": "application/json"}).mimetype == "text/plain"


@pytest.mark.parametrize(
    "path", ["/doc/id/dossier/productietechniek", "/doc/id/qualification/productietechnicus", "/doc/def/kd"]
)
def test_a_page_answers_304_to_its_own_etag(client, path: str) -> None:  # type: ignore[no-untyped-def]
    first = client.get(path, headers=BROWSER)
    assert first.status_code == 200
    etag = first.headers["ETag"]
    again = client.get(path, headers={**BROWSER, "If-None-Match": etag})
    assert (again.status_code, again.data, again.headers["ETag"]) == (304, b"", etag)
    other_language = client.get(path + "?lang=en", headers={**BROWSER, "If-None-Match": etag})
    assert other_language.status_code == 200  # another page, another tag
    turtle = client.get(path + ".ttl", headers={"If-None-Match": etag})
    assert turtle.status_code == 200


def test_a_304_to_a_pages_own_etag_asks_the_engine_nothing(client, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The tag names the data version and the page's query (web.ask.tag): known before any evaluation."""
    path = "/doc/id/dossier/productietechniek"
    etag = client.get(path, headers=BROWSER).headers["ETag"]

    def no_engine(self):  # type: ignore[no-untyped-def]
        raise AssertionError("a 304 must not ask the engine")

    monkeypatch.setattr(Runtime, "engine", property(no_engine))
    assert client.get(path, headers={**BROWSER, "If-None-Match": etag}).status_code == 304


def search(client, term: str, lang: str = "nl") -> list[dict]:  # type: ignore[no-untyped-def]
    return client.get("/search", query_string={"q": term, "format": "json", "lang": lang}).get_json()["hits"]


def test_lassen_finds_the_welding_roles_and_institute_by_word_form_and_compound(client) -> None:  # type: ignore[no-untyped-def]
    """Regression: substring search found nothing for "lassen"."""
    hits = search(client, "lassen")
    assert [(h["href"], h["match"]) for h in hits] == [
        ("/id/role/lascoordinator", "label_prefix"),  # lascoördinator = las + coördinator
        ("/id/role/lasspecialist", "label_prefix"),
        ("/id/route/allround-medewerker-productietechniek-naar-lascoordinator-als-lasser", "word_in_label"),
        ("/id/route/allround-medewerker-productietechniek-naar-lasspecialist-als-lasser", "word_in_label"),
        (
            "/id/route/allround-medewerker-productietechniek-naar-meewerkend-leidinggevende-als-lasser",
            "word_in_text",
        ),
        ("/id/organisation/nederlands-instituut-voor-lastechniek", "word_in_label"),  # Lastechniek
    ]
    assert [h["dossier"]["label"] if h["dossier"] else None for h in hits][2:5] == ["Productietechniek"] * 3
    # "lastig" and "last" are not forms of "lassen", nor compounds with it
    assert not any("lastig" in h["text"].lower() for h in hits)


def test_engels_is_grouped_by_kind_with_near_duplicates_folded(client) -> None:  # type: ignore[no-untyped-def]
    """Regression: 41 flat hits, 11 of them "Vertalingen en samenvattingen door de modelleur (...)"."""
    hits = search(client, "Engels")
    assert len(hits) == 31
    kinds = [h["type"]["label"] for h in hits]
    assert list(dict.fromkeys(kinds)) == [
        "taaleisuitspraak",
        "ERK-taaleis",
        "opgeslagen vraag",
        "interpretatie",
        "generieke taaleis",  # B1 and A2 are two kinds of requirement now, not a conflict (issue 24)
        "trend of ontwikkeling",
        "soort dossiertekst",  # the generic components of SBB's dossiers (the imported model)
        "klasse",
        "objecteigenschap",
    ]
    assert kinds == sorted(kinds, key=list(dict.fromkeys(kinds)).index)  # each kind together
    folded = [h for h in hits if h["also"]]
    assert [(h["label"], len(h["also"])) for h in folded] == [
        ("Vertalingen en samenvattingen door de modelleur (betrokkenen)", 10)
    ]
    assert {a["href"] for a in folded[0]["also"]} >= {
        "/id/interpretation/productietechniek-vertaling-sectie-3"
    }


def test_html_and_json_show_the_same_order(client) -> None:  # type: ignore[no-untyped-def]
    html = client.get("/search?q=Engels", headers=BROWSER).get_data(as_text=True)
    shown = re.findall(r'<li><a href="([^"]+)"', html)
    assert shown == [h["href"] for h in search(client, "Engels")]
    assert html.count('<section class="search-group">') == 9


def test_involvements_are_named_by_organisation_and_role_never_a_slug(client) -> None:  # type: ignore[no-untyped-def]
    hits = search(client, "onderwijs")
    names = {h["href"]: h["label"] for h in hits if h["href"].startswith("/id/involvement/")}
    assert (
        names["/id/involvement/productietechniek-het-onderwijs-onderhoud"]
        == "het onderwijs — onderhoudspartij"  # the Dutch page: the organisation's Dutch name
    )
    assert all(not re.fullmatch(r"[a-z0-9-]+", label) for label in names.values())


def test_a_resource_page_reads_as_a_summary_without_internals(client) -> None:  # type: ignore[no-untyped-def]
    html = client.get("/doc/id/study-duration/productietechniek-productietechnicus?lang=nl").get_data(
        as_text=True
    )
    summary = re.search(r'<p class="summary">(.*?)</p>', html, re.S).group(1)  # type: ignore[union-attr]
    assert 'in het dossier <a href="/id/dossier/productietechniek">Productietechniek</a>' in summary
    assert '<time class="literal" datetime="P4Y">4 jaar</time>' in html  # not "P4Y"
    english = client.get("/doc/id/study-duration/productietechniek-productietechnicus?lang=en").get_data(
        as_text=True
    )
    assert '<time class="literal" datetime="P4Y">4 years</time>' in english
    qualification = client.get("/doc/id/qualification/productietechnicus?lang=nl").get_data(as_text=True)
    assert ">slug<" not in qualification and ">volgnummer<" not in qualification
    concept = client.get("/doc/def/language-skill/lezen?lang=nl").get_data(as_text=True)
    assert 'class="external">begrip</a>' in concept  # skos:Concept by its name, not its IRI


def test_the_reproducing_query_opens_in_the_query_ui(client) -> None:  # type: ignore[no-untyped-def]
    html = client.get("/doc/id/qualification/productietechnicus").get_data(as_text=True)
    link = re.search(r'href="(/#query=[^"]+)"', html).group(1)  # type: ignore[union-attr]
    from urllib.parse import parse_qs, unquote

    query = parse_qs(unquote(link[2:]).replace("&amp;", "&"))["query"][0]
    assert (
        query.splitlines()[1] == "CONSTRUCT {"
        and f"<{BASE}id/qualification/productietechnicus> ?p ?o" in query
    )


def test_interpretation_reasons_show_labels_not_kd_terms(client) -> None:  # type: ignore[no-untyped-def]
    html = client.get("/doc/id/interpretation/productietechniek-vertaling-dossier?lang=nl").get_data(
        as_text=True
    )
    assert "kd:summary" not in html.split("<main", 1)[1]
    assert '(<a href="/def/kd#summary">samenvatting</a>)' in html


def test_dutch_texts_on_the_english_dossier_page_are_marked(client) -> None:  # type: ignore[no-untyped-def]
    html = client.get("/doc/id/dossier/productietechniek?lang=en").get_data(as_text=True)
    # a quote the source gives only in Dutch is marked; a name with an English form is shown in English
    assert '<span lang="nl">Doorlopend.' in html  # the agenda's "wanneer", p8
    assert '<span lang="nl">opgeleid als lasser' in html
    assert "Sector chamber for technology and the built environment" in html
    # a horizon: its kind in English, the source's own words marked as Dutch inside the same cell
    assert 'increasingly “<span lang="nl">steeds meer</span>”' in html


def test_cite_this_and_the_dataset_publisher_date_and_version_iri(client) -> None:  # type: ignore[no-untyped-def]
    turtle = client.get("/dataset", headers={"Accept": "text/turtle"}).get_data(as_text=True)
    assert f"dcterms:publisher <{BASE}dataset#publisher>" in turtle
    version = re.search(rf"<{BASE}dataset/([0-9a-f]+)> dcterms:issued", turtle).group(1)  # type: ignore[union-attr]
    assert "dcterms:modified" in turtle
    answer = client.get(f"/dataset/{version}")
    assert (answer.status_code, answer.headers["Location"]) == (303, "/dataset")
    assert client.get("/dataset/0000000000000000", headers=BROWSER).status_code == 404
    for path in ("/dataset", "/doc/id/dossier/productietechniek", "/doc/id/qualification/productietechnicus"):
        html = unescape(client.get(path, headers=BROWSER).get_data(as_text=True))
        assert (
            "<summary>Citeren</summary>" in html and "@misc{kdgraph-" in html and '"type": "dataset"' in html
        )
