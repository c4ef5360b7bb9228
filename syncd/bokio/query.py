"""Builder for Bokio's ``query`` filter grammar (reference §3.2).

``property<op>value`` joined by ``&&`` or ``||``; values are written unquoted exactly as Bokio's
examples show (``status!=draft``, ``invoiceDate>=2026-01-01``,
``modifiedDateTime>=2026-01-01T00:00:00Z``, ``metadata.externalId==EXT-1``). URL encoding is not
done here: the client percent-encodes the whole parameter (see :func:`syncd.bokio.wire.encode_query`).

What the docs leave open is refused rather than guessed: no quoting or escaping exists, so a
string containing ``&&`` or ``||`` raises; precedence of ``&&`` vs ``||`` is undocumented, so an
expression may use one of them, not both; ``~`` only applies to strings and ``< > <= >=`` not to
strings, as the operator table says.

>>> str((F("status") != "draft") & (F("invoiceDate") >= dt.date(2026, 1, 1)))
'status!=draft&&invoiceDate>=2026-01-01'
>>> str(F.metadata("externalId") == "EXT-1")
'metadata.externalId==EXT-1'
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

Value = str | int | Decimal | dt.date | dt.datetime

_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,24}$")
_FIELD = re.compile(r"^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


def format_value(value: Value) -> str:
    """Render one value as Bokio expects it in a filter."""
    if isinstance(value, bool):
        raise TypeError("booleans are not filterable in Bokio's grammar")
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ValueError("date-time filters need an aware datetime (Bokio compares in UTC)")
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError("cannot filter on a non-finite number")
        return format(value, "f")
    if isinstance(value, int):
        return str(value)
    if "&&" in value or "||" in value:
        raise ValueError(f"Bokio's filter grammar has no escaping; cannot search for {value!r}")
    return value


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    value: Value

    def __str__(self) -> str:
        return f"{self.field}{self.op}{format_value(self.value)}"

    def __and__(self, other: Condition | Query) -> Query:
        return Query("&&", (self,)) & other

    def __or__(self, other: Condition | Query) -> Query:
        return Query("||", (self,)) | other


@dataclass(frozen=True)
class Query:
    """Conditions joined by one connective (``&&`` or ``||``)."""

    joiner: str
    conditions: tuple[Condition, ...]

    def _join(self, joiner: str, other: Condition | Query) -> Query:
        extra = (other,) if isinstance(other, Condition) else other.conditions
        mixed = isinstance(other, Query) and len(other.conditions) > 1 and other.joiner != joiner
        if (len(self.conditions) > 1 and self.joiner != joiner) or mixed:
            raise ValueError("mixing && and || is refused: Bokio does not document their precedence")
        return Query(joiner, self.conditions + extra)

    def __and__(self, other: Condition | Query) -> Query:
        return self._join("&&", other)

    def __or__(self, other: Condition | Query) -> Query:
        return self._join("||", other)

    def __str__(self) -> str:
        return self.joiner.join(str(c) for c in self.conditions)


class F:
    """A filterable property; comparison operators build :class:`Condition` objects."""

    def __init__(self, name: str) -> None:
        if not _FIELD.match(name):
            raise ValueError(f"not a Bokio property name: {name!r}")
        self.name = name

    @classmethod
    def metadata(cls, key: str) -> F:
        """``metadata.<key>``; keys start with a letter or ``_``, ≤ 25 chars (reference §3.3)."""
        if not _KEY.match(key):
            raise ValueError(f"not a valid metadata key: {key!r}")
        return cls(f"metadata.{key}")

    def _cmp(self, op: str, value: Value) -> Condition:
        if isinstance(value, str) and op in (">", "<", ">=", "<="):
            raise TypeError(f"{op} does not apply to strings in Bokio's grammar")
        return Condition(self.name, op, value)

    def __eq__(self, value: Value) -> Condition:  # type: ignore[override]
        return self._cmp("==", value)

    def __ne__(self, value: Value) -> Condition:  # type: ignore[override]
        return self._cmp("!=", value)

    def __gt__(self, value: Value) -> Condition:
        return self._cmp(">", value)

    def __lt__(self, value: Value) -> Condition:
        return self._cmp("<", value)

    def __ge__(self, value: Value) -> Condition:
        return self._cmp(">=", value)

    def __le__(self, value: Value) -> Condition:
        return self._cmp("<=", value)

    __hash__ = None  # type: ignore[assignment]

    def contains(self, value: str) -> Condition:
        """``~``: case-sensitive substring match, strings only."""
        if not isinstance(value, str):
            raise TypeError("~ (contains) applies to strings only")
        return Condition(self.name, "~", value)


def render(query: Condition | Query | str | None) -> str | None:
    """Accept a built expression or a raw string (already in Bokio's grammar)."""
    return None if query is None else str(query)


# ----- the filters syncd's pull uses, named so callers need not spell Bokio's property names -----
def status_is_one_of(statuses: Iterable[str]) -> str:
    """``status==a||status==b…``: invoices in any of these statuses.

    >>> status_is_one_of(["published", "overdue"])
    'status==published||status==overdue'
    """
    conditions = [F("status") == status for status in statuses]
    if not conditions:
        raise ValueError("no statuses to filter on")
    return str(Query("||", tuple(conditions)))


def invoice_dated_from(day: dt.date) -> str:
    """``invoiceDate>=day``: invoices dated on or after ``day``."""
    return str(F("invoiceDate") >= day)


def modified_since(instant: dt.datetime) -> str:
    """``modifiedDateTime>=instant``: records changed at or after ``instant`` (customers)."""
    return str(F("modifiedDateTime") >= instant)


def paid_dated_from(day: dt.date) -> str:
    """``status==paid&&invoiceDate>=day``: paid invoices dated on or after ``day``."""
    return str((F("status") == "paid") & (F("invoiceDate") >= day))


def invoice_dated_between(start: dt.date | None, end: dt.date | None) -> str | None:
    """``invoiceDate>=start&&invoiceDate<end`` (either bound optional; None: no filter).

    >>> invoice_dated_between(dt.date(2026, 1, 1), dt.date(2026, 2, 1))
    'invoiceDate>=2026-01-01&&invoiceDate<2026-02-01'
    >>> invoice_dated_between(None, dt.date(2026, 2, 1))
    'invoiceDate<2026-02-01'
    """
    parts = ([F("invoiceDate") >= start] if start else []) + ([F("invoiceDate") < end] if end else [])
    if not parts:
        return None
    return str(Query("&&", tuple(parts)))


def credited_from(day: dt.date) -> str:
    """``creditDate>=day``: credit notes dated on or after ``day``."""
    return str(F("creditDate") >= day)
