"""Money as :class:`~decimal.Decimal`, never float.

Amounts are parsed at the edges (Bokio JSON, bank files) and stay Decimal throughout. Where an
algorithm wants integers (subset sums), it works in öre via :func:`to_ore`.
"""

from __future__ import annotations

import decimal
from decimal import ROUND_HALF_EVEN, Decimal

ZERO = Decimal("0")
ORE = Decimal("0.01")


def D(value: str | int | Decimal) -> Decimal:
    """Build a Decimal from text or an int; refuses floats, which already lost precision.

    >>> D("0.1") + D("0.2")
    Decimal('0.3')
    """
    if isinstance(value, float):
        raise TypeError("money must not be built from a float")
    return Decimal(value)


def parse_amount(text: str) -> Decimal:
    """Parse an amount written the Swedish or the international way.

    Accepts a decimal comma or point, spaces / non-breaking spaces / apostrophes as thousands
    separators, and a leading or trailing minus sign.

    >>> parse_amount("1 234,50")
    Decimal('1234.50')
    >>> parse_amount("-12.5")
    Decimal('-12.5')
    >>> parse_amount("1.234,50")
    Decimal('1234.50')
    """
    cleaned = text.strip().replace("\u00a0", "").replace(" ", "").replace("'", "")
    negative = cleaned.startswith("-") or cleaned.endswith("-")
    cleaned = cleaned.strip("+-")
    if "," in cleaned and "." in cleaned:
        # whichever comes last is the decimal separator
        if cleaned.rfind(",") > cleaned.rfind("."):
            cleaned = cleaned.replace(".", "").replace(",", ".")
        else:
            cleaned = cleaned.replace(",", "")
    else:
        cleaned = cleaned.replace(",", ".")
    if not cleaned or not all(ch.isdigit() or ch == "." for ch in cleaned) or cleaned.count(".") > 1:
        raise ValueError(f"not an amount: {text!r}")
    try:
        value = Decimal(cleaned)
    except decimal.InvalidOperation as exc:  # pragma: no cover - guarded above
        raise ValueError(f"not an amount: {text!r}") from exc
    return -value if negative else value


def quantize(amount: Decimal) -> Decimal:
    """Round to öre with banker's rounding (as Swedish bookkeeping rounds sums)."""
    return amount.quantize(ORE, rounding=ROUND_HALF_EVEN)


def to_ore(amount: Decimal) -> int:
    """Exact conversion to integer öre; raises if the amount has fractions of an öre.

    >>> to_ore(Decimal("12.34"))
    1234
    """
    ore = amount * 100
    if ore != ore.to_integral_value():
        raise ValueError(f"{amount} has fractions of an öre")
    return int(ore)


def from_ore(ore: int) -> Decimal:
    """Integer öre back to a two-decimal amount.

    >>> from_ore(1234)
    Decimal('12.34')
    """
    return (Decimal(ore) / 100).quantize(ORE)
