"""A company owns its files: each imported file's account must be one of the company's.

A company's accounts are its configured ``bank_accounts`` (IBAN, bankgiro or account number, as
the bank writes them) or, while none are configured, the accounts learned from its first successful
import and kept in ``learned_bank_accounts``. Learning is per kind of account: a Swedish company
typically receives statements for its bank account (camt.053, CSV) and notifications for its
bankgiro (camt.054, BgMax), so the first file naming a bankgiro teaches the bankgiro and the first
naming a bank account teaches the bank account. A file naming any other account is refused (the
importer quarantines it, never imports it), so a crossed inbox cannot book one company's money on
another's invoices. A file that names no account (many CSV exports, PSP reports) cannot be
checked: it is imported and recorded as ``unchecked`` on its ``bank_files`` row.

Accounts are compared normalised: without spaces, dashes, dots or commas, upper case, and an
all-digit number without leading zeros (BgMax pads bankgiro numbers with zeros).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from syncd.bankfiles import FileFormat, ParseResult, Problem, Severity
from syncd.ingest.report import ImportReport, problem_json
from syncd.ingest.tables import BankFile, LearnedBankAccount
from syncd.mirror.tables import Company

_SEPARATORS = re.compile(r"[\s\-.,/]+")


def normalise(account: str) -> str:
    """The form accounts are compared in.

    >>> normalise("se45 5000-0000 0583 9825 7466")
    'SE4550000000058398257466'
    >>> normalise("0005050-1055") == normalise("5050 1055")
    True
    """
    value = _SEPARATORS.sub("", account).upper()
    if value.isdigit():
        return value.lstrip("0") or value
    return value


def kind(account: str) -> str:
    """``bankgiro`` (7 or 8 digits) or ``account`` (an IBAN, or clearing and account number).

    >>> kind("5050-1055"), kind("SE45 5000 0000 0583 9825 7466"), kind("8327-9 123 456 789-0")
    ('bankgiro', 'account', 'account')
    """
    value = normalise(account)
    return "bankgiro" if value.isdigit() and 7 <= len(value) <= 8 else "account"


def file_accounts(result: ParseResult) -> dict[str, str]:
    """The accounts a parsed file is for: normalised → as written (statements, then transactions)."""
    found: dict[str, str] = {}
    written = [s.account for s in result.statements] + [tx.account for tx in result.transactions]
    for account in written:
        if account.strip():
            found.setdefault(normalise(account), account.strip())
    return found


@dataclass(frozen=True, slots=True)
class CompanyAccounts:
    """A company's accounts and where they come from (``configured``, ``learned`` or ``none`` yet)."""

    source: str
    accounts: tuple[str, ...]

    def describe(self) -> str:
        if not self.accounts:
            return "no accounts yet (they are learned from the first files)"
        origin = (
            "configured in bank_accounts" if self.source == "configured" else "learned from its first files"
        )
        return f"{', '.join(self.accounts)} ({origin})"


def company_accounts(session: Session, company_id: int, configured: Sequence[str]) -> CompanyAccounts:
    """The configured accounts if any, else the learned ones."""
    if configured:
        return CompanyAccounts("configured", tuple(configured))
    learned = session.scalars(
        select(LearnedBankAccount.written)
        .where(LearnedBankAccount.company_id == company_id)
        .order_by(LearnedBankAccount.id)
    ).all()
    return CompanyAccounts("learned" if learned else "none", tuple(learned))


PSP_FORMATS = frozenset({FileFormat.STRIPE, FileFormat.PAYPAL, FileFormat.KLARNA})


def check_owned(
    session: Session,
    company_id: int,
    result: ParseResult,
    report: ImportReport,
    *,
    configured: Sequence[str],
) -> ImportReport | str:
    """The import's report, noted with its account check, or why the file is not the company's.

    Runs inside the import's transaction, after its rows were written: a refusal rolls it all back.
    Without configured accounts, the first file naming a bankgiro (a bank account) teaches the company
    its bankgiro (bank account).
    """
    if result.format in PSP_FORMATS:
        # a PSP report moves no money on a bank account: its payout is matched to the bank's
        # credit, and that file's account is checked
        _note(session, report, "not applicable", [])
        return report
    found = file_accounts(result)
    owned = company_accounts(session, company_id, configured)
    if not found:
        problem = Problem(
            report.file,
            "",
            "the file names no account: it could not be checked against the company's accounts",
            Severity.WARNING,
        )
        _note(session, report, "unchecked", [], problem)
        return dataclasses.replace(report, problems=(*report.problems, problem))
    known = {normalise(account) for account in owned.accounts}
    if owned.source != "configured":  # learning: the first file of each kind teaches that kind
        kinds = {kind(account) for account in known}
        new = {key: written for key, written in found.items() if kind(key) not in kinds}
        if new:
            _learn(session, company_id, report.bank_file_id, new)
            known |= set(new)
    foreign = [written for key, written in found.items() if key not in known]
    if foreign:
        company = session.get(Company, company_id)
        who = (company.name or company.bokio_company_id) if company else str(company_id)
        return (
            f"file is for account {', '.join(foreign)}; company {who} has accounts {owned.describe()}; "
            "if this account is the company's, add it to bank_accounts"
        )
    check = "configured" if owned.source == "configured" else "learned"
    _note(session, report, check, list(found.values()))
    return report


def _learn(session: Session, company_id: int, bank_file_id: int | None, found: dict[str, str]) -> None:
    for key, written in found.items():
        try:
            with session.begin_nested():  # a concurrent first import may have learned it already
                session.add(
                    LearnedBankAccount(
                        company_id=company_id, account=key, written=written[:200], bank_file_id=bank_file_id
                    )
                )
        except IntegrityError:
            continue


def _note(
    session: Session, report: ImportReport, check: str, accounts: list[str], problem: Problem | None = None
) -> None:
    """Record the check on the file's row (``info.accounts``), and a warning among its problems."""
    if report.bank_file_id is None:
        return
    row = session.get(BankFile, report.bank_file_id)
    if row is None:
        return
    info = {**row.info, "accounts": {"check": check, "accounts": accounts}}
    if problem is not None:
        info["problems"] = [*info.get("problems", []), problem_json(problem)]
    row.info = info
    session.flush()
