"""Pure webhook policy: the event catalog, API versions, the retry schedule, target URL checks.

No I/O and no clock: callers pass ``now`` and the random draw for jitter.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from urllib.parse import urlsplit

from expensehub.versions import CURRENT


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
LEGAL_ENTITIES = "companies/legal_entities"
EMPLOYEES = "employees/employees"

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
        _e("companies/legal_entity/create", LEGAL_ENTITIES, True, "A legal entity was created"),
        _e(
            "employees/employee/create_with_contract",
            EMPLOYEES,
            True,
            "An employee was created (API, import or onboarding)",
        ),
        _e("employees/employee/update", EMPLOYEES, True, "An employee's details changed"),
        _e("employees/employee/terminate", EMPLOYEES, True, "An employee was terminated"),
        _e("employees/employee/unterminate", EMPLOYEES, True, "An employee's termination was undone"),
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
        _e("companies/legal_entity/update", LEGAL_ENTITIES, False, "A legal entity was changed"),
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


# The payload schema versions a subscription may ask for: Factorial's enum, wider than the versions this
# API registers (expensehub.versions); render_version maps each onto a registered one.
API_VERSIONS = ("2025-10-01", "2026-01-01", "2026-04-01", "2026-07-01", "2026-10-01")
DEFAULT_API_VERSION = CURRENT


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
    """What happens after an attempt: delivered, retry at ``next_attempt_at``, parked, or give up.

    ``disable``: the subscription's receiver accepted nothing for a whole retry schedule; disable it.
    """

    status: str  # delivered | pending | parked | failed
    next_attempt_at: datetime | None = None
    disable: bool = False


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


# --- delivery order and parking -----------------------------------------------------------------

STRICT = "strict"
INDEPENDENT = "independent"
DELIVERY_ORDERS = (STRICT, INDEPENDENT)
DEFAULT_DELIVERY_ORDER = STRICT
DEFAULT_PARK_AFTER_ATTEMPTS = 8  # about 32 minutes of retries (36 with full jitter) at scale 1


def after_failure(
    *,
    order: str,
    attempts_made: int,
    first_attempt_at: datetime,
    streak: int,
    failing_since: datetime,
    now: datetime,
    draw: float,
    scale: float = 1.0,
    park_after: int = DEFAULT_PARK_AFTER_ATTEMPTS,
    window: timedelta = WINDOW,
) -> Outcome:
    """The fate of a delivery whose ``attempts_made``-th attempt just failed, and of its subscription.

    ``streak`` counts the subscription's failed attempts since its last success (this one included),
    ``failing_since`` is the first of them: the receiver has accepted nothing since.

    * ``strict`` (one at a time, in order): the lane retries on the schedule of its ``streak`` (so a
      receiver that is down is retried ever more slowly, whichever event is at the head). The
      subscription is disabled at the 20th failed attempt in a row (about 40 to 46 hours of retries
      when the lane is busy), the delivery then ``failed``. Counted in attempts, not hours since
      ``failing_since``: a lane may sit idle after parking its head, and a first failure days later
      must not disable it. Before that, a delivery that has failed ``park_after`` times is
      ``parked``: the lane goes on with the next event at once, and the parked one waits for a
      redelivery. One event that a receiver refuses while it accepts the others thus holds the lane
      back for ``park_after`` attempts, and never disables the subscription.
    * ``independent``: each delivery retries on its own schedule (20 attempts within 48 h, then
      ``failed``) without holding the others back. The subscription is disabled when a delivery runs
      out and the receiver accepted nothing since that delivery's first attempt.
    """
    if order == STRICT:
        if streak >= MAX_ATTEMPTS:
            return Outcome("failed", disable=True)
        if attempts_made >= park_after:
            return Outcome("parked")
        return Outcome("pending", now + timedelta(seconds=retry_delay(max(streak, 1), draw, scale)))
    own = after_attempt(
        success=False,
        attempts_made=attempts_made,
        first_attempt_at=first_attempt_at,
        now=now,
        draw=draw,
        scale=scale,
        window=window,
    )
    if own.status == "failed":
        return Outcome("failed", disable=failing_since <= first_attempt_at)
    return own


def is_success(status_code: int | None) -> bool:
    """A 2xx answer acknowledges the delivery; redirects are not followed and count as failures."""
    return status_code is not None and 200 <= status_code < 300


# --- target URLs --------------------------------------------------------------------------------

MAX_URL_LENGTH = 2048
_LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-_.")
_HEX = frozenset("0123456789abcdef")
_NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class BadHost(ValueError):
    """A host that cannot be a target: looks like an IP address but is not a valid one, or holds
    characters no host name has."""


def _inet_aton_part(part: str) -> int | None:
    """One part of a numeric IPv4 host as ``inet_aton`` (and browsers) read it: ``0x`` hex, a leading
    ``0`` octal, else decimal. ``None`` when it is not a number in any of these forms."""
    if part.startswith("0x"):
        digits = part[2:]
        return int(digits, 16) if all(c in _HEX for c in digits) and digits else (0 if not digits else None)
    if not part.isdigit():
        return None
    if len(part) > 1 and part.startswith("0"):
        return int(part, 8) if all(c in "01234567" for c in part) else None
    return int(part)


def _parse_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """``host`` (lower case, no trailing dot) read as ``inet_aton`` reads it: 1 to 4 parts, the last
    one filling the remaining bytes (``127.1``, ``2130706433``, ``0x7f.1``, ``0177.0.0.1``). ``None``
    when it is not such a number; ``BadHost`` when it is one but out of range."""
    parts = host.split(".")
    if not 1 <= len(parts) <= 4:
        return None
    values = [_inet_aton_part(p) for p in parts]
    if any(v is None for v in values):
        return None
    numbers = [v for v in values if v is not None]
    *head, last = numbers
    if any(v > 255 for v in head) or last >= 256 ** (5 - len(numbers)):
        raise BadHost(f"{host!r} is not a valid IPv4 address")
    value = last
    for i, v in enumerate(head):
        value += v << (8 * (3 - i))
    return ipaddress.IPv4Address(value)


def _ends_in_a_number(host: str) -> bool:
    """Whether the last label is numeric (decimal or ``0x`` hex): such a host can only be an IPv4
    address (the WHATWG URL rule; no top-level domain is numeric)."""
    last = host.rsplit(".", 1)[-1]
    return last.isdigit() or (last.startswith("0x") and all(c in _HEX for c in last[2:]))


def normalise_host(host: str) -> IPAddress | str:
    """The address a target host stands for, or its name (lower case, no trailing dot).

    Every numeric form resolvers and browsers accept becomes the address it means: IPv4 in ``inet_aton``
    forms (decimal, octal, hex, 1 to 4 parts; ``127.1``, ``2130706433``, ``0x7f.1``, ``0177.0.0.1``),
    with or without a trailing dot; IPv6 with or without brackets and zone. ``BadHost`` for a host that
    ends in a number but is no valid IPv4 address, for a malformed IPv6 literal, and for characters no
    host name has (``%``, ``\\``, ...). The one normaliser of the subscription check and of delivery.
    """
    h = host.strip().lower()
    if h.startswith("[") and h.endswith("]"):
        h = h[1:-1]
    if ":" in h:
        try:
            return ipaddress.IPv6Address(h.split("%", 1)[0])
        except ValueError:
            raise BadHost(f"{host!r} is not a valid IPv6 address") from None
    if h.endswith("."):
        h = h[:-1]
    if not h or not set(h) <= _NAME_CHARS or ".." in h:
        raise BadHost(f"{host!r} is not a valid host name")
    if _ends_in_a_number(h):
        ip = _parse_ipv4(h)
        if ip is None:
            raise BadHost(f"{host!r} ends in a number but is not an IPv4 address")
        return ip
    return h


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses an IPv6 address carries and may reach: mapped (``::ffff:a.b.c.d``), compatible
    (``::a.b.c.d``), 6to4 (``2002::/16``), NAT64 (``64:ff9b::/96``, ``64:ff9b:1::/48``), Teredo."""
    found: list[ipaddress.IPv4Address] = []
    if ip.ipv4_mapped is not None:
        found.append(ip.ipv4_mapped)
    packed = int(ip)
    if packed >> 32 == 0 and packed > 1:  # IPv4-compatible (deprecated, still routed by some stacks)
        found.append(ipaddress.IPv4Address(packed & 0xFFFFFFFF))
    if ip.sixtofour is not None:
        found.append(ip.sixtofour)
    if any(ip in net for net in _NAT64):
        found.append(ipaddress.IPv4Address(packed & 0xFFFFFFFF))
    if ip.teredo is not None:
        found.extend(ip.teredo)
    return found


def _ip_problem(ip: IPAddress) -> str | None:
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_private:
        return "a private address"
    if ip.is_multicast or ip.is_reserved or ip.is_unspecified or not ip.is_global:
        return "not a public address"
    return None


def address_problem(address: str | IPAddress) -> str | None:
    """Why an IP address may not be a webhook target (private, loopback, ...), or ``None``.

    Takes any form ``normalise_host`` reads (``127.1``, ``[::ffff:127.0.0.1]``, ...); an IPv6 address
    is judged with the IPv4 addresses it embeds. Used on target URLs and on every DNS answer.
    """
    if isinstance(address, str):
        try:
            found = normalise_host(address)
        except BadHost:
            return "not an IP address"
        if isinstance(found, str):
            return "not an IP address"
        address = found
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:  # ::ffff:a.b.c.d is a.b.c.d on a dual-stack socket
            return _ip_problem(address.ipv4_mapped)
        for inner in _embedded_ipv4(address):
            problem = _ip_problem(inner)
            if problem is not None:
                return problem
    return _ip_problem(address)


def url_problem(url: str, *, allow_private: bool) -> str | None:
    """Why ``url`` cannot be a target URL, judged without DNS, or ``None``.

    http(s) only, with a host, no credentials, at most 2048 characters. The host is normalised
    (``normalise_host``): an IP address in any form, or a local name (``localhost``), must be public
    unless ``allow_private``. Names are resolved and checked again at every delivery (so DNS cannot
    smuggle a private address in later).
    """
    if len(url) > MAX_URL_LENGTH:
        return f"must be at most {MAX_URL_LENGTH} characters"
    if any(c.isspace() for c in url) or not url.isascii():
        return "must be an absolute http(s) URL without spaces"
    if "\\" in url:
        return "must not contain backslashes"
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
    try:
        target = normalise_host(host)
    except BadHost as exc:
        return f"must name a valid host ({exc})"
    if allow_private:
        return None
    if isinstance(target, str):
        if target in _LOCAL_NAMES or target.endswith(".localhost"):
            return "must not point at a loopback host"
        return None
    problem = address_problem(target)
    return None if problem is None else f"must not point at {problem}"


def truncate(text: str | None, limit: int) -> str | None:
    """``text`` cut to ``limit`` characters (with an ellipsis when cut)."""
    if text is None or len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)] + "…"
