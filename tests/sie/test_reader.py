"""The SIE reader names the line, the record and the reason for anything it cannot read."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from syncd.sie import SieError, parse

GOLDEN = Path(__file__).parent / "golden"


def _sie(*lines: str) -> bytes:
    return "\r\n".join(("#FLAGGA 0", "#SIETYP 4", *lines)).encode("cp437")


def test_a_changed_voucher_still_shows_the_rows_it_was_first_booked_with():
    sie = parse((GOLDEN / "bokio_full_year.se").read_bytes())
    changed = next(v for v in sie.vouchers if v.ref == "V3")
    assert changed.changed
    assert sorted((r.account, r.amount) for r in changed.original_lines) == [
        (1510, Decimal("-525.00")),
        (1930, Decimal("500.00")),
        (6570, Decimal("25.00")),
    ]
    assert sorted(r.account for r in changed.lines) == [1510, 1930, 6590]


def test_cp437_letters_are_read_as_swedish_letters():
    sie = parse(_sie('#FNAMN "Åsa Öhman Ärenden AB"'))
    assert sie.company_name == "Åsa Öhman Ärenden AB"


@pytest.mark.parametrize(
    ("lines", "line", "record", "why"),
    [
        (("#VER V 1 20260101", "{", "#TRANS 1930 {} 12,50", "}"), 5, "#TRANS", "not a number"),
        (("#VER V 1 20261301", "{", "}"), 3, "#VER", "not a calendar date"),
        (("#VER V 1 20260101", "#TRANS 1930 {} 1.00"), 3, "#VER", "not followed by a '{'"),
        (("#VER V 1 20260101", "{", "#TRANS 1930 {} 1.00"), 3, "#VER", "never closed"),
        (("#TRANS 1930 {} 1.00",), 3, "#TRANS", "outside a #VER"),
        (('#FNAMN "Unclosed AB',), 3, "#FNAMN", "not closed"),
        (("#VER V 1 20260101", "{", "#TRANS 1930 {1 } 1.00", "}"), 5, "#TRANS", "pairs"),
        (("#VER V 1 20260101", "{", "#TRANS 1930 1.00", "}"), 5, "#TRANS", "object list"),
        (("#RAR 0 20261231 20260101",), 3, "#RAR", "before it starts"),
        (("KONTO 1930 Bank",), 3, "KONTO 1930 Bank", "starts with '#LABEL'"),
    ],
)
def test_an_unreadable_line_is_reported_with_its_line_number_record_and_reason(lines, line, record, why):
    with pytest.raises(SieError) as caught:
        parse(_sie(*lines))
    assert (caught.value.line, caught.value.record) == (line, record)
    assert why in caught.value.why
