"""The national structure's pages on the data of `serve --data data --data <SBB XML>`: the
dossier index, an imported dossier, a qualification and a comparison, with exact content taken
from SBB's files (in-process, Flask's test client); then the same pages in a real Chromium on a
real server (both languages, 1280 and 390 px, no horizontal overflow, no serious or critical
axe-core violation), writing the README's screenshots.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from urllib.parse import parse_qs, unquote, urlencode, urlparse

import pytest

from kdgraph.pages import compare
from kdgraph.resources import bundled_paths

from .conftest import BASE, SBB_XML
from .in_process import InProcessServer
from .test_pages_browser import CHROMIUM, FLAGS, README_SHOTS, Visit, check_common

pytestmark = pytest.mark.skipif(
    not (SBB_XML / "2755-Dienstverlening.xml").is_file(),
    reason=f"SBB's sample XML is not at {SBB_XML} (it comes with the workplace's shared/ folder)",
)
Q = f"{BASE}id/qualification/"
FACILITAIR, HELPENDE = Q + "25499-2755", Q + "25498-2755"
# Kerntaak "Voert dienstverlenende werkzaamheden uit" (2755-Dienstverlening.xml, line 188): its
# nine basiswerkprocessen, in the file's order.
BASIS_2755 = [
    "Bereidt werkzaamheden voor en stemt af",
    "Maakt ruimtes gebruiksklaar",
    "Treedt op als aanspreekpunt",
    "Voert eenvoudige administratieve werkzaamheden uit",
    "Assisteert bij voorraadbeheer",
    "Draagt bij aan een veilige situatie",
    "Voert eenvoudige onderhouds- en herstelwerkzaamheden uit",
    "Voert werkzaamheden uit gericht op voeding",
    "Evalueert de werkzaamheden",
]
FACILITAIR_OWN = [  # profiel 986408's profielwerkprocessen (line 448 on)
    "Assisteert bij beheer van gebouwen",
    "Voert logistieke werkzaamheden uit",
    "Voert cateringwerkzaamheden uit",
]
HELPENDE_OWN = [
    "Assisteert bij de uitvoering van sociale en recreatieve activiteiten",
    "Ondersteunt bij persoonlijke zorg en ADL",
    "Ondersteunt bij wonen en huishouden",
]
# a werkproces's heading: its link, label and the citation of its element in the XML
WORK_PROCESS = re.compile(
    r'<h4><a href="/id/work-process/[^"]+">(?:<span lang="nl">)?([^<]+)(?:</span>)?</a> '
    r'<span class="cite"><a class="xmlsrc" href="([^"]+)">([^<]+)</a>'
)


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[InProcessServer]:  # type: ignore[no-untyped-def]
    state = tmp_path_factory.mktemp("structure-app") / "state"
    with InProcessServer(state, [bundled_paths().data, SBB_XML]) as app:
        yield app


@pytest.fixture(scope="module")
def real_server(serve, tmp_path_factory):  # type: ignore[no-untyped-def]
    args = ["--data", str(bundled_paths().data), "--data", str(SBB_XML), "--workers", "2"]
    with serve(args, tmp_path_factory.mktemp("structure-state")) as process:
        yield process


def get(server, path: str, lang: str = "nl", status: int = 200) -> str:  # type: ignore[no-untyped-def]
    response = server.get(path, headers={"Accept-Language": lang}, timeout=60)
    assert response.status_code == status, (path, response.status_code, response.text[:300])
    assert response.headers["Content-Type"].startswith("text/html")
    return response.text


def section(page: str, start: str, end: str) -> str:
    """The part of a page from the element with id ``start`` to the next ``end`` marker."""
    begin = page.index(f'id="{start}"')
    stop = page.find(end, begin + 1)
    return page[begin : stop if stop > 0 else None]


def compare_path(*iris: str, lang: str | None = "nl") -> str:
    return "/compare?" + urlencode([("q", i) for i in iris] + ([("lang", lang)] if lang else []))


def test_index_lists_every_dossier_by_domain_and_sector_chamber(server) -> None:  # type: ignore[no-untyped-def]
    page = get(server, "/dossiers")
    assert "4 dossiers per opleidingsdomein en sectorkamer" in page
    headings = re.findall(r"<h2>(?:<a [^>]+>)?([^<]+)", page)
    assert headings == ["Zorg en welzijn", "Opleidingsdomein niet in de gegevens"]
    domains = page.split('<section class="domain">')[1:]
    listed = [
        re.findall(r'class="dossier-name" href="/doc/id/dossier/([^"]+)">([^<]+)</a>', d) for d in domains
    ]
    assert listed == [
        [("sbb-2755", "Dienstverlening"), ("sbb-2635", "Pedagogisch Werk"), ("sbb-2637", "Sociaal werk")],
        [("productietechniek", "Productietechniek")],
    ]
    assert "Sectorkamer zorg, welzijn en sport" in page
    assert 'Dienstverlening</a> <span class="muted">(crebo 23189)' in page
    one = re.search(
        r'href="/doc/id/qualification/25499-2755">([^<]+)</a>\s*<span class="badge">([^<]+)</span>'
        r'\s*<span class="muted">([^<]+)</span>',
        page,
    )
    assert one and one.groups() == ("Medewerker facilitaire dienstverlening", "niveau 2", "crebo 25499")
    english = get(server, "/dossiers?lang=en")
    assert (
        "Education domain not in the data" in english and '<span lang="nl">Zorg en welzijn</span>' in english
    )


def test_imported_dossier_page_cites_the_xml_for_each_werkproces(server) -> None:  # type: ignore[no-untyped-def]
    page = get(server, "/doc/id/dossier/sbb-2755")
    assert re.search(r"<h1>Dienstverlening</h1>", page)
    core_task = section(page, "kt-2755-986398", '<section class="core-task"')
    assert "Voert dienstverlenende werkzaamheden uit" in core_task and "9 werkprocessen" in core_task
    found = WORK_PROCESS.findall(html.unescape(core_task))
    assert [label for label, _, _ in found] == BASIS_2755
    _label, href, citation = found[0]
    assert citation == "2755-Dienstverlening.xml, regel 220"
    assert href == "/doc/id/xml-location/" + href.rsplit("/", 1)[1] and href.endswith(
        "-werkproces-2755-986399"
    )
    location = server.get(href, headers={"Accept": "text/turtle"}, timeout=30)
    assert location.status_code == 200 and re.search(r"kd:line 220\b", location.text)
    first = section(core_task, "wp-2755-986399", "</article>")
    assert "De werkzaamheden zijn juist voorbereid." in first  # its resultaat
    assert re.findall(r"<b>([A-Y])</b>", first) == ["E", "K", "Q", "T"]  # its competences, by code
    assert "<li>kiest de juiste materialen en middelen;</li>" in first  # gedrag as the source's list
    # the head: crebo with its date, domain, chamber, adoption, change category; each with its line
    assert re.search(r">23189</a></td><td>2015-08-01</td>", page)
    assert 'Zorg en welzijn</a> <span class="cite"><a class="xmlsrc"' in page
    assert re.search(
        r"Vastgesteld op</dt><dd>2015-11-26 <span class=\"cite\"><a [^>]+>2755-Dienstverlening.xml, "
        r"regel 130</a>",
        page,
    )
    assert "Categorie 1: Nieuw dossier" in page
    # qualifications with level, crebo, study load, type of programme
    rows = re.findall(r'<tr><td><a href="/doc/id/qualification/([^"]+)">[^<]+</a></td><td>(\d)</td>', page)
    assert rows == [("25499-2755", "2"), ("25498-2755", "2"), ("25500-2755", "2")]
    assert page.count("basisberoepsopleiding") == 3 and '<td class="num">3200</td>' in page
    # the CEFR table: Medewerker sport en recreatie, "een MVT naar keuze", three skills at A2
    cefr = section(page, "cefr", "</table>")
    assert "Medewerker sport en recreatie" in cefr and "een MVT naar keuze" in cefr
    assert len(re.findall(r'class="level"[^>]*>A2</a>', cefr)) == 3
    # the narrative chapters under their kind's label, cited
    chapters = section(page, "chapters", "</main>")
    assert "<h3>Inleiding" in chapters and "2755-Dienstverlening.xml, regel 145" in chapters
    english = get(server, "/doc/id/dossier/sbb-2755", lang="en")
    assert '<html lang="en">' in english and "line 220" in english
    assert '<span lang="nl">Bereidt werkzaamheden voor en stemt af</span>' in english
    assert "<h3>Introduction" in english


def test_qualification_page_shows_what_it_requires(server) -> None:  # type: ignore[no-untyped-def]
    page = html.unescape(get(server, "/doc/id/qualification/25499-2755"))
    assert "<h1>Medewerker facilitaire dienstverlening</h1>" in page
    labels = [label for label, _, _ in WORK_PROCESS.findall(page)]
    assert labels == BASIS_2755 + FACILITAIR_OWN  # the dossier's basisdeel, then its own profiel
    assert "Voert facilitaire werkzaamheden uit" in page  # its own kerntaak
    assert re.search(r">25499</a></td><td>2015-08-01</td>", page)
    assert "Geen taaleisen in de gegevens" in page
    to_compare = re.search(r'href="/compare\?q=([^"]+)"', page)
    assert to_compare and unquote(to_compare.group(1)) == FACILITAIR
    sport = get(server, "/doc/id/qualification/25500-2755")
    assert "een MVT naar keuze" in sport and len(re.findall(r'class="level"[^>]*>A2</a>', sport)) == 3


def test_compare_shows_shared_and_distinct_werkprocessen_and_competences(server) -> None:  # type: ignore[no-untyped-def]
    page = html.unescape(get(server, compare_path(FACILITAIR, HELPENDE)))
    shared = section(page, "shared", "</section>")
    assert re.findall(r"<li>([^<]+) <span", shared) == sorted(BASIS_2755, key=str.casefold)
    only = re.findall(
        r'<section class="only">\s*<h3>Alleen in ([^<]+) \((\d+)\)</h3>(.*?)</section>', page, re.S
    )
    assert [(name, count) for name, count, _ in only] == [
        ("Medewerker facilitaire dienstverlening", "3"),
        ("Helpende Zorg en Welzijn", "3"),
    ]
    assert re.findall(r"<li>([^<]+)</li>", only[0][2]) == sorted(FACILITAIR_OWN)
    assert re.findall(r"<li>([^<]+)</li>", only[1][2]) == sorted(HELPENDE_OWN)
    competence = re.search(r"<b>T</b> Instructies en procedures opvolgen</a></th>(.*?)</tr>", page)
    assert competence and re.findall(r'<td class="num">([^<]+)</td>', competence.group(1)) == [
        "11",
        "11",
        "2/2",
    ]
    only_one = re.search(r"<b>V</b> [^<]+</a></th>(.*?)</tr>", page)
    counts = re.findall(r'<td class="num">([^<]+)</td>', only_one.group(1)) if only_one else []
    assert counts == ["\N{EN DASH}", "1", "1/2"]  # V: only Helpende Zorg en Welzijn needs it
    # the SPARQL behind it is the exact query the page ran, and runs
    link = re.search(
        r'<a href="(/sparql\?format=json&(?:amp;)?query=[^"]+)">De SPARQL-vraag achter deze pagina</a>', page
    )
    assert link
    query = parse_qs(urlparse(html.unescape(link.group(1))).query)["query"][0]
    assert query == compare.query(BASE, [FACILITAIR, HELPENDE])
    answer = server.get("/sparql", params={"query": query}, headers={"Accept": "text/csv"}, timeout=30)
    assert answer.status_code == 200 and "Ondersteunt bij wonen en huishouden" in answer.text
    # the form has every qualification, the compared ones chosen
    assert len(re.findall(r'<option value="[^"]+/qualification/', page)) == 12
    assert len(re.findall(r"<option [^>]*selected", page)) == 2


def test_compare_whole_dossiers_and_bad_requests(server) -> None:  # type: ignore[no-untyped-def]
    page = html.unescape(
        get(server, compare_path(f"{BASE}id/dossier/sbb-2755", f"{BASE}id/dossier/sbb-2637"))
    )
    assert re.search(r"Gedeeld door alle \((\d+)\)", page)
    assert "Sociaal werk" in page and "Dienstverlening" in page
    form = get(server, "/compare")
    assert "<select" in form and "Gedeeld door alle" not in form
    refused = get(server, compare_path(FACILITAIR, f"{BASE}id/qualification/nothing"), status=400)
    assert "Geen kwalificatie of dossier in de gegevens" in refused
    one = get(server, compare_path(FACILITAIR))
    assert "Kies er minstens twee" in one
    every = re.findall(r'<option value="([^"]+)"', one)
    assert len(every) == 12 + 4  # the qualifications, and each dossier whole
    too_many = get(server, compare_path(*every), status=400)
    assert "Vergelijk er hoogstens 12 tegelijk (u koos er 16)" in too_many


def test_structure_pages_answer_304_to_their_own_etag(server) -> None:  # type: ignore[no-untyped-def]
    for path in ("/dossiers", compare_path(FACILITAIR, HELPENDE, lang=None)):
        first = server.get(path, timeout=30)
        etag = first.headers["ETag"]
        again = server.get(path, headers={"If-None-Match": etag}, timeout=30)
        assert again.status_code == 304 and again.content == b""
        asked = {"If-None-Match": etag, "Accept-Language": "en"}
        english = server.get(path, headers=asked, timeout=30)
        assert english.status_code == 200 and english.headers["ETag"] != etag


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


PAGES = {
    "dossier-index": "/dossiers",
    "imported-dossier": "/doc/id/dossier/sbb-2755",
    "qualification": "/doc/id/qualification/25499-2755",
    "comparison": compare_path(FACILITAIR, HELPENDE, Q + "25500-2755", lang=None),
}
SHOTS = {"dossier-index", "imported-dossier", "comparison"}  # written to docs/screenshots/ (nl, 1280 px)


@pytest.mark.parametrize("name", sorted(PAGES))
@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize("width", [1280, 390])
def test_structure_pages_in_a_browser(real_server, browser, name: str, lang: str, width: int) -> None:  # type: ignore[no-untyped-def]
    visit = Visit(browser, f"{real_server.url}{PAGES[name]}", lang=lang, width=width)
    try:
        check_common(visit, lang)
        if lang == "en":  # Dutch data on an English page is marked as Dutch
            unmarked = visit.page.evaluate(
                "() => { const found = [], walk = document.createTreeWalker("
                "document.querySelector('main'), NodeFilter.SHOW_TEXT);"
                " while (walk.nextNode()) { const n = walk.currentNode;"
                " if (/\\b(de|het|en|van|bij)\\b/.test(n.textContent)"
                " && n.parentElement.closest('[lang]').lang !== 'nl') found.push(n.textContent.trim()); }"
                " return found.slice(0, 10); }"
            )
            assert unmarked == [], unmarked
        if name in SHOTS and lang == "nl" and width == 1280:
            README_SHOTS.mkdir(parents=True, exist_ok=True)
            visit.page.set_viewport_size({"width": 1280, "height": 1400})  # the dossier: its top
            whole = name != "imported-dossier"
            visit.page.screenshot(path=str(README_SHOTS / f"{name}.png"), full_page=whole)
    finally:
        visit.close()


def test_structure_pages_print_without_navigation_and_with_folded_texts(real_server, browser) -> None:  # type: ignore[no-untyped-def]
    visit = Visit(browser, f"{real_server.url}/doc/id/dossier/sbb-2755")
    try:
        description = visit.page.get_by_text("De beroepsbeoefenaar ontvangt werkopdrachten").first
        assert not description.is_visible()  # folded on screen
        visit.page.emulate_media(media="print")
        assert description.is_visible() and not visit.page.locator("header.site").is_visible()
    finally:
        visit.close()
    visit = Visit(browser, f"{real_server.url}{PAGES['comparison']}")
    try:
        visit.page.emulate_media(media="print")
        assert not visit.page.locator("form.compare-form").is_visible()
        assert visit.page.get_by_text("Gedeeld door alle (9)").is_visible()
    finally:
        visit.close()


def test_compare_curated_qualifications_by_their_routes(server) -> None:  # type: ignore[no-untyped-def]
    """The curated Productietechniek qualifications compare with the same terms: their levels and
    the routes the source gives (section 8), those of both marked shared."""
    page = get(server, compare_path(Q + "productietechnicus", Q + "researchinstrumentmaker", lang="en"))
    level = re.search(r'<th scope="row">Level</th>(.*?)</tr>', page)
    assert level and re.findall(r"<td>([^<]*)</td>", level.group(1)) == ["4", "4"]
    routes = section(page, "routes", "</table>")
    first, second = re.findall(r"<td>(.*?)</td>", routes)
    supervisor = '<a href="/id/role/technisch-meewerkend-leidinggevende">technical (working) supervisor</a>'
    assert supervisor + "</li>" in first  # only the productietechnicus's route, so not marked shared
    assert "technisch-meewerkend-leidinggevende" not in second
    planner = '<a href="/id/role/werkvoorbereider">production planner</a>'
    assert planner + ' <span class="badge">shared</span>' in second
