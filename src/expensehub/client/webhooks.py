"""Verify webhooks sent by expensehub (Standard Webhooks signatures), on the receiving side.

Standalone on purpose (the client imports nothing from the server): copy this file into a receiver
if you like. Usage::

    from expensehub.client import verify_webhook, WebhookVerificationError

    try:
        event = verify_webhook(request_body_bytes, request_headers, "whsec_...")
    except WebhookVerificationError:
        return 401
    # dedupe on request_headers["webhook-id"], then handle ``event`` (the resource object)

Factorial itself signs nothing: its deliveries carry only ``x-factorial-wh-challenge``; compare that
header with your subscription's challenge instead (``check_challenge``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Mapping, Sequence
from typing import Any

DEFAULT_TOLERANCE_SECONDS = 300


class WebhookVerificationError(Exception):
    """The delivery is not authentic: missing headers, stale timestamp or no matching signature."""


def secret_key(secret: str) -> bytes:
    """The HMAC key of a ``whsec_…`` secret; ``ValueError`` when it is not base64."""
    try:
        key = base64.b64decode(secret.removeprefix("whsec_"), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("a webhook secret is whsec_ followed by base64") from exc
    if not key:
        raise ValueError("a webhook secret must not be empty")
    return key


def _headers(headers: Mapping[str, str] | Any) -> dict[str, str]:
    pairs: Any = headers.items() if hasattr(headers, "items") else headers
    return {str(k).lower(): str(v) for k, v in pairs}


def verify_webhook(
    payload: bytes | str,
    headers: Mapping[str, str] | Any,
    secret: str | Sequence[str],
    *,
    tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> Any:
    """The parsed JSON body when the signature is valid; raises ``WebhookVerificationError`` otherwise.

    ``payload`` is the raw request body (bytes as received; a str is encoded as UTF-8), ``headers``
    any mapping (case-insensitive lookup), ``secret`` one ``whsec_…`` secret or several (while you
    rotate). The timestamp must be within ``tolerance_seconds`` of ``now`` (replay protection).
    """
    body = payload.encode() if isinstance(payload, str) else bytes(payload)
    h = _headers(headers)
    msg_id, timestamp, signatures = (
        h.get("webhook-id"),
        h.get("webhook-timestamp"),
        h.get("webhook-signature"),
    )
    if not msg_id or not timestamp or not signatures:
        raise WebhookVerificationError("missing webhook-id, webhook-timestamp or webhook-signature header")
    try:
        ts = int(timestamp)
    except ValueError as exc:
        raise WebhookVerificationError("webhook-timestamp is not an integer") from exc
    current = time.time() if now is None else now
    if abs(current - ts) > tolerance_seconds:
        raise WebhookVerificationError("webhook-timestamp is too old or too far in the future")
    secrets = [secret] if isinstance(secret, str) else list(secret)
    signed = f"{msg_id}.{ts}.".encode() + body
    expected = [
        base64.b64encode(hmac.new(secret_key(s), signed, hashlib.sha256).digest()).decode("ascii")
        for s in secrets
    ]
    for candidate in signatures.split():
        version, _, value = candidate.partition(",")
        if version != "v1":
            continue
        if any(hmac.compare_digest(value, e) for e in expected):
            try:
                return json.loads(body)
            except ValueError as exc:
                raise WebhookVerificationError("the body is not JSON") from exc
    raise WebhookVerificationError("no signature matches")


def check_challenge(headers: Mapping[str, str] | Any, challenge: str) -> bool:
    """Whether ``x-factorial-wh-challenge`` equals the subscription's challenge (Factorial's only check)."""
    return hmac.compare_digest(_headers(headers).get("x-factorial-wh-challenge", ""), challenge)
