"""``syncd doctor``: is everything in place? Each check says what is wrong and how to fix it.

Checks, in order: configuration (every problem, one line each), database (which one, password
redacted) and schema, and per company: bank inbox, bank accounts (configured or learned), a pause
(kind, reason, until, fix) and tagging turned off, Bokio reachable, the company id known to Bokio,
token valid, read scopes, the Tags feature of the price plan, this month's budget. A check that
breaks is a ``[FAIL]`` line with a fix too, never a traceback.
The Bokio checks cost 3 requests per company (``--offline`` skips them).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy import select, text

from syncd import migrate
from syncd.app import App
from syncd.bokio import (
    AuthError,
    BokioError,
    ForbiddenError,
    NotFoundError,
    PricePlanRequiredError,
    TransportError,
)
from syncd.budget import LedgerRecorder, usage
from syncd.clock import business_date
from syncd.commands import add_json_flag, emit_json, load
from syncd.errors import ConfigError
from syncd.ingest import accounts
from syncd.mirror import pauses, repo
from syncd.mirror.tables import Company, FiscalYear
from syncd.outbox import tagging
from syncd.settings import CompanySettings, describe_database


@dataclass(frozen=True, slots=True)
class Check:
    """One finding: ``ok``, ``warn`` or ``fail``, what was seen, and the fix."""

    name: str
    status: str
    detail: str
    fix: str = ""

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "status": self.status, "detail": self.detail, "fix": self.fix}


def register(subparsers: Any) -> None:
    """Add the ``doctor`` command."""
    doctor = subparsers.add_parser(
        "doctor", help="check configuration, database, Bokio access and plan features"
    )
    doctor.add_argument("--offline", action="store_true", help="skip the checks that call Bokio")
    add_json_flag(doctor)
    doctor.set_defaults(handler=_doctor)


def _doctor(args: argparse.Namespace) -> int:
    checks: list[Check] = []
    try:
        settings = load(args)
    except ConfigError as exc:
        for problem in getattr(exc, "problems", None) or [exc]:
            checks.append(
                Check(
                    "configuration",
                    "fail",
                    str(problem),
                    "correct the key named above; see config/syncd.example.toml "
                    "(`syncd config show` says where each value comes from)",
                )
            )
        return _finish(args, checks)
    checks.append(Check("configuration", "ok", f"{len(settings.companies)} company(ies) configured"))
    if not settings.companies:
        checks.append(
            Check(
                "companies",
                "warn",
                "no company configured",
                "set SYNCD_COMPANY_ID and SYNCD_BOKIO_TOKEN, or add [[companies]]",
            )
        )
    with App(settings) as app:
        if _database(app, checks):
            for company in settings.companies:
                _guarded(f"{company.id} bank inbox", checks, partial(_inbox, company, checks))
                _guarded(f"{company.id} bank accounts", checks, partial(_accounts, app, company, checks))
                _guarded(f"{company.id} pause", checks, partial(_pause, app, company, checks))
                _guarded(f"{company.id} Bokio's rules", checks, partial(_calibration, app, company, checks))
                _guarded(f"{company.id} accounting method", checks, partial(_method, app, company, checks))
                _guarded(f"{company.id} record order", checks, partial(_record_order, app, company, checks))
                if not args.offline:
                    _guarded(f"{company.id} Bokio", checks, partial(_bokio, app, company, checks))
    return _finish(args, checks)


def _guarded(name: str, checks: list[Check], check: Callable[[], None]) -> None:
    """A check that breaks is itself a ``[FAIL]`` line with a fix, never a traceback."""
    try:
        check()
    except Exception as exc:  # noqa: BLE001 - doctor reports every failure as a finding
        checks.append(
            Check(
                name,
                "fail",
                f"the check itself failed: {type(exc).__name__}: {exc}",
                "run `syncd doctor` again; if it repeats, report it with this line",
            )
        )


def _method(app: App, company: CompanySettings, checks: list[Check]) -> None:
    """Bokio's accountingMethod of the company's current fiscal year (as last pulled)."""
    key = str(company.id)
    today = business_date(app.clock())
    with app.sessions() as session:
        method = session.scalar(
            select(FiscalYear.accounting_method)
            .join(Company, Company.id == FiscalYear.company_id)
            .where(
                Company.bokio_company_id == key,
                FiscalYear.start_date <= today,
                FiscalYear.end_date >= today,
                FiscalYear.deleted_at.is_(None),
            )
        )
    name = f"{key} accounting method"
    if method is None:
        checks.append(Check(name, "warn", "not known yet", "`syncd pull` reads the fiscal years"))
    elif method == "cash":
        checks.append(
            Check(
                name,
                "warn",
                "cash (kontantmetoden): Bokio books the revenue when a payment is recorded, and may "
                "refuse to record a payment on an invoice that was never recorded",
                "a refused record is a failed command with Bokio's reason (`syncd outbox list --state "
                "failed`); record the invoice in Bokio, then `syncd outbox retry ID`",
            )
        )
    else:
        checks.append(Check(name, "ok", str(method)))


def _record_order(app: App, company: CompanySettings, checks: list[Check]) -> None:
    """Whether syncd records an unrecorded invoice before its payment, and the books' evidence."""
    from syncd.calibration.record_order import RecordInvoiceFirst, record_order
    from syncd.calibration.totals import totals_evidence

    key = str(company.id)
    setting = RecordInvoiceFirst(app.settings.bokio.record_invoice_first)
    with app.sessions() as session:
        pk = session.scalar(select(Company.id).where(Company.bokio_company_id == key))
        if pk is None:
            return
        order = record_order(session, pk, on=business_date(app.clock()), setting=setting)
        shown = totals_evidence(session, pk)
    checks.append(Check(f"{key} record order", "ok", order.line()))
    total, rounding = shown.lines()
    checks.append(Check(f"{key} totalAmount", "warn" if shown.total.counts["neither"] else "ok", total))
    if shown.rounds_beside_total:
        fix = "such invoices' amounts to pay may be 50 öre off: check them in Bokio before approving"
        checks.append(Check(f"{key} rounding", "warn", rounding + "; Bokio rounds beside the total", fix))
    else:
        checks.append(Check(f"{key} rounding", "ok", rounding))


def _calibration(app: App, company: CompanySettings, checks: list[Check]) -> None:
    """Each open rule of Bokio's against the company's own books (one line per rule)."""
    from syncd.calibration.evidence import calibrate

    key = str(company.id)
    with app.sessions() as session:
        pk = session.scalar(select(Company.id).where(Company.bokio_company_id == key))
        if pk is None:
            return
        found = calibrate(session, pk, app.settings.bokio.readings())
    fix = f"set the rule in [bokio] to what the books show (`syncd calibrate --company {key}`)"
    for rule in found.rules:
        status = "fail" if rule.contradicted else "ok"
        checks.append(
            Check(f"{key} {rule.rule.value}", status, rule.line(), fix if rule.contradicted else "")
        )
    if found.suspects:
        numbers = ", ".join(s.number for s in list(found.suspects.values())[:5])
        checks.append(
            Check(
                f"{key} invoices",
                "warn",
                f"{len(found.suspects)} invoice(s) whose paidAmount does not follow from their payments and "
                f"settlements ({numbers}); never booked automatically",
                "check them in Bokio; `syncd calibrate` lists them",
            )
        )


def _pause(app: App, company: CompanySettings, checks: list[Check]) -> None:
    """A paused company does nothing at Bokio: say why, until when, and the fix; tagging off too."""
    key = str(company.id)
    with app.sessions() as session:
        row = session.scalar(select(Company).where(Company.bokio_company_id == key))
        pause = pauses.current(row, app.clock())
        tag = tagging.current(session, row.id) if row is not None else None
    if pause is None:
        checks.append(Check(f"{key} pause", "ok", "not paused"))
    else:
        status = "fail" if pause.kind in (pauses.PauseKind.AUTH, pauses.PauseKind.PLAN) else "warn"
        checks.append(Check(f"{key} pause", status, pause.describe(), pause.fix(key)))
    if tag is not None and tag.disabled_reason:
        checks.append(
            Check(
                f"{key} tagging",
                "warn",
                f"tagging is off: {tag.disabled_reason}",
                "give the token the tags scope or the plan the Tags feature, then "
                f"`syncd companies resume {key} --tagging`",
            )
        )


def _database(app: App, checks: list[Check]) -> bool:
    try:
        with app.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # any driver error means the same to the operator  # noqa: BLE001
        checks.append(
            Check(
                "database",
                "fail",
                f"cannot connect to {describe_database(app.database_url)}: {type(exc).__name__}",
                "check database_url / SYNCD_DATABASE_URL and that the server runs",
            )
        )
        return False
    current, head = migrate.current_revision(app.engine), migrate.head_revision()
    if current != head:
        checks.append(
            Check(
                "schema",
                "fail",
                f"{describe_database(app.database_url)} at {current or 'empty'}, syncd needs {head}",
                "run `syncd db upgrade`",
            )
        )
        return False
    checks.append(Check("database", "ok", f"{describe_database(app.database_url)}, schema at head {head}"))
    return True


def _inbox(company: CompanySettings, checks: list[Check]) -> None:
    name = f"{company.id} bank inbox"
    inbox = company.bank_inbox
    if inbox is None:
        checks.append(
            Check(
                name,
                "warn",
                "no bank_inbox: bank files can only be imported with `syncd import`",
                "set bank_inbox (or SYNCD_BANK_INBOX)",
            )
        )
    elif not inbox.is_dir():
        checks.append(
            Check(
                name,
                "fail",
                f"{inbox} does not exist or is not a folder (syncd does not create it: a typo would "
                "look like a quiet bank)",
                "create the folder, writable by syncd, or correct bank_inbox",
            )
        )
    elif not os.access(inbox, os.W_OK):
        checks.append(
            Check(
                name,
                "fail",
                f"{inbox} is not writable (files are moved to archive/ and quarantine/)",
                "fix the folder's owner or permissions",
            )
        )
    else:
        checks.append(Check(name, "ok", f"{inbox}"))


def _accounts(app: App, company: CompanySettings, checks: list[Check]) -> None:
    """The accounts the company's files must be for: configured, or learned from its first files."""
    name = f"{company.id} bank accounts"
    with app.sessions() as session:
        pk = session.scalar(select(Company.id).where(Company.bokio_company_id == str(company.id)))
        owned = accounts.company_accounts(session, pk or 0, company.bank_accounts)
    if owned.source == "configured":
        checks.append(Check(name, "ok", owned.describe()))
    elif owned.source == "learned":
        checks.append(
            Check(
                name,
                "ok",
                f"{owned.describe()}; files for any other account are quarantined",
                "",
            )
        )
    else:
        checks.append(
            Check(
                name,
                "warn",
                "none configured or learned yet: the first files imported will teach the company its "
                "accounts, whatever they are",
                "set bank_accounts for the company (IBAN, bankgiro or account number)",
            )
        )


def _bokio(app: App, company: CompanySettings, checks: list[Check]) -> None:
    key = str(company.id)
    with app.sessions.begin() as session:
        pk = repo.ensure_company(session, key, company.name).id
    ledger = LedgerRecorder(app.sessions, company_ids={key: pk})
    try:
        client = app.bokio_client(company, on_request=ledger)
        try:
            info = client.get_company_information()
            checks.append(
                Check(
                    f"{key} Bokio",
                    "ok",
                    f"reachable at {app.settings.bokio.base_url}; token valid for {info.name}",
                )
            )
        except AuthError as exc:
            checks.append(
                Check(
                    f"{key} token",
                    "fail",
                    str(exc),
                    "create a new private integration token in Bokio (Settings → Integrations), configure it",
                )
            )
            return
        except TransportError as exc:
            checks.append(
                Check(f"{key} Bokio", "fail", str(exc), "check bokio.base_url and the network path to Bokio")
            )
            return
        except (NotFoundError, ForbiddenError) as exc:
            checks.append(
                Check(
                    f"{key} company",
                    "fail",
                    f"Bokio does not know company {key} for this token: {exc}",
                    "check the company id (SYNCD_COMPANY_ID or [[companies]] id, the UUID in Bokio's "
                    "integration settings) and that the token was made for that company",
                )
            )
            return
        except BokioError as exc:
            checks.append(
                Check(f"{key} Bokio", "fail", str(exc), "retry later; if it repeats, check Bokio's status")
            )
            return
        _scopes(client, key, checks)
    except ConfigError as exc:
        checks.append(Check(f"{key} Bokio", "fail", str(exc), "see the configuration error"))
    finally:
        ledger.flush()
    with app.sessions() as session:
        used = usage(session, pk, key, quota=app.settings.budget.monthly_quota, now=app.clock())
    status = "ok" if used.projected_month_end < used.quota else "warn"
    checks.append(
        Check(
            f"{key} budget",
            status,
            f"{used.used} of {used.quota} requests used this month, projected {used.projected_month_end}",
            "" if status == "ok" else "lower [budget] monthly_target or raise [pull] sweep_cycle_days",
        )
    )


def _scopes(client: Any, key: str, checks: list[Check]) -> None:
    try:
        next(iter(client.iter_invoices(page_size=1)), None)
        checks.append(Check(f"{key} scopes", "ok", "invoices can be read"))
    except ForbiddenError as exc:
        checks.append(
            Check(
                f"{key} scopes",
                "fail",
                str(exc),
                "give the integration the invoices:read and invoices:write scopes",
            )
        )
    except BokioError as exc:
        checks.append(Check(f"{key} scopes", "warn", str(exc), "retry later"))
    try:
        next(iter(client.iter_tag_groups(page_size=1)), None)
        checks.append(Check(f"{key} plan", "ok", "the Tags feature is available: syncd tags what it books"))
    except PricePlanRequiredError:
        checks.append(
            Check(
                f"{key} plan",
                "warn",
                "the price plan lacks Tags: syncd books without tagging",
                "upgrade the Bokio plan to tag syncd's entries",
            )
        )
    except BokioError as exc:
        checks.append(Check(f"{key} plan", "warn", str(exc), "retry later"))


def _finish(args: argparse.Namespace, checks: list[Check]) -> int:
    failed = any(c.status == "fail" for c in checks)
    if args.json:
        emit_json({"ok": not failed, "checks": [c.to_json() for c in checks]})
    else:
        marks = {"ok": "ok  ", "warn": "warn", "fail": "FAIL"}
        for check in checks:
            print(f"[{marks[check.status]}] {check.name}: {check.detail}")
            if check.fix and check.status != "ok":
                print(f"       fix: {check.fix}")
    return 1 if failed else 0
