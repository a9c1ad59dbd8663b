"""Signed, expiring tokens (HMAC-SHA256): capability URLs that need no API key.

A token carries a few short fields and an expiry (epoch seconds), then a MAC over a purpose string and
those fields: ``<field>.<field>...<expires>.<mac>``. The purpose keeps a token minted for one use (a
document download) from being accepted for another. Verification checks the MAC first, in constant
time, and only then the expiry, so an altered token is always reported as invalid, never as expired.

Pure: no I/O, no clock (the caller passes ``now``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Sequence

_FIELD = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_TOKEN_LENGTH = 512


class TokenError(Exception):
    """The token cannot be trusted: malformed, altered, signed with another key or purpose."""


class TokenExpired(TokenError):
    """The token is authentic but its expiry has passed."""


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _mac(secret: bytes, purpose: str, message: str) -> bytes:
    return hmac.new(secret, f"{purpose}\n{message}".encode(), hashlib.sha256).digest()


def make_token(secret: bytes, purpose: str, fields: Sequence[str], expires_at: int) -> str:
    """A token binding ``fields`` to ``purpose`` until ``expires_at`` (epoch seconds)."""
    if not secret:
        raise ValueError("an empty secret cannot sign")
    for value in fields:
        if not _FIELD.match(value):
            raise ValueError(f"token fields are 1-64 URL-safe characters, got {value!r}")
    message = ".".join([*fields, str(int(expires_at))])
    return f"{message}.{_b64(_mac(secret, purpose, message))}"


def read_token(secret: bytes, purpose: str, token: str, *, now: int, arity: int) -> list[str]:
    """The ``arity`` fields of a valid token; raises ``TokenError`` or ``TokenExpired``."""
    if not secret or not token or len(token) > MAX_TOKEN_LENGTH or not token.isascii():
        raise TokenError("malformed token")
    parts = token.split(".")
    if len(parts) != arity + 2:
        raise TokenError("malformed token")
    *fields, expires, mac = parts
    if not all(_FIELD.match(v) for v in fields) or not expires.isdigit() or len(expires) > 12:
        raise TokenError("malformed token")
    message = ".".join([*fields, expires])
    expected = _b64(_mac(secret, purpose, message))
    if len(mac) != len(expected) or not hmac.compare_digest(mac.encode(), expected.encode()):
        raise TokenError("bad signature")
    if int(expires) <= now:
        raise TokenExpired("token expired")
    return fields
