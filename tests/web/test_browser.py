"""A bookkeeper in a real headless Chromium: sign in, accept, reject, assign, undo.

After each decision the web's world and a twin world decided through the CLI (same seed, same
books, another database) are pushed to their sandboxes, and Bokio's books and syncd's records
must be the same in both. Screenshots of every page go to ``var/screenshots/``. Without
Debian's ``chromium`` these tests skip, unless ``SYNCD_REQUIRE_BROWSER=1`` (``.ci/run``) makes
that a failure.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from syncd.allocations.inputs import open_invoices
from syncd.allocations.tables import Allocation, AllocationState
from syncd.allocations.unmatched import unmatched
from tests.conftest import Database, new_database_url
from tests.web.conftest import PASSWORD, DemoWorld, demo_world

pytestmark = [pytest.mark.integration, pytest.mark.slow]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


@pytest.fixture
def chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        if os.environ.get("SYNCD_REQUIRE_BROWSER") == "1":
            pytest.fail(
                "SYNCD_REQUIRE_BROWSER=1 but Debian's chromium is missing: apt-get install -y chromium"
            )
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium; .ci/run does it)")
    return path


@pytest.fixture
def twins(
    database: Database, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[DemoWorld, DemoWorld]]:
    """The web's world and the CLI's: same seed, two databases of the same backend."""
    urls = new_database_url(request, database.backend, tmp_path / "cli")
    (tmp_path / "cli").mkdir()
    cli_url = next(urls)
    try:
        with demo_world(database.url, tmp_path) as web, demo_world(cli_url, tmp_path / "cli") as cli:
            assert web.books() == cli.books()
            yield web, cli
    finally:
        urls.close()


def _same(web: DemoWorld, cli: DemoWorld) -> None:
    web.push()
    cli.push()
    assert web.decisions() == cli.decisions()
    assert web.books() == cli.books()


def _shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def _group_for(cli_runner: Any, cli: DemoWorld, invoices: list[str]) -> str:
    proposals = cli_runner(cli, "review", "list")["proposals"]
    return next(str(p["group"]) for p in proposals if [a["invoice"] for a in p["allocations"]] == invoices)


def _first_proposal(world: DemoWorld) -> list[str]:
    with world.app.sessions() as session:
        line = session.scalar(
            select(Allocation.bank_transaction_id)
            .where(Allocation.state == AllocationState.PROPOSED)
            .order_by(Allocation.bank_transaction_id)
            .limit(1)
        )
        return list(
            session.scalars(
                select(Allocation.invoice_number)
                .where(Allocation.bank_transaction_id == line, Allocation.state == AllocationState.PROPOSED)
                .order_by(Allocation.id)
            )
        )


def _says(page: Any, text: str) -> None:
    """The page (after the decision's redirect) shows this outcome."""
    from playwright.sync_api import expect

    expect(page.locator(".flash").first).to_contain_text(text)


def test_a_bookkeeper_decides_in_chromium_and_bokio_ends_up_as_the_cli_would_leave_it(
    twins: tuple[DemoWorld, DemoWorld], chromium: str, cli_runner: Any
) -> None:
    from playwright.sync_api import sync_playwright

    web, cli = twins
    base = f"{web.url}/c/{web.key}"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 800})
            page.goto(f"{base}/review")
            assert "/login" in page.url
            _shot(page, "01-login")
            page.get_by_label("Name").fill("alice")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(f"{base}/review")
            _shot(page, "02-review-queue")
            assert page.locator("section.proposal").count() == 2

            # accept the first proposal
            invoices = _first_proposal(web)
            page.locator("section.proposal").first.get_by_role("button", name="Accept", exact=True).click()
            _says(page, f"accepted: invoice {', '.join(invoices)}")
            cli_runner(cli, "review", "accept", _group_for(cli_runner, cli, invoices), "--by", "alice")
            _same(web, cli)

            # reject the other
            invoices = _first_proposal(web)
            page.locator("section.proposal").first.get_by_role("button", name="Reject", exact=True).click()
            _says(page, "rejected")
            cli_runner(cli, "review", "reject", _group_for(cli_runner, cli, invoices), "--by", "alice")
            _same(web, cli)
            assert page.locator("section.proposal").count() == 0

            # assign the unmatched payment to an invoice found by its number
            line, invoice = _unmatched_and_an_invoice_it_fits(web)
            page.get_by_role("link", name="Unmatched money").click()
            page.wait_for_url(f"{base}/unmatched")
            _shot(page, "03-unmatched-money")
            page.locator(f"a[href='/c/{web.key}/unmatched/{line}']").click()
            page.wait_for_url(f"{base}/unmatched/{line}")
            page.get_by_label("Find an open invoice").fill(invoice)
            page.get_by_role("button", name="Search").click()
            page.wait_for_url(f"**/unmatched/{line}?q={invoice}")
            _shot(page, "04-assign")
            page.get_by_label(f"Invoice {invoice} ").check()
            page.get_by_role("button", name="Book to the chosen invoice").click()
            _says(page, f"to invoice {invoice}")
            cli_runner(cli, "review", "assign", str(line), invoice, "--by", "alice")
            _same(web, cli)

            # undo a booking the matcher made
            allocation = _a_pushed_booking(web)
            page.get_by_role("link", name="Bookings").click()
            page.wait_for_url(f"{base}/bookings")
            _shot(page, "05-bookings")
            page.locator(f"a[href='/c/{web.key}/bookings/{allocation}']").click()
            page.wait_for_url(f"{base}/bookings/{allocation}")
            _shot(page, "06-booking-undo")
            page.get_by_role("button", name="Undo this booking").click()
            assert page.url.endswith(f"/bookings/{allocation}")  # the confirmation box is required
            page.get_by_label("I want these deleted in Bokio").check()
            page.get_by_role("button", name="Undo this booking").click()
            _says(page, f"undo of allocation {allocation}")
            cli_runner(cli, "undo", str(_same_allocation(web, cli, allocation)), "--by", "alice")
            _same(web, cli)
            page.reload()
            assert "Undone" in page.content()
            assert "by alice" in page.content()

            page.get_by_role("link", name="Overview").click()
            page.wait_for_url(f"{base}/")
            _shot(page, "07-overview")
            page.get_by_role("link", name="Bank files").click()
            page.wait_for_url(f"{base}/files")
            _shot(page, "08-bank-files")
            page.set_viewport_size({"width": 390, "height": 844})
            page.get_by_role("link", name="Bookings").click()
            page.wait_for_url(f"{base}/bookings")
            _shot(page, "09-bookings-phone")
        finally:
            browser.close()


def _unmatched_and_an_invoice_it_fits(world: DemoWorld) -> tuple[int, str]:
    with world.app.sessions() as session:
        company_id = session.scalar(select(Allocation.company_id).limit(1))
        assert company_id is not None
        # the payment nobody could place (the rejected one is unmatched now too, with a note)
        line = min(
            (u for u in unmatched(session, company_id) if u.currency == "SEK"), key=lambda u: len(u.notes)
        )
        free = sorted(
            inv.invoice_number
            for inv in open_invoices(session, company_id, "")
            if inv.currency == "SEK" and inv.outstanding > line.unallocated
        )
        assert free, "the demo has an open invoice the payment fits"
        return line.id, free[0]


def _a_pushed_booking(world: DemoWorld) -> int:
    with world.app.sessions() as session:
        found = session.scalar(
            select(Allocation.id)
            .where(
                Allocation.state == AllocationState.ACCEPTED,
                Allocation.tier != "manual",
                Allocation.push_state == "done",
            )
            .order_by(Allocation.id)
            .limit(1)
        )
    assert found is not None
    return found


def _same_allocation(web: DemoWorld, cli: DemoWorld, allocation: int) -> int:
    with web.app.sessions() as session:
        row = session.get(Allocation, allocation)
        assert row is not None
        key = (row.bank_transaction_id, row.invoice_number)
    with cli.app.sessions() as session:
        twin = session.scalar(
            select(Allocation.id).where(
                Allocation.bank_transaction_id == key[0], Allocation.invoice_number == key[1]
            )
        )
    assert twin is not None
    return twin
