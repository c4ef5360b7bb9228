"""The real-world samples beside the repository (``shared/reference/samples``) parse to what they say.

The samples are third-party files (some AGPL test data) and are never copied into the repo; these
tests read them in place and are skipped where the folder is absent.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from syncd.bankfiles import Direction, FileFormat, RefKind, Severity, parse

SAMPLES = Path(__file__).parents[2].parent / "shared/reference/samples"

pytestmark = pytest.mark.skipif(not SAMPLES.is_dir(), reason=f"shared samples not found at {SAMPLES}")


def _parse(name: str):
    return parse((SAMPLES / name).read_bytes(), name)


def test_bankgirot_example_bgmax_yields_its_seven_payments_in_two_deposits():
    result = _parse("bgmax_bankgirot_example.txt")
    assert result.format is FileFormat.BGMAX
    amounts = [(t.direction, t.amount) for t in result.transactions]
    assert amounts == [
        (Direction.CREDIT, Decimal("1000.00")),
        (Direction.DEBIT, Decimal("500.00")),
        (Direction.CREDIT, Decimal("1400.00")),
        (Direction.CREDIT, Decimal("1100.00")),
        (Direction.CREDIT, Decimal("1200.00")),
        (Direction.CREDIT, Decimal("700.00")),
        (Direction.CREDIT, Decimal("5000.00")),
    ]
    first = result.transactions[0]
    assert first.references[0].value == "655969"
    assert first.references[0].kind is RefKind.OCR
    assert first.payer_name == "Kalles Plåt AB"
    assert first.payer_org_no == "5500001234"
    assert first.account == "9912346"
    assert {t.deposit_total for t in result.transactions} == {Decimal("1900.00"), Decimal("8000.00")}


def test_bankgirot_example_extra_references_and_information_text_are_kept():
    result = _parse("bgmax_bankgirot_example.txt")
    multi = result.transactions[2]
    assert [r.value for r in multi.references] == ["657866", "658765", "657767"]
    assert "657965" in multi.tokens  # only in the TK25 text, since its TK22 line is TAB-damaged
    assert "89853" in result.transactions[1].tokens
    assert result.transactions[6].free_text == "Faktura 658369\nFaktura 658468"


def test_bankgirot_example_tab_damaged_line_is_a_warning_not_a_failure():
    result = _parse("bgmax_bankgirot_example.txt")
    assert [(p.location, p.severity) for p in result.problems] == [("line 17", Severity.WARNING)]
    assert result.errors == ()


def test_oca_camt053_sample_has_balances_batch_details_and_a_reversal():
    result = _parse("camt053_example.xml")
    assert result.format is FileFormat.CAMT053
    assert result.format_version == "camt.053.001.02"
    statement = result.statements[0]
    assert statement.account == "NL77ABNA0574908765"
    assert (statement.opening_balance, statement.closing_balance) == (
        Decimal("15568.27"),
        Decimal("15121.12"),
    )
    amounts = [t.amount for t in result.transactions]
    assert amounts == [Decimal("754.25"), Decimal("564.05"), Decimal("100.00"), Decimal("1405.31")]
    batch = result.transactions[1:3]
    assert all(t.is_reversal and t.deposit_total == Decimal("664.05") for t in batch)
    assert batch[0].batch_key == batch[1].batch_key
    credit = result.transactions[3]
    assert credit.direction is Direction.CREDIT
    assert credit.payer_name == "3rd party Media"
    assert credit.end_to_end_id == "115"


def test_oca_camt054_sample_keeps_the_structured_reference_and_debtor():
    result = _parse("camt054_example.xml")
    assert result.format is FileFormat.CAMT054
    (tx,) = result.transactions
    assert tx.amount == Decimal("5.00")
    assert tx.currency == "EUR"
    assert tx.references[0].value == "000000000000000000000000003"
    assert tx.references[0].scheme == "QRR"
    assert tx.payer_name == "Test Customer"
    assert tx.payer_account == "NL46ABNA0499998748"
    assert tx.entry_ref == "NL0000000000000000000"
