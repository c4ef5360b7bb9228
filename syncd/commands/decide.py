"""Shared by the commands that record a person's decision (review, undo): who, amounts, JSON, locks."""

from __future__ import annotations

import argparse
import getpass
import os
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from syncd.commands.match import selected_companies
from syncd.errors import ConfigError, FatalError
from syncd.match.plan import format_amount
from syncd.mirror import repo
from syncd.ops.locks import company_job_lock
from syncd.settings import CompanySettings

if TYPE_CHECKING:
    from syncd.app import App


def parse_amount(text: str) -> Decimal:
    """``2500``, ``2500.50``, ``2 500,50``: an amount as a person types it."""
    cleaned = text.replace("\u00a0", "").replace(" ", "").replace(",", ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an amount; write it like 2500,00 or 2500.00"
        ) from None
    if not value.is_finite() or value != value.quantize(Decimal("0.01")):
        raise argparse.ArgumentTypeError(f"{text!r}: amounts have at most two decimals (öre)")
    return value.quantize(Decimal("0.01"))


def person(by: str | None) -> str:
    """Who decides: ``--by``, else the user behind sudo, else the login name."""
    return (by or "").strip() or os.environ.get("SUDO_USER") or getpass.getuser()


def plain(value: Any) -> Any:
    """JSON-ready data with every Decimal as a string (a float would lose öre)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value


def company_of(app: App, args: argparse.Namespace) -> tuple[CompanySettings, int]:
    companies = selected_companies(app.settings, args.company)
    if len(companies) > 1:
        raise ConfigError("several companies are configured: name one with --company")
    company = companies[0]
    with app.sessions.begin() as session:
        company_id = repo.ensure_company(session, str(company.id), company.name).id
    return company, company_id


class BusyError(FatalError):
    """The company's match job is running; a person's booking waits for it."""


@contextmanager
def match_lock(app: App, company: CompanySettings) -> Iterator[None]:
    """Hold the company's match lock, so the matcher cannot book the same money meanwhile."""
    with company_job_lock(app.engine, str(company.id), "match") as acquired:
        if not acquired:
            raise BusyError(
                f"company {company.id} is being matched right now (the daemon or another command); "
                "try again in a moment"
            )
        yield


def would_push(amount_sek: Decimal, date: str, settlements: list[dict[str, Any]]) -> list[str]:
    """What the push will send, in order, in words."""
    steps = [f"payment {format_amount(amount_sek)} SEK on {date}, then record it"] if amount_sek > 0 else []
    for s in settlements:
        scheme = f" ({s['vat_scheme']})" if s.get("vat_scheme") else ""
        amount = format_amount(Decimal(str(s["amount"])))
        steps.append(f"{s['type']} settlement {amount} SEK{scheme}, then record it")
    return steps
