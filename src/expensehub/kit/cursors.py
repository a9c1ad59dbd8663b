"""Opaque pagination cursors: base64 of the decimal id, as in Factorial's documented examples.

``decode_cursor`` also accepts a plain decimal id, because the parameter is named ``after_id`` and
clients send either form. The two never collide: a base64 string made only of digits never decodes
to ASCII digits (its first byte is at least 0xD0).
"""

from __future__ import annotations

import base64
import binascii

MAX_ID = 2**63 - 1


def encode_cursor(value: int) -> str:
    """Cursor for an id: ``17`` -> ``"MTc="``."""
    return base64.b64encode(str(value).encode()).decode()


def decode_cursor(raw: str) -> int | None:
    """Id encoded by ``raw`` (a cursor or a plain id), or ``None`` when it is neither."""
    text = raw.strip()
    if not text:
        return None
    if text.isdigit() and text.isascii():
        value = int(text)
        return value if value <= MAX_ID else None
    try:
        decoded = base64.b64decode(text, validate=True).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    if decoded.isdigit() and decoded.isascii():
        value = int(decoded)
        return value if value <= MAX_ID else None
    return None
