"""Standard Webhooks signatures (https://www.standardwebhooks.com), the sending side.

* Secrets are ``whsec_`` followed by the base64 of 32 random bytes; the HMAC key is the decoded bytes.
* The signed content is ``f"{webhook_id}.{webhook_timestamp}.{body}"`` (the exact body bytes sent).
* ``webhook-signature`` is a space-separated list of ``v1,<base64 HMAC-SHA256>``: one per valid secret,
  so that during a rotation receivers holding either the old or the new secret can verify.

Pure: no I/O, no clock.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Sequence

SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)
SECRET_BYTES = 32


class InvalidSecret(ValueError):
    """The secret is not ``whsec_<base64>`` (or plain base64)."""


def generate_secret() -> str:
    """A new random signing secret, ``whsec_<base64 of 32 bytes>``."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def secret_key(secret: str) -> bytes:
    """The HMAC key of a secret: the base64-decoded part after ``whsec_``."""
    raw = secret.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidSecret("a webhook secret is whsec_ followed by base64") from exc
    if not key:
        raise InvalidSecret("a webhook secret must not be empty")
    return key


def sign(key: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    """``v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>``."""
    mac = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode("ascii")


def signature_header(keys: Sequence[bytes], msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value: one ``v1,`` signature per key, space-separated."""
    return " ".join(sign(k, msg_id, timestamp, body) for k in keys)
