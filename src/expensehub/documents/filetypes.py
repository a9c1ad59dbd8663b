"""What a file really is, from its bytes (magic numbers and container structure), never its name.

Accepted: PDF, JPEG, PNG, WebP, HEIC/HEIF, TIFF (scanned receipts), the Office formats ERPs send
(DOCX, XLSX, PPTX; ODT, ODS, ODP; legacy DOC, XLS, PPT) and XML e-invoices (UBL, Facturae, ...).
Anything else is refused, and so are Office files carrying macros, ZIP archives that are not Office
documents (JAR, APK), OLE2 files that are not Office documents (MSI installers), and XML that is
really SVG or HTML.

The claimed type (the file name's extension, the part's Content-Type) must agree with the bytes:
``invoice.pdf`` holding a JPEG, or a PDF named ``setup.exe``, is refused.

Pure: reads only the file object it is given (seekable, positioned anywhere); no SQL, no HTTP.
"""

from __future__ import annotations

import struct
import zipfile
from dataclasses import dataclass
from typing import BinaryIO


@dataclass(frozen=True)
class FileType:
    """A recognised file type."""

    kind: str
    mime: str
    extension: str
    compressed: bool  # already compressed: a ZIP stores it as is


class UnsupportedFile(Exception):
    """The bytes are not of an accepted type (or contradict the type the client claimed)."""


PDF = FileType("pdf", "application/pdf", "pdf", True)
JPEG = FileType("jpeg", "image/jpeg", "jpg", True)
PNG = FileType("png", "image/png", "png", True)
WEBP = FileType("webp", "image/webp", "webp", True)
HEIC = FileType("heic", "image/heic", "heic", True)
HEIF = FileType("heif", "image/heif", "heif", True)
TIFF = FileType("tiff", "image/tiff", "tiff", False)
DOCX = FileType(
    "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx", True
)
XLSX = FileType("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx", True)
PPTX = FileType(
    "pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation", "pptx", True
)
ODT = FileType("odt", "application/vnd.oasis.opendocument.text", "odt", True)
ODS = FileType("ods", "application/vnd.oasis.opendocument.spreadsheet", "ods", True)
ODP = FileType("odp", "application/vnd.oasis.opendocument.presentation", "odp", True)
DOC = FileType("doc", "application/msword", "doc", False)
XLS = FileType("xls", "application/vnd.ms-excel", "xls", False)
PPT = FileType("ppt", "application/vnd.ms-powerpoint", "ppt", False)
XML = FileType("xml", "application/xml", "xml", False)

ALL_TYPES = (PDF, JPEG, PNG, WEBP, HEIC, HEIF, TIFF, DOCX, XLSX, PPTX, ODT, ODS, ODP, DOC, XLS, PPT, XML)

# Extensions a file name may carry for each kind (the first is the canonical one).
EXTENSIONS: dict[str, tuple[str, ...]] = {
    "pdf": ("pdf",),
    "jpeg": ("jpg", "jpeg", "jpe", "jfif"),
    "png": ("png",),
    "webp": ("webp",),
    "heic": ("heic", "heif", "hif"),
    "heif": ("heif", "heic", "hif"),
    "tiff": ("tiff", "tif"),
    "docx": ("docx",),
    "xlsx": ("xlsx",),
    "pptx": ("pptx",),
    "odt": ("odt",),
    "ods": ("ods",),
    "odp": ("odp",),
    "doc": ("doc",),
    "xls": ("xls",),
    "ppt": ("ppt",),
    "xml": ("xml",),
}
_KNOWN_EXTENSIONS = frozenset(e for exts in EXTENSIONS.values() for e in exts)
# Names that announce something executable or active: refused whatever the bytes are.
BLOCKED_EXTENSIONS = frozenset(
    {
        "exe", "dll", "com", "scr", "msi", "msp", "bat", "cmd", "ps1", "psm1", "vbs", "vbe", "js", "jse",
        "wsf", "wsh", "hta", "cpl", "jar", "apk", "app", "dmg", "pkg", "deb", "rpm", "sh", "bash", "py",
        "pl", "rb", "php", "html", "htm", "xhtml", "svg", "svgz", "lnk", "reg", "iso", "docm", "xlsm",
        "pptm", "dotm", "xltm", "xlam", "ppsm",
    }
)  # fmt: skip
_MIMES = {t.mime: t.kind for t in ALL_TYPES} | {
    "image/jpg": "jpeg",
    "image/pjpeg": "jpeg",
    "image/heic-sequence": "heic",
    "image/heif-sequence": "heif",
    "text/xml": "xml",
    "application/x-pdf": "pdf",
}
_EQUIVALENT = {"heic": "heif", "heif": "heic"}

HEAD_BYTES = 4096
_HEIC_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs"})
_HEIF_BRANDS = frozenset({b"mif1", b"msf1"})
_OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
_ODF = {
    b"application/vnd.oasis.opendocument.text": ODT,
    b"application/vnd.oasis.opendocument.spreadsheet": ODS,
    b"application/vnd.oasis.opendocument.presentation": ODP,
}


def sniff(fp: BinaryIO) -> FileType:
    """The type of the file's bytes; raises ``UnsupportedFile`` when it is not an accepted one."""
    fp.seek(0)
    head = fp.read(HEAD_BYTES)
    if not head:
        raise UnsupportedFile("the file is empty")
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n") and head[12:16] == b"IHDR":
        return PNG
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP" and head[12:15] == b"VP8":
        return WEBP
    if head[4:8] == b"ftyp":
        return _heif(head)
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return TIFF
    if head.startswith(b"PK\x03\x04"):
        return _zip_document(fp)
    if head.startswith(_OLE_MAGIC):
        return _ole_document(fp)
    if _looks_like_xml(head):
        return XML
    raise UnsupportedFile(
        "unsupported file type: send a PDF, JPEG, PNG, WebP, HEIC, TIFF, Office document or XML e-invoice"
    )


def extension_of(filename: str) -> str | None:
    """The lowercase extension of a file name, without the dot (``None`` when there is none)."""
    stem, dot, ext = filename.rpartition(".")
    if not dot or not stem or not ext or len(ext) > 10:
        return None
    return ext.lower()


def check_claims(found: FileType, filename: str | None, declared_mime: str | None) -> None:
    """Raise ``UnsupportedFile`` when the name or the declared Content-Type contradicts the bytes."""
    ext = extension_of(filename or "")
    if ext is not None:
        if ext in BLOCKED_EXTENSIONS:
            raise UnsupportedFile(f"files named .{ext} are not accepted")
        if ext in _KNOWN_EXTENSIONS and ext not in EXTENSIONS[found.kind]:
            raise UnsupportedFile(f"the file is named .{ext} but its content is {found.kind.upper()}")
    mime = (declared_mime or "").split(";")[0].strip().lower()
    claimed = _MIMES.get(mime)
    if claimed is not None and claimed != found.kind and _EQUIVALENT.get(claimed) != found.kind:
        raise UnsupportedFile(f"the file was sent as {mime} but its content is {found.kind.upper()}")


# --- containers --------------------------------------------------------------------------------------


def _heif(head: bytes) -> FileType:
    size = struct.unpack(">I", head[:4])[0]
    if size < 16 or size > len(head):
        raise UnsupportedFile("unsupported file type (malformed ISO media header)")
    major = head[8:12]
    brands = {major} | {head[i : i + 4] for i in range(16, size - 3, 4)}
    if major in _HEIC_BRANDS or (major in _HEIF_BRANDS and brands & _HEIC_BRANDS):
        return HEIC
    if major in _HEIF_BRANDS:
        return HEIF
    raise UnsupportedFile(f"unsupported file type (ISO media brand {major.decode('latin-1')!r})")


def _zip_document(fp: BinaryIO) -> FileType:
    fp.seek(0)
    try:
        with zipfile.ZipFile(fp) as archive:
            infos = archive.infolist()
            names = [i.filename for i in infos[:20_000]]
            lowered = [n.lower() for n in names]
            if any(n.endswith("vbaproject.bin") for n in lowered):
                raise UnsupportedFile("Office documents with macros are not accepted")
            if infos and infos[0].filename == "mimetype" and infos[0].file_size <= 128:
                with archive.open(infos[0]) as part:
                    odf = _ODF.get(part.read(128).strip())
                if odf is not None:
                    return odf
            if "[Content_Types].xml" in names:
                for prefix, kind in (("word/", DOCX), ("xl/", XLSX), ("ppt/", PPTX)):
                    if any(n.startswith(prefix) for n in names):
                        return kind
    except UnsupportedFile:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError):
        raise UnsupportedFile("unsupported file type (a damaged ZIP archive)") from None
    raise UnsupportedFile("unsupported file type (a ZIP archive that is not an Office document)")


def _ole_document(fp: BinaryIO) -> FileType:
    try:
        names = _ole_names(fp)
    except (struct.error, ValueError, OSError):
        raise UnsupportedFile("unsupported file type (a damaged OLE2 file)") from None
    if names & {"Macros", "_VBA_PROJECT_CUR", "VBA", "_VBA_PROJECT"}:
        raise UnsupportedFile("Office documents with macros are not accepted")
    if "WordDocument" in names:
        return DOC
    if "Workbook" in names or "Book" in names:
        return XLS
    if "PowerPoint Document" in names:
        return PPT
    raise UnsupportedFile("unsupported file type (an OLE2 file that is not an Office document)")


_FREE, _END = 0xFFFFFFFF, 0xFFFFFFFE


def _ole_names(fp: BinaryIO) -> set[str]:
    """Names of the entries of an OLE2 compound file's directory (bounded reads; raises on damage)."""
    fp.seek(0, 2)
    file_size = fp.tell()
    fp.seek(0)
    header = fp.read(512)
    if len(header) < 512:
        raise ValueError("short header")
    shift = struct.unpack_from("<H", header, 0x1E)[0]
    if shift not in (9, 12):
        raise ValueError("bad sector size")
    ssize = 1 << shift
    n_fat, first_dir = struct.unpack_from("<II", header, 0x2C)
    first_difat, n_difat = struct.unpack_from("<II", header, 0x44)
    max_sectors = file_size // ssize + 1
    if n_fat > max_sectors or n_difat > max_sectors:
        raise ValueError("bad counts")

    def read_sector(sid: int) -> bytes:
        if sid >= max_sectors:
            raise ValueError("sector out of range")
        fp.seek((sid + 1) * ssize)
        data = fp.read(ssize)
        if len(data) < ssize:
            raise ValueError("short sector")
        return data

    fat_sids = [s for s in struct.unpack_from("<109I", header, 0x4C) if s not in (_FREE, _END)]
    sid, hops = first_difat, 0
    while sid not in (_FREE, _END) and len(fat_sids) < n_fat:
        hops += 1
        if hops > n_difat + 1:
            raise ValueError("DIFAT loop")
        values = struct.unpack(f"<{ssize // 4}I", read_sector(sid))
        fat_sids.extend(s for s in values[:-1] if s not in (_FREE, _END))
        sid = values[-1]
    fat: list[int] = []
    for fat_sid in fat_sids[:n_fat]:
        fat.extend(struct.unpack(f"<{ssize // 4}I", read_sector(fat_sid)))

    names: set[str] = set()
    sid, hops = first_dir, 0
    while sid not in (_FREE, _END):
        hops += 1
        if hops > max_sectors or sid >= len(fat):
            raise ValueError("directory chain broken")
        sector = read_sector(sid)
        for offset in range(0, ssize, 128):
            length = struct.unpack_from("<H", sector, offset + 64)[0]
            if 2 <= length <= 64 and sector[offset + 66] in (1, 2, 5):
                names.add(sector[offset : offset + length - 2].decode("utf-16-le", "replace"))
        sid = fat[sid]
    return names


def _looks_like_xml(head: bytes) -> bool:
    text = head[3:] if head.startswith(b"\xef\xbb\xbf") else head
    if b"\x00" in text:
        return False
    try:
        decoded = text.decode("utf-8")
    except UnicodeDecodeError:
        # The head may cut a multi-byte character in two.
        try:
            decoded = text[:-3].decode("utf-8")
        except UnicodeDecodeError:
            return False
    stripped = decoded.lstrip(" \t\r\n")
    if not stripped.startswith("<?xml"):
        return False
    lowered = decoded.lower()
    return not any(marker in lowered for marker in ("<svg", "<html", "<!doctype html", "<script"))
