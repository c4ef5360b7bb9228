"""Typed, strict reading of one table of a hand-written corpus file, with errors that say where.

TOML has no Decimal, so amounts are strings written ``"1250.00"`` (two decimals, no sign, no
thousands separator): a float or ``"1 250"`` would be a silent guess, so both are refused. Every
table names the keys it allows; an unknown key (a typo such as ``fees``) is an error, not ignored.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from syncd.domain.money import ZERO

_MONEY = re.compile(r"\d+\.\d{2}")
_DECIMAL = re.compile(r"\d+(\.\d+)?")
_MISSING: Any = object()


class CorpusFileError(ValueError):
    """A corpus file that cannot be read as written: the message names the file, case and field."""


def money(value: object) -> Decimal:
    """``"1250.00"`` as a Decimal; ValueError for anything else (a float, a sign, no öre)."""
    if not isinstance(value, str) or not _MONEY.fullmatch(value):
        raise ValueError(f'{value!r} is not an amount written like "1250.00"')
    return Decimal(value)


class Fields:
    """One TOML table, read key by key; ``where`` prefixes every error (file, case, line)."""

    def __init__(self, raw: object, where: str, allowed: set[str]) -> None:
        if not isinstance(raw, Mapping):
            raise CorpusFileError(f"{where}: expected a table, got {raw!r}")
        unknown = sorted(set(raw) - allowed)
        if unknown:
            raise CorpusFileError(
                f"{where}: unknown field {unknown[0]!r} (allowed: {', '.join(sorted(allowed))})"
            )
        self.raw: Mapping[str, Any] = raw
        self.where = where

    def error(self, key: str, message: str) -> CorpusFileError:
        """The error for ``key`` of this table."""
        return CorpusFileError(f"{self.where}, field {key!r}: {message}")

    def _get(self, key: str, default: Any) -> Any:
        if key in self.raw:
            return self.raw[key]
        if default is _MISSING:
            raise self.error(key, "missing")
        return default

    def text(self, key: str, default: str = _MISSING) -> str:
        """A non-empty string."""
        value = self._get(key, default)
        if not isinstance(value, str) or not value.strip():
            raise self.error(key, f"expected a non-empty string, got {value!r}")
        return value

    def optional_text(self, key: str) -> str | None:
        """A non-empty string, or None when the key is absent."""
        return self.text(key) if key in self.raw else None

    def texts(self, key: str) -> tuple[str, ...]:
        """One string or a list of them (absent: none)."""
        value = self.raw.get(key, [])
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list) or not all(isinstance(v, str) and v.strip() for v in values):
            raise self.error(key, f"expected a string or a list of strings, got {value!r}")
        return tuple(values)

    def money(self, key: str, default: Decimal = _MISSING, *, allow_zero: bool = False) -> Decimal:
        """An amount written ``"1250.00"``, more than zero unless ``allow_zero``."""
        value = self._get(key, default)
        try:
            amount = value if isinstance(value, Decimal) else money(value)
        except ValueError as exc:
            raise self.error(key, str(exc)) from None
        if amount == ZERO and not allow_zero:
            raise self.error(key, "must be more than 0.00")
        return amount

    def decimal(self, key: str) -> Decimal:
        """A positive decimal written as a string (an exchange rate: ``"11.25"``)."""
        value = self._get(key, _MISSING)
        if not isinstance(value, str) or not _DECIMAL.fullmatch(value) or Decimal(value) == ZERO:
            raise self.error(key, f"expected a positive number written as a string, got {value!r}")
        return Decimal(value)

    def integer(self, key: str) -> int:
        """A TOML integer (not a boolean)."""
        value = self._get(key, _MISSING)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(key, f"expected a whole number, got {value!r}")
        return value

    def flag(self, key: str) -> bool:
        """A TOML boolean, false when absent."""
        value = self.raw.get(key, False)
        if not isinstance(value, bool):
            raise self.error(key, f"expected true or false, got {value!r}")
        return value

    def date(self, key: str, default: dt.date = _MISSING) -> dt.date:
        """A TOML local date (``2026-02-27``), not a date-time."""
        value = self._get(key, default)
        if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
            raise self.error(key, f"expected a date like 2026-02-27, got {value!r}")
        return value

    def tables(self, key: str) -> Sequence[Any]:
        """A list of tables (each is checked by its own :class:`Fields`)."""
        value = self._get(key, _MISSING)
        if not isinstance(value, list):
            raise self.error(key, f"expected a list, got {value!r}")
        return value

    def sub(self, key: str, allowed: set[str]) -> Fields:
        """A nested table, with this table's place in its errors."""
        return Fields(self._get(key, _MISSING), f"{self.where}, {key}", allowed)
