"""Pure bank-file parsers: bytes in, :class:`ParseResult` (transactions, payouts, problems) out.

No database, clock or file access here — the caller reads the bytes, which keeps parsers testable
with golden files and lets the import job own atomicity. Every input either parses or raises
:class:`~syncd.errors.ParseError` with a location (line number or XPath) and a reason.

Entry points: :func:`parse` (any supported format, detected by :func:`identify`) and, for files
too big to hold, the streams :class:`CamtStream`, :class:`CsvStream` and :class:`PspStream`
(:func:`open_stream` picks one), which read byte chunks and yield as they go.

Start-up: importing this package (or any submodule, such as :mod:`syncd.bankfiles.camt_entry`
for a constant) loads no parser; each name below is imported from its submodule on first use
(PEP 562), so ``syncd review show`` does not pay for the parsers.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from syncd.bankfiles.bgmax import parse_bgmax
    from syncd.bankfiles.camt import CamtStream, iter_chunks, parse_camt, parse_camt_stream
    from syncd.bankfiles.csv_bank import PRESETS, CsvMapping, CsvStream, SignConvention, parse_csv
    from syncd.bankfiles.detect import identify
    from syncd.bankfiles.model import (
        BankTransaction,
        Direction,
        FileFormat,
        ParseResult,
        Problem,
        PspCharge,
        PspPayout,
        Reference,
        RefKind,
        Severity,
        StatementInfo,
        Status,
    )
    from syncd.bankfiles.psp import PspStream, UnorderedReport, parse_klarna, parse_paypal, parse_stripe

    Stream = CamtStream | CsvStream | PspStream

from syncd.errors import ParseError

_LAZY: dict[str, str] = {
    **dict.fromkeys(("parse_bgmax",), "syncd.bankfiles.bgmax"),
    **dict.fromkeys(("CamtStream", "iter_chunks", "parse_camt", "parse_camt_stream"), "syncd.bankfiles.camt"),
    **dict.fromkeys(
        ("PRESETS", "CsvMapping", "CsvStream", "SignConvention", "parse_csv"), "syncd.bankfiles.csv_bank"
    ),
    **dict.fromkeys(("identify",), "syncd.bankfiles.detect"),
    **dict.fromkeys(
        (
            "BankTransaction",
            "Direction",
            "FileFormat",
            "ParseResult",
            "Problem",
            "PspCharge",
            "PspPayout",
            "Reference",
            "RefKind",
            "Severity",
            "StatementInfo",
            "Status",
        ),
        "syncd.bankfiles.model",
    ),
    **dict.fromkeys(
        ("PspStream", "UnorderedReport", "parse_klarna", "parse_paypal", "parse_stripe"),
        "syncd.bankfiles.psp",
    ),
}


def __getattr__(name: str) -> Any:
    """Import a public name from its submodule on first use (and keep it here)."""
    if name == "Stream":
        from syncd.bankfiles.camt import CamtStream
        from syncd.bankfiles.csv_bank import CsvStream
        from syncd.bankfiles.psp import PspStream

        value: Any = CamtStream | CsvStream | PspStream
    elif name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


DEFAULT_MAX_BYTES = 256 * 1024 * 1024


def _parsers() -> dict[FileFormat, Callable[..., ParseResult]]:
    from syncd.bankfiles.bgmax import parse_bgmax
    from syncd.bankfiles.camt import parse_camt
    from syncd.bankfiles.model import FileFormat
    from syncd.bankfiles.psp import parse_klarna, parse_paypal, parse_stripe

    return {
        FileFormat.CAMT053: parse_camt,
        FileFormat.CAMT054: parse_camt,
        FileFormat.BGMAX: parse_bgmax,
        FileFormat.STRIPE: parse_stripe,
        FileFormat.PAYPAL: parse_paypal,
        FileFormat.KLARNA: parse_klarna,
    }


def parse(
    data: bytes,
    filename: str = "",
    *,
    fmt: FileFormat | None = None,
    csv_mapping: CsvMapping | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    stripe_reference_keys: Sequence[str] | None = None,
) -> ParseResult:
    """Parse one bank file; the format is detected unless ``fmt`` (or ``csv_mapping``) says it.

    Files over ``max_bytes`` are refused before any parsing, so a hostile upload costs nothing.
    """
    from syncd.bankfiles.csv_bank import PRESETS, parse_csv
    from syncd.bankfiles.detect import identify
    from syncd.bankfiles.model import FileFormat
    from syncd.bankfiles.psp import parse_stripe

    if len(data) > max_bytes:
        raise ParseError(
            f"file is {len(data)} bytes, over the limit of {max_bytes}",
            location=f"byte {max_bytes}",
            source=filename,
        )
    if csv_mapping is not None and fmt in {None, FileFormat.CSV_CUSTOM, csv_mapping.format}:
        return parse_csv(data, csv_mapping, source=filename)
    fmt = fmt or identify(data, filename)
    if fmt is None:
        raise ParseError("unrecognised file format", location="line 1", source=filename)
    if fmt in PRESETS:
        return parse_csv(data, PRESETS[fmt], source=filename)
    if fmt is FileFormat.STRIPE:
        return parse_stripe(data, source=filename, reference_keys=stripe_reference_keys)
    parser = _parsers().get(fmt)
    if parser is None:
        raise ParseError(f"{fmt.value} needs a csv_mapping", location="line 1", source=filename)
    return parser(data, source=filename)


def open_stream(
    chunks: Iterable[bytes],
    fmt: FileFormat,
    *,
    source: str = "",
    max_bytes: int | None = None,
    csv_mapping: CsvMapping | None = None,
    stripe_reference_keys: Sequence[str] | None = None,
) -> Stream:
    """The streaming parser for ``fmt`` over ``chunks`` (BgMax has none: its files are small).

    Camt and CSV streams yield transactions, PSP streams payouts; each has ``problems`` and
    ``result()`` once iterated to the end.
    """
    from syncd.bankfiles.camt import CamtStream
    from syncd.bankfiles.csv_bank import PRESETS, CsvStream
    from syncd.bankfiles.model import FileFormat
    from syncd.bankfiles.psp import PspStream
    from syncd.bankfiles.textio import limit_bytes

    if fmt in {FileFormat.CAMT053, FileFormat.CAMT054}:
        return CamtStream(chunks, source=source, max_bytes=max_bytes)
    mapping = csv_mapping if csv_mapping is not None else PRESETS.get(fmt)
    if mapping is not None:
        return CsvStream(chunks, mapping, source=source, max_bytes=max_bytes)
    if fmt in {FileFormat.STRIPE, FileFormat.PAYPAL, FileFormat.KLARNA}:
        return PspStream(
            limit_bytes(chunks, max_bytes, source),
            fmt,
            source=source,
            stripe_reference_keys=stripe_reference_keys,
        )
    raise ParseError(f"{fmt.value} cannot be streamed", location="line 1", source=source)


__all__ = [
    "DEFAULT_MAX_BYTES",
    "PRESETS",
    "BankTransaction",
    "CamtStream",
    "CsvMapping",
    "CsvStream",
    "Direction",
    "FileFormat",
    "ParseError",
    "ParseResult",
    "Problem",
    "PspCharge",
    "PspPayout",
    "PspStream",
    "RefKind",
    "Reference",
    "Severity",
    "SignConvention",
    "StatementInfo",
    "Status",
    "Stream",
    "UnorderedReport",
    "identify",
    "iter_chunks",
    "open_stream",
    "parse",
    "parse_bgmax",
    "parse_camt",
    "parse_camt_stream",
    "parse_csv",
    "parse_klarna",
    "parse_paypal",
    "parse_stripe",
]
