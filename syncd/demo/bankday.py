"""A realistic day of bank money for the demo, planned from the company's open invoices.

Pure: invoices in, a :class:`BankDay` (every payment with the scenario it plays) and file bytes
out. Each scenario is built to land in one matcher tier (see ``syncd.match.tiers``), so the demo
shows every kind of decision syncd makes: exact OCR payments, a bank fee, one payment for two
invoices, a euro invoice paid in kronor, a Stripe payout, and — for review — a mistyped OCR and
a payment that only names its payer. Nothing here reads a clock or the sandbox: the caller passes
the day and the invoices, so the same seed always writes the same files.
"""

from __future__ import annotations

import random
import string
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import TypeVar

from syncd.demo.payments import BankDay, InvoiceFacts, Payment, Scenario, StripeCharge
from syncd.demo.writers import Creditor, camt054, stripe_csv
from syncd.domain.money import quantize
from syncd.domain.references import luhn_valid
from syncd.match.names import name_score, normalise_name
from syncd.match.tiers.ocr import ocr_variants

BANK_FEE = Decimal("25.00")
"""Short by this much: within the matcher's default 50.00 SEK bank-fee tolerance."""
FX_DRIFT = Decimal("0.994")
"""The payer's bank converted at a rate 0.6 % below the invoice's: inside the 3 % fx tolerance."""
STRIPE_PERCENT = Decimal("0.015")
STRIPE_FIXED = Decimal("1.80")
"""Stripe's Swedish price for European cards: 1.5 % + 1.80 SEK per charge."""
EXACT_PAYMENTS = 3
STRIPE_CHARGES = 3
UNKNOWN_AMOUNT = Decimal("1850.00")
NEEDED_SEK = EXACT_PAYMENTS + 1 + 2 + STRIPE_CHARGES + 2
"""Exact payments, the bank fee, the pair, the Stripe charges, the mistyped OCR and the payer-only one."""
SIMILAR_NAME = 80
"""Below the matcher's 85 on purpose: a near-twin customer would make the suggestion ambiguous."""
T = TypeVar("T")


def _bank_name(facts: InvoiceFacts) -> str:
    """How a bank writes the payer: upper case; a person surname first."""
    if facts.private_person:
        first, _, last = facts.customer.partition(" ")
        return f"{last} {first}".upper()
    return facts.customer.upper()


def _payment(
    scenario: Scenario,
    facts: InvoiceFacts,
    amount: Decimal,
    *,
    reference: str = "",
    message: str = "",
    also: InvoiceFacts | None = None,
) -> Payment:
    """A payment from ``facts``' customer (for ``facts``, and ``also`` when it pays two)."""
    return Payment(
        scenario=scenario,
        amount=amount,
        payer=_bank_name(facts),
        invoices=(facts.number,) if also is None else (facts.number, also.number),
        reference=reference,
        message=message,
        org_number=facts.org_number,
        street=facts.street,
        postal_code=facts.postal_code,
        city=facts.city,
        private_person=facts.private_person,
    )


def mistype(ocr: str, candidates: Sequence[InvoiceFacts], amount: Decimal) -> str | None:
    """An adjacent transposition of ``ocr`` that fails its check digit and repairs uniquely.

    Unique means: of the numbers one typo away from the mistyped one, only ``ocr`` belongs to an
    open invoice with exactly ``amount`` outstanding — so the repair tier has one candidate.
    """
    by_ocr = {c.ocr: c for c in candidates}
    for i in sorted(range(len(ocr) - 1), key=lambda k: (k == 0, k)):  # a leading 0 looks odd
        typo = ocr[:i] + ocr[i + 1] + ocr[i] + ocr[i + 2 :]
        if typo == ocr or luhn_valid(typo):
            continue
        fits = [v for v in ocr_variants(typo) if v in by_ocr and by_ocr[v].outstanding_sek == amount]
        if fits == [ocr]:
            return typo
    return None


def _payer_only_pick(pool: list[InvoiceFacts], everyone: Sequence[InvoiceFacts]) -> InvoiceFacts | None:
    """An invoice whose amount no other open invoice of a similar-named customer shares."""
    for facts in pool:
        payer = normalise_name(_bank_name(facts))
        twins = [
            o
            for o in everyone
            if o is not facts
            and o.outstanding_sek == facts.outstanding_sek
            and name_score(payer, normalise_name(o.customer)) >= SIMILAR_NAME
        ]
        if not twins:
            return facts
    return None


def _two_for_one(pool: list[InvoiceFacts]) -> tuple[InvoiceFacts, InvoiceFacts]:
    """Two invoices, of the same customer when one has two open (that is who pays two at once)."""
    by_customer: dict[str, list[InvoiceFacts]] = {}
    for facts in pool:
        by_customer.setdefault(facts.customer_id, []).append(facts)
    pair = next((found[:2] for found in by_customer.values() if len(found) >= 2), pool[:2])
    return pair[0], pair[1]


def _ids(rng: random.Random, prefix: str, length: int) -> str:
    """A Stripe-style id with no run of four digits (so no token reads as an invoice number)."""
    alphabet = string.ascii_letters + "0123456789"
    while True:
        body = "".join(rng.choice(alphabet) for _ in range(length))
        if not any(body[i : i + 4].isdigit() for i in range(len(body) - 3)):
            return f"{prefix}_{body}"


def _stripe(pool: list[InvoiceFacts], day: date, rng: random.Random) -> tuple[str, tuple[StripeCharge, ...]]:
    charges = []
    for offset, facts in enumerate(pool):
        gross = facts.outstanding_sek
        created = datetime.combine(day - timedelta(days=3 - offset % 3), time(9 + 2 * offset, 14, 2))
        charges.append(
            StripeCharge(
                charge_id=_ids(rng, "ch", 24),
                invoice_number=facts.number,
                customer=facts.customer,
                email=f"ekonomi{facts.number}@example.se",
                gross=gross,
                fee=quantize(gross * STRIPE_PERCENT + STRIPE_FIXED),
                created=created,
            )
        )
    return _ids(rng, "po", 24), tuple(charges)


def _need(found: T | None, what: str) -> T:
    if found is None:
        raise ValueError(f"not enough open invoices for the demo: no {what}")
    return found


def plan_bank_day(invoices: Sequence[InvoiceFacts], *, day: date, seed: int) -> BankDay:
    """Pick invoices for each scenario and write the money they receive today.

    Needs :data:`NEEDED_SEK` open SEK invoices and one open EUR invoice; raises ValueError naming
    what is missing.
    """
    rng = random.Random(seed)
    sek = sorted((i for i in invoices if i.currency == "SEK" and i.outstanding > BANK_FEE * 4), key=_key)
    rng.shuffle(sek)
    if len(sek) < NEEDED_SEK:
        raise ValueError(f"not enough open invoices for the demo: needs {NEEDED_SEK} open SEK invoices")
    foreign = _need(
        min((i for i in invoices if i.currency == "EUR"), key=_key, default=None), "open EUR invoice"
    )
    payments: list[Payment] = []

    mistyped = _need(
        next(((f, t) for f in sek if (t := mistype(f.ocr, invoices, f.outstanding_sek))), None),
        "OCR with a uniquely repairable transposition",
    )
    taken = {mistyped[0].number}
    payer_only = _need(
        _payer_only_pick([f for f in sek if f.number not in taken], invoices),
        "invoice with an amount unique to its customer",
    )
    taken.add(payer_only.number)
    pool = [f for f in sek if f.number not in taken]
    first, second = _two_for_one(pool)
    pool = [f for f in pool if f not in (first, second)]

    for facts in pool[:EXACT_PAYMENTS]:
        payments.append(_payment(Scenario.EXACT_OCR, facts, facts.outstanding_sek, reference=facts.ocr))
    fee = pool[EXACT_PAYMENTS]
    payments.append(_payment(Scenario.BANK_FEE, fee, fee.outstanding_sek - BANK_FEE, reference=fee.ocr))
    both = first.outstanding_sek + second.outstanding_sek
    message = f"OCR {first.ocr} {second.ocr}"
    payments.append(_payment(Scenario.TWO_INVOICES, first, both, message=message, also=second))
    paid_sek = quantize(foreign.outstanding * foreign.currency_rate * FX_DRIFT)
    payments.append(_payment(Scenario.FOREIGN_CURRENCY, foreign, paid_sek, reference=foreign.ocr))
    payments.append(
        _payment(Scenario.MISTYPED_OCR, mistyped[0], mistyped[0].outstanding_sek, reference=mistyped[1])
    )
    payments.append(_payment(Scenario.PAYER_ONLY, payer_only, payer_only.outstanding_sek))
    payments.append(_unknown(invoices))
    payout_id, charges = _stripe(pool[EXACT_PAYMENTS + 1 : EXACT_PAYMENTS + 1 + STRIPE_CHARGES], day, rng)
    stripe = Payment(
        scenario=Scenario.STRIPE_PAYOUT,
        amount=sum((c.net for c in charges), Decimal(0)),
        payer="STRIPE PAYMENTS EUROPE LTD",
        invoices=tuple(c.invoice_number for c in charges),
        message=f"STRIPE {payout_id}",
    )
    return BankDay(day, (*payments, stripe), payout_id, charges)


def _unknown(invoices: Sequence[InvoiceFacts]) -> Payment:
    """A transfer nobody can place: no reference, a payer who is no customer, no amount that fits."""
    amount = UNKNOWN_AMOUNT
    while any(i.outstanding_sek == amount for i in invoices):
        amount += Decimal("10.00")
    return Payment(
        scenario=Scenario.UNKNOWN_PAYER,
        amount=amount,
        payer="BRF KVARNHJULET",
        invoices=(),
        message="Återbetalning depositionsavgift",
        street="Kvarnvägen 3",
        postal_code="186 40",
        city="Vallentuna",
    )


def _key(facts: InvoiceFacts) -> tuple[int, str]:
    return (len(facts.number), facts.number)


def bank_files(
    invoices: Sequence[InvoiceFacts], *, day: date, seed: int, creditor: Creditor
) -> tuple[BankDay, dict[str, bytes]]:
    """The day's plan and its files by name: the bank's camt.054 and Stripe's payout report."""
    plan = plan_bank_day(invoices, day=day, seed=seed)
    stamp = day.strftime("%Y%m%d")
    return plan, {
        f"camt054_{stamp}.xml": camt054(plan, creditor),
        f"stripe_balance_transactions_{stamp}.csv": stripe_csv(plan),
    }
