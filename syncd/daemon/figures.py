"""Figures read fresh from the database at scrape time, per company: outbox, duplicates, budget, pauses."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from syncd.budget import usage
from syncd.mirror import pauses
from syncd.mirror.tables import Company
from syncd.ops.metrics import PAUSE_KINDS, BudgetFigures, OutboxFigures, PauseFigures
from syncd.outbox import duplicates
from syncd.outbox.kinds import OPEN_STATES
from syncd.outbox.tables import OutboxCommand
from syncd.settings import Settings

OUTBOX_STATES = ("pending", "sending", "unknown", "failed", "done", "cancelled")


def outbox_figures(sessions: sessionmaker[Session], now: dt.datetime) -> list[OutboxFigures]:
    """Commands per state (every state, zeros included) and the oldest pending age per company."""
    with sessions() as session:
        companies = dict(session.execute(select(Company.id, Company.bokio_company_id)).all())
        depth: dict[int, dict[str, int]] = {pk: dict.fromkeys(OUTBOX_STATES, 0) for pk in companies}
        for pk, state, count in session.execute(
            select(OutboxCommand.company_id, OutboxCommand.state, func.count()).group_by(
                OutboxCommand.company_id, OutboxCommand.state
            )
        ):
            depth.setdefault(pk, dict.fromkeys(OUTBOX_STATES, 0))[state] = count
        found = duplicates.counts(session)
        oldest = dict(
            session.execute(
                select(OutboxCommand.company_id, func.min(OutboxCommand.created_at))
                .where(OutboxCommand.state.in_(OPEN_STATES))
                .group_by(OutboxCommand.company_id)
            ).all()
        )
    figures = []
    for pk, states in depth.items():
        first: Any = oldest.get(pk)
        age = None
        if first is not None:
            first = first if first.tzinfo else first.replace(tzinfo=dt.UTC)
            age = max((now - first).total_seconds(), 0.0)
        repairs = found.get(pk, dict.fromkeys(duplicates.STATUSES, 0))
        figures.append(OutboxFigures(companies.get(pk, str(pk)), states, age, repairs))
    return figures


def budget_figures(
    sessions: sessionmaker[Session], settings: Settings, now: dt.datetime
) -> list[BudgetFigures]:
    """This month's use and what is left, per configured company."""
    quota = settings.budget.monthly_quota
    with sessions() as session:
        known = dict(session.execute(select(Company.bokio_company_id, Company.id)).all())
        result = []
        for company in settings.companies:
            key = str(company.id)
            pk = known.get(key)
            used = usage(session, pk, key, quota=quota, now=now).used if pk is not None else 0
            result.append(BudgetFigures(key, used, max(quota - used, 0)))
    return result


def pause_figures(
    sessions: sessionmaker[Session], settings: Settings, now: dt.datetime
) -> list[PauseFigures]:
    """Per configured company: which kind of pause is in force (every kind, zeros included)."""
    with sessions() as session:
        known = {c.bokio_company_id: c for c in session.scalars(select(Company))}
        result = []
        for company in settings.companies:
            key = str(company.id)
            pause = pauses.current(known.get(key), now)
            kind = pause.kind.value if pause is not None else None
            until = pause.until.timestamp() if pause is not None else None
            result.append(PauseFigures(key, {k: int(k == kind) for k in PAUSE_KINDS}, until))
    return result
