"""Bank CSVs and PSP reports as banks and PSPs really write them, read whole or as a stream."""

from __future__ import annotations

from decimal import Decimal

import pytest

from syncd.bankfiles import (
    PRESETS,
    CsvStream,
    FileFormat,
    PspStream,
    Severity,
    UnorderedReport,
    parse,
    parse_stripe,
)
from syncd.bankfiles.paypal import Activity
from syncd.bankfiles.textio import chunked
from syncd.errors import ConfigError, ParseError
from syncd.match.rules import rules_from_mapping

SEB = "seb_text_mottagare.csv"
PAYPAL = "paypal_usd_conversions.csv"


def test_a_seb_export_headed_text_mottagare_keeps_every_rows_text_and_its_ocr(golden_bytes):
    result = parse(golden_bytes(SEB), SEB)
    assert result.format is FileFormat.CSV_SEB
    assert result.problems == ()
    ocr = next(t for t in result.transactions if t.amount == Decimal("12500"))
    assert ocr.free_text == "BG 5050-1055 104364"
    assert "104364" in ocr.tokens


def test_metadata_lines_above_the_header_give_the_account_and_dot_amounts_with_three_decimals_read(
    golden_bytes,
):
    result = parse(golden_bytes(SEB), SEB)
    assert {t.account for t in result.transactions} == {"5001 12 345 67"}
    assert [str(t.amount) for t in result.transactions] == ["715.10", "12500.00", "1249.00", "3526.04"]
    assert result.transactions[0].balance_after == Decimal("48616.04")


def test_a_tab_separated_swedbank_export_gives_the_same_transactions_as_the_comma_separated_one(golden_bytes):
    tab = parse(golden_bytes("swedbank_tab.csv"), "x.csv").transactions
    comma = parse(golden_bytes("swedbank_utf8bom.csv"), "x.csv").transactions
    assert tab == comma[:2]


def test_an_unknown_or_renamed_column_is_an_error_naming_it_and_the_fix(golden_bytes):
    result = parse(golden_bytes("seb_unknown_columns.csv"), "seb.csv")
    (error,) = result.errors
    assert "['Meddelande', 'Kategori']" in error.message
    assert "custom CSV mapping" in error.message
    assert error.location == "line 1"


def test_a_renamed_required_column_is_a_parse_error_naming_the_missing_and_the_strange_one():
    data = "Bokföringsdatum;Valutadatum;Verifikationsnummer;Text;Summa;Saldo\n2026-11-23;;1;x;5,00;5,00\n"
    with pytest.raises(ParseError) as caught:
        parse(data.encode(), "seb.csv", fmt=FileFormat.CSV_SEB)
    assert "lacks ['Belopp']" in caught.value.reason
    assert "['Summa']" in caught.value.reason


@pytest.mark.parametrize("chunk", [1, 7, 4096])
@pytest.mark.parametrize("name", [SEB, "seb_cp1252.csv", "nordea_utf8bom.csv", "swedbank_tab.csv"])
def test_a_csv_read_as_a_stream_in_any_chunk_size_equals_the_file_read_whole(golden_bytes, name, chunk):
    data = golden_bytes(name)
    whole = parse(data, name)
    stream = CsvStream(chunked(data, chunk), PRESETS[whole.format], source=name)
    assert stream.result(list(stream)) == whole


def _rows(n: int) -> bytes:
    return "".join(
        f"2026-11-{d % 28 + 1:02};2026-11-01;Betalning {d};10,00;10,00\n" for d in range(n)
    ).encode()


TAIL = "2026-11-28;2026-11-28;Räksmörgås AB;5,00;5,00\n".encode("cp1252")


def test_an_ascii_head_over_windows_1252_rows_still_decodes_when_streamed():
    data = b"Reskontradatum;Transaktionsdatum;Text;Belopp;Saldo\n" + _rows(3000) + TAIL
    assert len(data) > 64 * 1024  # past the sniffed head
    result = parse(data, "x.csv", fmt=FileFormat.CSV_HANDELSBANKEN)
    assert result.transactions[-1].free_text == "Räksmörgås AB"


def test_utf_8_text_that_turns_into_windows_1252_half_way_is_refused_with_a_location():
    data = "Reskontradatum;Transaktionsdatum;Text;Belopp;Saldo\n2026-11-01;;Åre;1,00;1,00\n".encode()
    with pytest.raises(ParseError) as caught:
        parse(data + _rows(3000) + TAIL, "x.csv", fmt=FileFormat.CSV_HANDELSBANKEN)
    assert "switches encoding" in caught.value.reason
    assert caught.value.location.startswith("byte ")


def test_paypal_pending_withdrawals_still_form_payouts_of_the_customer_payments_before_them(golden_bytes):
    result = parse(golden_bytes(PAYPAL), PAYPAL)
    (payout,) = result.payouts
    assert (payout.payout_id, payout.currency, payout.net) == ("4KS60927VX1183350", "SEK", Decimal("3526.04"))
    assert [(c.invoice_reference, c.currency, c.gross, c.fee) for c in payout.charges] == [
        ("2001", "USD", Decimal("200.00"), Decimal("8.10")),
        ("2002", "USD", Decimal("150.00"), Decimal("6.15")),
    ]
    assert result.errors == ()


def test_paypal_conversions_holds_and_outgoing_payments_are_never_charges(golden_bytes):
    result = parse(golden_bytes(PAYPAL), PAYPAL)
    charges = {c.charge_id for p in result.payouts for c in p.charges}
    not_customers = {"0HX21873PL4409126", "3FD98102JC7731045", "9LW20488KD3316702", "2GY74310MR6651298"}
    assert not charges & (not_customers | {"7BQ83016NF2270413"})


def test_a_paypal_withdrawal_its_activity_does_not_explain_is_left_for_a_person_with_the_reason(golden_bytes):
    result = parse(golden_bytes(PAYPAL), PAYPAL)
    (left,) = [p for p in result.problems if "6PJ42598WC0067194" in p.message]
    assert left.severity is Severity.WARNING
    assert "outgoing payment 7BQ83016NF2270413 (-250.00 SEK" in left.message
    assert "not booked automatically" in left.message


def test_paypal_charges_not_converted_to_the_withdrawal_currency_are_left_with_the_reason(golden_bytes):
    data = golden_bytes(PAYPAL).replace(b'"SEK","1,510.71"', b'"USD","1,510.71"')
    result = parse(data, PAYPAL)
    assert not any(p.payout_id == "4KS60927VX1183350" for p in result.payouts)
    assert any("4KS60927VX1183350" in p.message and "balance" in p.message for p in result.problems)


def test_a_paypal_export_read_newest_first_as_a_stream_gives_the_payouts_of_the_file_read_whole(golden_bytes):
    data = golden_bytes(PAYPAL)
    stream = PspStream(chunked(data, 64), FileFormat.PAYPAL, source=PAYPAL)
    streamed = list(stream)
    whole = parse(data, PAYPAL).payouts
    assert [(p.payout_id, p.net, sorted(c.charge_id for c in p.charges)) for p in streamed] == [
        (p.payout_id, p.net, sorted(c.charge_id for c in p.charges)) for p in whole
    ]


def test_a_paypal_export_out_of_time_order_cannot_be_streamed(golden_bytes):
    lines = golden_bytes(PAYPAL).split(b"\r\n")
    shuffled = b"\r\n".join([lines[0], lines[5], lines[1], *lines[2:5], *lines[6:]])
    with pytest.raises(UnorderedReport) as caught:
        list(PspStream(chunked(shuffled), FileFormat.PAYPAL, source=PAYPAL))
    assert "time order" in caught.value.reason
    assert parse(shuffled, PAYPAL).payouts  # read whole, any order is fine


def test_paypal_types_are_classified_by_what_they_do_to_the_balance(golden_bytes):
    from syncd.bankfiles.paypal import classify
    from syncd.bankfiles.psp import PAYPAL as ALIASES
    from syncd.bankfiles.psp import _table

    kinds = {
        row.get("id"): classify(row) for row in _table(chunked(golden_bytes(PAYPAL)), ALIASES, ("id",), "")
    }
    assert kinds["4KS60927VX1183350"] is Activity.WITHDRAWAL  # pending
    assert kinds["0HX21873PL4409126"] is Activity.CONVERSION
    assert kinds["9LW20488KD3316702"] is Activity.HOLD
    assert kinds["2GY74310MR6651298"] is Activity.HOLD
    assert kinds["7BQ83016NF2270413"] is Activity.OUTGOING
    assert kinds["5RK40213TW8871530"] is Activity.CHARGE
    assert kinds["5DA87219RS4430875"] is Activity.NONE  # pending, memo only


STRIPE_CUSTOM = (
    "balance_transaction_id,created_utc,currency,gross,fee,net,reporting_category,source_id,"
    "payment_metadata[bokio_faktura],automatic_payout_id\n"
    "txn_1,2026-11-20 09:14:02,sek,1250.00,20.25,1229.75,charge,ch_1,1043,po_1\n"
    "txn_2,2026-11-20 10:14:02,sek,500.00,8.25,491.75,charge,ch_2,1044,po_1\n"
    "txn_3,2026-11-24 00:00:00,sek,-1721.50,0.00,-1721.50,payout,po_1,,\n"
)


def test_the_stripe_reference_column_can_be_named_per_company():
    result = parse_stripe(STRIPE_CUSTOM.encode(), reference_keys=["Payment_Metadata[bokio_faktura]"])
    assert [c.invoice_reference for c in result.payouts[0].charges] == ["1043", "1044"]
    assert result.problems == ()


def test_a_stripe_payout_whose_charges_carry_no_reference_is_reported_naming_it():
    result = parse(STRIPE_CUSTOM.encode(), "stripe.csv")
    (problem,) = result.problems
    assert problem.severity is Severity.WARNING
    assert "payout po_1: none of its 2 charges carries an invoice reference" in problem.message
    assert "stripe_reference_keys" in problem.message


def test_a_stripe_report_with_a_payouts_rows_apart_cannot_be_streamed_but_parses_whole(golden_bytes):
    lines = golden_bytes("stripe_balance_transactions.csv").decode().splitlines()
    apart = "\n".join([lines[0], lines[1], lines[5], *lines[2:5], *lines[6:]]).encode()
    with pytest.raises(UnorderedReport):
        list(PspStream(chunked(apart), FileFormat.STRIPE))
    assert parse(apart, "stripe.csv").errors == ()


def test_stripe_reference_keys_must_be_a_list_of_column_names():
    assert rules_from_mapping({"stripe_reference_keys": ["Metadata[Order]"]}).stripe_reference_keys == (
        "metadata[order]",
    )
    for bad in ("metadata[order]", [], [""], [3]):
        with pytest.raises(ConfigError) as caught:
            rules_from_mapping({"stripe_reference_keys": bad})
        assert caught.value.key == "stripe_reference_keys"


def test_the_lean_fingerprinter_numbers_identical_transactions_exactly_as_the_plain_one(golden_bytes):
    import dataclasses
    import hashlib

    from syncd.bankfiles.model import Fingerprinter
    from syncd.bankfiles.occurrences import LeanFingerprinter, OccurrenceCounts

    base = parse(golden_bytes(SEB), SEB).transactions
    stream = [dataclasses.replace(base[i % 3], fingerprint="") for i in range(40_000)]  # many repeats
    plain, lean = Fingerprinter(), LeanFingerprinter()
    assert [plain(tx).fingerprint for tx in stream] == [lean(tx).fingerprint for tx in stream]

    counts = OccurrenceCounts()
    digests = [hashlib.sha256(str(i).encode()).digest() for i in range(50_000)]  # grows the table
    for digest in digests:
        counts[digest] = counts.get(digest) + 1
    counts[digests[7]] = counts.get(digests[7]) + 1
    assert len(counts) == 50_000
    assert (counts.get(digests[7]), counts.get(digests[8]), counts.get(b"\x00" * 32)) == (2, 1, 0)
