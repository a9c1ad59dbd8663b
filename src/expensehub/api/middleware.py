"""ASGI middleware: request ids and logs, control characters, body size, content types, query names."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode

from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from expensehub import logs
from expensehub.api.errors import error_body
from expensehub.errors import PayloadTooLarge
from expensehub.versions import get_version

_RESOURCE_PATH = re.compile(r"^/api/(?P<version>[^/]+)/resources/(?P<ns>[^/]+)/(?P<res>[^/]+)")
_BODY_TYPES = ("application/json", "multipart/form-data", "application/x-www-form-urlencoded")
# Room a multipart upload needs besides the file itself: boundaries, part headers, text fields.
UPLOAD_OVERHEAD_BYTES = 512 * 1024


async def _send_error(send: Send, status: int, code: str, message: str) -> None:
    body = error_body(status, code, message)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
access_log = logs.get_logger("expensehub.access")


class RequestContextMiddleware:
    """Give every request an id, return it, and write one log line per request.

    The id is the client's ``X-Request-Id`` when it is 1–128 characters of ``A-Za-z0-9._:-``, else a new
    UUID. It is bound to the logging context (so every line logged while serving the request carries it),
    returned in the ``X-Request-Id`` header of every response and in every error body (``request_id``).
    After the response: one ``request`` line with the method, the route's path template (``templates``
    gives the app's templates, read once, at the first request), the status,
    the duration and the caller's company (set by the credentials dependency in ``request.state``).

    It is also the last resort for an exception nothing else handled: the traceback is logged with the
    request id and the client gets a JSON ``500 internal_error`` carrying the same id.
    """

    def __init__(self, app: ASGIApp, templates: Callable[[], Sequence[str]] = tuple) -> None:
        self.app = app
        self._templates = templates
        self._compiled: list[tuple[re.Pattern[str], str]] | None = None

    def template_of(self, path: str) -> str:
        """The route template ``path`` matches (``/api/{version}/resources/expenses/expensables/{id}``),
        else the path itself. Templates without parameters are tried first, as the router does."""
        if self._compiled is None:
            ordered = sorted(self._templates(), key=lambda t: (t.count("{"), t))
            self._compiled = [(compile_path(t)[0], t) for t in ordered]
        return next((template for regex, template in self._compiled if regex.match(path)), path)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((v for k, v in scope["headers"] if k == b"x-request-id"), b"").decode("latin-1")
        request_id = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        state = scope.setdefault("state", {})
        status = 500
        started = False
        tokens = logs.bind(request_id=request_id)
        begun = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                started = True
                status = message["status"]
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"]
                message = {**message, "headers": [*headers, (b"x-request-id", request_id.encode())]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            access_log.exception("unhandled error", method=scope["method"], path=scope["path"])
            if not started:
                await _send_error(send_with_id, 500, "internal_error", "internal server error")
        finally:
            company_id = state.get("company_id")
            access_log.info(
                "request",
                method=scope["method"],
                path=self.template_of(scope["path"]),
                status=status,
                duration_ms=round((time.perf_counter() - begun) * 1000, 2),
                **({"company_id": company_id} if company_id is not None else {}),
            )
            logs.unbind(tokens)


def _control_character(text: str) -> str | None:
    """The first control character (Unicode category Cc: U+0000–U+001F, U+007F–U+009F) in ``text``."""
    for ch in text:
        code = ord(ch)
        if code < 0x20 or 0x7F <= code <= 0x9F:
            return f"U+{code:04X}"
    return None


# Header values may hold a tab (RFC 9110 field-value whitespace); nothing else below 0x20, nor DEL.
# Bytes 0x80–0x9F are not checked in headers: they occur inside UTF-8 encoded characters.
_HEADER_CONTROL = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")


class ControlCharacterGuardMiddleware:
    """Refuse, before routing, a request whose path, query or header values hold a control character.

    The one guard for everything outside the body: PostgreSQL cannot store NUL in text (a NUL reaching
    a query is a 500 there and silently different on SQLite), and no identifier, filter value or header
    of this API has a use for control characters. The answer is ``400 control_character`` naming where
    the character was found; nothing runs. Bodies are checked by their schemas (``kit.bodies``).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            problem = self._problem(scope)
            if problem is not None:
                await _send_error(send, 400, "control_character", problem)
                return
        await self.app(scope, receive, send)

    @staticmethod
    def _problem(scope: Scope) -> str | None:
        found = _control_character(scope["path"])
        if found is None:
            raw_path = scope.get("raw_path")
            if raw_path:
                found = _control_character(unquote(raw_path.decode("latin-1"), errors="replace"))
        if found is not None:
            return f"the path contains a control character ({found})"
        query = scope.get("query_string") or b""
        if query:
            pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True, errors="replace")
            for key, value in pairs:
                found = _control_character(key) or _control_character(value)
                if found is not None:
                    return f"query parameter {key[:60]!r} contains a control character ({found})"
        for name, value in scope.get("headers", ()):
            if _HEADER_CONTROL.search(value):
                return f"header {name.decode('latin-1')[:60]!r} contains a control character"
        return None


class RequestGuardMiddleware:
    """Refuse oversized bodies (413) and bodies of a type no endpoint reads (415) before routing.

    The size is checked against ``Content-Length`` (the HTTP server enforces that the body matches it);
    a chunked body without a length is read here up to the limit and then replayed to the app.

    Multipart requests to an upload route (``upload_routes``: method and path pattern) are bounded by
    ``max_upload_bytes`` (plus room for the form's other parts) instead, and are never buffered here: a
    chunked upload is counted as the app reads it, and refused with 413 once it passes the limit.
    """

    def __init__(
        self,
        app: ASGIApp,
        max_body_bytes: int,
        *,
        max_upload_bytes: int = 0,
        upload_routes: Sequence[tuple[str, re.Pattern[str]]] = (),
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_upload_bytes = max_upload_bytes
        self.upload_routes = tuple(upload_routes)

    def _is_upload(self, scope: Scope, ctype: str) -> bool:
        path, method = scope["path"], scope["method"]
        return ctype == "multipart/form-data" and any(
            verb == method and pattern.match(path) for verb, pattern in self.upload_routes
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH", "DELETE"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        length = headers.get("content-length")
        ctype = headers.get("content-type", "").split(";")[0].strip().lower()
        upload = self._is_upload(scope, ctype)
        limit = self.max_upload_bytes + UPLOAD_OVERHEAD_BYTES if upload else self.max_body_bytes
        if length is not None:
            if not length.isdigit():
                await _send_error(send, 400, "bad_request", "invalid Content-Length")
                return
            if int(length) > limit:
                await _send_error(send, 413, "payload_too_large", f"request body exceeds {limit} bytes")
                return
        has_body = (length is not None and int(length) > 0) or "transfer-encoding" in headers
        if has_body and scope["path"].startswith("/api/") and ctype not in _BODY_TYPES:
            await _send_error(
                send,
                415,
                "unsupported_media_type",
                f"unsupported Content-Type {ctype or '(none)'!r}; send application/json",
            )
            return

        if length is None and has_body and upload:
            # A chunked upload: count it as the app reads it; never hold it here.
            size = 0

            async def counted() -> Message:
                nonlocal size
                message = await receive()
                if message["type"] == "http.request":
                    size += len(message.get("body", b""))
                    if size > limit:
                        raise PayloadTooLarge(f"request body exceeds {limit} bytes")
                return message

            await self.app(scope, counted, send)
            return

        if length is None and has_body:
            # Chunked body without a declared length: read it here, up to the limit, then replay it.
            chunks: list[bytes] = []
            size = 0
            more = True
            while more:
                message = await receive()
                if message["type"] != "http.request":
                    return
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > self.max_body_bytes:
                    await _send_error(
                        send, 413, "payload_too_large", f"request body exceeds {self.max_body_bytes} bytes"
                    )
                    return
                chunks.append(chunk)
                more = message.get("more_body", False)
            body = b"".join(chunks)
            replayed = False

            async def replay() -> Message:
                nonlocal replayed
                if replayed:
                    return await receive()
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}

            await self.app(scope, replay, send)
            return
        await self.app(scope, receive, send)


class VersionQueryMiddleware:
    """Rename query keys a version spells differently (``account_ids[]`` before 2026-07-01)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("query_string"):
            match = _RESOURCE_PATH.match(scope["path"])
            version = get_version(match["version"]) if match else None
            if match and version is not None and version.current_query_aliases:
                resource = f"{match['ns']}/{match['res']}"
                aliases = version.current_query_aliases.get(resource)
                if aliases:
                    pairs: list[tuple[str, Any]] = parse_qsl(
                        scope["query_string"].decode("latin-1"), keep_blank_values=True
                    )
                    renamed = [(aliases.get(k, k), v) for k, v in pairs]
                    scope = dict(scope)
                    scope["query_string"] = urlencode(renamed).encode("latin-1")
        await self.app(scope, receive, send)
