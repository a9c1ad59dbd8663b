"""The API's own documentation pages, working with no network: Swagger UI at ``/docs``, ReDoc at
``/redoc``, and a landing page at ``/``.

The JavaScript and CSS come from the ``fastapi-offline`` package (which ships Swagger UI 5 and ReDoc 2
as package data) and are served by the application under ``/docs/static/``; nothing is loaded from a
CDN and ReDoc does not ask for web fonts. ``/docs?version=V`` shows the document of
version V (``/api/{version}/openapi.json``), with links to the others at the top.
"""

from __future__ import annotations

import html
from importlib import resources
from importlib.resources.abc import Traversable

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from starlette.responses import HTMLResponse, Response

from expensehub import __version__
from expensehub.errors import NotFound
from expensehub.versions import CURRENT, SUPPORTED

STATIC = "/docs/static"
NAV_STYLE = "font:14px system-ui,sans-serif;padding:.5rem 1rem;background:#1b1b1b;color:#fff"
# The pages may load nothing but this server's own resources (ReDoc's footer would fetch its logo
# from a CDN otherwise); the inline script is the page's own Swagger UI set-up.
_PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self' 'unsafe-inline'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
    "worker-src 'self' blob:; connect-src 'self'"
}
_MEDIA = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}


def _assets() -> dict[str, Traversable]:
    folder = resources.files("fastapi_offline") / "static"
    return {item.name: item for item in folder.iterdir() if item.name[item.name.rfind(".") :] in _MEDIA}


def _version_document(version: str) -> str:
    return f"/api/{version}/openapi.json"


LANDING = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>expensehub</title>
<link rel="icon" href="{static}/favicon.png">
<style>body{{font:16px/1.5 system-ui,sans-serif;max-width:44rem;margin:3rem auto;padding:0 1rem;color:#222}}
code{{background:#f3f3f3;padding:0 .25rem}}li{{margin:.3rem 0}}</style></head>
<body><h1>expensehub {release}</h1>
<p>A self-hostable expense platform whose REST API is wire-compatible with Factorial's.</p>
<ul>
<li><a href="/docs">API reference (Swagger UI)</a>, with a document per API version</li>
<li><a href="/redoc">API reference (ReDoc)</a></li>
<li>OpenAPI documents: {documents}</li>
<li><a href="/healthz">Health check</a> (<code>/healthz</code>)</li>
</ul>
<p>API versions: {versions}; the current one is <code>{current}</code>. Resources live under
<code>/api/{{version}}/resources/{{namespace}}/{{resource}}</code> and take an
<code>x-api-key</code> header.</p>
</body></html>
"""


def install(app: FastAPI) -> None:
    """Serve ``/``, ``/docs``, ``/redoc`` and their assets (create the app with ``docs_url=None``,
    ``redoc_url=None``)."""
    assets = _assets()
    loaded: dict[str, bytes] = {}

    @app.get("/", include_in_schema=False)
    def landing() -> HTMLResponse:
        documents = ", ".join(
            f'<a href="{_version_document(v)}"><code>{html.escape(v)}</code></a>' for v in SUPPORTED
        )
        page = LANDING.format(
            static=STATIC,
            release=html.escape(__version__),
            documents=documents,
            versions=", ".join(f"<code>{html.escape(v)}</code>" for v in SUPPORTED),
            current=html.escape(CURRENT),
        )
        return HTMLResponse(page, headers=_PAGE_HEADERS)

    @app.get("/docs", include_in_schema=False)
    def swagger_ui(version: str = CURRENT) -> HTMLResponse:
        if version not in SUPPORTED:
            raise NotFound(f"unknown API version {version!r}; supported: {', '.join(SUPPORTED)}")
        page = get_swagger_ui_html(
            openapi_url=_version_document(version),
            title=f"expensehub API {version}",
            swagger_js_url=f"{STATIC}/swagger-ui-bundle.js",
            swagger_css_url=f"{STATIC}/swagger-ui.css",
            swagger_favicon_url=f"{STATIC}/favicon.png",
        )
        mark = ' aria-current="page"'
        links = " ".join(
            f'<a href="/docs?version={v}" style="color:#9cf"{mark if v == version else ""}>{v}</a>'
            for v in SUPPORTED
        )
        nav = f'<nav class="expensehub-versions" style="{NAV_STYLE}">API version: {links}</nav>'
        body = bytes(page.body).decode().replace('<div id="swagger-ui">', nav + '<div id="swagger-ui">', 1)
        return HTMLResponse(body, headers=_PAGE_HEADERS)

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        page = get_redoc_html(
            openapi_url=_version_document(CURRENT),
            title="expensehub API",
            redoc_js_url=f"{STATIC}/redoc.standalone.js",
            redoc_favicon_url=f"{STATIC}/favicon.png",
            with_google_fonts=False,
        )
        return HTMLResponse(bytes(page.body).decode(), headers=_PAGE_HEADERS)

    @app.get(STATIC + "/{name}", include_in_schema=False)
    def asset(name: str) -> Response:
        found = assets.get(name)
        if found is None:
            raise NotFound(f"no documentation asset {name!r}")
        if name not in loaded:
            loaded[name] = found.read_bytes()
        media = _MEDIA[name[name.rfind(".") :]]
        return Response(loaded[name], media_type=media, headers={"Cache-Control": "public, max-age=86400"})
