"""Commands a company pause parked become due when the pause is cleared early.

Commands parked by a pause (``pending``, due by its end) had nothing happen at Bokio, so sending
them at once is safe; ``unknown`` ones keep their read-back time. Called by whoever clears a
pause (the puller, ``syncd companies resume``): the mirror, which owns pauses, may not touch
the outbox.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update
from sqlalchemy.orm import Session

from syncd.mirror.pauses import Pause
from syncd.outbox.tables import OutboxCommand


def wake_parked(session: Session, company_pk: int, ended: Pause | None, *, now: dt.datetime) -> None:
    """Make the commands ``ended`` parked due ``now`` (nothing when it had already run out)."""
    if ended is None or ended.until <= now:
        return
    session.execute(
        update(OutboxCommand)
        .where(
            OutboxCommand.company_id == company_pk,
            OutboxCommand.state == "pending",
            OutboxCommand.next_attempt_at > now,
            OutboxCommand.next_attempt_at <= ended.until,
        )
        .values(next_attempt_at=now)
    )
