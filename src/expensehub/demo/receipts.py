"""Small, real receipt files made in code: a one-page PDF with the receipt's lines as text, and a PNG
image. The README's sample receipts (docs/samples/) are made by them (tests/unit/test_demo_receipts.py
checks the files are what these functions make); any PDF reader or image viewer opens them, and the
upload checks (documents/filetypes.py) accept them as PDF and PNG.
"""

from __future__ import annotations

import functools
import struct
import zlib
from collections.abc import Sequence


def receipt_pdf(lines: Sequence[str]) -> bytes:
    """A valid one-page PDF (A6) showing ``lines`` in Helvetica, with a correct cross-reference table."""
    text = ["BT", "/F1 11 Tf", "14 TL", "24 390 Td"]
    for line in lines:
        escaped = line.encode("latin-1", "replace").decode("latin-1")
        escaped = escaped.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        text.append(f"({escaped}) Tj T*")
    text.append("ET")
    stream = "\n".join(text).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 298 420] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def receipt_png(width: int = 120, height: int = 160, shade: int = 0, *, text: Sequence[str] = ()) -> bytes:
    """A valid PNG: a paper-coloured slip with darker rows standing for printed lines.

    ``text``, when given, is stored as ``Description`` text chunks (what a scanner app writes): the
    image stays the same, the file becomes the receipt's own. The pixels of a (width, height, shade)
    are compressed once per process (``_pixels``), so thousands of receipts cost little.
    """
    chunks = [_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))]
    chunks.append(_chunk(b"IDAT", _pixels(width, height, shade)))
    for line in text:
        chunks.append(_chunk(b"tEXt", b"Description\x00" + line.encode("latin-1", "replace")))
    return b"\x89PNG\r\n\x1a\n" + b"".join(chunks) + _chunk(b"IEND", b"")


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


@functools.lru_cache(maxsize=256)
def _pixels(width: int, height: int, shade: int) -> bytes:
    """The compressed scanlines (filter byte 0, then RGB): ink from x = 10 to the line's end."""
    paper, ink = bytes((250, 247, 238)), bytes((60, 60, 70))
    rows = []
    for y in range(height):
        printed = 12 <= y < height - 12 and (y // 6) % 2 == 0 and (y * 7 + shade) % 5 != 0
        end = width - 10 - (y * 13 + shade) % 40
        inked = max(0, min(end, width) - 10) if printed else 0
        start = min(10, width) if inked else width
        rows.append(b"\x00" + paper * start + ink * inked + paper * (width - start - inked))
    return zlib.compress(b"".join(rows), 9)
