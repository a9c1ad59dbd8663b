"""Pure webhook policy: the event catalog, API versions, the retry schedule, target URL checks.

No I/O and no clock: callers pass ``now`` and the random draw for jitter.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from urllib.parse import urlsplit


@dataclass(frozen=True)
class EventType:
    """One ``subscription_type``: the resource its payload is (the REST resource key) and its origin."""

    name: str
    resource: str
    factorial: bool
    description: str


def _e(name: str, resource: str, factorial: bool, description: str) -> EventType:
    return EventType(name=name, resource=resource, factorial=factorial, description=description)


EXPENSABLES = "expenses/expensables"
COST_CENTERS = "finance/cost_centers"
DOCUMENTS = "documents/documents"
FOLDERS = "documents/folders"
CARD_PAYMENTS = "banking/card_payments"
TRANSACTIONS = "banking/transactions"
RECONCILIATION_RUNS = "reconciliation/runs"
SUBSCRIPTIONS = "api_public/webhook_subscriptions"

EVENT_TYPES: dict[str, EventType] = {
    e.name: e
    for e in (
        # Factorial's own types, for the resources expensehub serves.
        _e(
            "expenses/expensable/bulk_set_to_paid",
            EXPENSABLES,
            True,
            "A claim was marked paid (one per claim)",
        ),
        _e(
            "expenses/expensable/update_reimbursable_amount",
            EXPENSABLES,
            True,
            "The reimbursable amount of an expense changed",
        ),
        _e("finance/cost_center/create", COST_CENTERS, True, "A cost centre was created"),
        _e("finance/cost_center/edit", COST_CENTERS, True, "A cost centre was edited"),
        _e("finance/cost_center/delete", COST_CENTERS, True, "A cost centre was deleted"),
        _e("documents/document/create", DOCUMENTS, True, "A document was uploaded"),
        _e("documents/document/update", DOCUMENTS, True, "A document was changed"),
        _e("documents/document/delete", DOCUMENTS, True, "A document was deleted"),
        _e("documents/document/bulk_create", DOCUMENTS, True, "A document was created by a bulk upload"),
        _e("documents/document/move_to_trash_bin", DOCUMENTS, True, "A document was moved to the trash bin"),
        _e(
            "documents/document/restore_from_trash_bin",
            DOCUMENTS,
            True,
            "A document was restored from the trash bin",
        ),
        _e("documents/folder/create", FOLDERS, True, "A folder was created"),
        _e("documents/folder/update", FOLDERS, True, "A folder was changed"),
        _e("api_public/webhook_subscription/create", SUBSCRIPTIONS, True, "A subscription was created"),
        _e("api_public/webhook_subscription/update", SUBSCRIPTIONS, True, "A subscription was changed"),
        _e("api_public/webhook_subscription/delete", SUBSCRIPTIONS, True, "A subscription was deleted"),
        # expensehub's own, named in Factorial's style (Factorial has no event for these).
        _e(
            "expenses/expensable/create",
            EXPENSABLES,
            False,
            "A claim (expense, mileage, per diem) was created",
        ),
        _e("expenses/expensable/update", EXPENSABLES, False, "A claim was edited"),
        _e("expenses/expensable/submit", EXPENSABLES, False, "A claim was submitted for approval"),
        _e("expenses/expensable/approve", EXPENSABLES, False, "A claim was approved"),
        _e("expenses/expensable/reject", EXPENSABLES, False, "A claim was rejected"),
        _e("banking/card_payment/create", CARD_PAYMENTS, False, "A card payment was imported or created"),
        _e("banking/transaction/create", TRANSACTIONS, False, "A bank transaction was imported or created"),
        _e(
            "reconciliation/run/completed",
            RECONCILIATION_RUNS,
            False,
            "A reconciliation run finished (its summary)",
        ),
        _e(
            "reports/report_run/completed",
            "reports/report_runs",
            False,
            "A scheduled or manual report run finished (succeeded or failed)",
        ),
    )
}

# --- authors ------------------------------------------------------------------------------------

AuthorType = Literal["employee", "company"]
AUTHOR_TYPES: tuple[AuthorType, ...] = ("employee", "company")


@dataclass(frozen=True)
class Author:
    """Who made a change: Factorial's ``x-factorial-author-type`` and ``x-factorial-author-id``.

    ``company`` and the company id for company credentials (API keys), system jobs and the CLI;
    ``employee`` and the employee id when a user acting as an employee made it. Every event records
    one (``emit`` requires it), so every delivery carries both headers.
    """

    type: AuthorType
    id: int

    def __post_init__(self) -> None:
        if self.type not in AUTHOR_TYPES:
            raise ValueError(f"author type must be one of {AUTHOR_TYPES}, not {self.type!r}")
        if isinstance(self.id, bool) or not isinstance(self.id, int) or self.id < 1:
            raise ValueError(f"author id must be a positive integer, not {self.id!r}")

    @classmethod
    def company(cls, company_id: int) -> Author:
        return cls("company", company_id)

    @classmethod
    def employee(cls, employee_id: int) -> Author:
        return cls("employee", employee_id)


# The payload schema versions a subscription may ask for (Factorial's enum).
API_VERSIONS = ("2025-10-01", "2026-01-01", "2026-04-01", "2026-07-01", "2026-10-01")
DEFAULT_API_VERSION = "2026-10-01"


def render_version(requested: str, registered: tuple[str, ...]) -> str:
    """The registered version that renders a subscription's ``api_version``.

    The requested version itself when registered; else the oldest registered version newer than it
    (2026-07-01 renders as 2026-10-01: ids are strings from 2026-07-01 on); else the newest older one.
    """
    if requested in registered:
        return requested
    newer = sorted(v for v in registered if v > requested)
    if newer:
        return newer[0]
    return max(registered)


# --- retry schedule -----------------------------------------------------------------------------

MAX_ATTEMPTS = 20
WINDOW = timedelta(hours=48)
BASE_DELAY = 15.0  # seconds before the 2nd attempt
MAX_DELAY = 4 * 3600.0  # cap of one wait
JITTER = 0.15  # each wait is stretched by a random 0..15 %


def retry_delay(attempts_made: int, draw: float, scale: float = 1.0) -> float:
    """Seconds to wait after the ``attempts_made``-th failed attempt (1-based), before the next.

    ``15 s · 2^(n-1)`` capped at 4 h, stretched by ``draw`` (0..1) times 15 % jitter, times ``scale``
    (1 in production; tests shrink it). Nominal waits sum to 40.3 h over the 19 retries, at most
    46.3 h with full jitter: 20 attempts fit in Factorial's 48 hours.
    """
    if attempts_made < 1:
        raise ValueError("attempts_made starts at 1")
    nominal: float = min(MAX_DELAY, BASE_DELAY * float(2 ** (attempts_made - 1)))
    return nominal * (1 + JITTER * min(max(draw, 0.0), 1.0)) * scale


@dataclass(frozen=True)
class Outcome:
    """What happens after an attempt: delivered, retry at ``next_attempt_at``, or give up."""

    status: str  # delivered | pending | failed
    next_attempt_at: datetime | None = None


def after_attempt(
    *,
    success: bool,
    attempts_made: int,
    first_attempt_at: datetime,
    now: datetime,
    draw: float,
    scale: float = 1.0,
    window: timedelta = WINDOW,
) -> Outcome:
    """The delivery's fate after its ``attempts_made``-th attempt.

    Gives up after ``MAX_ATTEMPTS`` attempts, or when the next one would fall more than ``window``
    after the first attempt (the worker was down for long): the subscription is then disabled.
    """
    if success:
        return Outcome("delivered")
    if attempts_made >= MAX_ATTEMPTS:
        return Outcome("failed")
    at = now + timedelta(seconds=retry_delay(attempts_made, draw, scale))
    if at - first_attempt_at > window:
        return Outcome("failed")
    return Outcome("pending", at)


def is_success(status_code: int | None) -> bool:
    """A 2xx answer acknowledges the delivery; redirects are not followed and count as failures."""
    return status_code is not None and 200 <= status_code < 300


# --- target URLs --------------------------------------------------------------------------------

MAX_URL_LENGTH = 2048
_LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})


def address_problem(address: str) -> str | None:
    """Why an IP address may not be a webhook target (private, loopback, ...), or ``None``."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return "not an IP address"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_private:
        return "a private address"
    if ip.is_multicast or ip.is_reserved or ip.is_unspecified or not ip.is_global:
        return "not a public address"
    return None


def url_problem(url: str, *, allow_private: bool) -> str | None:
    """Why ``url`` cannot be a target URL, judged without DNS, or ``None``.

    http(s) only, with a host, no credentials, at most 2048 characters. A literal IP address or a
    local name (``localhost``) must be public unless ``allow_private``. Names are resolved and
    checked again at every delivery (so DNS cannot smuggle a private address in later).
    """
    if len(url) > MAX_URL_LENGTH:
        return f"must be at most {MAX_URL_LENGTH} characters"
    if any(c.isspace() for c in url) or not url.isascii():
        return "must be an absolute http(s) URL without spaces"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "must be an absolute http(s) URL"
    if parts.scheme not in ("http", "https"):
        return "must use http or https"
    host = parts.hostname
    if not host:
        return "must name a host"
    if parts.username is not None or parts.password is not None:
        return "must not carry credentials"
    if port == 0:
        return "must not use port 0"
    if allow_private:
        return None
    if host.lower().rstrip(".") in _LOCAL_NAMES or host.lower().endswith(".localhost"):
        return "must not point at a loopback host"
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return None
    problem = address_problem(host)
    return None if problem is None else f"must not point at {problem}"


def truncate(text: str | None, limit: int) -> str | None:
    """``text`` cut to ``limit`` characters (with an ellipsis when cut)."""
    if text is None or len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)] + "…"
