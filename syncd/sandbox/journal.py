"""Journal-entry lines the sandbox mints on ``record`` (BAS accounts; Bokio documents none of this).

Choices: revenue 3001/3002/3003/3004 and output VAT 2611/2621/2631 by tax rate, receivables
1510; bank fees 6570; currency loss 7960 / gain 3960; payment-service fees 6570 (domestic, EU),
6590 (non-EU), 6990 (VAT exempt), with reverse-charge VAT 2645 (debit) / 2614 (credit) at 25 %
for EU and non-EU. Foreign-currency lines are converted with the invoice's ``currencyRate``.
Öresavrundning (when the company's readings round) goes to 3740 beside the receivable.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from syncd.domain.money import ZERO, quantize
from syncd.sandbox import rules
from syncd.sandbox.readings import SettlementSign

REVENUE_BY_RATE = {Decimal(25): 3001, Decimal(12): 3002, Decimal(6): 3003, Decimal(0): 3004}
VAT_BY_RATE = {Decimal(25): 2611, Decimal(12): 2621, Decimal(6): 2631}
RECEIVABLES = 1510
Line = tuple[int, Decimal, Decimal]  # (account, debit, credit)


def invoice_lines(invoice: dict[str, Any], rounding: Decimal, *, credit_note: bool = False) -> list[Line]:
    """Debit receivables, credit revenue and VAT per rate and the rounding (reversed for a credit note)."""
    rate = Decimal(invoice["currencyRate"])
    per_account: dict[int, Decimal] = {}
    for line, totals in _priced(invoice["lineItems"]):
        revenue = line.get("bookkeepingAccountNumber") or REVENUE_BY_RATE.get(totals.tax_rate, 3001)
        per_account[revenue] = per_account.get(revenue, ZERO) + quantize(totals.net * rate)
        if totals.vat:
            vat_account = VAT_BY_RATE.get(totals.tax_rate, 2611)
            per_account[vat_account] = per_account.get(vat_account, ZERO) + quantize(totals.vat * rate)
    rounded = quantize(rounding * rate)
    receivable = sum(per_account.values(), rounded)
    lines: list[Line] = [(RECEIVABLES, receivable, ZERO)]
    lines += [(account, ZERO, amount) for account, amount in per_account.items()]
    if rounded:
        lines.append(_credit(rules.ROUNDING_ACCOUNT, rounded))
    return [(a, c, d) for a, d, c in lines] if credit_note else lines


def _priced(lines: list[dict[str, Any]]) -> list[tuple[dict[str, Any], rules.Line]]:
    return [(line, totals) for line in lines if (totals := rules.sales_line(line)) is not None]


def _credit(account: int, amount: Decimal) -> Line:
    """A credit line; a negative amount (öresavrundning down) is a debit."""
    return (account, ZERO, amount) if amount >= 0 else (account, -amount, ZERO)


def payment_lines(account: int, amount: Decimal) -> list[Line]:
    """Money in on the payment account, receivable reduced."""
    return _pair(account, RECEIVABLES, amount)


def settlement_lines(kind: str, details: dict[str, Any], sign: SettlementSign) -> list[Line]:
    """Book a settlement: the effect on the receivable against the matching cost/income account."""
    effect = rules.settlement_effect(kind, Decimal(details["sumBaseCurrency"]), sign)
    if kind == "currency":
        return _pair(7960, RECEIVABLES, effect) if effect > 0 else _pair(RECEIVABLES, 3960, -effect)
    if kind == "bankFee":
        return _pair(6570, RECEIVABLES, effect)
    scheme = details.get("vatScheme", "domestic")
    expense = {"domestic": 6570, "eu": 6570, "nonEu": 6590}.get(scheme, 6990)
    lines = _pair(expense, RECEIVABLES, effect)
    if scheme in ("eu", "nonEu"):
        lines += _pair(2645, 2614, quantize(effect * Decimal("0.25")))
    return lines


def _pair(debit_account: int, credit_account: int, amount: Decimal) -> list[Line]:
    if amount < 0:
        debit_account, credit_account, amount = credit_account, debit_account, -amount
    return [(debit_account, amount, ZERO), (credit_account, ZERO, amount)]


def reversed_lines(items: list[dict[str, Any]]) -> list[Line]:
    """Swap debit and credit of an entry's items (for un-doing a deleted recorded payment)."""
    return [(item["account"], item["credit"], item["debit"]) for item in items]
