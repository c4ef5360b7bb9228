"""camt specifics: locations in errors, batch handling, fingerprints across overlapping statements."""

from __future__ import annotations

from decimal import Decimal

import pytest

from syncd.bankfiles import CamtStream, Severity, Status, parse, parse_camt, parse_camt_stream
from syncd.errors import ParseError

NS = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"


def statement(*entries: str, account: str = "SE3560000000000123456789") -> bytes:
    body = "".join(entries)
    return (
        f'<Document xmlns="{NS}"><BkToCstmrStmt><Stmt><Id>S1</Id>'
        f"<Acct><Id><IBAN>{account}</IBAN></Id></Acct>{body}</Stmt></BkToCstmrStmt></Document>"
    ).encode()


def entry(
    amount: str = "100.00", *, day: str = "2026-11-25", text: str = "Faktura 1043", extra: str = ""
) -> str:
    return (
        f'<Ntry><Amt Ccy="SEK">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>'
        f"<BookgDt><Dt>{day}</Dt></BookgDt>{extra}<AddtlNtryInf>{text}</AddtlNtryInf></Ntry>"
    )


def test_bad_amount_is_reported_with_the_xpath_of_the_element():
    with pytest.raises(ParseError) as caught:
        parse_camt(statement(entry(), entry(), entry("12,50")))
    assert caught.value.location == "/Document/BkToCstmrStmt/Stmt[1]/Ntry[3]/Amt"
    assert "not a camt amount" in caught.value.reason


def test_booked_entry_without_booking_date_is_refused():
    bad = entry().replace("<BookgDt><Dt>2026-11-25</Dt></BookgDt>", "")
    with pytest.raises(ParseError, match="booking date"):
        parse_camt(statement(bad))


def test_statement_without_account_is_refused_at_its_acct_path():
    data = statement(entry()).replace(b"<Acct><Id><IBAN>SE3560000000000123456789</IBAN></Id></Acct>", b"")
    with pytest.raises(ParseError) as caught:
        parse_camt(data)
    assert caught.value.location == "/Document/BkToCstmrStmt/Stmt[1]/Acct"


def test_pending_entry_has_no_booking_date_and_pending_status():
    pending = (
        entry()
        .replace("<Sts>BOOK</Sts>", "<Sts>PDNG</Sts>")
        .replace("<BookgDt><Dt>2026-11-25</Dt></BookgDt>", "")
    )
    (tx,) = parse_camt(statement(pending)).transactions
    assert tx.status is Status.PENDING
    assert tx.booking_date is None


def test_batch_details_that_do_not_add_up_are_an_error_problem():
    details = (
        "<NtryDtls><Btch><NbOfTxs>2</NbOfTxs></Btch>"
        '<TxDtls><AmtDtls><TxAmt><Amt Ccy="SEK">60.00</Amt></TxAmt></AmtDtls></TxDtls>'
        '<TxDtls><AmtDtls><TxAmt><Amt Ccy="SEK">30.00</Amt></TxAmt></AmtDtls></TxDtls></NtryDtls>'
    )
    result = parse_camt(statement(entry(extra=details)))
    assert [t.amount for t in result.transactions] == [Decimal("60.00"), Decimal("30.00")]
    (problem,) = result.errors
    assert "sum to 90.00" in problem.message
    assert problem.location == "/Document/BkToCstmrStmt/Stmt[1]/Ntry[1]"


def test_batch_detail_without_amount_keeps_the_entry_as_an_unsplit_batch():
    details = (
        "<NtryDtls><Btch><NbOfTxs>2</NbOfTxs></Btch>"
        '<TxDtls><AmtDtls><TxAmt><Amt Ccy="SEK">60.00</Amt></TxAmt></AmtDtls></TxDtls>'
        "<TxDtls><Refs><EndToEndId>X</EndToEndId></Refs></TxDtls></NtryDtls>"
    )
    result = parse_camt(statement(entry(extra=details)))
    (tx,) = result.transactions
    assert tx.is_batch
    assert tx.deposit_total == Decimal("100.00")
    assert result.errors[0].severity is Severity.ERROR


def test_overlapping_statements_give_the_same_fingerprints_for_the_shared_day():
    day1 = [entry("100.00", day="2026-11-24"), entry("100.00", day="2026-11-24")]
    day2 = [entry("100.00", day="2026-11-25"), entry("250.00", day="2026-11-25")]
    first = parse_camt(statement(*day1, *day2))
    second = parse_camt(statement(*day2, entry("75.00", day="2026-11-26")))
    fingerprints = [t.fingerprint for t in first.transactions]
    assert len(set(fingerprints)) == 4  # identical twins on the 24th are told apart by occurrence
    assert [t.fingerprint for t in second.transactions][:2] == fingerprints[2:]


def test_fingerprint_prefers_bank_ids_over_text():
    a = entry(extra="<AcctSvcrRef>REF-1</AcctSvcrRef>", text="first wording")
    b = entry(extra="<AcctSvcrRef>REF-1</AcctSvcrRef>", text="reworded by the bank")
    assert (
        parse_camt(statement(a)).transactions[0].fingerprint
        == parse_camt(statement(b)).transactions[0].fingerprint
    )


def test_chunked_stream_gives_the_same_result_as_whole_bytes(golden_bytes):
    data = golden_bytes("camt054_v02_bankgiro.xml")
    whole = parse(data, "x.xml")
    chunked = parse_camt_stream(data[i : i + 7] for i in range(0, len(data), 7))
    assert chunked.transactions == whole.transactions


def test_stream_iterator_exposes_statements_after_the_last_transaction(golden_bytes):
    stream = CamtStream([golden_bytes("camt053_batch_txdtls.xml")])
    assert len(list(stream)) == 4
    assert stream.statements[0].closing_balance == Decimal("60785.40")
    assert stream.result().problems == ()


def test_document_that_is_not_camt_is_refused():
    with pytest.raises(ParseError, match="not a camt"):
        parse_camt(b'<Document xmlns="urn:x"><CstmrCdtTrfInitn/></Document>')
