"""syncd's tag group and tag in a company's Bokio: found or created once, remembered in the DB.

Creating them is read-before-create (list the tag groups, create only what is missing), so a
crash or a lost answer during set-up costs one more read next time, never a second group. A
company whose price plan lacks Tags turns tagging off (``disabled_reason``) with one warning;
its tag commands are then marked done as skipped, because the payments are booked either way.
A token without the tag scope does the same (a 403 on tagging never pauses the company);
``syncd companies resume ID --tagging`` turns it back on.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from syncd.bokio.errors import ValidationError
from syncd.bokio.models import TagGroup
from syncd.logging import get_logger
from syncd.outbox.tables import CompanyTagging

if TYPE_CHECKING:
    from syncd.bokio import BokioClient

log = get_logger(__name__)

GROUP_NAME = "syncd"
GROUP_ALIAS = "SYD"
GROUP_DIMENSION = 20  # SIE dimensions 20+ are free for own use (reference §13)
TAG_NAME = "syncd"


@dataclass(frozen=True)
class TagState:
    """The tag to put on entries, or why there is none."""

    tag_id: str | None
    disabled_reason: str | None = None
    known: bool = True  # False when set-up still needs Bokio calls


def _row(session: Session, company_id: int) -> CompanyTagging:
    row = session.scalar(select(CompanyTagging).where(CompanyTagging.company_id == company_id))
    if row is None:
        row = CompanyTagging(company_id=company_id)
        session.add(row)
        session.flush()
    return row


def current(session: Session, company_id: int) -> TagState:
    """What the database says, without calling Bokio."""
    row = session.scalar(select(CompanyTagging).where(CompanyTagging.company_id == company_id))
    if row is None:
        return TagState(None, known=False)
    if row.disabled_reason:
        return TagState(None, row.disabled_reason)
    return TagState(row.tag_id, known=row.tag_id is not None)


def _store(sessions: sessionmaker[Session], company_id: int, **values: str) -> None:
    """Remember set-up progress; a second worker inserting the same row at once just retries."""
    for attempt in (1, 2):
        try:
            with sessions.begin() as session:
                row = _row(session, company_id)
                for name, value in values.items():
                    setattr(row, name, value)
        except IntegrityError:
            if attempt == 2:
                raise
        else:
            return


def _find_group(client: BokioClient) -> TagGroup | None:
    return next((g for g in client.iter_tag_groups() if g.name == GROUP_NAME), None)


def ensure_tag(sessions: sessionmaker[Session], client: BokioClient, company_id: int) -> TagState:
    """The tag id, creating the group and tag in Bokio when missing (raises Bokio errors).

    Two workers may set up at once: whoever loses the create (alias or name already used) reads
    the winner's group instead, so there is never a second group.
    """
    with sessions.begin() as session:
        state = current(session, company_id)
    if state.known:
        return state
    group = _find_group(client)
    if group is None:
        try:
            group = client.create_tag_group(GROUP_NAME, GROUP_ALIAS, GROUP_DIMENSION)
        except ValidationError:
            group = _find_group(client)
            if group is None:
                raise
    _store(sessions, company_id, tag_group_id=group.id)
    tag = next((t for t in group.tags if t.name == TAG_NAME), None)
    if tag is None:
        try:
            tag = client.create_tag(group.id, TAG_NAME)
        except ValidationError:
            tag = next((t for t in client.get_tag_group(group.id).tags if t.name == TAG_NAME), None)
            if tag is None:
                raise
    _store(sessions, company_id, tag_id=tag.id)
    return TagState(tag.id)


def disable(sessions: sessionmaker[Session], company_id: int, reason: str, now: dt.datetime) -> None:
    """Turn tagging off for the company; warn once (only when it was on)."""
    with sessions.begin() as session:
        if current(session, company_id).disabled_reason:
            return
        row = _row(session, company_id)
        row.disabled_reason = reason[:500]
        row.disabled_at = now
    log.warning("outbox.tagging_disabled", company_id=company_id, reason=reason)


def enable(session: Session, company_id: int) -> str | None:
    """Turn tagging back on (after the plan or scope was fixed); returns why it was off, if it was."""
    row = session.scalar(select(CompanyTagging).where(CompanyTagging.company_id == company_id))
    if row is None or not row.disabled_reason:
        return None
    reason = row.disabled_reason
    row.disabled_reason = None
    row.disabled_at = None
    log.info("outbox.tagging_enabled", company_id=company_id, was=reason)
    return reason
