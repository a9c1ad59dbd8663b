"""documents.zipstream: the streaming ZIP writer, read back by Python's zipfile and Info-ZIP's unzip."""

from __future__ import annotations

import io
import shutil
import subprocess
import zipfile
from datetime import datetime
from pathlib import Path

import pytest

from expensehub.documents.zipstream import ZipWriter, dos_time

WHEN = datetime(2026, 3, 10, 12, 34, 56)


def build(entries: list[tuple[str, bytes, bool]], *, force_zip64: bool = False, chunk: int = 7) -> bytes:
    writer = ZipWriter(force_zip64=force_zip64)
    out = []
    for name, data, deflate in entries:
        out.append(writer.start(name, modified=WHEN, deflate=deflate))
        for start in range(0, len(data), chunk):
            out.append(writer.write(data[start : start + chunk]))
        out.append(writer.finish())
    out.extend(writer.close())
    return b"".join(out)


ENTRIES = [
    ("10_1.pdf", b"%PDF-1.7 " * 300, False),
    ("10_2.xml", b"<?xml version='1.0'?><a/>" * 300, True),
    ("empty.txt", b"", True),
    ("caf\u00e9 \u20ac.csv", b"a,b\r\n1,2\r\n", True),
]


@pytest.mark.parametrize("force_zip64", [False, True])
def test_zipfile_reads_every_entry(force_zip64: bool) -> None:
    data = build(ENTRIES, force_zip64=force_zip64)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert z.testzip() is None
        assert z.namelist() == [name for name, _, _ in ENTRIES]
        for name, content, deflate in ENTRIES:
            info = z.getinfo(name)
            assert z.read(name) == content
            assert info.compress_type == (zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED)
            assert info.date_time == (2026, 3, 10, 12, 34, 56)
            assert (info.external_attr >> 16) & 0o777 == 0o644
        assert z.getinfo("10_2.xml").compress_size < len(ENTRIES[1][1])


@pytest.mark.skipif(shutil.which("unzip") is None, reason="Info-ZIP unzip is not installed")
@pytest.mark.parametrize("force_zip64", [False, True])
def test_unzip_accepts_the_archive(tmp_path: Path, force_zip64: bool) -> None:
    path = tmp_path / "bundle.zip"
    path.write_bytes(build(ENTRIES, force_zip64=force_zip64))
    result = subprocess.run(["unzip", "-t", str(path)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No errors detected" in result.stdout


def test_more_than_65535_entries_use_zip64_end_records() -> None:
    writer = ZipWriter()
    out = []
    for i in range(66_000):
        out.append(writer.start(f"{i}.txt", modified=WHEN, deflate=False))
        out.append(writer.write(b"x"))
        out.append(writer.finish())
    out.extend(writer.close())
    data = b"".join(out)
    assert b"PK\x06\x06" in data[-200:]  # the ZIP64 end of central directory record
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        names = z.namelist()
        assert len(names) == 66_000
        assert names[-1] == "65999.txt"
        assert z.read("65999.txt") == b"x"


def test_an_empty_archive_is_valid() -> None:
    with zipfile.ZipFile(io.BytesIO(build([]))) as z:
        assert z.namelist() == []


def test_misuse_is_refused() -> None:
    writer = ZipWriter()
    with pytest.raises(ValueError, match="no entry"):
        writer.write(b"x")
    writer.start("a", modified=WHEN, deflate=False)
    with pytest.raises(ValueError, match="finish"):
        writer.start("b", modified=WHEN, deflate=False)
    with pytest.raises(ValueError, match="finish"):
        list(writer.close())
    writer.abort()


def test_dos_time_clamps_to_the_zip_range() -> None:
    assert dos_time(datetime(1970, 1, 1))[1] == (0 << 9) | (1 << 5) | 1
    assert dos_time(datetime(2026, 3, 10, 12, 34, 57)) == (
        (12 << 11) | (34 << 5) | 28,
        (46 << 9) | (3 << 5) | 10,
    )
