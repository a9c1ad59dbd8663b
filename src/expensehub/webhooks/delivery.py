"""The HTTP side of delivery: render, sign and POST one event (aiohttp).

Safety: http(s) only; every address a target name resolves to is checked at connection time (a
resolver that drops private, loopback and link-local addresses, so DNS cannot point a public name at
an internal service after the subscription was accepted); literal IP targets are checked before the
request; redirects are never followed (a 3xx is a failed attempt); the response body is read up to
a cap and then dropped; each attempt has a total time limit.
"""

from __future__ import annotations

import functools
import socket
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiohttp
import orjson
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from expensehub import __version__
from expensehub.versions import VERSIONS  # pure module: no FastAPI (see docs/webhooks.md)
from expensehub.webhooks import rules, signing
from expensehub.webhooks.repository import LaneItem, LaneSubscription

USER_AGENT = f"expensehub-webhooks/{__version__}"
LOGGED_BODY_CHARS = 1024
_REGISTERED = tuple(VERSIONS)


@functools.lru_cache(maxsize=4096)
def _url_problem(url: str, allow_private: bool) -> str | None:
    return rules.url_problem(url, allow_private=allow_private)


class BlockedTarget(OSError):
    """The target resolves only to addresses deliveries may not reach."""


class SafeResolver(AbstractResolver):
    """Resolves with the default resolver, then keeps only public addresses (unless allowed)."""

    def __init__(self, allow_private: bool) -> None:
        self._inner = DefaultResolver()
        self._allow_private = allow_private

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        infos = await self._inner.resolve(host, port, family)
        if self._allow_private:
            return infos
        allowed = [info for info in infos if rules.address_problem(info["host"]) is None]
        if not allowed:
            problem = rules.address_problem(infos[0]["host"]) if infos else "no address"
            raise BlockedTarget(f"{host} resolves to {problem}; refused")
        return allowed

    async def close(self) -> None:
        await self._inner.close()


@dataclass(frozen=True)
class SendResult:
    """One attempt: the status (``None`` when no answer came), its duration, why it failed, the body."""

    started_at: datetime
    status_code: int | None
    latency_ms: int
    error: str | None
    body: str | None

    @property
    def ok(self) -> bool:
        return self.error is None and rules.is_success(self.status_code)


def render_body(sub: LaneSubscription, item: LaneItem) -> bytes:
    """The bare resource object in the subscription's API version, as JSON bytes."""
    version = VERSIONS[rules.render_version(sub.api_version, _REGISTERED)]
    return orjson.dumps(version.render(orjson.loads(item.payload), item.resource))


def signing_keys(sub: LaneSubscription, now: datetime) -> list[bytes]:
    """The current secret's key, and the previous one's while its overlap lasts."""
    keys = [signing.secret_key(sub.secret)]
    expires = sub.previous_secret_expires_at
    if sub.previous_secret and expires is not None and expires > now:
        keys.append(signing.secret_key(sub.previous_secret))
    return keys


def build_headers(
    sub: LaneSubscription, item: LaneItem, body: bytes, keys: list[bytes], timestamp: int, attempt: int
) -> dict[str, str]:
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": item.msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signing.signature_header(keys, item.msg_id, timestamp, body),
        "x-expensehub-event-type": item.type,
        "x-expensehub-attempt": str(attempt),
    }
    if sub.challenge is not None:
        headers["x-factorial-wh-challenge"] = sub.challenge
    if item.author_id is not None and item.author_type is not None:
        headers["x-factorial-author-id"] = str(item.author_id)
        headers["x-factorial-author-type"] = item.author_type
    return headers


def _describe(exc: BaseException) -> str:
    """A short reason for a failed attempt."""
    link: BaseException | None = exc
    for _ in range(6):  # the resolver's refusal, however aiohttp wrapped it
        if link is None:
            break
        if isinstance(link, BlockedTarget):
            return f"blocked: {link}"
        link = getattr(link, "os_error", None) or link.__cause__ or link.__context__
    if isinstance(exc, TimeoutError):
        return "timeout"
    if isinstance(exc, aiohttp.ClientConnectorError):
        if isinstance(exc.os_error, ConnectionRefusedError):
            return "connection refused"
        return f"connection failed: {exc.os_error}"
    return f"{type(exc).__name__}: {exc}"


class Sender:
    """Sends deliveries over one pooled aiohttp session; use as ``async with Sender(...)``."""

    def __init__(self, *, timeout: float, max_response_bytes: int, allow_private: bool, limit: int) -> None:
        self.timeout = timeout
        self.max_response_bytes = max_response_bytes
        self.allow_private = allow_private
        self._limit = limit
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Sender:
        connector = aiohttp.TCPConnector(
            resolver=SafeResolver(self.allow_private), limit=self._limit, ttl_dns_cache=10
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(total=self.timeout),
            trust_env=False,
            auto_decompress=False,
            skip_auto_headers=("Accept-Encoding",),
        )
        return self

    async def __aexit__(self, *exc: Any) -> None:
        if self._session is not None:
            await self._session.close()

    async def post(self, url: str, body: bytes, headers: dict[str, str], started_at: datetime) -> SendResult:
        """One POST; never raises for network or HTTP problems (they are in the result)."""
        assert self._session is not None, "use Sender as an async context manager"
        t0 = time.monotonic()
        problem = _url_problem(url, self.allow_private)
        if problem:
            return SendResult(started_at, None, 0, f"blocked: target_url {problem}", None)
        try:
            async with self._session.post(url, data=body, headers=headers, allow_redirects=False) as resp:
                chunks: list[bytes] = []
                remaining = self.max_response_bytes
                while remaining > 0:
                    chunk = await resp.content.read(remaining)
                    if not chunk:
                        break
                    chunks.append(chunk)
                    remaining -= len(chunk)
                status = resp.status
        except Exception as exc:  # network failures are results, never crashes
            latency = int((time.monotonic() - t0) * 1000)
            return SendResult(started_at, None, latency, rules.truncate(_describe(exc), 300), None)
        latency = int((time.monotonic() - t0) * 1000)
        text = b"".join(chunks).decode("utf-8", "replace")
        error = None
        if 300 <= status < 400:
            error = f"redirect ({status}) not followed"
        elif not rules.is_success(status):
            error = f"HTTP {status}"
        return SendResult(started_at, status, latency, error, rules.truncate(text, LOGGED_BODY_CHARS) or None)
