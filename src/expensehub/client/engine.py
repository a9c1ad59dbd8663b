"""The client's machinery, written once for the sync and the async flavour.

Every operation (one call with its retries, a lazy walk through the pages of a list) is a generator that
*yields effects* — ``Send`` a request, ``Sleep`` a while, ``Emit`` an item — and receives the outcome of
each. It does no I/O itself. Two small drivers perform the effects: ``run``/``iterate`` with an
``httpx.Client`` and ``time.sleep``, ``arun``/``aiterate`` with an ``httpx.AsyncClient`` and
``asyncio.sleep``. So the retry policy, the request budget, the pagination and the error mapping exist in
one copy, and the two flavours cannot drift apart.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import random
import time
import uuid
from collections.abc import AsyncIterator, Generator, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx

from expensehub.client.errors import TransportError, error_for

T = TypeVar("T")

# --- effects -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # relative to the client's base: "expenses/expensables"
    params: Mapping[str, Any] | None = None
    json: Any = None
    files: Any = None
    data: Mapping[str, Any] | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Send:
    request: Request


@dataclass(frozen=True)
class Sleep:
    seconds: float


@dataclass(frozen=True)
class Emit:
    item: Any


@dataclass(frozen=True)
class Answer:
    """What a ``Send`` came back with: a response, or the transport error that stopped it."""

    status: int = 0
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    error: Exception | None = None
    sent: bool = True  # False: the request never reached the server (connect error)


Op = Generator[Send | Sleep | Emit, Any, T]

# --- policy --------------------------------------------------------------------------------------


@dataclass
class RetryPolicy:
    """Retries with exponential backoff and full jitter on connection errors, 429 and 5xx.

    A ``Retry-After`` answer is honoured (seconds or an HTTP date) up to ``max_retry_after`` seconds; a
    longer wait is not waited for: the error is raised at once. POSTs are retried too, each attempt with the
    same ``Idempotency-Key`` (a server that honours it applies the POST once); ``retry_posts=False`` retries
    a POST only when it cannot have been applied (a refused connection, 429).
    """

    attempts: int = 5
    base: float = 0.5
    cap: float = 30.0
    max_retry_after: float = 120.0
    retry_posts: bool = True
    statuses: frozenset[int] = frozenset({429, 500, 502, 503, 504})
    rng: random.Random = field(default_factory=random.Random)

    def backoff(self, attempt: int) -> float:
        """The wait before attempt ``attempt + 1`` (``attempt`` counts from 1): full jitter."""
        return self.rng.uniform(0, min(self.cap, self.base * 2 ** (attempt - 1)))


@dataclass
class Budget:
    """A token bucket per kind of request, so a long job stays below the API's limits.

    Defaults: 150 POSTs a minute (Factorial publishes 200) and 600 requests a minute in all. ``used`` counts
    the requests sent, retries included; ``waited`` the seconds spent waiting for the budget.
    """

    per_minute: float = 600.0
    posts_per_minute: float = 150.0
    used: int = 0
    retries: int = 0
    waited: float = 0.0
    _buckets: dict[str, list[float]] = field(default_factory=dict)

    def delay(self, method: str, now: float) -> float:
        """Take a token for a ``method`` request at ``now``; the seconds to wait before sending it."""
        wait = self._take("all", self.per_minute, now)
        if method == "POST":
            wait = max(wait, self._take("post", self.posts_per_minute, now))
        self.waited += wait
        return wait

    def _take(self, name: str, per_minute: float, now: float) -> float:
        rate = per_minute / 60.0
        burst = max(1.0, per_minute / 10.0)
        tokens, last = self._buckets.get(name, [burst, now])
        tokens = min(burst, tokens + (now - last) * rate) - 1.0
        self._buckets[name] = [tokens, now]
        return 0.0 if tokens >= 0 else -tokens / rate


def retry_after(headers: Mapping[str, str], now: float) -> float | None:
    """Seconds a ``Retry-After`` header asks to wait (delta seconds or an HTTP date), if any."""
    value = headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now)


def decode(body: bytes) -> Any:
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return body.decode("utf-8", "replace")


# --- operations ----------------------------------------------------------------------------------


def call(request: Request, policy: RetryPolicy, budget: Budget) -> Op[Any]:
    """One request with its retries; its decoded JSON body, or a typed error."""
    if request.method == "POST" and "Idempotency-Key" not in request.headers:
        request = Request(
            request.method,
            request.path,
            request.params,
            request.json,
            request.files,
            request.data,
            {**request.headers, "Idempotency-Key": str(uuid.uuid4())},
        )
    attempt = 0
    while True:
        attempt += 1
        wait = budget.delay(request.method, time.monotonic())
        if wait > 0:
            yield Sleep(wait)
        answer: Answer = yield Send(request)
        budget.used += 1
        last = attempt >= policy.attempts
        if answer.error is not None:
            unsafe = request.method == "POST" and answer.sent and not policy.retry_posts
            if last or unsafe:
                raise TransportError(f"{request.method} {request.path}: {answer.error}", attempts=attempt)
            budget.retries += 1
            yield Sleep(policy.backoff(attempt))
            continue
        if answer.status < 400:
            return decode(answer.body)
        retryable = answer.status in policy.statuses and (
            request.method != "POST" or policy.retry_posts or answer.status == 429
        )
        asked = retry_after(answer.headers, time.time()) if retryable else None
        if not retryable or last or (asked is not None and asked > policy.max_retry_after):
            raise error_for(answer.status, decode(answer.body), answer.headers.get("x-request-id"), attempt)
        budget.retries += 1
        yield Sleep(asked if asked is not None else policy.backoff(attempt))


def unwrap(body: Any) -> Any:
    """A single object: bare, or wrapped in ``{"data": ...}`` (some resources in 2026-04-01)."""
    if isinstance(body, dict) and set(body) == {"data"} and isinstance(body["data"], dict):
        return body["data"]
    return body


@dataclass(frozen=True)
class Page:
    """One page of a list: its items and where the next one starts (``None`` after the last)."""

    items: list[Any]
    next: str | None


def batches(
    path: str,
    params: Mapping[str, Any],
    *,
    page_mode: bool,
    limit: int,
    policy: RetryPolicy,
    budget: Budget,
    start: str | None = None,
) -> Op[None]:
    """The pages of a list, each fetched only as the previous one is consumed: through the cursors
    (``after_id``), or with ``page=1, 2, ...`` where the version pages that way. ``start`` resumes at a
    page's ``next`` (a cursor, or a page number in page mode)."""
    query = {**params, "limit": limit}
    page = int(start) if page_mode and start else 1
    if start and not page_mode:
        query["after_id"] = start
    while True:
        if page_mode:
            query["page"] = page
        body = yield from call(Request("GET", path, params=dict(query)), policy, budget)
        data = body.get("data", []) if isinstance(body, dict) else []
        meta = body.get("meta", {}) if isinstance(body, dict) else {}
        more = bool(data) and bool(meta.get("has_next_page"))
        if page_mode:
            page += 1
            following = str(page) if more else None
        else:
            following = str(meta["end_cursor"]) if more and meta.get("end_cursor") else None
        yield Emit(Page(list(data), following))
        if following is None:
            return
        if not page_mode:
            query["after_id"] = following


def pages(
    path: str,
    params: Mapping[str, Any],
    *,
    page_mode: bool,
    limit: int,
    policy: RetryPolicy,
    budget: Budget,
) -> Op[None]:
    """Every item of a list, page after page, fetched only as the items are consumed."""
    walk = batches(path, params, page_mode=page_mode, limit=limit, policy=policy, budget=budget)
    value: Any = None
    while True:
        try:
            effect = walk.send(value)
        except StopIteration:
            return
        if isinstance(effect, Emit):
            for item in effect.item.items:
                yield Emit(item)
            value = None
        else:
            value = yield effect


# --- drivers -------------------------------------------------------------------------------------

_NETWORK = (httpx.TransportError,)


def _answer(response: httpx.Response) -> Answer:
    return Answer(status=response.status_code, headers=response.headers, body=response.content)


def _failed(exc: Exception) -> Answer:
    return Answer(error=exc, sent=not isinstance(exc, httpx.ConnectError))


def _arguments(request: Request) -> dict[str, Any]:
    return {
        "params": request.params,
        "json": request.json,
        "files": request.files,
        "data": request.data,
        "headers": request.headers,
    }


def _send(http: httpx.Client, request: Request) -> Answer:
    try:
        return _answer(http.request(request.method, request.path, **_arguments(request)))
    except _NETWORK as exc:
        return _failed(exc)


async def _asend(http: httpx.AsyncClient, request: Request) -> Answer:
    try:
        return _answer(await http.request(request.method, request.path, **_arguments(request)))
    except _NETWORK as exc:
        return _failed(exc)


def iterate(op: Op[Any], http: httpx.Client) -> Iterator[Any]:
    """Drive ``op`` with blocking I/O, yielding what it emits."""
    value: Any = None
    while True:
        try:
            effect = op.send(value)
        except StopIteration:
            return
        value = None
        if isinstance(effect, Send):
            value = _send(http, effect.request)
        elif isinstance(effect, Sleep):
            time.sleep(effect.seconds)
        else:
            yield effect.item


async def aiterate(op: Op[Any], http: httpx.AsyncClient) -> AsyncIterator[Any]:
    """Drive ``op`` with asyncio, yielding what it emits."""
    value: Any = None
    while True:
        try:
            effect = op.send(value)
        except StopIteration:
            return
        value = None
        if isinstance(effect, Send):
            value = await _asend(http, effect.request)
        elif isinstance(effect, Sleep):
            await asyncio.sleep(effect.seconds)
        else:
            yield effect.item


def run(op: Op[T], http: httpx.Client) -> T:
    """Drive ``op`` to its result with blocking I/O."""
    holder: list[T] = []
    list(iterate(_keep(op, holder), http))
    return holder[0]


async def arun(op: Op[T], http: httpx.AsyncClient) -> T:
    """Drive ``op`` to its result with asyncio."""
    holder: list[T] = []
    async for _ in aiterate(_keep(op, holder), http):
        pass
    return holder[0]


def _keep(op: Op[T], holder: list[T]) -> Op[None]:
    holder.append((yield from op))


__all__ = [
    "Answer",
    "Budget",
    "Emit",
    "Op",
    "Page",
    "Request",
    "RetryPolicy",
    "Send",
    "Sleep",
    "aiterate",
    "arun",
    "batches",
    "call",
    "iterate",
    "pages",
    "retry_after",
    "run",
    "unwrap",
]
