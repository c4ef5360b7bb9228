"""Matching policy (per company) and matching memory, as validated immutable values.

The settings loader calls :func:`rules_from_mapping` with a company's ``[companies.matching]``
TOML table; every problem is a :class:`~syncd.errors.ConfigError` naming the offending key, so
a typo fails at startup instead of silently using a default.
"""

from __future__ import annotations

import decimal
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Any, TypeVar

from syncd.domain.invoice_math import DEFAULT_SETTLEMENT_SIGN, SettlementSign
from syncd.domain.models import Tier, VatScheme
from syncd.errors import ConfigError

E = TypeVar("E", bound=StrEnum)


DEFAULT_AUTO_TIERS = frozenset(t for t in Tier if t is not Tier.OCR_REPAIR)
# Stripe, PayPal and Adyen bill from EU entities (reconciliation.md §0.4); Klarna is left to the
# company because domestic vs exempt depends on the contract.
DEFAULT_PSP_VAT = MappingProxyType({"stripe": VatScheme.EU, "paypal": VatScheme.EU, "adyen": VatScheme.EU})


@dataclass(frozen=True, slots=True)
class MatchRules:
    """What the matcher may decide on its own; defaults are conservative."""

    bank_fee_tolerance: Decimal = Decimal("50.00")
    """A payment short by at most this (SEK) closes with a ``bankFee`` settlement."""
    bank_fee_tolerance_percent: Decimal = Decimal("0")
    """…or by at most this percentage of the outstanding; the larger allowance applies."""
    auto_tiers: frozenset[Tier] = DEFAULT_AUTO_TIERS
    """Tiers allowed to auto-accept at all; each tier still has its own conditions."""
    ocr_repair_auto: bool = False
    """Auto-accept a repaired OCR (unique candidate, exact amount) instead of queueing it."""
    name_score_review: int = 85
    """Minimum payer-name similarity (0-100, after normalising) to suggest a customer."""
    date_window_days_before: int = 180
    """Payer tier: consider invoices dated at most this many days before the payment."""
    date_window_days_after: int = 14
    """…and at most this many days after it (prepayments)."""
    alias_confirmations_for_auto: int = 3
    """Payer tier auto-accepts only for an alias confirmed at least this many times."""
    fx_tolerance_percent: Decimal = Decimal("3")
    """A SEK payment of a foreign invoice closes it when within this % of its SEK value."""
    currency_sign: SettlementSign = DEFAULT_SETTLEMENT_SIGN
    """How Bokio reads a currency settlement's sign: one shared assumption (invoice_math, design §2.5)."""
    psp_vat_scheme: Mapping[str, VatScheme] = field(default_factory=lambda: DEFAULT_PSP_VAT)
    subset_max_candidates: int = 20
    """At most this many invoices enter a subset-sum search (it is exponential)."""
    stripe_reference_keys: tuple[str, ...] = ()
    """Stripe report columns holding the Bokio invoice number, first non-empty wins (lower case);
    empty: the usual ones (``syncd.bankfiles.psp.STRIPE_REFERENCE_KEYS``). Read at import."""

    def __post_init__(self) -> None:
        _require(self.bank_fee_tolerance >= 0, "bank_fee_tolerance", "must be >= 0")
        _require(0 <= self.bank_fee_tolerance_percent <= 100, "bank_fee_tolerance_percent", "must be 0-100")
        _require(0 <= self.name_score_review <= 100, "name_score_review", "must be 0-100")
        _require(self.date_window_days_before >= 0, "date_window_days_before", "must be >= 0")
        _require(self.date_window_days_after >= 0, "date_window_days_after", "must be >= 0")
        _require(self.alias_confirmations_for_auto >= 1, "alias_confirmations_for_auto", "must be >= 1")
        _require(0 <= self.fx_tolerance_percent <= 100, "fx_tolerance_percent", "must be 0-100")
        _require(1 <= self.subset_max_candidates <= 24, "subset_max_candidates", "must be 1-24")

    def allows_auto(self, tier: Tier) -> bool:
        """True if ``tier`` may auto-accept (OCR repair also needs ``ocr_repair_auto``)."""
        return tier in self.auto_tiers or (tier is Tier.OCR_REPAIR and self.ocr_repair_auto)

    def fee_allowance(self, outstanding: Decimal) -> Decimal:
        """The largest shortfall written off as a bank fee for this outstanding amount."""
        return max(self.bank_fee_tolerance, outstanding * self.bank_fee_tolerance_percent / 100)

    def vat_scheme_for(self, provider: str) -> VatScheme | None:
        """The configured VAT scheme of a PSP's fees, or None when nobody configured it."""
        return self.psp_vat_scheme.get(provider.strip().lower())


@dataclass(frozen=True, slots=True)
class PayerAlias:
    """A payer name (as the bank writes it) a person confirmed as belonging to a customer."""

    company_id: str
    payer_name: str
    customer_id: str
    confirmations: int


@dataclass(frozen=True, slots=True)
class MatchMemory:
    """What people taught the matcher: pairs they rejected and payer names they confirmed."""

    rejected: frozenset[tuple[str, str]] = frozenset()
    """(bank_line_id, invoice_id) pairs never to propose again."""
    aliases: tuple[PayerAlias, ...] = ()


def _require(ok: bool, key: str, message: str) -> None:
    if not ok:
        raise ConfigError(f"matching rule {key} {message}", key=key)


def _decimal(key: str, value: Any) -> Decimal:
    # TOML has no decimal type; a float literal typed by a person round-trips exactly via str().
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise ConfigError(f"matching rule {key} must be a number, got {value!r}", key=key)
    try:
        result = Decimal(str(value))
    except decimal.InvalidOperation as exc:
        raise ConfigError(f"matching rule {key} must be a number, got {value!r}", key=key) from exc
    _require(result.is_finite(), key, "must be finite")
    return result


def _int(key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"matching rule {key} must be an integer, got {value!r}", key=key)
    return value


def _bool(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"matching rule {key} must be true or false, got {value!r}", key=key)
    return value


def _enum(key: str, value: Any, enum: type[E]) -> E:
    try:
        return enum(value)
    except ValueError as exc:
        allowed = ", ".join(e.value for e in enum)
        raise ConfigError(f"matching rule {key} must be one of {allowed}, got {value!r}", key=key) from exc


def _tiers(key: str, value: Any) -> frozenset[Tier]:
    if not isinstance(value, list | tuple):
        raise ConfigError(f"matching rule {key} must be a list of tier names", key=key)
    return frozenset(_enum(key, item, Tier) for item in value)


def _columns(key: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list | tuple) or not value:
        raise ConfigError(f"matching rule {key} must be a non-empty list of column names", key=key)
    names = []
    for item in value:
        if not isinstance(item, str) or not item.strip():
            raise ConfigError(f"matching rule {key} must list column names, got {item!r}", key=key)
        names.append(item.strip().lower())
    return tuple(dict.fromkeys(names))


def _vat(key: str, value: Any) -> Mapping[str, VatScheme]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"matching rule {key} must be a table of provider = scheme", key=key)
    table = dict(DEFAULT_PSP_VAT)
    for provider, scheme in value.items():
        table[str(provider).strip().lower()] = _enum(f"{key}.{provider}", scheme, VatScheme)
    return MappingProxyType(table)


_PARSERS: dict[str, Any] = {
    "bank_fee_tolerance": _decimal,
    "bank_fee_tolerance_percent": _decimal,
    "auto_tiers": _tiers,
    "ocr_repair_auto": _bool,
    "name_score_review": _int,
    "date_window_days_before": _int,
    "date_window_days_after": _int,
    "alias_confirmations_for_auto": _int,
    "fx_tolerance_percent": _decimal,
    "currency_sign": lambda key, value: _enum(key, value, SettlementSign),
    "psp_vat_scheme": _vat,
    "subset_max_candidates": _int,
    "stripe_reference_keys": _columns,
}
assert set(_PARSERS) == {f.name for f in fields(MatchRules)}  # noqa: S101 - import-time self-check


def rules_from_mapping(table: Mapping[str, Any]) -> MatchRules:
    """Build :class:`MatchRules` from a config table; unknown keys and bad values name the key.

    >>> rules_from_mapping({"bank_fee_tolerance": "25", "psp_vat_scheme": {"Klarna": "domestic"}})
    ... # doctest: +ELLIPSIS
    MatchRules(bank_fee_tolerance=Decimal('25'), ...)
    """
    unknown = sorted(set(table) - set(_PARSERS))
    if unknown:
        raise ConfigError(
            f"unknown matching rule {unknown[0]!r}; known: {', '.join(sorted(_PARSERS))}", key=unknown[0]
        )
    values = {key: _PARSERS[key](key, value) for key, value in table.items()}
    return MatchRules(**values)
