"""Small, real receipt files made in code: a one-page PDF with the receipt's lines as text, and a PNG
image. The README's sample receipts (docs/samples/) are made by them (tests/unit/test_demo_receipts.py
checks the files are what these functions make); any PDF reader or image viewer opens them, and the
upload checks (documents/filetypes.py) accept them as PDF and PNG.
"""

from __future__ import annotations

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


def receipt_png(width: int = 120, height: int = 160, shade: int = 0) -> bytes:
    """A valid PNG: a paper-coloured slip with darker rows standing for printed lines."""
    rows = []
    for y in range(height):
        printed = 12 <= y < height - 12 and (y // 6) % 2 == 0 and (y * 7 + shade) % 5 != 0
        row = bytearray([0])  # filter: none
        for x in range(width):
            ink = printed and 10 <= x < width - 10 - (y * 13 + shade) % 40
            row += bytes((60, 60, 70) if ink else (250, 247, 238))
        rows.append(bytes(row))
    raw = zlib.compress(b"".join(rows), 9)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")
