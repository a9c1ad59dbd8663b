"""The generated receipts are real files, and the README's samples are exactly what the generator makes."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

from expensehub.demo.receipts import receipt_pdf, receipt_png
from expensehub.documents.filetypes import PDF, PNG, sniff

SAMPLES = Path(__file__).resolve().parents[2] / "docs" / "samples"
TAXI = ["Radio Taxi Madrid", "21/11/2026 08:12", "Atocha - Barajas T4", "Total 18,90 EUR", "IVA 10% incl."]


def test_samples_are_what_the_generator_makes() -> None:
    assert (SAMPLES / "taxi-receipt.pdf").read_bytes() == receipt_pdf(TAXI)
    assert (SAMPLES / "parking-receipt.png").read_bytes() == receipt_png(shade=3)


def test_the_upload_checks_take_them_for_what_they_are() -> None:
    assert sniff(io.BytesIO(receipt_pdf(["(a) \\ b"]))) == PDF
    assert sniff(io.BytesIO(receipt_png(40, 50))) == PNG


def test_pdf_cross_reference_points_at_each_object() -> None:
    data = receipt_pdf(TAXI)
    start = int(data.rsplit(b"startxref\n", 1)[1].split(b"\n", 1)[0])
    table = data[start:].split(b"\n")
    assert table[0] == b"xref"
    offsets = [int(line.split()[0]) for line in table[3:8]]
    for number, offset in enumerate(offsets, start=1):
        assert data[offset:].startswith(f"{number} 0 obj".encode())


def test_png_decodes_to_its_size() -> None:
    data = receipt_png(30, 20)
    width, height = struct.unpack(">II", data[16:24])
    idat = data.index(b"IDAT")
    length = struct.unpack(">I", data[idat - 4 : idat])[0]
    raw = zlib.decompress(data[idat + 4 : idat + 4 + length])
    assert (width, height) == (30, 20)
    assert len(raw) == height * (1 + 3 * width)
