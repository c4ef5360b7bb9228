"""Matching policy (per company) and matching memory, as validated immutable values.

:class:`MatchRules` is a frozen pydantic model with ``extra="forbid"``: the settings loader
validates each company's ``[companies.matching]`` TOML table with it (:func:`rule_problems`), so a
misspelled key or a bad value fails at startup, every one named, instead of silently using a
default.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationError,
    field_validator,
)
from pydantic_core import ErrorDetails

from syncd.domain.invoice_math import DEFAULT_SETTLEMENT_SIGN, SettlementSign
from syncd.domain.models import Tier, VatScheme
from syncd.errors import ConfigError

DEFAULT_AUTO_TIERS = frozenset(t for t in Tier if t is not Tier.OCR_REPAIR)
# Stripe, PayPal and Adyen bill from EU entities (reconciliation.md §0.4); Klarna is left to the
# company because domestic vs exempt depends on the contract.
DEFAULT_PSP_VAT = MappingProxyType({"stripe": VatScheme.EU, "paypal": VatScheme.EU, "adyen": VatScheme.EU})


class MatchRules(BaseModel):
    """What the matcher may decide on its own; defaults are conservative.

    Strict where TOML could mislead: a quoted number is no integer and ``"yes"`` is no boolean.
    Amounts and percentages are Decimals (TOML has none: a float a person typed converts exactly
    through its shortest ``repr``).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    bank_fee_tolerance: Decimal = Field(default=Decimal("50.00"), ge=0, allow_inf_nan=False)
    """A payment short by at most this (SEK) closes with a ``bankFee`` settlement."""
    bank_fee_tolerance_percent: Decimal = Field(default=Decimal("0"), ge=0, le=100, allow_inf_nan=False)
    """…or by at most this percentage of the outstanding; the larger allowance applies."""
    auto_tiers: frozenset[Tier] = DEFAULT_AUTO_TIERS
    """Tiers allowed to auto-accept at all; each tier still has its own conditions."""
    ocr_repair_auto: StrictBool = False
    """Auto-accept a repaired OCR (unique candidate, exact amount) instead of queueing it."""
    name_score_review: StrictInt = Field(default=85, ge=0, le=100)
    """Minimum payer-name similarity (0-100, after normalising) to suggest a customer."""
    date_window_days_before: StrictInt = Field(default=180, ge=0)
    """Payer tier: consider invoices dated at most this many days before the payment."""
    date_window_days_after: StrictInt = Field(default=14, ge=0)
    """…and at most this many days after it (prepayments)."""
    alias_confirmations_for_auto: StrictInt = Field(default=3, ge=1)
    """Payer tier auto-accepts only for an alias confirmed at least this many times."""
    fx_tolerance_percent: Decimal = Field(default=Decimal("3"), ge=0, le=100, allow_inf_nan=False)
    """A SEK payment of a foreign invoice closes it when within this % of its SEK value."""
    currency_sign: SettlementSign = DEFAULT_SETTLEMENT_SIGN
    """How Bokio reads a currency settlement's sign: one shared assumption (invoice_math, design §2.5)."""
    psp_vat_scheme: Mapping[str, VatScheme] = Field(default_factory=lambda: DEFAULT_PSP_VAT)
    """VAT scheme of each PSP's fees by provider; a table given here adds to the defaults."""
    subset_max_candidates: StrictInt = Field(default=20, ge=1, le=24)
    """At most this many invoices enter a subset-sum search (it is exponential)."""
    stripe_reference_keys: tuple[StrictStr, ...] = ()
    """Stripe report columns holding the Bokio invoice number, first non-empty wins (lower case);
    empty: the usual ones (``syncd.bankfiles.psp.STRIPE_REFERENCE_KEYS``). Read at import."""

    @field_validator("psp_vat_scheme", mode="after")
    @classmethod
    def _over_the_defaults(cls, value: Mapping[str, VatScheme]) -> Mapping[str, VatScheme]:
        table = dict(DEFAULT_PSP_VAT)
        table.update({provider.strip().lower(): scheme for provider, scheme in value.items()})
        return MappingProxyType(table)

    @field_validator("stripe_reference_keys", mode="after")
    @classmethod
    def _column_names(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        names = [name.strip().lower() for name in value]
        if not names or not all(names):
            raise ValueError("must be a non-empty list of column names (none of them empty)")
        return tuple(dict.fromkeys(names))

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


@dataclass(frozen=True, slots=True)
class RuleProblem:
    """One bad key of a matching table: ``key`` is dotted below the table (``psp_vat_scheme.klarna``)."""

    key: str
    message: str


KNOWN_RULES = tuple(sorted(MatchRules.model_fields))
_TOML_WORDS = {"a valid frozenset": "a list", "a valid tuple": "a list", "a valid decimal": "a number"}


def _problem(error: ErrorDetails) -> RuleProblem:
    """A pydantic error as what a person fixes: which key, what is wrong, what is allowed."""
    key = ".".join(str(part) for part in error["loc"] if not isinstance(part, int))
    items = [part for part in error["loc"] if isinstance(part, int)]
    if error["type"] == "extra_forbidden":
        close = difflib.get_close_matches(key, KNOWN_RULES, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return RuleProblem(key, f"unknown matching rule {key!r}{hint} (known: {', '.join(KNOWN_RULES)})")
    where = f" (item {items[0] + 1})" if items else ""
    reason = error["msg"].removeprefix("Value error, ")
    for python, toml in _TOML_WORDS.items():
        reason = reason.replace(python, toml)
    return RuleProblem(key, f"matching rule {key}{where}: {reason}, got {error['input']!r}")


def rule_problems(table: Mapping[str, Any]) -> tuple[MatchRules | None, list[RuleProblem]]:
    """Validate a ``[companies.matching]`` table: the rules, or every problem (not only the first)."""
    try:
        return MatchRules.model_validate(dict(table)), []
    except ValidationError as exc:
        return None, [_problem(error) for error in exc.errors()]


def rules_from_mapping(table: Mapping[str, Any], *, source: str | None = None) -> MatchRules:
    """Build :class:`MatchRules` from a config table; a ConfigError names each bad key (and ``source``).

    >>> rules_from_mapping({"bank_fee_tolerance": "25", "psp_vat_scheme": {"Klarna": "domestic"}})
    ... # doctest: +ELLIPSIS
    MatchRules(bank_fee_tolerance=Decimal('25'), ...)
    """
    rules, problems = rule_problems(table)
    if rules is not None:
        return rules
    if len(problems) == 1:
        raise ConfigError(problems[0].message, key=problems[0].key, source=source)
    listed = "; ".join(p.message for p in problems)
    raise ConfigError(
        f"{len(problems)} problems in the matching rules: {listed}", key=problems[0].key, source=source
    )
