"""The calibration the match stage keeps is the one a fresh read of the company's history gives.

It is kept per mirror generation, so a cycle in which nothing was mirrored does not read the whole
history again; anything that changes the mirrored money (a pull, a soft delete) makes it read again.
"""

from __future__ import annotations

from sqlalchemy import select, update

from syncd.calibration.evidence import calibrate, weigh
from syncd.domain import invoice_math as im
from syncd.mirror import repo
from syncd.mirror.tables import Company, InvoicePayment, MirrorDigest
from tests.calibration.test_books_against_readings import _history
from tests.cycle_world import World, switch_readings

READINGS = im.DEFAULT_READINGS


def _pk(world: World) -> int:
    with world.app.sessions() as session:
        pk = session.scalar(select(Company.id).where(Company.bokio_company_id == world.company.id))
    assert pk is not None
    return pk


def _kept(world: World) -> MirrorDigest | None:
    with world.app.sessions() as session:
        return session.scalar(select(MirrorDigest).where(MirrorDigest.company_id == _pk(world)))


def test_a_cycle_keeps_the_calibration_at_the_mirror_s_generation(cycle_world: World) -> None:
    cycle_world.cycle()

    kept = _kept(cycle_world)
    assert kept is not None
    with cycle_world.app.sessions() as session:
        assert kept.generation == repo.generation(session, _pk(cycle_world)) > 0
        assert (
            calibrate(session, _pk(cycle_world), READINGS).to_json()
            == weigh(session, _pk(cycle_world), READINGS).to_json()
        )


def test_books_kept_under_another_reading_after_the_calibration_was_kept_are_seen_at_the_next_cycle(
    cycle_world: World,
) -> None:
    cycle_world.cycle()
    with cycle_world.app.sessions() as session:
        assert calibrate(session, _pk(cycle_world), READINGS).stop_reason() is None

    switch_readings(cycle_world, paidIncludesSettlements=False)
    _history(cycle_world)
    cycle_world.cycle()

    with cycle_world.app.sessions() as session:
        found = calibrate(session, _pk(cycle_world), READINGS)
        assert found.stop_reason() is not None
        assert "paidAmount includes settlements" in found.stop_reason()
        assert found.to_json() == weigh(session, _pk(cycle_world), READINGS).to_json()


def test_a_payment_soft_deleted_outside_the_repository_makes_the_kept_calibration_stale(
    cycle_world: World,
) -> None:
    _history(cycle_world)
    cycle_world.cycle()
    with cycle_world.app.sessions() as session:
        before = calibrate(session, _pk(cycle_world), READINGS).to_json()

    with cycle_world.app.sessions.begin() as session:  # as the pull's sweep marks a vanished payment
        first = session.scalars(select(InvoicePayment.id).order_by(InvoicePayment.id)).first()
        session.execute(
            update(InvoicePayment)
            .where(InvoicePayment.id == first)
            .values(deleted_at=cycle_world.app.clock())
        )

    with cycle_world.app.sessions() as session:
        after = calibrate(session, _pk(cycle_world), READINGS)
        assert after.to_json() == weigh(session, _pk(cycle_world), READINGS).to_json()
        assert after.to_json() != before
