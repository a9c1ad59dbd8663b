"""Streaming multipart/form-data: file parts go to ``Staging`` chunk by chunk, text fields are kept.

``MultipartReceiver`` is fed the request body as it arrives (``feed(chunk)``) and never holds a file in
memory: each file part is written to a staging file under the store's tmp directory while it is hashed
and counted, and refused (413) the moment it passes the upload limit. Text fields are bounded too.
Malformed bodies are a 400 ``malformed_multipart``. Framework-free: the router feeds it.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from expensehub.documents.storage import StagedFile, Staging
from expensehub.errors import BadRequest, PayloadTooLarge, ValidationFailed

MAX_FIELDS = 200
MAX_FIELD_BYTES = 64 * 1024
MAX_FIELDS_TOTAL_BYTES = 256 * 1024
MAX_HEADER_BYTES = 8 * 1024


@dataclass
class ReceivedForm:
    """What a multipart body carried: text fields (repeated keys keep every value) and staged files."""

    fields: dict[str, list[str]] = field(default_factory=dict)
    files: list[tuple[str, StagedFile]] = field(default_factory=list)

    def first(self, name: str) -> str | None:
        values = self.fields.get(name)
        return values[0] if values else None

    def discard(self) -> None:
        for _, staged in self.files:
            staged.discard()
        self.files.clear()


def boundary_of(content_type: str) -> bytes:
    """The boundary of a ``multipart/form-data`` Content-Type; 400 when there is none."""
    ctype, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    if ctype != b"multipart/form-data" or not boundary or len(boundary) > 200:
        raise BadRequest("expected multipart/form-data with a boundary", code="malformed_multipart")
    return boundary


class MultipartReceiver:
    """Parse a multipart body incrementally.

    ``file_names``: part names whose content is a file (staged to disk). ``text_names``: names that
    are always text, even when the client attached them as a file (e.g. ``-F expense=@body.json``).
    Other parts with a filename are drained and ignored; other text parts are kept (bounded).
    """

    def __init__(
        self,
        content_type: str,
        *,
        staging_dir: Path,
        max_file_bytes: int,
        file_names: Collection[str],
        max_files: int,
        text_names: Collection[str] = (),
    ) -> None:
        self.staging_dir = staging_dir
        self.max_file_bytes = max_file_bytes
        self.file_names = frozenset(file_names)
        self.text_names = frozenset(text_names)
        self.max_files = max_files
        self.form = ReceivedForm()
        self._field_bytes = 0
        self._fields = 0
        self._headers: list[tuple[bytearray, bytearray]] = []
        self._header_bytes = 0
        self._part_name: str | None = None
        self._staging: Staging | None = None
        self._text: bytearray | None = None
        self._ended = False
        self._error: Exception | None = None
        callbacks: Any = {
            "on_part_begin": self._on_part_begin,
            "on_header_begin": self._on_header_begin,
            "on_header_field": self._on_header_field,
            "on_header_value": self._on_header_value,
            "on_headers_finished": self._on_headers_finished,
            "on_part_data": self._on_part_data,
            "on_part_end": self._on_part_end,
            "on_end": self._on_end,
        }
        self._parser = MultipartParser(boundary_of(content_type), callbacks)

    # --- feeding -------------------------------------------------------------------------------------

    def feed(self, chunk: bytes) -> None:
        if not chunk:
            return
        try:
            self._parser.write(chunk)
        except MultipartParseError:
            self.abort()
            raise BadRequest("the multipart body is malformed", code="malformed_multipart") from None
        except Exception:
            self.abort()
            raise
        if self._error is not None:
            error = self._error
            self.abort()
            raise error

    def finish(self) -> ReceivedForm:
        try:
            self._parser.finalize()
        except MultipartParseError:
            self.abort()
            raise BadRequest("the multipart body is malformed", code="malformed_multipart") from None
        if not self._ended or self._staging is not None or self._text is not None:
            self.abort()
            raise BadRequest("the multipart body ends in the middle of a part", code="malformed_multipart")
        return self.form

    def abort(self) -> None:
        if self._staging is not None:
            self._staging.abort()
            self._staging = None
        self._text = None
        self.form.discard()

    # --- parser callbacks (exceptions are stored and re-raised by feed) ----------------------------------

    def _fail(self, error: Exception) -> None:
        if self._error is None:
            self._error = error

    def _on_part_begin(self) -> None:
        self._headers = []
        self._header_bytes = 0
        self._part_name = None

    def _on_header_begin(self) -> None:
        self._headers.append((bytearray(), bytearray()))

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._grow_header(end - start)
        if self._headers:
            self._headers[-1][0].extend(data[start:end])

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._grow_header(end - start)
        if self._headers:
            self._headers[-1][1].extend(data[start:end])

    def _grow_header(self, size: int) -> None:
        self._header_bytes += size
        if self._header_bytes > MAX_HEADER_BYTES:
            self._fail(BadRequest("a multipart part has oversized headers", code="malformed_multipart"))

    def _on_headers_finished(self) -> None:
        if self._error is not None:
            return
        headers = {bytes(k).decode("latin-1").strip().lower(): bytes(v) for k, v in self._headers}
        # parse_options_header works on latin-1 text, so its values are the raw bytes again; names and
        # file names are UTF-8 (RFC 7578).
        disposition, params = parse_options_header(headers.get("content-disposition", b"").decode("latin-1"))
        name_raw = params.get(b"name")
        if disposition != b"form-data" or name_raw is None:
            self._fail(BadRequest("a multipart part has no form-data name", code="malformed_multipart"))
            return
        name = _html5_unescape(_text(name_raw))
        filename_raw = params.get(b"filename")
        filename = _html5_unescape(_text(filename_raw)) if filename_raw is not None else None
        self._part_name = name
        if name in self.file_names:
            if len(self.form.files) >= self.max_files:
                self._fail(
                    ValidationFailed(
                        "too many files",
                        fields={name: [f"at most {self.max_files} file(s) per request"]},
                        code="too_many_files",
                    )
                )
                return
            part_type = headers.get("content-type")
            self._staging = Staging(
                self.staging_dir,
                self.max_file_bytes,
                filename=filename,
                content_type=_text(part_type) if part_type else None,
            )
        elif filename is not None and name not in self.text_names:
            self._text = None  # a file we do not expect: drained and ignored
        else:
            self._fields += 1
            if self._fields > MAX_FIELDS:
                self._fail(BadRequest("too many multipart fields", code="malformed_multipart"))
                return
            self._text = bytearray()

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._error is not None:
            return
        if self._staging is not None:
            try:
                self._staging.write(data[start:end])
            except PayloadTooLarge as exc:
                self._staging = None
                self._fail(exc)
        elif self._text is not None:
            self._field_bytes += end - start
            if len(self._text) + end - start > MAX_FIELD_BYTES or self._field_bytes > MAX_FIELDS_TOTAL_BYTES:
                self._text = None
                self._fail(
                    PayloadTooLarge(
                        f"multipart field {self._part_name!r} is too long", code="payload_too_large"
                    )
                )
                return
            self._text.extend(data[start:end])

    def _on_part_end(self) -> None:
        if self._error is not None:
            return
        name = self._part_name or ""
        if self._staging is not None:
            self.form.files.append((name, self._staging.finish()))
            self._staging = None
        elif self._text is not None:
            try:
                value = bytes(self._text).decode("utf-8")
            except UnicodeDecodeError:
                self._fail(ValidationFailed("invalid form field", fields={name: ["must be UTF-8 text"]}))
                return
            finally:
                self._text = None
            self.form.fields.setdefault(name, []).append(value)

    def _on_end(self) -> None:
        self._ended = True


def _text(raw: bytes) -> str:
    try:
        return raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        return raw.decode("latin-1").strip()


def _html5_unescape(value: str) -> str:
    """Browsers and httpx send CR, LF and ``"`` in part names as %0D, %0A and %22 (WHATWG HTML)."""
    return value.replace("%0D", "\r").replace("%0A", "\n").replace("%22", '"')
