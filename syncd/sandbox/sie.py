"""The company's books for one fiscal year as a SIE 4 file, written the way Bokio's export is.

Decided here (Bokio documents none of it): series ``V`` and the journal entry's number
(``journalEntryNumber`` ``V12`` → ``#VER V 12``), the entry's title as the voucher text, every
account of the chart as ``#KONTO``, no objects, a correction of an entry after the fact (see
:meth:`~syncd.sandbox.ledger.Books.amend_entry`) as ``#BTRANS``/``#RTRANS`` rows with the rows in
force as ``#TRANS``. Text is CP437 ("PC8"), CRLF line ends. The sandbox writes SIE itself and
shares nothing with syncd's reader, so the two can disagree and a test can see it.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from syncd.sandbox.state import Company, Json


def _q(text: str) -> str:
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _d(value: str | date) -> str:
    return (value if isinstance(value, date) else date.fromisoformat(value)).strftime("%Y%m%d")


def _amount(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01')):f}"


def _row(label: str, item: dict[str, Any], on: str | None = None) -> str:
    amount = Decimal(item["debit"]) - Decimal(item["credit"])
    tail = f" {_d(on)}" if on else ""
    return f"#{label} {item['account']} {{}} {_amount(amount)}{tail}"


def _voucher(entry: Json) -> list[str]:
    series, number = entry["journalEntryNumber"][:1], entry["journalEntryNumber"][1:]
    lines = [f"#VER {series} {number} {_d(entry['date'])} {_q(entry['title'])}", "{"]
    for change in entry.get("_amendments", []):
        lines += [_row("BTRANS", item, change["date"]) for item in change["removed"]]
        lines += [_row("RTRANS", item, change["date"]) for item in change["added"]]
    lines += [_row("TRANS", item) for item in entry["items"]]
    return [*lines, "}"]


def export(company: Company, fiscal_year: Json, generated: date) -> bytes:
    """The whole SIE 4 file for ``fiscal_year`` (entries dated inside it, by number)."""
    start, end = date.fromisoformat(fiscal_year["startDate"]), date.fromisoformat(fiscal_year["endDate"])
    lines = [
        "#FLAGGA 0",
        "#FORMAT PC8",
        "#SIETYP 4",
        f"#PROGRAM {_q('Bokio sandbox')} 1.0",
        f"#GEN {_d(generated)}",
        f"#FNAMN {_q(company.info.get('name', ''))}",
        f"#ORGNR {company.info.get('organizationNumber', '')}",
        f"#RAR 0 {_d(start)} {_d(end)}",
    ]
    lines += [f"#KONTO {number} {_q(a['name'])}" for number, a in sorted(company.accounts.items())]
    entries = [e for e in company.journal_entries.values() if start <= date.fromisoformat(e["date"]) <= end]
    for entry in sorted(entries, key=lambda e: int(e["journalEntryNumber"][1:])):
        lines += _voucher(entry)
    return ("\r\n".join(lines) + "\r\n").encode("cp437", errors="replace")
