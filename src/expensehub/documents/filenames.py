"""User file names: cleaned into safe metadata, and encoded for ``Content-Disposition`` (RFC 6266/5987).

The name a user gives a file is never a path anywhere: the store names blobs by their hash. It is kept
only to be shown and offered back on download, so it is reduced to a plain base name: no directories
(``../../etc/passwd`` becomes ``passwd``), no control or bidi-formatting characters (which can disguise
``gpj.exe`` as ``exe.jpg``), no leading dots, at most 255 characters with the extension kept.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

MAX_FILENAME = 255
DEFAULT_NAME = "document"


def clean_filename(raw: str | None, *, extension: str | None = None) -> str:
    """A safe display name for ``raw``; ``document.<extension>`` when nothing usable is left."""
    text = unicodedata.normalize("NFC", raw or "")
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf", "Cs"))
    text = " ".join(text.split())  # collapse runs of whitespace
    text = text.strip(" .")
    if not text:
        return f"{DEFAULT_NAME}.{extension}" if extension else DEFAULT_NAME
    if len(text) > MAX_FILENAME:
        stem, dot, ext = text.rpartition(".")
        if dot and stem and 0 < len(ext) <= 10:
            text = stem[: MAX_FILENAME - len(ext) - 1].rstrip(" .") + "." + ext
        else:
            text = text[:MAX_FILENAME].rstrip(" .")
    return text


def content_disposition(disposition: str, filename: str) -> str:
    """``attachment; filename="ascii fallback"; filename*=UTF-8''percent-encoded`` (RFC 6266, 5987)."""
    name = clean_filename(filename)
    fallback = "".join(
        ch if 0x20 <= ord(ch) < 0x7F and ch not in '"\\%;' else "_"
        for ch in unicodedata.normalize("NFKD", name)
        if not unicodedata.combining(ch)
    )
    value = f'{disposition}; filename="{fallback}"'
    if fallback != name:
        value += f"; filename*=UTF-8''{quote(name, safe='')}"
    return value
