"""The query UI in a real headless Chromium (Debian's, driven by Playwright), with no network.

Every request the page makes that is not to our own server is aborted and recorded, so the
test proves the UI works offline; then it runs a saved query and reads the result table.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)"
)
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
        page.click("button[data-example]:text('cq06-end-functions')")
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
        page.click("button[data-example]:text('cq02-routes-reachable')")
        page.wait_for_function(
            "() => [...document.querySelectorAll('.yasr')].some("
            "y => y.innerText.includes('lascoördinator') && y.innerText.includes('21 results'))",
            timeout=20_000,
        )
        links = page.eval_on_selector_all(".yasr table.dataTable:visible a", "els => els.map(e => e.href)")
        page.screenshot(path=str(tmp_path / "ui.png"), full_page=True)
        browser.close()
    assert "Productietechnicus" in text and "metaalbewerking" in text
    assert "https://w3id.org/kdgraph/id/qualification/productietechnicus" in links
    assert outside == [], f"the UI tried to reach the network: {outside}"
    assert errors == [], f"JavaScript errors: {errors}"
