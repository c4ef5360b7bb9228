"""Table-driven tests per tier, with the near misses that must never auto-accept."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from match_builders import TODAY, invoice, line, ocr_of

from syncd.domain.invoice_math import SettlementSign
from syncd.domain.models import (
    BankLine,
    Decision,
    Direction,
    MatchKind,
    OpenInvoice,
    ProblemCode,
    PspCharge,
    PspPayoutLine,
    SettlementType,
    Tier,
    VatScheme,
)
from syncd.domain.references import make_rf
from syncd.match import MatchMemory, MatchRules, PayerAlias, propose

A, R = Decision.AUTO, Decision.REVIEW


@dataclass
class Case:
    invoices: list[OpenInvoice]
    lines: list[BankLine]
    expect: list[tuple[str, Decision, Tier, MatchKind]]
    problems: set[ProblemCode] = field(default_factory=set)
    rules: MatchRules = field(default_factory=MatchRules)
    memory: MatchMemory = field(default_factory=MatchMemory)
    payouts: tuple[PspPayoutLine, ...] = ()


def rf_invoice() -> OpenInvoice:
    inv = invoice(1050, "8000.00")
    return OpenInvoice(**{**{f: getattr(inv, f) for f in inv.__slots__}, "ocr": make_rf("1050")})  # type: ignore[arg-type]


ALIAS = PayerAlias("bolaget-ab", "ANNA LINDQVIST", "cust-lindqvist-måleri-ab", 3)
STRIPE = PspPayoutLine(
    "bolaget-ab",
    "stripe",
    "po_1Nx",
    Decimal("14786.40"),
    charges=(
        PspCharge("ch_1", Decimal("10000.00"), Decimal("141.80")),
        PspCharge("ch_2", Decimal("5000.00"), Decimal("71.80")),
    ),
)


def stripe(refs: tuple[str | None, str | None], provider: str = "stripe") -> PspPayoutLine:
    charges = tuple(
        PspCharge(c.charge_id, c.gross, c.fee, invoice_reference=ref)
        for c, ref in zip(STRIPE.charges, refs, strict=True)
    )
    return PspPayoutLine(STRIPE.company_id, provider, STRIPE.payout_id, STRIPE.net, charges=charges)


CASES: dict[str, Case] = {
    "an OCR with the exact outstanding amount is paid automatically": Case(
        [invoice(1042, "4950.00"), invoice(1043, "4950.00", "Lindqvist Måleri AB")],
        [line("4950.00", refs=(ocr_of(1042),))],
        [("1042", A, Tier.OCR_EXACT, MatchKind.EXACT)],
    ),
    "an RF reference works like an OCR": Case(
        [rf_invoice()],
        [line("8000.00", refs=("RF" + make_rf("1050")[2:4] + " 1050",))],
        [("1050", A, Tier.OCR_EXACT, MatchKind.EXACT)],
    ),
    "a payment short by a bank fee closes with a bankFee settlement": Case(
        [invoice(1042, "12500.00")],
        [line("12475.00", refs=(ocr_of(1042),))],
        [("1042", A, Tier.OCR_TOLERANCE, MatchKind.BANK_FEE)],
    ),
    "a percentage tolerance allows a larger fee on a large invoice": Case(
        [invoice(1042, "100000.00")],
        [line("99900.00", refs=(ocr_of(1042),))],
        [("1042", A, Tier.OCR_TOLERANCE, MatchKind.BANK_FEE)],
        rules=MatchRules(bank_fee_tolerance_percent=Decimal("0.2")),
    ),
    "a clearly smaller payment is a partial payment": Case(
        [invoice(1042, "12500.00")],
        [line("5000.00", refs=(ocr_of(1042),))],
        [("1042", A, Tier.OCR_PARTIAL, MatchKind.PARTIAL)],
    ),
    "an exact OCR with too much money is only suggested as an overpayment": Case(
        [invoice(1042, "12500.00")],
        [line("13000.00", refs=(ocr_of(1042),))],
        [("1042", R, Tier.OCR_PARTIAL, MatchKind.OVERPAYMENT)],
    ),
    "an OCR typo with one open candidate and the exact amount is suggested": Case(
        [invoice(1042, "4950.00"), invoice(1043, "3000.00")],
        [line("4950.00", refs=(ocr_of(1042)[:-1] + str((int(ocr_of(1042)[-1]) + 1) % 10),))],
        [("1042", R, Tier.OCR_REPAIR, MatchKind.EXACT)],
    ),
    "an OCR typo is auto-accepted only when the company allows it": Case(
        [invoice(1042, "4950.00")],
        [line("4950.00", refs=(ocr_of(1042)[:-1] + str((int(ocr_of(1042)[-1]) + 1) % 10),))],
        [("1042", A, Tier.OCR_REPAIR, MatchKind.EXACT)],
        rules=MatchRules(ocr_repair_auto=True),
    ),
    "an OCR typo one step from two open invoices is never auto-accepted": Case(
        [invoice(1, "500.00", ocr="18"), invoice(2, "500.00", "Lindqvist Måleri AB", ocr="26")],
        [line("500.00", refs=("16",), payer="BERGSTROM BYGG")],
        [("1", R, Tier.OCR_REPAIR, MatchKind.EXACT)],
        {ProblemCode.AMBIGUOUS},
        rules=MatchRules(ocr_repair_auto=True),
    ),
    "several OCRs in one payment are split by the exact subset": Case(
        [invoice(1042, "4950.00"), invoice(1043, "12500.00"), invoice(1044, "800.00")],
        [line("17450.00", text=f"OCR {ocr_of(1042)} {ocr_of(1043)} {ocr_of(1044)}")],
        [
            ("1042", A, Tier.MULTI_REFERENCE, MatchKind.EXACT),
            ("1043", A, Tier.MULTI_REFERENCE, MatchKind.EXACT),
        ],
    ),
    "several OCRs without an exact split are paid oldest first for review": Case(
        [invoice(1042, "4950.00", age=40), invoice(1043, "12500.00", age=10)],
        [line("6000.00", refs=(ocr_of(1042), ocr_of(1043)))],
        [
            ("1042", R, Tier.MULTI_REFERENCE, MatchKind.EXACT),
            ("1043", R, Tier.MULTI_REFERENCE, MatchKind.PARTIAL),
        ],
    ),
    "an invoice number in the text with the exact amount is auto-accepted": Case(
        [invoice(1042, "12500.00"), invoice(1043, "3000.00")],
        [line("12500.00", text="Betalning faktura 1042, tack!")],
        [("1042", A, Tier.TEXT_REFERENCE, MatchKind.EXACT)],
    ),
    "an invoice number in the text with another amount is only suggested": Case(
        [invoice(1042, "12500.00")],
        [line("12000.00", text="Faktura 1042")],
        [("1042", R, Tier.TEXT_REFERENCE, MatchKind.PARTIAL)],
    ),
    "a payer name and exact amount without reference is only suggested": Case(
        [invoice(1042, "12500.00"), invoice(1043, "7300.00", "Lindqvist Måleri AB")],
        [line("12500.00", payer="BERGSTROM BYGG")],
        [("1042", R, Tier.PAYER_AMOUNT, MatchKind.EXACT)],
    ),
    "two invoices with the same amount for one customer are ranked oldest first, never auto": Case(
        [invoice(1042, "995.00", age=45), invoice(1043, "995.00", age=15)],
        [line("995.00", payer="Bergström Bygg AB")],
        [("1042", R, Tier.PAYER_AMOUNT, MatchKind.EXACT)],
        {ProblemCode.AMBIGUOUS},
        memory=MatchMemory(
            aliases=(PayerAlias("bolaget-ab", "Bergström Bygg AB", "cust-bergström-bygg-ab", 9),)
        ),
    ),
    "a look-alike customer name does not catch another customer's payment": Case(
        [invoice(1042, "1000.00", "Svensson AB"), invoice(1043, "1000.00", "Svenssons Bygg AB")],
        [line("1000.00", payer="SVENSSONS BYGG AB")],
        [("1043", R, Tier.PAYER_AMOUNT, MatchKind.EXACT)],
    ),
    "a confirmed alias with an exact unique amount is auto-accepted": Case(
        [invoice(1042, "7300.00", "Lindqvist Måleri AB"), invoice(1043, "1200.00")],
        [line("7300.00", payer="Anna Lindqvist")],
        [("1042", A, Tier.PAYER_AMOUNT, MatchKind.EXACT)],
        memory=MatchMemory(aliases=(ALIAS,)),
    ),
    "an alias confirmed too few times is only suggested": Case(
        [invoice(1042, "7300.00", "Lindqvist Måleri AB")],
        [line("7300.00", payer="Anna Lindqvist")],
        [("1042", R, Tier.PAYER_AMOUNT, MatchKind.EXACT)],
        memory=MatchMemory(aliases=(PayerAlias(ALIAS.company_id, ALIAS.payer_name, ALIAS.customer_id, 1),)),
    ),
    "an alias paying an exact set of its customer's invoices is split": Case(
        [invoice(1042, "7300.00", "Lindqvist Måleri AB"), invoice(1043, "1200.00", "Lindqvist Måleri AB")],
        [line("8500.00", payer="ANNA LINDQVIST")],
        [("1042", A, Tier.PAYER_AMOUNT, MatchKind.EXACT), ("1043", A, Tier.PAYER_AMOUNT, MatchKind.EXACT)],
        memory=MatchMemory(aliases=(ALIAS,)),
    ),
    "a EUR invoice paid in SEK within the FX tolerance closes with a currency settlement": Case(
        [invoice(1042, "1000.00", "Müller GmbH", currency="EUR", rate="11.50")],
        [line("11420.00", refs=(ocr_of(1042),))],
        [("1042", A, Tier.FOREIGN_CURRENCY, MatchKind.CURRENCY)],
    ),
    "a EUR invoice paid with far too little SEK is only suggested": Case(
        [invoice(1042, "1000.00", "Müller GmbH", currency="EUR", rate="11.50")],
        [line("5000.00", text="Invoice 1042")],
        [("1042", R, Tier.FOREIGN_CURRENCY, MatchKind.PARTIAL)],
    ),
    "a PSP payout is split per charge with the fee as a paymentServiceFee": Case(
        [invoice(1042, "10000.00"), invoice(1043, "5000.00", "Lindqvist Måleri AB")],
        [line("14786.40", text="STRIPE PAYOUT po_1Nx")],
        [("1042", A, Tier.PSP_PAYOUT, MatchKind.EXACT), ("1043", A, Tier.PSP_PAYOUT, MatchKind.EXACT)],
        payouts=(stripe(("1042", "1043")),),
    ),
    "a PSP charge with an unknown invoice reference sends the payout to review": Case(
        [invoice(1042, "10000.00")],
        [line("14786.40", payout="po_1Nx")],
        [("1042", R, Tier.PSP_PAYOUT, MatchKind.EXACT)],
        {ProblemCode.PSP_UNKNOWN_REFERENCE},
        payouts=(stripe(("1042", None)),),
    ),
    "a PSP without a configured VAT scheme is never auto-accepted": Case(
        [invoice(1042, "10000.00"), invoice(1043, "5000.00", "Lindqvist Måleri AB")],
        [line("14786.40", payout="po_1Nx")],
        [("1042", R, Tier.PSP_PAYOUT, MatchKind.EXACT), ("1043", R, Tier.PSP_PAYOUT, MatchKind.EXACT)],
        {ProblemCode.PSP_UNKNOWN_PROVIDER},
        payouts=(stripe(("1042", "1043"), provider="klarna"),),
    ),
    "the OCR of a closed invoice is not matched, and weaker evidence is only suggested": Case(
        [invoice(1043, "7300.00", "Lindqvist Måleri AB")],
        [line("7300.00", refs=(ocr_of(999),), payer="ANNA LINDQVIST")],
        [("1043", R, Tier.PAYER_AMOUNT, MatchKind.EXACT)],
        memory=MatchMemory(aliases=(ALIAS,)),
    ),
    "the OCR of a closed invoice alone leaves the line unmatched with a problem": Case(
        [invoice(1043, "7300.00")],
        [line("4950.00", refs=(ocr_of(999),))],
        [],
        {ProblemCode.UNKNOWN_REFERENCE},
    ),
    "a debit carrying an OCR is never allocated and is reported": Case(
        [invoice(1042, "4950.00")],
        [line("4950.00", refs=(ocr_of(1042),), direction=Direction.DEBIT)],
        [],
        {ProblemCode.DEBIT_REFERENCES_INVOICE},
    ),
    "a reversed credit is never allocated": Case(
        [invoice(1042, "4950.00")],
        [line("4950.00", refs=(ocr_of(1042),), reversal=True)],
        [],
        {ProblemCode.REVERSAL},
    ),
    "a rejected pair is never proposed again": Case(
        [invoice(1042, "4950.00")],
        [line("4950.00", refs=(ocr_of(1042),), payer="BERGSTROM BYGG AB")],
        [],
        {ProblemCode.UNKNOWN_REFERENCE},
        memory=MatchMemory(rejected=frozenset({("bl-1", "bolaget-ab-inv-1042")})),
    ),
    "a second payment with the same OCR cannot take more than was outstanding": Case(
        [invoice(1042, "4950.00")],
        [line("4950.00", id="bl-1", refs=(ocr_of(1042),)), line("4950.00", id="bl-2", refs=(ocr_of(1042),))],
        [("1042", A, Tier.OCR_EXACT, MatchKind.EXACT)],
        {ProblemCode.UNKNOWN_REFERENCE},
    ),
    "two open invoices sharing one OCR are suggested, never auto-accepted": Case(
        [invoice(1042, "4950.00", ocr="18"), invoice(1043, "4950.00", ocr="18")],
        [line("4950.00", refs=("18",))],
        [("1042", R, Tier.OCR_EXACT, MatchKind.EXACT)],
        {ProblemCode.AMBIGUOUS},
    ),
    "a bank line booked after today is reported, not matched": Case(
        [invoice(1042, "4950.00")],
        [line("4950.00", refs=(ocr_of(1042),), booked=TODAY.replace(day=TODAY.day + 1))],
        [],
        {ProblemCode.FUTURE_BANK_LINE},
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_tier(name: str) -> None:
    case = CASES[name]
    result = propose(
        case.invoices, case.lines, case.rules, case.memory, today=TODAY, psp_payouts=case.payouts
    )
    got = [(a.invoice_number, a.decision, a.tier, a.kind) for a in result.allocations]
    assert got == case.expect
    assert {p.code for p in result.problems} == case.problems


def test_a_bank_fee_settlement_and_the_payment_together_close_the_invoice() -> None:
    result = propose(
        [invoice(1042, "12500.00")],
        [line("12475.00", refs=(ocr_of(1042),))],
        MatchRules(),
        MatchMemory(),
        today=TODAY,
    )
    (a,) = result.allocations
    assert a.amount == Decimal("12475.00")
    assert [(s.type, s.amount) for s in a.settlements] == [(SettlementType.BANK_FEE, Decimal("25.00"))]
    assert a.consumed == Decimal("12500.00")


@pytest.mark.parametrize(
    ("sign", "received", "expected"),
    [
        (SettlementSign.POSITIVE_REDUCES, "11420.00", "80.00"),
        (SettlementSign.POSITIVE_REDUCES, "11600.00", "-100.00"),
        (SettlementSign.CURRENCY_POSITIVE_IS_GAIN, "11600.00", "100.00"),
    ],
)
def test_the_currency_settlement_sign_follows_the_rules(
    sign: SettlementSign, received: str, expected: str
) -> None:
    inv = invoice(1042, "1000.00", "Müller GmbH", currency="EUR", rate="11.50")
    result = propose(
        [inv],
        [line(received, refs=(ocr_of(1042),))],
        MatchRules(currency_sign=sign),
        MatchMemory(),
        today=TODAY,
    )
    (a,) = result.allocations
    assert (a.amount, a.amount_sek) == (Decimal("1000.00"), Decimal(received))
    assert [(s.type, s.amount, s.currency) for s in a.settlements] == [
        (SettlementType.CURRENCY, Decimal(expected), "SEK")
    ]


def test_a_psp_charge_pays_the_money_received_and_settles_the_fee_with_the_vat_scheme() -> None:
    invs = [invoice(1042, "10000.00"), invoice(1043, "5000.00", "Lindqvist Måleri AB")]
    result = propose(
        invs,
        [line("14786.40", payout="po_1Nx")],
        MatchRules(),
        MatchMemory(),
        today=TODAY,
        psp_payouts=[stripe(("1042", "1043"))],
    )
    first = result.allocations[0]
    assert (first.amount, first.cash, first.consumed) == (
        Decimal("9858.20"),
        Decimal("9858.20"),
        Decimal("10000.00"),
    )
    (fee,) = first.settlements
    assert (fee.type, fee.amount, fee.vat_scheme) == (
        SettlementType.PAYMENT_SERVICE_FEE,
        Decimal("141.80"),
        VatScheme.EU,
    )
    assert sum(a.cash for a in result.allocations) == Decimal("14786.40")
    assert len({a.group_id for a in result.allocations}) == 1


def test_a_payout_matched_once_is_not_matched_again_by_a_second_line() -> None:
    invs = [invoice(1042, "10000.00"), invoice(1043, "5000.00", "Lindqvist Måleri AB")]
    lines = [line("14786.40", id="bl-1", payout="po_1Nx"), line("14786.40", id="bl-2", payout="po_1Nx")]
    result = propose(
        invs, lines, MatchRules(), MatchMemory(), today=TODAY, psp_payouts=[stripe(("1042", "1043"))]
    )
    assert {a.bank_line_id for a in result.allocations} == {"bl-1"}
    assert result.unmatched == ("bl-2",)
    assert ProblemCode.PSP_PAYOUT_REUSED in {p.code for p in result.problems}


def test_the_same_ocr_in_two_companies_pays_each_company_its_own_invoice() -> None:
    mine = invoice(1042, "4950.00", company="bolag-a", ocr="18")
    theirs = invoice(1042, "7000.00", company="bolag-b", ocr="18")
    lines = [
        line("7000.00", company="bolag-a", refs=("18",)),
        line("7000.00", company="bolag-b", refs=("18",)),
    ]
    result = propose([mine, theirs], lines, MatchRules(), MatchMemory(), today=TODAY)
    got = {(a.company_id, a.invoice_id, a.kind, a.decision) for a in result.allocations}
    assert got == {
        ("bolag-a", mine.bokio_id, MatchKind.OVERPAYMENT, Decision.REVIEW),
        ("bolag-b", theirs.bokio_id, MatchKind.EXACT, Decision.AUTO),
    }


def test_an_ambiguous_suggestion_lists_every_candidate_best_first() -> None:
    invs = [invoice(1, "500.00", ocr="18"), invoice(2, "500.00", "Lindqvist Måleri AB", ocr="26")]
    result = propose(
        invs,
        [line("500.00", refs=("16",), payer="LINDQVIST MALERI")],
        MatchRules(),
        MatchMemory(),
        today=TODAY,
    )
    (a,) = result.allocations
    assert a.invoice_number == "2"
    candidates = a.evidence_value("candidates") or ""
    assert candidates.index("Lindqvist") < candidates.index("Bergström")
