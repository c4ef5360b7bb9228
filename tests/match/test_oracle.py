"""The matcher gives exactly what the previous matcher gave, on inputs full of ambiguity.

The payer tier now asks the book only for customers whose open invoices can add up to the amount
(issue 16: scoring every similar name grew with the book). The previous matcher is kept in
``oracle_match`` only to check that: same allocations, evidence, decisions and problems, in the
same order, for worlds with repeated prices, several invoices per customer, near-identical
customer names, customers with more open invoices than the sum index holds, partial payments
that change what is left before the payer tier runs, aliases, rejected pairs and tight rules.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from match_builders import TODAY
from oracle_match.engine import propose as previous

from syncd.domain.models import BankLine, Direction, MatchResult, OpenInvoice, ProblemCode, Tier
from syncd.domain.money import quantize
from syncd.domain.references import make_ocr
from syncd.match import MatchMemory, MatchRules, PayerAlias, propose
from syncd.match.book import SUM_INDEX_MAX
from tests.bench.bench_match import TODAY as BENCH_TODAY
from tests.bench.bench_match import build

COMPANIES = ("bolag-a", "bolag-b")
SURNAMES = ("Bergström", "Bergstrom", "Bergströms", "Lindqvist", "Lindkvist", "Svensson", "Svenssons")
TRADES = ("Bygg", "Byggare", "El", "Måleri", "Konsult")
PRICES = tuple(Decimal(p) for p in ("495.00", "990.00", "1250.00", "1485.00", "2475.00", "3960.00"))
RULES = (
    MatchRules(),
    MatchRules(name_score_review=0, alias_confirmations_for_auto=1),
    MatchRules(subset_max_candidates=3, date_window_days_before=40, date_window_days_after=0),
    MatchRules(name_score_review=95, bank_fee_tolerance=Decimal("0")),
)

World = tuple[list[OpenInvoice], list[BankLine], MatchMemory]


def _name(rng: random.Random) -> str:
    words = [rng.choice(SURNAMES), rng.choice(TRADES)]
    if rng.random() < 0.5:
        words.append(str(rng.randrange(12)))
    if rng.random() < 0.1:
        words = ["Ek", "El", str(rng.randrange(3))]  # no word long enough for a block key
    return " ".join(words) + rng.choice((" AB", " HB", ""))


def _invoices(rng: random.Random, customers: int) -> list[OpenInvoice]:
    invoices: list[OpenInvoice] = []
    for company in COMPANIES:
        for c in range(customers):
            name = _name(rng)
            # a few customers with more open invoices than the sum index holds
            count = SUM_INDEX_MAX + rng.randint(1, 4) if c % 17 == 0 else rng.choice((1, 1, 2, 3, 4, 6))
            for _ in range(count):
                invoices.append(_invoice(rng, company, f"{company}/c{c}", name, len(invoices)))
    return invoices


def _invoice(rng: random.Random, company: str, customer_id: str, name: str, k: int) -> OpenInvoice:
    foreign = rng.random() < 0.08
    rate = Decimal("11.45") if foreign else Decimal(1)
    gross = rng.choice(PRICES) * rng.randint(1, 3)
    outstanding = gross if rng.random() < 0.85 else gross - rng.choice(PRICES[:2])
    issued = TODAY - dt.timedelta(days=rng.randint(-20, 220))  # some outside the payer tier's window
    return OpenInvoice(
        company,
        f"{company}-inv-{k}",
        str(5000 + k),
        make_ocr(f"{5000 + k}3"),
        customer_id,
        name,
        "EUR" if foreign else "SEK",
        rate,
        gross,
        outstanding,
        quantize(outstanding * rate),
        issued,
        issued + dt.timedelta(days=30),
    )


def _payer(rng: random.Random, inv: OpenInvoice) -> str:
    name = inv.customer_name
    return rng.choice(
        (
            name.upper(),
            name.upper().replace("Ö", "O"),
            name.upper()[:13],  # cut short by the bank
            f"{rng.choice(SURNAMES)} {rng.choice(TRADES)}".upper(),
            name.upper().replace("AB", "").strip() + " 1",
        )
    )


def _amount(rng: random.Random, inv: OpenInvoice, same_customer: list[OpenInvoice]) -> Decimal:
    roll = rng.random()
    if roll < 0.45:
        return inv.outstanding
    if roll < 0.75 and len(same_customer) > 1:
        return sum(
            (i.outstanding for i in rng.sample(same_customer, rng.randint(2, min(4, len(same_customer))))),
            Decimal(0),
        )
    if roll < 0.9:
        return rng.choice(PRICES) * rng.randint(1, 4)
    return inv.outstanding - Decimal("0.50")


def _line(rng: random.Random, k: int, inv: OpenInvoice, customers: dict[str, list[OpenInvoice]]) -> BankLine:
    kind = rng.random()
    refs: tuple[str, ...] = ()
    text = payer = ""
    amount = inv.outstanding_sek
    currency = "SEK"
    if kind < 0.2:  # an OCR, sometimes short: what is left changes before the payer tier
        refs = (inv.ocr or "",)
        amount = inv.outstanding_sek - (rng.choice(PRICES[:2]) if rng.random() < 0.4 else 0)
    elif kind < 0.27:
        text = f"Faktura {inv.invoice_number}"
    else:  # who paid and how much
        payer = _payer(rng, inv)
        amount = _amount(rng, inv, customers[inv.customer_id])
        currency = "EUR" if inv.currency == "EUR" and rng.random() < 0.5 else "SEK"
    direction = Direction.DEBIT if rng.random() < 0.03 else Direction.CREDIT
    return BankLine(
        inv.company_id,
        f"bl-{k}",
        TODAY - dt.timedelta(days=rng.randint(0, 60)),
        max(amount, Decimal("1.00")),
        currency,
        direction,
        False,
        refs,
        text,
        payer,
    )


def world(seed: int, *, customers: int = 40, lines: int = 300) -> World:
    """Two companies, repeated prices, near-identical names; payers paying one or several invoices."""
    rng = random.Random(seed)
    invoices = _invoices(rng, customers)
    by_customer: dict[str, list[OpenInvoice]] = {}
    for inv in invoices:
        by_customer.setdefault(inv.customer_id, []).append(inv)
    bank = [_line(rng, k, rng.choice(invoices), by_customer) for k in range(lines)]
    bank += [  # the same payment twice: the second meets what the first left
        BankLine(b.company_id, f"{b.id}-again", b.booking_date, b.amount, b.currency, payer_name=b.payer_name)
        for b in rng.sample(bank, lines // 10)
        if b.payer_name
    ]
    aliases = [
        PayerAlias(inv.company_id, _payer(rng, inv), inv.customer_id, rng.randint(0, 5))
        for inv in rng.sample(invoices, min(30, len(invoices)))
    ]
    aliases.append(PayerAlias(COMPANIES[0], "BERGSTROM BYGG", "no-such-customer", 9))
    rejected = frozenset((rng.choice(bank).id, rng.choice(invoices).bokio_id) for _ in range(40))
    return invoices, bank, MatchMemory(rejected, tuple(aliases))


def _same(
    invoices: list[OpenInvoice], lines: list[BankLine], memory: MatchMemory, rules: MatchRules
) -> MatchResult:
    now = propose(invoices, lines, rules, memory, today=TODAY)
    assert now == previous(invoices, lines, rules, memory, today=TODAY)
    return now


@pytest.mark.parametrize("rules", RULES, ids=("default", "any-name", "tight", "strict-names"))
@pytest.mark.parametrize("seed", range(4))
def test_ambiguous_worlds_give_exactly_what_the_previous_matcher_gave(seed: int, rules: MatchRules):
    invoices, lines, memory = world(seed)
    result = _same(invoices, lines, memory, rules)
    payer_lines = {a.bank_line_id for a in result.allocations if a.tier is Tier.PAYER_AMOUNT}
    assert len(payer_lines) >= 10  # the payer tier had real work under every rule set


def test_the_worlds_hold_what_the_comparison_is_about():
    invoices, lines, memory = world(0)
    result = _same(invoices, lines, memory, MatchRules(name_score_review=0, alias_confirmations_for_auto=1))
    per_customer = Counter(inv.customer_id for inv in invoices)
    assert max(per_customer.values()) > SUM_INDEX_MAX  # customers the index cannot hold
    assert Counter(inv.outstanding for inv in invoices).most_common(1)[0][1] >= 20  # repeated prices
    payer = [a for a in result.allocations if a.tier is Tier.PAYER_AMOUNT]
    assert {a.decision.value for a in payer} == {"auto", "review"}
    assert max(Counter(a.bank_line_id for a in payer).values()) > 1  # several invoices by one sum
    assert any(p.code is ProblemCode.AMBIGUOUS for p in result.problems)


def test_the_benchmarks_ambiguous_book_gives_exactly_what_the_previous_matcher_gave():
    invoices, lines, payouts = build(3000, seed=7, ambiguous=True)
    now = propose(invoices, lines, MatchRules(), MatchMemory(), today=BENCH_TODAY, psp_payouts=payouts)
    assert now == previous(
        invoices, lines, MatchRules(), MatchMemory(), today=BENCH_TODAY, psp_payouts=payouts
    )
    assert sum(1 for a in now.allocations if a.tier is Tier.PAYER_AMOUNT) > 100


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10**9), customers=st.integers(1, 12), lines=st.integers(1, 60))
def test_small_random_worlds_give_exactly_what_the_previous_matcher_gave(
    seed: int, customers: int, lines: int
):
    invoices, bank, memory = world(seed, customers=customers, lines=lines)
    _same(invoices, bank, memory, RULES[seed % len(RULES)])
