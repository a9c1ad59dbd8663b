"""documents.filetypes (type from the bytes, claims checked) and documents.filenames (safe names)."""

from __future__ import annotations

import io
import struct
import zipfile

import pytest

from expensehub.documents import filetypes as ft
from expensehub.documents.filenames import clean_filename, content_disposition

# --- sample files, built here ----------------------------------------------------------------------


def pdf() -> bytes:
    return b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def jpeg() -> bytes:
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01" + b"\x00" * 64 + b"\xff\xd9"


def png() -> bytes:
    return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 40


def webp() -> bytes:
    return b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 40


def iso_media(major: bytes, *compatible: bytes) -> bytes:
    body = major + b"\x00\x00\x00\x00" + b"".join(compatible)
    return struct.pack(">I", 8 + len(body)) + b"ftyp" + body + b"\x00" * 32


def tiff() -> bytes:
    return b"II*\x00\x08\x00\x00\x00" + b"\x00" * 32


def zipped(names: dict[str, bytes], first: str | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        if first is not None:
            z.writestr(first, names.pop(first), compress_type=zipfile.ZIP_STORED)
        for name, data in names.items():
            z.writestr(name, data)
    return buf.getvalue()


def docx() -> bytes:
    return zipped({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})


def xlsx() -> bytes:
    return zipped({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})


def pptx() -> bytes:
    return zipped({"[Content_Types].xml": b"<Types/>", "ppt/presentation.xml": b"<p/>"})


def odf(kind: str) -> bytes:
    mime = f"application/vnd.oasis.opendocument.{kind}".encode()
    return zipped({"mimetype": mime, "content.xml": b"<office/>"}, first="mimetype")


def ole(*names: str) -> bytes:
    """A minimal OLE2 compound file whose directory holds ``names`` (512-byte sectors)."""
    header = bytearray(512)
    header[0:8] = bytes.fromhex("D0CF11E0A1B11AE1")
    struct.pack_into("<HHH", header, 0x18, 0x3E, 3, 0xFFFE)
    struct.pack_into("<HH", header, 0x1E, 9, 6)
    struct.pack_into("<II", header, 0x2C, 1, 1)  # one FAT sector; directory starts at sector 1
    struct.pack_into("<I", header, 0x38, 4096)
    struct.pack_into("<IIII", header, 0x3C, 0xFFFFFFFE, 0, 0xFFFFFFFE, 0)
    difat = [0] + [0xFFFFFFFF] * 108
    struct.pack_into("<109I", header, 0x4C, *difat)
    fat = [0xFFFFFFFD, 0xFFFFFFFE] + [0xFFFFFFFF] * 126
    fat_sector = struct.pack("<128I", *fat)
    directory = bytearray(512)
    for i, (name, kind) in enumerate([("Root Entry", 5), *((n, 2) for n in names)][:4]):
        encoded = name.encode("utf-16-le") + b"\x00\x00"
        directory[i * 128 : i * 128 + len(encoded)] = encoded
        struct.pack_into("<HB", directory, i * 128 + 64, len(encoded), kind)
    return bytes(header) + fat_sector + bytes(directory)


def xml(body: str = "<Invoice xmlns='urn:oasis:names:specification:ubl'/>") -> bytes:
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}'.encode()


def sniff(data: bytes) -> ft.FileType:
    return ft.sniff(io.BytesIO(data))


# --- sniffing ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (pdf(), ft.PDF),
        (jpeg(), ft.JPEG),
        (png(), ft.PNG),
        (webp(), ft.WEBP),
        (iso_media(b"heic", b"mif1", b"heic"), ft.HEIC),
        (iso_media(b"mif1", b"heic"), ft.HEIC),
        (iso_media(b"mif1", b"miaf"), ft.HEIF),
        (tiff(), ft.TIFF),
        (b"MM\x00*" + b"\x00" * 20, ft.TIFF),
        (docx(), ft.DOCX),
        (xlsx(), ft.XLSX),
        (pptx(), ft.PPTX),
        (odf("text"), ft.ODT),
        (odf("spreadsheet"), ft.ODS),
        (odf("presentation"), ft.ODP),
        (ole("WordDocument", "1Table"), ft.DOC),
        (ole("Workbook"), ft.XLS),
        (ole("PowerPoint Document"), ft.PPT),
        (xml(), ft.XML),
        (b"\xef\xbb\xbf" + xml(), ft.XML),
    ],
)
def test_accepted_types(data: bytes, expected: ft.FileType) -> None:
    assert sniff(data) == expected


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"", "empty"),
        (b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 100, "Windows executable"),
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 100, "Linux executable"),
        (b"#!/bin/sh\nrm -rf /\n", "shell script"),
        (b"hello, plain text", "text"),
        (b"GIF89a" + b"\x00" * 20, "GIF"),
        (b"x%PDF-1.7", "PDF marker not at the start"),
        (zipped({"META-INF/MANIFEST.MF": b"Main-Class: X"}), "JAR"),
        (zipped({"a.txt": b"x"}), "plain ZIP"),
        (
            zipped(
                {"[Content_Types].xml": b"<T/>", "word/document.xml": b"<d/>", "word/vbaProject.bin": b"x"}
            ),
            "macro",
        ),
        (ole("Workbook", "_VBA_PROJECT_CUR"), "XLS with macros"),
        (ole("\x05SummaryInformation", "Property"), "OLE2 that is not Office (MSI)"),
        (bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 100, "damaged OLE2"),
        (b"PK\x03\x04" + b"\x00" * 100, "damaged ZIP"),
        (xml("<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"), "SVG"),
        (xml("<html><body/></html>"), "XHTML"),
        (b"<html><script>alert(1)</script></html>", "HTML"),
        (iso_media(b"avif", b"mif1"), "AVIF"),
        (iso_media(b"isom", b"mp42"), "MP4 video"),
        (b"\x00\x00\x00\x04ftyp", "truncated ISO header"),
    ],
)
def test_refused_types(data: bytes, why: str) -> None:
    with pytest.raises(ft.UnsupportedFile):
        sniff(data)


def test_sniff_reads_from_the_start_wherever_the_file_is() -> None:
    fp = io.BytesIO(pdf())
    fp.seek(10)
    assert ft.sniff(fp) == ft.PDF


# --- claims ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("found", "filename", "mime"),
    [
        (ft.PDF, "invoice.pdf", "application/pdf"),
        (ft.PDF, "INVOICE.PDF", None),
        (ft.JPEG, "photo.jpeg", "image/jpeg"),
        (ft.JPEG, "photo.JPG", "image/jpg"),
        (ft.HEIC, "IMG_0001.HEIC", "image/heif"),
        (ft.PDF, "scan", "application/octet-stream"),
        (ft.PDF, "Invoice 2024.03.15", None),
        (ft.XML, "factura.xml", "text/xml"),
        (ft.PDF, None, None),
    ],
)
def test_claims_that_agree(found: ft.FileType, filename: str | None, mime: str | None) -> None:
    ft.check_claims(found, filename, mime)


@pytest.mark.parametrize(
    ("found", "filename", "mime"),
    [
        (ft.JPEG, "invoice.pdf", None),
        (ft.PDF, "photo.png", None),
        (ft.PDF, "setup.exe", None),
        (ft.PDF, "receipt.pdf.exe", None),
        (ft.PDF, "x.svg", None),
        (ft.DOCX, "report.docm", None),
        (ft.PDF, "receipt.pdf", "image/png"),
        (ft.PNG, "receipt", "application/pdf"),
    ],
)
def test_claims_that_contradict_the_bytes(found: ft.FileType, filename: str, mime: str | None) -> None:
    with pytest.raises(ft.UnsupportedFile):
        ft.check_claims(found, filename, mime)


# --- file names --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("receipt.pdf", "receipt.pdf"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\system32\\evil.pdf", "evil.pdf"),
        ("/abs/path/ticket.jpg", "ticket.jpg"),
        ("bad\x00na\x1bme\r\n.pdf", "badname.pdf"),
        ("two\u00a0 \u2003spaces.pdf", "two spaces.pdf"),
        ("invoice\u202egpj.exe", "invoicegpj.exe"),
        ("  ...hidden.pdf  ", "hidden.pdf"),
        ("..", "document.pdf"),
        ("", "document.pdf"),
        (None, "document.pdf"),
        ("Factura nº 7 — café.pdf", "Factura nº 7 — café.pdf"),
    ],
)
def test_clean_filename(raw: str | None, expected: str) -> None:
    assert clean_filename(raw, extension="pdf") == expected


def test_long_names_keep_their_extension() -> None:
    name = clean_filename("a" * 400 + ".pdf")
    assert len(name) == 255
    assert name.endswith(".pdf")


def test_content_disposition_has_ascii_fallback_and_rfc5987_name() -> None:
    assert content_disposition("attachment", "receipt.pdf") == 'attachment; filename="receipt.pdf"'
    value = content_disposition("attachment", 'Café "bar";x.pdf')
    assert value.startswith('attachment; filename="Cafe _bar__x.pdf"')
    assert "filename*=UTF-8''Caf%C3%A9%20%22bar%22%3Bx.pdf" in value
    assert "\r" not in content_disposition("inline", "a\r\nSet-Cookie: x=1.pdf")
