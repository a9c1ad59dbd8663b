"""The documentation pages' HTTP side (tests/browser renders them in chromium)."""

from __future__ import annotations

from typing import Any


def test_pages_and_assets_come_from_the_app(http: Any) -> None:
    for path in ("/", "/docs", "/docs?version=2026-04-01", "/redoc"):
        page = http.get(path)
        assert page.status_code == 200, path
        assert page.headers["content-type"].startswith("text/html")
        assert "default-src 'self'" in page.headers["content-security-policy"]
        assert "https://" not in page.text, path  # no CDN, no web fonts
    assert "/api/2026-04-01/openapi.json" in http.get("/docs?version=2026-04-01").text
    script = http.get("/docs/static/swagger-ui-bundle.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert len(script.content) > 100_000


def test_unknown_version_and_asset_are_404(http: Any) -> None:
    assert http.get("/docs?version=1999-01-01").status_code == 404
    missing = http.get("/docs/static/../../etc/passwd")
    assert missing.status_code == 404
    assert http.get("/docs/static/nothing.js").json()["code"] == "not_found"
