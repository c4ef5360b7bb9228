"""A frozen, hand-labelled corpus: a TOML file a bookkeeper can read, turned into scenarios.

The file (``tests/evaluation/corpus/hand_labelled.toml``; its header explains the format) holds a
company's ledger and cases of bank lines, each labelled by hand: ``book`` (the right booking, the
machine may make it), ``confirm`` (the right booking, a person confirms it), ``decide`` (a person
must decide) or ``nothing`` (outgoing money). Every case runs against the whole ledger, so each is
one :class:`~syncd.evaluation.world.Scenario`. The file is checked strictly: a bad entry is a
:class:`CorpusFileError` naming the file, the case, the line and the field, never a silent default.
Nothing here computes a label; the loader only reads what a person wrote.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from syncd.domain.models import (
    BASE_CURRENCY,
    BankLine,
    Direction,
    OpenInvoice,
    PspCharge,
    PspPayoutLine,
    SettlementType,
)
from syncd.domain.money import ZERO, quantize
from syncd.domain.references import luhn_valid, normalise
from syncd.evaluation.reader import CorpusFileError, Fields
from syncd.evaluation.world import ConfirmedPayer, ExpectedAllocation, Scenario, Taught

__all__ = ["FROZEN_CORPUS", "HAND", "CorpusFileError", "load_corpus", "parse_corpus", "resolve_corpus"]

HAND = "hand"
"""What ``--corpus`` accepts for the frozen corpus of a source checkout."""
FROZEN_CORPUS = Path(__file__).resolve().parents[2] / "tests" / "evaluation" / "corpus" / "hand_labelled.toml"
LABELS = ("book", "confirm", "decide", "nothing")
_SETTLEMENT_KEYS = {
    "fee": SettlementType.BANK_FEE,
    "fx": SettlementType.CURRENCY,
    "psp_fee": SettlementType.PAYMENT_SERVICE_FEE,
}
_KIND = re.compile(r"[a-z][a-z0-9_]*")
_CURRENCY = re.compile(r"[A-Z]{3}")


def resolve_corpus(name: str) -> Path:
    """``hand`` is the checked-in frozen corpus (a source checkout only); anything else is a path."""
    path = FROZEN_CORPUS if name == HAND else Path(name)
    if not path.is_file():
        where = " (it ships with the source, not the wheel: pass its path)" if name == HAND else ""
        raise CorpusFileError(f"{path}: no such corpus file{where}")
    return path


def load_corpus(path: Path) -> list[Scenario]:
    """Read and check a hand-labelled corpus file; one scenario per case, in file order."""
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise CorpusFileError(f"{path}: cannot read: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise CorpusFileError(f"{path}: not valid TOML: {exc}") from exc
    return parse_corpus(document, source=str(path))


@dataclass(frozen=True, slots=True)
class _Ledger:
    company: str
    today: dt.date
    paid_on: dt.date
    numbers: Mapping[str, OpenInvoice]
    """Every invoice of the ledger by number, closed ones (outstanding 0) included."""

    @property
    def open_invoices(self) -> tuple[OpenInvoice, ...]:
        return tuple(inv for inv in self.numbers.values() if inv.outstanding > ZERO)

    def customer_id(self, fields: Fields, key: str) -> str:
        name = fields.text(key)
        for inv in self.numbers.values():
            if inv.customer_name == name:
                return inv.customer_id
        raise fields.error(key, f"no invoice of customer {name!r} in the ledger")


def parse_corpus(document: Mapping[str, Any], *, source: str) -> list[Scenario]:
    """The scenarios of an already-parsed corpus document (``source`` names it in errors)."""
    top = Fields(document, source, {"company", "today", "paid_on", "invoices", "case"})
    company, today = top.text("company"), top.date("today")
    paid_on = top.date("paid_on")
    if paid_on > today:
        raise top.error("paid_on", f"{paid_on} is after today ({today})")
    numbers: dict[str, OpenInvoice] = {}
    for k, raw in enumerate(top.tables("invoices"), start=1):
        inv = _invoice(Fields(raw, f"{source}: invoice {k}", _INVOICE_KEYS), company)
        if inv.invoice_number in numbers:
            raise CorpusFileError(f"{source}: invoice {k}: number {inv.invoice_number!r} listed twice")
        numbers[inv.invoice_number] = inv
    ledger = _Ledger(company, today, paid_on, numbers)
    scenarios: list[Scenario] = []
    seen: set[str] = set()
    for k, raw in enumerate(top.tables("case"), start=1):
        named = raw.get("id") if isinstance(raw, Mapping) else None
        case_id = named if isinstance(named, str) else f"#{k}"
        scenario = _case(Fields(raw, f"{source}: case {case_id!r}", _CASE_KEYS), ledger)
        if case_id in seen:
            raise CorpusFileError(f"{source}: case {case_id!r}: id used by an earlier case")
        seen.add(case_id)
        scenarios.append(scenario)
    return scenarios


_INVOICE_KEYS = {
    "number",
    "customer",
    "ocr",
    "currency",
    "rate",
    "total",
    "outstanding",
    "sek",
    "date",
    "due",
    "note",
}


def _invoice(fields: Fields, company: str) -> OpenInvoice:
    number = fields.text("number")
    fields.where = f"{fields.where} ({number})"
    currency = fields.text("currency", BASE_CURRENCY)
    if not _CURRENCY.fullmatch(currency):
        raise fields.error("currency", f"{currency!r} is not a currency code")
    total = fields.money("total")
    outstanding = fields.money("outstanding", total, allow_zero=True)
    if outstanding > total:
        raise fields.error("outstanding", f"{outstanding} is more than the total {total}")
    rate, sek = _rate_and_sek(fields, currency, outstanding)
    ocr = fields.optional_text("ocr")
    if ocr is not None and not (normalise(ocr).isdigit() and luhn_valid(normalise(ocr))):
        raise fields.error("ocr", f"{ocr!r} is no OCR with a valid check digit")
    issued = fields.date("date")
    fields.optional_text("note")
    customer = fields.text("customer")
    return OpenInvoice(
        company_id=company,
        bokio_id=f"inv-{number}",
        invoice_number=number,
        ocr=ocr,
        customer_id="cust-" + re.sub(r"\W+", "-", customer.lower()).strip("-"),
        customer_name=customer,
        currency=currency,
        currency_rate=rate,
        gross_amount=total,
        outstanding=outstanding,
        outstanding_sek=sek,
        invoice_date=issued,
        due_date=fields.date("due", issued + dt.timedelta(days=30)),
    )


def _rate_and_sek(fields: Fields, currency: str, outstanding: Decimal) -> tuple[Decimal, Decimal]:
    """A SEK invoice has neither; a foreign one states its rate and its outstanding in SEK (checked)."""
    if currency == BASE_CURRENCY:
        for key in ("rate", "sek"):
            if key in fields.raw:
                raise fields.error(key, "only a foreign-currency invoice has one")
        return Decimal(1), outstanding
    rate = fields.decimal("rate")
    sek = fields.money("sek", allow_zero=outstanding == ZERO)
    if quantize(outstanding * rate) != sek:
        raise fields.error("sek", f"{sek} is not the outstanding {outstanding} {currency} at rate {rate}")
    return rate, sek


_CASE_KEYS = {"id", "kind", "why", "lines", "payout", "payer_confirmed"}
_LINE_KEYS = {"date", "amount", "ocr", "message", "payer", "out", "reversal", "payout", *LABELS}


@dataclass(slots=True)
class _Labels:
    expected: dict[str, tuple[ExpectedAllocation, ...]]
    for_a_person: set[str]
    for_confirmation: set[str]


def _case(fields: Fields, ledger: _Ledger) -> Scenario:
    case_id = fields.text("id")
    kind = fields.text("kind")
    if not _KIND.fullmatch(kind):
        raise fields.error("kind", f"{kind!r} is not a snake_case kind name")
    fields.text("why")
    payouts = () if "payout" not in fields.raw else (_payout(fields.sub("payout", _PAYOUT_KEYS), ledger),)
    taught = Taught()
    if "payer_confirmed" in fields.raw:
        taught = Taught(
            confirmed_payers=(
                _confirmed(fields.sub("payer_confirmed", {"payer", "customer", "times"}), ledger),
            )
        )
    labels = _Labels({}, set(), set())
    lines = []
    for n, raw in enumerate(fields.tables("lines"), start=1):
        line_fields = Fields(raw, f"{fields.where}, line {n}", _LINE_KEYS)
        lines.append(_line(line_fields, f"{case_id}/{n}", ledger, {p.payout_id for p in payouts}, labels))
    if not lines:
        raise fields.error("lines", "a case needs at least one bank line")
    return Scenario(
        kind=kind,
        tier=None,
        invoices=ledger.open_invoices,
        bank_lines=tuple(lines),
        expected=labels.expected,
        psp_payouts=payouts,
        taught=taught,
        for_a_person=frozenset(labels.for_a_person),
        today=ledger.today,
        for_confirmation=frozenset(labels.for_confirmation),
    )


def _confirmed(fields: Fields, ledger: _Ledger) -> ConfirmedPayer:
    times = fields.integer("times")
    if times < 1:
        raise fields.error("times", "a payer is confirmed at least once")
    return ConfirmedPayer(ledger.company, fields.text("payer"), ledger.customer_id(fields, "customer"), times)


def _line(fields: Fields, line_id: str, ledger: _Ledger, payouts: set[str], labels: _Labels) -> BankLine:
    booked = fields.date("date", ledger.paid_on)
    if booked > ledger.today:
        raise fields.error("date", f"{booked} is after today ({ledger.today})")
    out, reversal = fields.flag("out"), fields.flag("reversal")
    payout = fields.optional_text("payout")
    if payout is not None and payout not in payouts:
        raise fields.error("payout", f"{payout!r} is not the case's payout")
    line = BankLine(
        company_id=ledger.company,
        id=line_id,
        booking_date=booked,
        amount=fields.money("amount"),
        direction=Direction.DEBIT if out else Direction.CREDIT,
        is_reversal=reversal,
        references=fields.texts("ocr"),
        free_text=fields.optional_text("message") or "",
        payer_name=fields.optional_text("payer") or "",
        psp_payout_id=payout,
    )
    _label(fields, line, ledger, labels)
    return line


def _label(fields: Fields, line: BankLine, ledger: _Ledger, labels: _Labels) -> None:
    given = [key for key in LABELS if key in fields.raw]
    if len(given) != 1:
        raise fields.error("/".join(LABELS), f"exactly one label needed, found {given or 'none'}")
    label = given[0]
    outgoing = line.direction is Direction.DEBIT or line.is_reversal
    if outgoing != (label == "nothing"):
        why = "outgoing money is labelled nothing" if outgoing else "only outgoing money is labelled nothing"
        raise fields.error(label, why)
    if label in {"decide", "nothing"}:
        if fields.raw[label] is not True:
            raise fields.error(label, "write it as `= true` (the case's why says why)")
        labels.expected[line.id] = ()
        if label == "decide":
            labels.for_a_person.add(line.id)
        return
    labels.expected[line.id] = _bookings(fields, label, line, ledger)
    if label == "confirm":
        labels.for_confirmation.add(line.id)


_BOOKING_KEYS = {"invoice", "paid", *_SETTLEMENT_KEYS}


def _bookings(fields: Fields, label: str, line: BankLine, ledger: _Ledger) -> tuple[ExpectedAllocation, ...]:
    bookings = []
    for k, raw in enumerate(fields.tables(label), start=1):
        entry = Fields(raw, f"{fields.where}, {label} {k}", _BOOKING_KEYS)
        number = entry.text("invoice")
        inv = ledger.numbers.get(number)
        if inv is None or inv.outstanding == ZERO:
            raise entry.error("invoice", f"{number!r} is no open invoice of the ledger")
        settlements = tuple(
            sorted((kind, entry.money(key)) for key, kind in _SETTLEMENT_KEYS.items() if key in raw)
        )
        bookings.append(ExpectedAllocation(inv.bokio_id, entry.money("paid"), settlements=settlements))
    if not bookings:
        raise fields.error(label, "name at least one invoice")
    if len({b.invoice_id for b in bookings}) != len(bookings):
        raise fields.error(label, "an invoice is booked twice on one line")
    paid = sum((b.cash for b in bookings), ZERO)
    if paid > line.amount:
        raise fields.error(label, f"books {paid}, more than the line's {line.amount}")
    return tuple(bookings)


_PAYOUT_KEYS = {"provider", "id", "net", "currency", "charges"}
_CHARGE_KEYS = {"id", "gross", "fee", "currency", "invoice"}


def _payout(fields: Fields, ledger: _Ledger) -> PspPayoutLine:
    """A PSP payout report as the bookkeeper has it: its net and its charges (gross, fee, invoice)."""
    charges = []
    for k, raw in enumerate(fields.tables("charges"), start=1):
        charge = Fields(raw, f"{fields.where}, charge {k}", _CHARGE_KEYS)
        invoice = charge.optional_text("invoice")
        if invoice is not None and invoice not in ledger.numbers:
            raise charge.error("invoice", f"{invoice!r} is no invoice of the ledger")
        charges.append(
            PspCharge(
                charge.text("id"),
                charge.money("gross"),
                charge.money("fee", allow_zero=True),
                charge.text("currency", BASE_CURRENCY),
                invoice,
            )
        )
    if not charges:
        raise fields.error("charges", "a payout report lists at least one charge")
    return PspPayoutLine(
        ledger.company,
        fields.text("provider"),
        fields.text("id"),
        fields.money("net"),
        fields.text("currency", BASE_CURRENCY),
        tuple(charges),
    )
