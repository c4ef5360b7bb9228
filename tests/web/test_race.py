"""Two people decide the same proposal at the same moment: one wins, the other is told who did."""

from __future__ import annotations

import re
import threading
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from syncd.allocations.tables import Allocation
from syncd.outbox.tables import OutboxCommand
from tests.web.conftest import DemoWorld, csrf_of, login

pytestmark = pytest.mark.integration


def _signed_in(world: DemoWorld, name: str) -> tuple[httpx.Client, str]:
    client = world.client()
    assert login(client, name).status_code == 303
    page = client.get(f"/c/{world.key}/review")
    return client, csrf_of(page.text)


@pytest.mark.parametrize("second", ["accept", "reject"])
def test_two_people_accepting_the_same_proposal_at_once_book_it_once_and_the_loser_is_told_by_whom(
    world: DemoWorld, second: str
) -> None:
    alice, alice_token = _signed_in(world, "alice")
    carol, carol_token = _signed_in(world, "carol")
    group = re.search(r'name="ref" value="([^"]+)"', alice.get(f"/c/{world.key}/review").text)
    assert group
    ref = group.group(1)
    with world.app.sessions() as session:
        members = list(session.scalars(select(Allocation).where(Allocation.group_id == ref)))
        commands_before = session.scalar(select(func.count()).select_from(OutboxCommand))
    books_before = world.books()
    start = threading.Barrier(2)
    answers: dict[str, Any] = {}

    def decide(name: str, client: httpx.Client, token: str, action: str) -> None:
        start.wait()
        answers[name] = client.post(
            f"/c/{world.key}/review", data={"csrf": token, "ref": ref, "action": action}
        )

    threads = [
        threading.Thread(target=decide, args=("alice", alice, alice_token, "accept")),
        threading.Thread(target=decide, args=("carol", carol, carol_token, second)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert all(answer.status_code == 303 for answer in answers.values())
    pages = {
        name: client.get(f"/c/{world.key}/review").text
        for name, client in (("alice", alice), ("carol", carol))
    }

    with world.app.sessions() as session:
        rows = list(session.scalars(select(Allocation).where(Allocation.group_id == ref)))
        commands = session.scalar(select(func.count()).select_from(OutboxCommand))
    winner = rows[0].decided_by
    assert winner in {"alice", "carol"}
    assert {r.decided_by for r in rows} == {winner}
    loser = "carol" if winner == "alice" else "alice"
    assert f"already decided by {winner}" in pages[loser]
    assert "already decided" not in pages[winner]
    if rows[0].state == "accepted":  # one push queued: payment (+ settlements) once per allocation
        per_allocation = commands - commands_before
        world.push()
        books = world.books()
        for row in members:
            added = len(books[row.invoice_number]["payments"]) - len(
                books_before[row.invoice_number]["payments"]
            )
            assert added == 1, row.invoice_number
        assert per_allocation > 0
    else:
        assert commands == commands_before
