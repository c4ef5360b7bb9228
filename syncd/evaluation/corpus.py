"""A deterministic, labelled corpus of Swedish payment situations for evaluating the matcher.

Each :class:`Scenario` is a small world (one or two companies, a handful of open invoices of
other customers as distractors) with the bank lines and the allocations a careful bookkeeper
would make. The mix is weighted like a Swedish B2B inbox: most bankgiro payments carry a correct
OCR, and the hard cases (typos, no reference, look-alike names, refunds) are the minority that
decides whether the matcher can be trusted. Same ``seed`` and ``size`` → same corpus.

Near-misses sit just outside each tolerance the company's policy draws (:data:`FEE_LIMIT`,
:data:`FX_LIMIT_PERCENT`), or where the evidence fits two answers: those are labelled "a person
must decide". Labels follow the bookkeeping rules; nothing here imports the matcher.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections.abc import Callable, Sequence
from decimal import Decimal

from syncd.domain.models import Direction, PspCharge, PspPayoutLine, Tier
from syncd.domain.money import from_ore, quantize
from syncd.domain.references import make_ocr
from syncd.evaluation.world import (
    COMPANY,
    FEE_LIMIT,
    FOREIGN,
    FX_LIMIT_PERCENT,
    LOOK_ALIKES,
    OTHER_COMPANY,
    TODAY,
    ConfirmedPayer,
    ExpectedAllocation,
    Scenario,
    Taught,
    World,
    one_slip_away,
    two_digit_typo,
    typo,
)

__all__ = ["KINDS", "NEAR_MISSES", "ExpectedAllocation", "Scenario", "generate_corpus"]


def _some_add_up_to(amounts: Sequence[Decimal], paid: Decimal) -> bool:
    """True when some of ``amounts`` add up to exactly ``paid``: a bookkeeper books those whole."""
    return any(
        sum(chosen, Decimal(0)) == paid
        for size in range(1, len(amounts) + 1)
        for chosen in itertools.combinations(amounts, size)
    )


def _ocr_exact(w: World) -> Tier:
    inv = w.invoice(w.name())
    w.distractors()
    w.line(
        inv.outstanding,
        [(inv, inv.outstanding)],
        references=(inv.ocr or "",),
        payer_name=w.payer(inv.customer_name),
    )
    return Tier.OCR_EXACT


def _ocr_bank_fee(w: World) -> Tier:
    inv = w.invoice(w.name())
    w.distractors()
    received = inv.outstanding - from_ore(w.rng.randint(500, 5000))
    w.line(received, [(inv, received)], references=(inv.ocr or "",))
    return Tier.OCR_TOLERANCE


def _ocr_partial(w: World) -> Tier:
    inv = w.invoice(w.name(), from_ore(w.rng.randint(200, 4000) * 1000))
    w.distractors()
    received = quantize(inv.outstanding * Decimal(w.rng.randint(20, 70)) / 100)
    w.line(received, [(inv, received)], references=(inv.ocr or "",))
    return Tier.OCR_PARTIAL


def _ocr_over(w: World) -> Tier:
    inv = w.invoice(w.name())
    w.distractors()
    received = inv.outstanding + from_ore(w.rng.randint(100, 2000) * 100)
    w.line(received, [(inv, received)], references=(inv.ocr or "",))
    return Tier.OCR_PARTIAL


def _ocr_typo(w: World) -> Tier:
    inv = w.invoice(w.name())
    w.distractors()
    w.line(inv.outstanding, [(inv, inv.outstanding)], references=(typo(w.rng, inv.ocr or ""),))
    return Tier.OCR_REPAIR


def _ocr_typo_ambiguous(w: World) -> Tier:
    """The typo is one step from two open OCRs with the same amount; the payer name decides."""
    inv = w.invoice(w.name())
    written = typo(w.rng, inv.ocr or "")
    other_ocr = next(v for v in one_slip_away(written) if v != inv.ocr)
    w.invoice(w.name(), inv.outstanding, ocr=other_ocr)
    w.distractors()
    w.line(
        inv.outstanding,
        [(inv, inv.outstanding)],
        references=(written,),
        payer_name=w.payer(inv.customer_name),
    )
    return Tier.OCR_REPAIR


def _no_reference(w: World) -> Tier:
    customer = w.name()
    invs = [
        w.invoice(customer, from_ore(w.rng.randint(50, 3000) * 1000 + k)) for k in range(w.rng.randint(1, 3))
    ]
    w.distractors()
    paid = w.rng.choice(invs)
    w.line(paid.outstanding, [(paid, paid.outstanding)], payer_name=w.payer(customer))
    return Tier.PAYER_AMOUNT


def _alias(w: World) -> Tier:
    """A person pays for the company and people confirmed that name before."""
    customer = w.name()
    inv = w.invoice(customer)
    w.distractors()
    payer = w.rng.choice(("ANNA LINDQVIST", "P-O ERIKSSON", "BETALNING FRAN KUND 4471", "ELIN BORG"))
    confirmed = ConfirmedPayer(COMPANY, payer, inv.customer_id, w.rng.randint(3, 9))
    w.line(inv.outstanding, [(inv, inv.outstanding)], payer_name=payer)
    w.taught = Taught(confirmed_payers=(confirmed,))
    return Tier.PAYER_AMOUNT


def _combined(w: World) -> Tier:
    customer = w.name()
    invs = [w.invoice(customer) for _ in range(w.rng.randint(2, 4))]
    w.distractors()
    total = sum((i.outstanding for i in invs), Decimal(0))
    ocrs = tuple(i.ocr or "" for i in invs)
    if w.rng.random() < 0.5:
        w.line(total, [(i, i.outstanding) for i in invs], references=ocrs)
    else:
        w.line(total, [(i, i.outstanding) for i in invs], free_text=" ".join(ocrs))
    return Tier.MULTI_REFERENCE


def _combined_oldest(w: World) -> Tier:
    """Three invoices named, money for less than all and no exact split: oldest first."""
    customer = w.name()
    invs = sorted((w.invoice(customer, age=30 + 10 * k) for k in range(3)), key=lambda i: i.due_date)
    w.distractors()
    paid = invs[0].outstanding + invs[1].outstanding + quantize(invs[2].outstanding / 3)
    if _some_add_up_to([i.outstanding for i in invs], paid):
        return _combined(w)
    expected = [(invs[0], invs[0].outstanding), (invs[1], invs[1].outstanding)]
    expected.append((invs[2], paid - invs[0].outstanding - invs[1].outstanding))
    w.line(paid, expected, references=tuple(i.ocr or "" for i in invs))
    return Tier.MULTI_REFERENCE


def _text(w: World) -> Tier:
    inv = w.invoice(w.name())
    w.distractors()
    text = w.rng.choice(
        ("Faktura {n}", "fakt nr {n}", "Betalning faktura {n} tack", "Inv. {n}", "FAKTURANR {n}")
    )
    w.line(inv.outstanding, [(inv, inv.outstanding)], free_text=text.format(n=inv.invoice_number))
    return Tier.TEXT_REFERENCE


def _number_as_ocr(w: World) -> Tier:
    """The payer typed the invoice number where the OCR belongs."""
    inv = w.invoice(w.name())
    w.distractors()
    w.line(inv.outstanding, [(inv, inv.outstanding)], references=(inv.invoice_number,))
    return Tier.TEXT_REFERENCE


def _foreign(w: World) -> Tier:
    rate = Decimal(w.rng.randint(1100, 1190)) / 100
    currency = w.rng.choice(("EUR", "USD"))
    inv = w.invoice(
        w.rng.choice(FOREIGN), from_ore(w.rng.randint(300, 5000) * 100), currency=currency, rate=rate
    )
    w.distractors()
    received = quantize(inv.outstanding_sek * Decimal(w.rng.randint(980, 1020)) / 1000)
    text = f"/INV/{inv.invoice_number} {inv.customer_name.upper()}"
    w.line(received, [(inv, received)], free_text=text)
    return Tier.FOREIGN_CURRENCY


def _psp(w: World) -> Tier:
    provider = w.rng.choice(("stripe", "paypal"))
    invs = [w.invoice(w.name(), from_ore(w.rng.randint(200, 3000) * 100)) for _ in range(w.rng.randint(2, 5))]
    w.distractors()
    charges = []
    expected = []
    for k, inv in enumerate(invs):
        fee = quantize(inv.outstanding * Decimal("0.014") + Decimal("1.80"))
        charges.append(PspCharge(f"ch_{w.index}_{k}", inv.outstanding, fee, "SEK", inv.invoice_number))
        expected.append((inv, inv.outstanding - fee))
    net = sum((c.gross - c.fee for c in charges), Decimal(0))
    payout_id = f"po_{w.rng.getrandbits(48):012x}"
    w.payouts.append(PspPayoutLine(COMPANY, provider, payout_id, net, "SEK", tuple(charges)))
    linked = payout_id if w.rng.random() < 0.5 else None
    w.line(net, expected, free_text=f"{provider.upper()} PAYOUT {payout_id}", psp_payout_id=linked)
    return Tier.PSP_PAYOUT


def _refund(w: World) -> Tier | None:
    inv = w.invoice(w.name())
    w.distractors()
    w.line(
        inv.outstanding,
        [],
        direction=Direction.DEBIT,
        free_text=f"Återbetalning faktura {inv.invoice_number}",
    )
    return None


def _look_alike(w: World) -> Tier:
    short, long = w.rng.choice(LOOK_ALIKES)
    amount = w.amount()
    w.invoice(short, amount)
    inv = w.invoice(long, amount)
    w.distractors()
    w.line(amount, [(inv, amount)], payer_name=long.upper())
    return Tier.PAYER_AMOUNT


def _two_companies(w: World) -> Tier:
    """Two companies minted the same OCR; each company's money must find its own invoice."""
    customer = w.name()
    mine = w.invoice(customer)
    theirs = w.invoice(w.name(), ocr=mine.ocr, company=OTHER_COMPANY)
    w.distractors()
    w.line(mine.outstanding, [(mine, mine.outstanding)], references=(mine.ocr or "",))
    w.line(
        theirs.outstanding,
        [(theirs, theirs.outstanding)],
        references=(mine.ocr or "",),
        company=OTHER_COMPANY,
    )
    return Tier.OCR_EXACT


def _closed(w: World) -> Tier | None:
    """The OCR of an invoice already paid (not in the open list): nothing to propose."""
    customer = w.name()
    w.invoice(customer)
    w.distractors()
    closed_ocr = make_ocr(f"{w.next_number - 500}{w.rng.randint(10, 99)}")
    w.line(w.amount(), [], references=(closed_ocr,), payer_name=w.payer(customer))
    return None


def _twins(w: World) -> Tier:
    """Two monthly invoices with the same amount and no reference: the older one is paid first."""
    customer = w.name()
    amount = w.amount()
    older = w.invoice(customer, amount, age=45)
    w.invoice(customer, amount, age=15)
    w.distractors()
    w.line(amount, [(older, amount)], payer_name=w.payer(customer))
    return Tier.PAYER_AMOUNT


def _rejected(w: World) -> Tier | None:
    """Someone rejected this OCR match before; it must never come back."""
    inv = w.invoice(w.name())
    w.distractors()
    line = w.line(inv.outstanding, [], references=(inv.ocr or "",))
    w.taught = Taught(rejected=frozenset({(line.id, inv.bokio_id)}))
    return None


def _fee_over_limit(w: World) -> Tier:
    """Right OCR, short by more than a bank fee: the money is a part payment, the rest stays open.

    Whether the shortfall is a fee, a dispute or a debt is a person's call later; writing it off
    now (a ``bankFee`` beyond the limit) would be wrong.
    """
    inv = w.invoice(w.name(), from_ore(w.rng.randint(2_000, 40_000) * 100))
    w.distractors()
    received = inv.outstanding - FEE_LIMIT - from_ore(w.rng.randint(1, 10_000))
    w.line(received, [(inv, received)], references=(inv.ocr or "",), write_off=Decimal(0))
    return Tier.OCR_PARTIAL


def _fx_drift_over_limit(w: World) -> None:
    """A foreign invoice paid in SEK just beyond the currency tolerance: a loss nobody agreed to."""
    rate = Decimal(w.rng.randint(1100, 1190)) / 100
    inv = w.invoice(
        w.rng.choice(FOREIGN), from_ore(w.rng.randint(300, 5000) * 100), currency="EUR", rate=rate
    )
    w.distractors()
    drift = FX_LIMIT_PERCENT + Decimal(w.rng.randint(1, 30)) / 10  # 0.1 to 3 points beyond
    sign = w.rng.choice((-1, 1))
    received = quantize(inv.outstanding_sek * (100 + sign * drift) / 100)
    w.for_person(received, free_text=f"/INV/{inv.invoice_number} {inv.customer_name.upper()}")


def _ocr_two_digit_typo(w: World) -> None:
    """Two digits of the OCR mistyped: no single slip leads back, so only a person can tell."""
    inv = w.invoice(w.name())
    w.distractors()
    written = two_digit_typo(w.rng, inv.ocr or "")
    if any(written == other.ocr for other in w.invoices):
        written = two_digit_typo(w.rng, written)
    w.for_person(inv.outstanding, references=(written,))


def _payer_of_another_customer(w: World) -> None:
    """No reference; the amount fits one customer's invoice, the payer's name is another customer's."""
    owner, payer = w.name(), w.name()
    inv = w.invoice(owner)
    w.invoice(payer, inv.outstanding + from_ore(w.rng.randint(1_000, 50_000)))
    w.distractors()
    w.for_person(inv.outstanding, payer_name=w.payer(payer))


def _amount_fits_two(w: World) -> None:
    """No reference and an unknown payer; two customers' invoices have exactly this amount."""
    amount = w.amount()
    w.invoice(w.name(), amount)
    w.invoice(w.name(), amount)
    w.distractors()
    w.for_person(
        amount, payer_name=w.rng.choice(("SWISH INBETALNING", "OKAND BETALARE", "KONTANTINSATTNING"))
    )


def _paid_twice(w: World) -> Tier:
    """The same OCR and amount arrive twice: the earlier pays the invoice, the later is a person's call."""
    inv = w.invoice(w.name())
    w.distractors()
    first = TODAY - dt.timedelta(days=w.rng.randint(2, 6))
    w.line(inv.outstanding, [(inv, inv.outstanding)], references=(inv.ocr or "",), booked=first)
    w.for_person(inv.outstanding, references=(inv.ocr or "",), booked=first + dt.timedelta(days=1))
    return Tier.OCR_EXACT


def _reversed(w: World) -> None:
    """The bank takes back a payment it credited: a reversal pays no invoice."""
    inv = w.invoice(w.name())
    w.distractors()
    w.line(inv.outstanding, [], references=(inv.ocr or "",), is_reversal=True)


_Builder = Callable[[World], Tier | None]
KINDS: dict[str, tuple[float, _Builder]] = {
    "ocr_exact": (60, _ocr_exact),
    "ocr_bank_fee": (4, _ocr_bank_fee),
    "ocr_partial": (3, _ocr_partial),
    "ocr_overpayment": (1, _ocr_over),
    "ocr_typo": (2, _ocr_typo),
    "ocr_typo_two_candidates": (0.5, _ocr_typo_ambiguous),
    "no_reference": (2, _no_reference),
    "confirmed_alias": (2, _alias),
    "combined_exact": (5, _combined),
    "combined_oldest_first": (0.5, _combined_oldest),
    "invoice_number_in_text": (4, _text),
    "invoice_number_as_ocr": (2, _number_as_ocr),
    "eur_usd_paid_in_sek": (3, _foreign),
    "psp_payout": (5, _psp),
    "refund_debit": (2, _refund),
    "look_alike_customer": (1, _look_alike),
    "two_companies_same_ocr": (3, _two_companies),
    "ocr_of_closed_invoice": (0.5, _closed),
    "two_invoices_same_amount": (0.5, _twins),
    "rejected_pair": (0.5, _rejected),
    "near_miss_fee_over_limit": (1, _fee_over_limit),
    "near_miss_fx_drift_over_limit": (1, _fx_drift_over_limit),
    "near_miss_ocr_two_digit_typo": (1, _ocr_two_digit_typo),
    "near_miss_payer_of_another_customer": (1, _payer_of_another_customer),
    "near_miss_amount_fits_two_invoices": (1, _amount_fits_two),
    "duplicate_payment": (0.5, _paid_twice),
    "reversal": (0.5, _reversed),
}
NEAR_MISSES = frozenset(kind for kind in KINDS if kind.startswith("near_miss_"))


def generate_corpus(seed: int = 2026, size: int = 2000) -> list[Scenario]:
    """``size`` labelled scenarios; scenario *i* depends only on (seed, i), not on ``size``."""
    names = sorted(KINDS)
    weights = [KINDS[n][0] for n in names]
    corpus = []
    for index in range(size):
        rng = random.Random(seed * 1_000_003 + index)
        kind = rng.choices(names, weights)[0]
        world = World(rng, index)
        tier = KINDS[kind][1](world)
        corpus.append(
            Scenario(
                kind=kind,
                tier=tier,
                invoices=tuple(world.invoices),
                bank_lines=tuple(world.lines),
                expected=world.expected,
                psp_payouts=tuple(world.payouts),
                taught=world.taught,
                for_a_person=frozenset(world.for_a_person),
            )
        )
    return corpus
