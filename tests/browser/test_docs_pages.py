"""The documentation pages in a real browser (Debian's chromium driven by Playwright), with every
request that leaves loopback refused: /docs and /redoc must render the API from the app alone."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from expensehub.config import Settings
from expensehub.db.migrate import upgrade
from tests.live import serve

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

if not Path(CHROMIUM).exists():
    if os.environ.get("EXPENSEHUB_REQUIRE_BROWSER"):
        raise RuntimeError(f"no chromium at {CHROMIUM} (scripts/test.sh installs Debian's package)")
    pytest.skip("Debian's chromium is not installed (scripts/test.sh installs it)", allow_module_level=True)

from playwright.sync_api import Page, Route, sync_playwright  # noqa: E402


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("docs-pages")
    url = f"sqlite:///{folder / 'docs.db'}"
    upgrade(url)
    with serve(Settings(database_url=url, storage_dir=str(folder / "files"))) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


def _offline_page(browser: object, refused: list[str]) -> Page:
    page: Page = browser.new_page()  # type: ignore[attr-defined]

    def only_loopback(route: Route) -> None:
        if urlsplit(route.request.url).hostname in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    page.route("**/*", only_loopback)
    return page


def test_swagger_ui_lists_operations_of_each_version(base_url: str, browser: object) -> None:
    refused: list[str] = []
    page = _offline_page(browser, refused)
    page.goto(f"{base_url}/docs")
    page.wait_for_selector(".opblock", timeout=60_000)
    assert page.locator(".opblock").count() > 50
    assert page.get_by_text("List ledger accounts").first.is_visible()
    # One document per API version, linked at the top; the older one types ids as integers.
    assert page.locator("nav.expensehub-versions a").all_inner_texts() == ["2026-10-01", "2026-04-01"]
    page.locator("nav.expensehub-versions a", has_text="2026-04-01").click()
    page.wait_for_selector("text=API version 2026-04-01", timeout=60_000)
    assert page.locator(".opblock").count() > 50
    assert refused == []
    page.close()


def test_redoc_renders_without_network(base_url: str, browser: object) -> None:
    refused: list[str] = []
    page = _offline_page(browser, refused)
    page.goto(f"{base_url}/redoc")
    page.locator("h2", has_text="List ledger accounts").first.wait_for(timeout=60_000)
    assert refused == []
    page.close()


def test_landing_page_links_the_docs(base_url: str, browser: object) -> None:
    refused: list[str] = []
    page = _offline_page(browser, refused)
    page.goto(f"{base_url}/")
    links = page.locator("a").evaluate_all("(as) => as.map(a => a.getAttribute('href'))")
    assert {
        "/docs",
        "/redoc",
        "/healthz",
        "/api/2026-10-01/openapi.json",
        "/api/2026-04-01/openapi.json",
    } <= set(links)
    for href in links:
        assert page.request.get(f"{base_url}{href}").ok, href
    assert refused == []
    page.close()
