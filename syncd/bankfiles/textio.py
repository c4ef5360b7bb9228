"""Decoding bank text files whose encoding nobody declares.

Swedish bank exports come as UTF-8 with a BOM, plain UTF-8, or Windows-1252 / Latin-1 (older
portals). A BOM is decisive; otherwise strict UTF-8 is tried first because cp1252 text is almost
never valid UTF-8 by accident, while the reverse mis-decodes silently.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
from collections.abc import Iterable, Iterator

from syncd.errors import ParseError

SNIFF_BYTES = 64 * 1024
MAX_LINE = 1024 * 1024  # a "line" longer than this is not a bank export (and would sit in memory)
HEADER_SCAN = 20

Row = tuple[int, list[str]]

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def sniff_encoding(data: bytes, default: str = "cp1252") -> str:
    """Pick an encoding from a BOM, else UTF-8 if it decodes, else ``default``.

    >>> sniff_encoding(b"\\xef\\xbb\\xbfBokf\\xc3\\xb6ringsdag")
    'utf-8-sig'
    >>> sniff_encoding("Bokföringsdag".encode("cp1252"))
    'cp1252'
    """
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        # a multi-byte sequence cut off by a bounded head is still UTF-8
        if exc.start < len(data) - 3:
            return default
    return "utf-8"


def guess_delimiter(text: str) -> str:
    """The most frequent of ``; , TAB`` in the first line that has any of them."""
    for line in text.splitlines()[:20]:
        counts = {d: line.count(d) for d in (";", ",", "\t")}
        best = max(counts, key=lambda d: counts[d])
        if counts[best]:
            return best
    return ","


def find_header(
    rows: list[tuple[int, list[str]]], required: Iterable[frozenset[str]], *, scan: int = 20
) -> tuple[int, dict[str, int]] | None:
    """Index of the header row (within the first ``scan`` rows) and lower-case name → column.

    ``required`` lists alternatives: each set is a group of names one of which must be present.
    Exports put metadata lines above the header (Swedbank), so the header is searched, not assumed.
    """
    groups = list(required)
    for i, (_, row) in enumerate(rows[:scan]):
        names = {cell.strip().strip("\ufeff").lower(): col for col, cell in enumerate(row)}
        if all(names.keys() & group for group in groups):
            return i, names
    return None


class _StreamDecoder:
    """Incremental decoding with the choice of :func:`sniff_encoding`, without seeing the whole file.

    The encoding is sniffed from the first :data:`SNIFF_BYTES`. A sniffed UTF-8 that meets an invalid
    byte later switches to ``default`` if everything decoded so far was ASCII (identical in both), so
    an ASCII head over cp1252 rows still decodes; after non-ASCII UTF-8 it is a ParseError.
    """

    def __init__(self, encoding: str | None, default: str, source: str) -> None:
        self.declared = encoding
        self.default = default
        self.source = source
        self.name = encoding or ""
        self._decoder: codecs.IncrementalDecoder | None = None
        self._ascii_so_far = True
        self._offset = 0

    def _start(self, head: bytes) -> None:
        self.name = self.declared or sniff_encoding(head, self.default)
        self._decoder = codecs.getincrementaldecoder(self.name)()

    def decode(self, chunk: bytes, *, final: bool = False) -> str:
        if self._decoder is None:
            self._start(chunk)
        assert self._decoder is not None  # noqa: S101 - set just above
        try:
            text = self._decoder.decode(chunk, final)
        except UnicodeDecodeError as exc:
            text = self._recover(chunk, exc, final)
        if self._ascii_so_far and not text.isascii():
            self._ascii_so_far = False
        self._offset += len(chunk)
        return text

    def _recover(self, chunk: bytes, exc: UnicodeDecodeError, final: bool) -> str:
        where = f"byte {self._offset + max(0, exc.start)}"
        if self.declared is not None:
            raise ParseError(f"not {self.declared} text: {exc.reason}", location=where, source=self.source)
        if self.name.startswith("utf-8") and self._ascii_so_far:
            pending = self._decoder.getstate()[0] if self._decoder is not None else b""
            self.name = self.default
            self._decoder = codecs.getincrementaldecoder(self.default)()
            return self.decode_fallback(pending + chunk, final)
        if not self.name.startswith("utf"):
            return self.decode_fallback(chunk, final)
        raise ParseError(
            f"the file switches encoding half way (UTF-8 first, then {exc.reason})",
            location=where,
            source=self.source,
        )

    def decode_fallback(self, chunk: bytes, final: bool) -> str:
        """``default`` where it maps the bytes, Latin-1 (which maps every byte) where it does not."""
        try:
            return chunk.decode(self.name)
        except UnicodeDecodeError:
            return chunk.decode("latin-1")


def iter_lines(
    chunks: Iterable[bytes], *, encoding: str | None = None, default: str = "cp1252", source: str = ""
) -> Iterator[str]:
    """Decoded physical lines (line ends kept, for :mod:`csv`), read chunk by chunk.

    Memory is bounded by one chunk plus one line; a line over :data:`MAX_LINE` is a ParseError.
    """
    decoder = _StreamDecoder(encoding, default, source)
    pending = b""
    buffer = ""
    line_no = 1
    source_chunks = iter(chunks)
    for chunk in source_chunks:
        if decoder.name == "" and len(pending) + len(chunk) < SNIFF_BYTES:
            pending += chunk  # gather a head worth sniffing
            continue
        buffer += decoder.decode(pending + chunk)
        pending = b""
        cut = max(buffer.rfind("\n"), buffer.rfind("\r", 0, len(buffer) - 1))
        if cut < 0:
            if len(buffer) > MAX_LINE:
                raise ParseError(
                    f"a line longer than {MAX_LINE} characters", location=f"line {line_no}", source=source
                )
            continue
        head, buffer = buffer[: cut + 1], buffer[cut + 1 :]
        for line in io.StringIO(head, newline=""):
            line_no += 1
            yield line
    buffer += decoder.decode(pending, final=True)
    if buffer:
        yield from io.StringIO(buffer, newline="")


def iter_rows(lines: Iterable[str], delimiter: str, source: str = "") -> Iterator[Row]:
    """CSV rows with their 1-based line numbers, lazily; blank rows dropped, csv errors → ParseError."""
    reader = csv.reader(lines, delimiter=delimiter)
    start = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ParseError(f"unreadable CSV: {exc}", location=f"line {start}", source=source) from exc
        if any(cell.strip() for cell in row):
            yield start, [cell.strip() for cell in row]
        start = reader.line_num + 1


def open_table(
    chunks: Iterable[bytes],
    *,
    delimiter: str | None,
    encoding: str | None = None,
    default: str = "cp1252",
    source: str = "",
) -> tuple[list[Row], Iterator[Row]]:
    """Rows of a streamed CSV: the first :data:`HEADER_SCAN` (to find the header in) and the rest.

    ``delimiter`` None means: guess it from the first lines.
    """
    lines = iter_lines(chunks, encoding=encoding, default=default, source=source)
    head_lines = list(itertools.islice(lines, HEADER_SCAN * 2))
    chosen = delimiter or guess_delimiter("".join(head_lines))
    rows = iter_rows(itertools.chain(head_lines, lines), chosen, source)
    return list(itertools.islice(rows, HEADER_SCAN)), rows


def chunked(data: bytes, size: int = SNIFF_BYTES) -> Iterator[bytes]:
    """Bytes held in memory as chunks, so one streamed parser serves both paths."""
    return (data[i : i + size] for i in range(0, len(data), size))


def limit_bytes(chunks: Iterable[bytes], max_bytes: int | None, source: str = "") -> Iterator[bytes]:
    """``chunks``, refusing (ParseError) to read past ``max_bytes``."""
    total = 0
    for chunk in chunks:
        total += len(chunk)
        if max_bytes is not None and total > max_bytes:
            raise ParseError(
                f"file is larger than the limit of {max_bytes} bytes",
                location=f"byte {max_bytes}",
                source=source,
            )
        yield chunk
