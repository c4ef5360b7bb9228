"""Decoding bank text files whose encoding nobody declares.

Swedish bank exports come as UTF-8 with a BOM, plain UTF-8, or Windows-1252 / Latin-1 (older
portals). A BOM is decisive; otherwise strict UTF-8 is tried first because cp1252 text is almost
never valid UTF-8 by accident, while the reverse mis-decodes silently.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable

from syncd.errors import ParseError

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


def decode(data: bytes, encoding: str | None = None, default: str = "cp1252") -> tuple[str, str]:
    """Decode ``data``: strictly in ``encoding`` if given, else sniffed with a Latin-1 last resort.

    Latin-1 maps every byte, so a sniffed decode never fails; a wrong guess then shows up as a
    missing header row (a ParseError with a location) instead of a UnicodeDecodeError.
    """
    if encoding is not None:
        return data.decode(encoding), encoding
    name = sniff_encoding(data, default)
    try:
        return data.decode(name), name
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def read_rows(text: str, delimiter: str, source: str = "") -> list[tuple[int, list[str]]]:
    """CSV rows with their 1-based line numbers; blank rows dropped, csv errors → ParseError."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                rows.append((start, [cell.strip() for cell in row]))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise ParseError(f"unreadable CSV: {exc}", location=f"line {start}", source=source) from exc
    return rows


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
