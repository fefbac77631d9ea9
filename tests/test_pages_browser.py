"""The pages people read, in a real headless Chromium (Debian's, driven by Playwright).

For each page: no console errors, no serious or critical accessibility violation found by axe-core
(the engine is injected into the page by the test; it comes with the ``axe-playwright-python``
test dependency, which ships ``axe.min.js``), the layout fits the window (no horizontal scrolling),
and what the page must show. Screenshots are written for people to look at: the dossier page to
``docs/screenshots/dossier.png`` (the README shows it), the others to ``out/screenshots/``.
"""

from __future__ import annotations

import itertools
import re
import shutil
from importlib.resources import files
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)"
)
FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ROOT = Path(__file__).resolve().parent.parent
README_SHOTS = ROOT / "docs" / "screenshots"
OTHER_SHOTS = ROOT / "out" / "screenshots"
WIDTH = 1280
# English words the issue found on Dutch pages (as whole words)
ENGLISH_ON_DUTCH = ("label", "source", "about", "Machine-readable", "properties", "incoming")


@pytest.fixture(scope="module")
def server(bundled_server):  # type: ignore[no-untyped-def]
    return bundled_server


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


AXE = (files("axe_playwright_python") / "axe.min.js").read_text(encoding="utf-8")


class Visit:
    """One page opened in the browser: its console errors, its axe findings, its text."""

    def __init__(self, browser, url: str, lang: str = "nl", width: int = WIDTH):  # type: ignore[no-untyped-def]
        self.context = browser.new_context(
            viewport={"width": width, "height": 900},
            locale=lang,
            extra_http_headers={"Accept-Language": lang},
        )
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.response = self.page.goto(url, wait_until="load")

    def axe(self) -> list[str]:
        """Serious and critical violations, as 'rule: target' lines."""
        self.page.add_script_tag(content=AXE)
        result = self.page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        return [
            f"{v['id']} ({v['impact']}): {node['target']}"
            for v in result["violations"]
            if v["impact"] in ("serious", "critical")
            for node in v["nodes"]
        ]

    def fits(self) -> bool:
        return self.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    def text(self) -> str:
        return self.page.locator("main").inner_text()

    def shoot(self, name: str, folder: Path = OTHER_SHOTS) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(folder / f"{name}.png"), full_page=True)

    def close(self) -> None:
        self.context.close()


def check_common(visit: Visit, lang: str = "nl") -> None:
    assert visit.response is not None and visit.response.status == 200, visit.response
    assert visit.errors == [], visit.errors
    assert visit.axe() == []
    assert visit.fits(), "the page is wider than the window"
    assert visit.page.evaluate("document.documentElement.lang") == lang
    if lang == "nl":  # what is marked as English (a term's other language, shown beside it) aside
        text = visit.page.evaluate(
            "() => { const body = document.body.cloneNode(true);"
            " body.querySelectorAll('[lang]:not([lang=nl])').forEach(e => e.remove());"
            " return body.innerText; }"
        )
        # (a prefixed name such as dcterms:source is an identifier, not an English word)
        words = [w for w in ENGLISH_ON_DUTCH if re.search(rf"(?<![:\w]){re.escape(w)}\b", text)]
        assert words == [], f"English words on a Dutch page: {words}"


# Geometry of the route diagram, measured in the browser: box and text extents, arrow segments.
DIAGRAM_GEOMETRY = """() => {
  const svg = document.querySelector('svg.routes');
  const boxes = [...svg.querySelectorAll('a > rect')].map(r => r.getBBox());
  const texts = [...svg.querySelectorAll('a > text')].map(t => [t.getBBox(), t.textContent]);
  const paths = [...svg.querySelectorAll('path[marker-end]')].map(p =>
    p.getAttribute('d').split(/[ML]/).filter(s => s.trim()).map(s => s.trim().split(/\\s+/).map(Number)));
  return {boxes: boxes.map(b => [b.x, b.y, b.width, b.height]),
          texts: texts.map(([b, s]) => [b.x, b.y, b.width, b.height, s]), paths};
}"""


def segment_crosses_box(a: list[float], b: list[float], box: list[float]) -> bool:
    """An axis-parallel segment passes through the inside of a box (touching its edge is fine)."""
    x, y, w, h = box
    inner = (x + 1, y + 1, x + w - 1, y + h - 1)
    (x1, y1), (x2, y2) = a, b
    lo_x, hi_x, lo_y, hi_y = min(x1, x2), max(x1, x2), min(y1, y2), max(y1, y2)
    return lo_x < inner[2] and hi_x > inner[0] and lo_y < inner[3] and hi_y > inner[1]


def check_diagram(visit: Visit) -> None:
    geometry = visit.page.evaluate(DIAGRAM_GEOMETRY)
    boxes = geometry["boxes"]
    assert boxes, "no route diagram"
    for x, y, w, h, label in geometry["texts"]:
        assert any(
            bx <= x and x + w <= bx + bw and by <= y and y + h <= by + bh for bx, by, bw, bh in boxes
        ), f"label {label!r} does not fit its box"
    for points in geometry["paths"]:
        for a, b in itertools.pairwise(points):
            crossed = [box for box in boxes if segment_crosses_box(a, b, box)]
            assert crossed == [], f"an arrow crosses a box: segment {a}->{b} through {crossed}"


def test_dossier_page_reads_like_the_source(server, browser) -> None:  # type: ignore[no-untyped-def]
    visit = Visit(browser, f"{server.url}/doc/id/dossier/productietechniek")
    try:
        check_common(visit)
        page = visit.page
        headings = page.locator("section.source-section > h2 > a").all_inner_texts()
        assert [int(h.split(".")[0]) for h in headings] == list(range(1, 15))
        assert headings[6] == "7. Beroepsspecifieke moderne vreemde talen"
        # "n.v.t." sections say so, with the source's words and where they stand
        for number in (2, 5, 13, 14):
            section = page.locator(f"#s{number}")
            assert "Niet van toepassing (n.v.t.)" in section.inner_text(), number
            assert (
                section.locator(
                    f'.src a[href="/id/location/productietechniek-s{number}-p'
                    f'{4 if number == 2 else (6 if number == 5 else 9)}"]'
                ).count()
                >= 1
            )
        # qualifications with levels (MBO, NLQF, EQF), each with its source
        rows = page.locator("table").first.locator("tr").all_inner_texts()
        assert rows[1].split("\t")[:4] == ["Medewerker productietechniek", "2", "2", "2"]
        assert rows[3].split("\t")[:4] == ["Productietechnicus", "4", "4", "4"]
        # the English requirements as the source's skills x CEFR table, the kinds side by side
        table = page.locator("#s7 table.cefr").first
        assert table.locator("tr").first.inner_text().split("\t")[1:] == [
            "luisteren",
            "lezen",
            "gesprekken voeren",
            "spreken",
            "schrijven",
        ]
        assert [r.split("\t")[0] for r in table.locator("tr").all_inner_texts()[1:]] == [
            "C2",
            "C1",
            "B2",
            "B1",
            "A2",
            "A1",
        ]
        # generic B1 covers the profession-specific A2: two kinds, not a conflict (issue 24)
        assert page.locator("#s7 .conflict").count() == 0
        covers = page.locator("#s7 .covers").all_inner_texts()
        assert any(
            "lezen" in c and "B1" in c and "A2" in c and "Toelichting: lezen op A2" in c for c in covers
        )
        # trends with technologies and horizons; history as a timeline; stakeholders by role
        outlooks = page.locator("#s4 table.outlooks").inner_text()
        assert (
            "3d printing\tzeer lange termijn “pas op een zeer lange termijn, van 20 à 25 jaar” (20-25 jaar)"
            in outlooks
        )
        timeline = page.locator("#s10 ol.timeline > li").all_inner_texts()
        assert timeline[0].startswith("2020-03-11") and timeline[1].startswith("geen datum in de bron")
        roles = page.locator("#s11 .card h3").all_inner_texts()
        assert "lid ontwikkelgroep" in roles and "penvoerder" in roles
        assert "FME" in page.locator("#s11 .card", has_text="lid ontwikkelgroep").inner_text()
        # every fact links to its source location
        assert page.locator("#s9 table a[href^='/id/location/productietechniek-s9-p7']").count() >= 3
        check_diagram(visit)
        visit.shoot("dossier-full")
        # for the README: the top of the page, and the English table and the routes (sections 7, 8)
        README_SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(README_SHOTS / "dossier.png"))
        top = page.evaluate("document.getElementById('s7').getBoundingClientRect().top + window.scrollY")
        bottom = page.evaluate("document.getElementById('s9').getBoundingClientRect().top + window.scrollY")
        page.screenshot(
            path=str(README_SHOTS / "dossier-sections-7-8.png"),
            full_page=True,
            clip={"x": 0, "y": top - 10, "width": WIDTH, "height": bottom - top},
        )
    finally:
        visit.close()


def qualification_rows(visit: Visit) -> dict[str, dict[str, object]]:
    """The dossier's qualifications table: per qualification, its levels and the citations of its
    level sources (each cited text with its link), as the browser shows them."""
    return visit.page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('#qualifications + .table-wrap tr')]
          .slice(1).map(tr => { const cells = [...tr.querySelectorAll('td')];
            return [cells[0].innerText, {levels: cells.slice(1, 4).map(c => c.innerText),
              cited: [...cells[4].querySelectorAll('p')].map(p => [p.innerText,
                [...p.querySelectorAll('a')].map(a => [a.innerText, a.getAttribute('href')])])}]; }))"""
    )


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_outside_levels_cite_the_outside_source_not_page_1(server, browser, lang: str) -> None:  # type: ignore[no-untyped-def]
    """Regression for issue 14: the qualifications table cited "voorwerk, p. 1" (the page that names
    the qualification) for MBO levels 2 and 3, which the source does not state; each level cites
    the graph of its own statement: the outside sources (with a link), the source's page only
    where it states the level."""
    visit = Visit(browser, f"{server.url}/doc/id/dossier/productietechniek", lang=lang)
    try:
        rows = qualification_rows(visit)
        name = "Medewerker productietechniek" if lang == "nl" else "Production technology worker"
        level_2 = rows[name]
        assert level_2["levels"] == ["2", "2", "2"]
        mbo, nlqf_eqf = level_2["cited"]
        if lang == "nl":
            assert mbo[0] == (
                "mbo-niveau: KiesMBO: Medewerker productietechniek (niveau 2); "
                "Kwalificatiedossier mbo Productietechniek, geldig vanaf 1 augustus 2023"
            )
            # a reading from the level's source and Nuffic's general mapping (issue 24)
            assert nlqf_eqf[0].startswith("NLQF, EQF: interpretatie: Het mbo-niveau van Medewerker")
        else:
            assert mbo[0] == (
                "MBO level: KiesMBO: Medewerker productietechniek (level 2); "
                "MBO qualification dossier Productietechniek, in force from 1 August 2023"
            )
            assert nlqf_eqf[0].startswith("NLQF, EQF: interpretation: The MBO level of Medewerker")
        assert [href for _, href in mbo[1]] == [
            "/id/external-source/kiesmbo-medewerker-productietechniek",
            "/id/external-source/kwalificatiedossier-productietechniek-2023",
        ]
        assert [href for _, href in nlqf_eqf[1]] == [
            "/id/interpretation/productietechniek-nlqf-eqf-niveau-2-en-3"
        ]
        cited = " ".join(text for text, _ in level_2["cited"])
        front_matter = "voorwerk" if lang == "nl" else "front matter"
        assert front_matter not in cited and "p. 1" not in cited
        assert not any("/id/location/" in href for _, links in level_2["cited"] for _, href in links)
        # level 3 likewise; the level-4 qualifications cite the page that states their level
        level_3 = rows[
            "Allround medewerker productietechniek"
            if lang == "nl"
            else "All-round production technology worker"
        ]
        assert level_3["cited"][0][1] == [
            [level_3["cited"][0][1][0][0], "/id/external-source/kwalificatiedossier-productietechniek-2023"]
        ]
        level_4 = rows["Productietechnicus" if lang == "nl" else "Production technician"]
        section = "sectie" if lang == "nl" else "section"
        assert level_4["cited"][0][1] == [[f"{section} 12, p. 9", "/id/location/productietechniek-s12-p9"]]
    finally:
        visit.close()


def test_dossier_page_in_english_by_the_switch(server, browser) -> None:  # type: ignore[no-untyped-def]
    visit = Visit(browser, f"{server.url}/doc/id/dossier/productietechniek", lang="nl")
    try:
        visit.page.click("header a.language")
        visit.page.wait_for_load_state("load")
        assert visit.page.evaluate("document.documentElement.lang") == "en"
        assert "Qualifications" in visit.text() and "Production technician" in visit.text()
        visit.page.goto(f"{server.url}/id/qualification/productietechnicus")  # the cookie keeps English
        assert visit.page.locator("h1").inner_text() == "Production technician"
        check_common(visit, lang="en")
        visit.shoot("qualification-en")
    finally:
        visit.close()


def test_qualification_page(server, browser) -> None:  # type: ignore[no-untyped-def]
    visit = Visit(browser, f"{server.url}/id/qualification/productietechnicus")
    try:
        check_common(visit)
        assert visit.page.locator("h1").inner_text() == "Productietechnicus"
        text = visit.text()
        assert "In de bron: voorwerk, pagina 1; sectie 12, pagina 9" in " ".join(text.split())
        # the source per statement row (the graphs it is stated in), once per row
        rows = dict(
            r.split("\t")[::2] for r in visit.page.locator("table").first.locator("tr").all_inner_texts()[1:]
        )
        assert rows["mbo-niveau"] == "sectie 12, p. 9"
        # derived from the level on page 9 and Nuffic's general mapping: a reading (issue 24)
        assert rows["EQF-niveau"].startswith(
            "interpretatie: De bron (sectie 12, pagina 9) noemt Productietechnicus"
        )
        assert rows["naam"] == "voorwerk, p. 1"
        check_diagram(visit)
        visit.shoot("qualification")
    finally:
        visit.close()


def test_organisation_page_names_involvements_by_organisation_and_role(server, browser) -> None:  # type: ignore[no-untyped-def]
    """Regression for issue 15: the FME page listed its involvements as raw IRIs."""
    visit = Visit(browser, f"{server.url}/id/organisation/fme")
    try:
        check_common(visit)
        links = visit.page.locator("a[href^='/id/involvement/']").all_inner_texts()
        assert sorted(links) == ["FME — lid begeleidingsgroep", "FME — lid ontwikkelgroep"]
    finally:
        visit.close()


def test_dataset_page(server, browser) -> None:  # type: ignore[no-untyped-def]
    visit = Visit(browser, f"{server.url}/dataset")
    try:
        check_common(visit)
        assert visit.page.locator("h1").inner_text() == "kdgraph: kwalificatiedossiers mbo"
        classes = visit.page.locator("table").nth(1).locator("tr").all_inner_texts()
        assert "betrokkenheid\t33" in classes and "kwalificatie\t4" in classes
        visit.shoot("dataset")
    finally:
        visit.close()


def test_ontology_page(server, browser) -> None:  # type: ignore[no-untyped-def]
    visit = Visit(browser, f"{server.url}/def/")
    try:
        check_common(visit)
        term = visit.page.locator("#QualificationDossier")
        assert term.locator("h3").inner_text() == "kwalificatiedossier kd:QualificationDossier"
        assert "Engels: qualification dossier" in term.inner_text()
        assert "Preferred Namespace" not in visit.text()
        visit.page.goto(f"{server.url}/def/kd#routeFrom")  # a term's hash URI lands on its anchor
        assert visit.page.evaluate("document.getElementById('routeFrom').getBoundingClientRect().top") < 200
        visit.shoot("ontology")
    finally:
        visit.close()


def test_search_page(server, browser) -> None:  # type: ignore[no-untyped-def]
    visit = Visit(browser, f"{server.url}/doc/id/dossier/productietechniek")
    try:
        visit.page.fill("#site-search", "lezen")
        visit.page.press("#site-search", "Enter")
        visit.page.wait_for_url("**/search?q=lezen")
        check_common(visit)
        first = visit.page.locator("section.search-group").first
        assert first.locator("h2").inner_text().startswith("taalvaardigheid")  # grouped by kind
        assert first.locator("ol.hits > li > a").first.inner_text() == "lezen"
        assert first.locator(".match").first.inner_text() == "naam gelijk"
        assert "Volgorde: eerst namen gelijk aan de zoekterm" in visit.text()
        visit.shoot("search")
    finally:
        visit.close()


def test_not_found_page_offers_search_hits(server, browser) -> None:  # type: ignore[no-untyped-def]
    visit = Visit(browser, f"{server.url}/id/qualification/productietechnicuss")
    try:
        assert visit.response is not None and visit.response.status == 404
        assert visit.axe() == [] and visit.fits()
        assert (
            visit.page.locator("ul.hits a").first.get_attribute("href")
            == "/id/qualification/productietechnicus"
        )
    finally:
        visit.close()


def test_query_ui_opens_on_the_query_and_runs_it(server, browser) -> None:  # type: ignore[no-untyped-def]
    visit = Visit(browser, f"{server.url}/#cq01-qualifications-levels")
    try:
        page = visit.page
        page.wait_for_function(
            "() => (document.querySelector('.yasr table.dataTable')?.innerText || '')"
            ".includes('Productietechnicus')",
            timeout=20_000,
        )  # ran on open, no click
        first_line = page.locator(".yasqe .CodeMirror-line").first.inner_text()
        assert first_line.startswith("PREFIX"), first_line  # not the #+ header
        assert "#+" not in page.locator(".yasqe").inner_text()
        headers = page.eval_on_selector_all(
            ".yasr table.dataTable th", "els => els.map(e => [e.innerText, e.scrollWidth <= e.clientWidth])"
        )
        assert ["nlqfLevel", True] in headers and all(fits for _, fits in headers), headers
        assert visit.errors == []
        assert visit.axe() == []
        assert visit.fits()
        page.wait_for_function("() => document.querySelector('.yasr').innerText.includes('resultaten in')")
        words = [
            w
            for w in ("Table", "Response", "Showing", "results in")
            if w in page.locator("main").inner_text()
        ]
        assert words == [], f"English words on the Dutch query UI: {words}"
        visit.shoot("query-ui")
    finally:
        visit.close()


# Every kind of page, in both languages, on a desktop and a phone: (path, expected status).
EVERY_KIND = [
    ("/", 200),  # the query UI
    ("/queries", 200),
    ("/queries/cq03-english-requirements", 200),
    ("/queries/cq01-qualifications-levels?format=html&run=1", 200),
    ("/def/", 200),
    ("/dataset", 200),
    ("/doc/id/dossier/productietechniek", 200),
    ("/doc/id/qualification/productietechnicus", 200),
    ("/doc/def/language-skill/lezen", 200),
    ("/doc/id/organisation/fme", 200),
    ("/search?q=lassen", 200),
    ("/search?q=Engels", 200),
    ("/no-such-page", 404),
    ("/doc/id/qualification/nope", 404),
]


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize(("path", "status"), EVERY_KIND)
def test_every_kind_of_page_fits_and_passes_axe(
    server, browser, path: str, status: int, lang: str, width: int
) -> None:  # type: ignore[no-untyped-def]
    """Issue 23: pages were up to 1,084 px wide on a 390 px phone (and the query UI 1,912 px at
    1280 px with cq03), without an @media rule; 404s were bare English text."""
    separator = "&" if "?" in path else "?"
    visit = Visit(
        browser,
        f"{server.url}{path}{separator}lang={lang}"
        if path != "/"
        else f"{server.url}/?lang={lang}#cq03-english-requirements",
        lang,
        width,
    )
    try:
        assert visit.response is not None and visit.response.status == status
        if path == "/":  # the query UI: wait for the widest saved query's results
            visit.page.wait_for_function(
                "() => (document.querySelector('.yasr table.dataTable')?.innerText || '').length > 100",
                timeout=20_000,
            )
        assert visit.page.evaluate("document.documentElement.lang") == lang
        width_seen = visit.page.evaluate("document.documentElement.scrollWidth")
        assert width_seen <= width, f"{path} is {width_seen} px wide in a {width} px window"
        assert visit.axe() == []
        assert [e for e in visit.errors if "404" not in e] == []
    finally:
        visit.close()


def test_the_query_ui_on_a_phone(server, browser) -> None:  # type: ignore[no-untyped-def]
    visit = Visit(browser, f"{server.url}/#cq01-qualifications-levels", width=390)
    try:
        visit.page.wait_for_function(
            "() => (document.querySelector('.yasr table.dataTable')?.innerText || '')"
            ".includes('Productietechnicus')",
            timeout=20_000,
        )
        assert visit.fits()
        visit.page.set_viewport_size({"width": 390, "height": 1100})
        visit.page.screenshot(path=str(README_SHOTS / "query-ui-phone.png"))
    finally:
        visit.close()


def test_a_saved_query_page_and_its_results(server, browser) -> None:  # type: ignore[no-untyped-def]
    visit = Visit(browser, f"{server.url}/queries/cq03-english-requirements", lang="en")
    try:
        check_common(visit, lang="en")
        assert visit.page.locator("h1").inner_text() == (
            "English requirements per qualification and skill, from every source statement"
        )
        assert visit.page.locator("table.results").count() == 0  # not run before it is asked
        visit.page.click("form.parameters button[type=submit]")
        visit.page.wait_for_load_state("load")
        assert visit.page.locator("table.results tr").count() == 1 + 4  # B1 and up: 4 statements
        assert visit.fits() and visit.axe() == []
        README_SHOTS.mkdir(parents=True, exist_ok=True)
        visit.page.screenshot(path=str(README_SHOTS / "saved-query.png"), full_page=False)
    finally:
        visit.close()


def yasgui_value(page) -> str:  # type: ignore[no-untyped-def]
    return page.evaluate("() => yasgui.getTab().getYasqe().getValue()")


def test_a_shared_link_opens_exactly_its_query_in_front_and_runs_it(server, browser) -> None:  # type: ignore[no-untyped-def]
    """Regression: a shared link opened cq01 in front, hid the shared query in a background tab
    and rewrote the address."""
    from urllib.parse import quote

    shared = "SELECT ?answer WHERE { VALUES ?answer { 42 } }"
    link = f"{server.url}/#query={quote(shared)}&endpoint={quote(server.url + '/sparql')}"
    visit = Visit(browser, link)
    try:
        page = visit.page
        page.wait_for_function(
            "() => (document.querySelector('.yasr table.dataTable')?.innerText || '').includes('42')",
            timeout=20_000,
        )
        assert yasgui_value(page) == shared
        assert page.locator(".tabsList .tab").count() == 1
        assert page.url == link  # the address is still the link
        assert visit.errors == []
    finally:
        visit.close()


def test_edits_survive_a_reload_and_a_saved_query_opens_one_tab_with_its_title(server, browser) -> None:  # type: ignore[no-untyped-def]
    visit = Visit(browser, f"{server.url}/")
    try:
        page = visit.page
        page.wait_for_selector(".yasr table.dataTable", timeout=20_000)
        first_title = page.locator("button[data-example='0']").inner_text()
        assert first_title == "Kwalificaties met hun mbo- en EQF-niveau"  # a title, not a slug
        page.locator("button[data-example='3']").click()
        page.locator("button[data-example='3']").click()
        page.locator("button[data-example='0']").click()
        tabs = page.locator(".tabsList .tab").all_inner_texts()
        assert [t.replace("✖", "").strip() for t in tabs] == [
            first_title,
            "Betrokken organisaties en hun rol",
        ]
        # type into the editor as a person does, then reload at once
        page.locator(".CodeMirror").first.click()
        page.keyboard.press("Control+End")
        page.keyboard.type("\n# my note")
        page.reload(wait_until="load")
        page.wait_for_selector(".yasqe", timeout=20_000)
        assert yasgui_value(page).endswith("# my note")
        assert page.locator(".tabsList .tab").count() == 2
    finally:
        visit.close()


def test_a_construct_arrives_in_the_format_the_menu_names(server, browser) -> None:  # type: ignore[no-untyped-def]
    """Regression: the menu said Turtle, the answer was N-Triples (Yasqe's own default)."""
    visit = Visit(browser, f"{server.url}/")
    try:
        page = visit.page
        page.wait_for_selector(".yasqe", timeout=20_000)
        page.click(".tabContextButton")
        select = page.locator(".acceptWrapper .selector", has_text="Construct").locator("select").first
        shown = select.evaluate("s => s.options[s.selectedIndex].textContent")
        page.keyboard.press("Escape")
        page.mouse.click(5, 5)
        with page.expect_response(lambda r: r.url.startswith(f"{server.url}/sparql")) as answer:
            page.evaluate(
                "q => { const t = yasgui.getTab(); t.setQuery(q); t.query(); }",
                "CONSTRUCT { ?s a ?o } WHERE { ?s a ?o } LIMIT 1",
            )
        assert (shown, answer.value.headers["content-type"]) == ("Turtle", "text/turtle; charset=utf-8")
    finally:
        visit.close()


def test_a_syntax_error_is_told_in_the_page_language_with_line_and_column(server, browser) -> None:  # type: ignore[no-untyped-def]
    visit = Visit(browser, f"{server.url}/", lang="en")
    try:
        page = visit.page
        page.wait_for_selector(".yasqe", timeout=20_000)
        page.evaluate(
            "q => { const t = yasgui.getTab(); t.setQuery(q); t.query(); }",
            "SELECT * WHERE {\n ?s ?p ?o .\n FILTER(?x = ) }",
        )
        page.wait_for_selector(".syntax-error", timeout=20_000)
        assert page.locator(".syntax-error strong").inner_text() == "Error in the query at line 3, column 17."
        assert page.locator(".syntax-error-mark").count() == 1  # the place, marked in the editor
    finally:
        visit.close()


def test_printing_opens_every_section_and_leaves_out_the_navigation(server, browser) -> None:  # type: ignore[no-untyped-def]
    visit = Visit(browser, f"{server.url}/doc/id/dossier/productietechniek")
    try:
        page = visit.page
        assert page.locator("details:not([open])").count() > 0
        page.emulate_media(media="print")
        page.evaluate("() => dispatchEvent(new Event('beforeprint'))")
        assert page.locator("details:not([open])").count() == 0
        assert page.locator("header.site").is_hidden()
        page.evaluate("() => dispatchEvent(new Event('afterprint'))")
        page.emulate_media(media="screen")
        assert page.locator("details:not([open])").count() > 0
    finally:
        visit.close()


def test_the_route_diagram_is_readable_on_a_phone(server, browser) -> None:  # type: ignore[no-untyped-def]
    """Regression: scaled into 390 px, its labels were about 5 px high."""
    visit = Visit(browser, f"{server.url}/doc/id/dossier/productietechniek", width=390)
    try:
        heights = visit.page.evaluate(
            "() => [...document.querySelectorAll('svg.routes text')]"
            ".map(t => t.getBoundingClientRect().height)"
        )
        assert heights and min(heights) >= 11
        assert visit.fits()
    finally:
        visit.close()
