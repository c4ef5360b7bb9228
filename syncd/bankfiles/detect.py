"""Which format is this file? Decided from a bounded head of the bytes, never by parsing it all.

Kept apart from parsing (as beangulp separates ``identify`` from ``extract``) so the inbox can sort
files cheaply and a 200 MB statement is not read twice.
"""

from __future__ import annotations

import re

from syncd.bankfiles.model import FileFormat
from syncd.bankfiles.textio import HEADER_SCAN, sniff_encoding

HEAD_BYTES = 8192

_CAMT = re.compile(rb"camt\.05([34])\.|<(?:\w+:)?(BkToCstmrStmt|BkToCstmrDbtCdtNtfctn)\b")

# header words (lower case) that together identify a CSV flavour; first match wins
_CSV_SIGNATURES: tuple[tuple[FileFormat, frozenset[str]], ...] = (
    (FileFormat.STRIPE, frozenset({"automatic_payout_id"})),
    (FileFormat.STRIPE, frozenset({"balance_transaction_id", "net"})),
    (FileFormat.STRIPE, frozenset({"id", "fee", "net", "available_on"})),
    (FileFormat.PAYPAL, frozenset({"transaction id", "gross", "fee", "net"})),
    (FileFormat.KLARNA, frozenset({"capture_id", "payment_reference"})),
    (FileFormat.KLARNA, frozenset({"merchant_reference1", "payment_reference"})),
    (FileFormat.CSV_SWEDBANK, frozenset({"radnummer", "clearingnummer"})),
    (FileFormat.CSV_SEB, frozenset({"verifikationsnummer", "bokföringsdatum"})),
    (FileFormat.CSV_HANDELSBANKEN, frozenset({"reskontradatum", "transaktionsdatum"})),
    (FileFormat.CSV_NORDEA, frozenset({"bokföringsdag", "avsändare", "mottagare"})),
)


def _header_words(line: str) -> set[str]:
    """Split a CSV header line on any usual delimiter into lower-case, unquoted names."""
    return {w.strip().strip('"').strip().lower() for w in re.split(r"[;,\t]", line)}


def _identify_csv(head: bytes) -> FileFormat | None:
    text = head.decode(sniff_encoding(head), errors="replace")
    for line in text.splitlines()[:HEADER_SCAN]:  # metadata lines may sit above the header
        words = _header_words(line)
        for fmt, needed in _CSV_SIGNATURES:
            if needed <= words:
                return fmt
    return None


def identify(data: bytes, filename: str = "") -> FileFormat | None:
    """Recognise the format from the first :data:`HEAD_BYTES` bytes; None if unknown.

    ``filename`` only breaks ties (an XML file that is not camt is not guessed from its name).
    """
    head = data[:HEAD_BYTES]
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"<"):
        match = _CAMT.search(head)
        if match is None:
            return None
        if match.group(1):
            return FileFormat.CAMT053 if match.group(1) == b"3" else FileFormat.CAMT054
        return FileFormat.CAMT053 if match.group(2) == b"BkToCstmrStmt" else FileFormat.CAMT054
    if stripped.startswith(b"01BGMAX"):
        return FileFormat.BGMAX
    found = _identify_csv(head)
    if found is None and filename.lower().endswith((".bgmax", ".bgm")) and stripped[:2] == b"01":
        return FileFormat.BGMAX
    return found
