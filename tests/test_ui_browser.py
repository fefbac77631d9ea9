"""The query UI in a real headless Chromium (Debian's, driven by Playwright), with no network.

Every request the page makes that is not to our own server is aborted and recorded, so the
test proves the UI works offline; then it runs a saved query and reads the result table.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)"),
    pytest.mark.browser,  # (each test launches its own Chromium, with the flags of an offline one)
]
FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def server(bundled_server):  # type: ignore[no-untyped-def]
    return bundled_server


def test_ui_runs_a_saved_query_offline_and_shows_a_table(server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    outside: list[str] = []
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page()

        def only_local(route):  # type: ignore[no-untyped-def]
            if route.request.url.startswith(server.url):
                route.continue_()
            else:
                outside.append(route.request.url)
                route.abort()

        page.route("**/*", only_local)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{server.url}/", wait_until="load")
        page.wait_for_selector(".yasqe", timeout=20_000)
        page.click("button[data-example='5']")  # cq06-end-functions, shown by its title
        # the UI opened on cq01 and ran it; cq06 opens in a tab of its own
        page.wait_for_function(
            "() => [...document.querySelectorAll('.yasr table.dataTable')].some("
            "t => t.offsetParent !== null && t.innerText.includes('Researchinstrumentmaker')"
            " && t.innerText.includes('metaalbewerking'))",
            timeout=20_000,
        )
        text = page.locator(".yasr table.dataTable:visible").inner_text()
        # a query with a required parameter opens with its example value bound: the 21 routes
        # reachable from Medewerker productietechniek (unbound, it would list all 54)
        page.click("button[data-example='1']")  # cq02-routes-reachable
        page.wait_for_function(
            "() => [...document.querySelectorAll('.yasr')].some("
            "y => y.innerText.includes('lascoördinator') && y.innerText.includes('21 results'))",
            timeout=20_000,
        )
        links = page.eval_on_selector_all(".yasr table.dataTable:visible a", "els => els.map(e => e.href)")
        page.screenshot(path=str(tmp_path / "ui.png"), full_page=True)
        browser.close()
    assert "Productietechnicus" in text and "metaalbewerking" in text
    # result links to our IRIs stay on this server (issue 23: they left for w3id.org)
    assert f"{server.url}/id/qualification/productietechnicus" in links
    assert outside == [], f"the UI tried to reach the network: {outside}"
    assert errors == [], f"JavaScript errors: {errors}"


SELECT = "SELECT ?q WHERE { ?q a <https://w3id.org/kdgraph/def/kd#Qualification> }"
CONSTRUCT = (
    "CONSTRUCT { ?q a <https://w3id.org/kdgraph/def/kd#Qualification> } "
    "WHERE { ?q a <https://w3id.org/kdgraph/def/kd#Qualification> }"
)


def test_every_entry_of_the_format_menus_works(server) -> None:  # type: ignore[no-untyped-def]
    """Regression: 5 of the 8 CONSTRUCT/DESCRIBE entries answered 406, and JSON-LD was missing.

    Each entry of both Accept menus of the tab settings is chosen as a user would, a query of
    the matching form is run from the UI, and the server must answer 200 in that media type.
    """
    from playwright.sync_api import sync_playwright

    seen: dict[str, list[tuple[str, int, str]]] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page()
        page.goto(f"{server.url}/", wait_until="load")
        page.wait_for_selector(".yasqe", timeout=20_000)
        for menu, query in (("Ask / Select", SELECT), ("Construct / Describe", CONSTRUCT)):
            select = page.locator(".acceptWrapper .selector", has_text=menu).locator("select").first
            entries = select.evaluate("s => [...s.options].map(o => [o.textContent, o.value])")
            seen[menu] = []
            for label, value in entries:
                page.click(".tabContextButton")
                select.select_option(value=value)
                page.keyboard.press("Escape")
                page.mouse.click(5, 5)  # close the settings menu
                with page.expect_response(lambda r: r.url.startswith(f"{server.url}/sparql")) as answer:
                    page.evaluate(
                        "q => { const tab = yasgui.getTab(); tab.setQuery(q); tab.query(); }", query
                    )
                response = answer.value
                seen[menu].append((label, response.status, response.headers.get("content-type", "")))
        browser.close()
    graph_labels = [label for label, _, _ in seen["Construct / Describe"]]
    assert graph_labels == ["Turtle", "JSON-LD", "RDF/XML", "N-Triples", "TriG", "N-Quads"]
    assert [label for label, _, _ in seen["Ask / Select"]] == ["JSON", "XML", "CSV", "TSV"]
    for menu, answers in seen.items():
        for label, status, content_type in answers:
            assert status == 200, (menu, label, status)
            assert content_type.endswith("; charset=utf-8"), (menu, label, content_type)
    media = [content_type.split(";")[0] for _, _, content_type in seen["Construct / Describe"]]
    assert media == [
        "text/turtle",
        "application/ld+json",
        "application/rdf+xml",
        "application/n-triples",
        "application/trig",
        "application/n-quads",
    ]
