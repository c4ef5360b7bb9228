"""``syncd demo`` end to end: a subprocess, a real HTTP sandbox, real files, a real SQLite database."""

from __future__ import annotations

import io
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from syncd import jsonutil
from syncd.demo.report import print_report
from syncd.demo.run import DemoRun, run_demo

pytestmark = pytest.mark.integration

SECTIONS = (
    "Booked in Bokio",
    "Why syncd was sure",
    "Waiting for review",
    "Not matched",
    "Bank files",
    "Bokio requests",
    "The cycle",
)


def syncd(*args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "syncd", *args], capture_output=True, text=True, timeout=120, check=False
    )
    return done, time.monotonic() - started


@pytest.fixture(scope="module")
def demo_json(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], float]:
    done, seconds = syncd("demo", "--json", "--workdir", str(tmp_path_factory.mktemp("demo")))
    assert done.returncode == 0, done.stderr
    return jsonutil.loads(done.stdout), seconds


def scenario(report: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [s for s in report["scenarios"] if s["scenario"] == name]


def booked(report: dict[str, Any], number: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [b for b in report["booked"] if b["invoice_number"] == number]
    assert len(found) == 1, f"invoice {number} was not booked once: {report['review']}"
    return found[0]


def kinds(booking: dict[str, Any]) -> list[str]:
    return [p["kind"] for p in booking["postings"]]


def test_the_demo_exits_zero_well_within_a_minute_with_every_stage_ok(demo_json: Any) -> None:
    report, seconds = demo_json
    assert seconds < 60
    assert report["ok"] is True
    assert [s["stage"] for s in report["cycle"]] == ["import", "pull", "match", "push"]
    assert all(s["ok"] for s in report["cycle"])
    assert [f["status"] for f in report["files"]] == ["imported", "imported"]


def test_exact_ocr_payments_are_booked_as_recorded_payments_and_close_their_invoices(demo_json: Any) -> None:
    report, _ = demo_json
    exact = scenario(report, "exact_ocr")
    assert len(exact) >= 3
    for payment in exact:
        booking = booked(report, payment["invoices"][0])
        assert booking["tier"] == "ocr_exact"
        assert kinds(booking) == ["payment"]
        assert booking["postings"][0]["amount"] == payment["amount"]
        assert booking["postings"][0]["journal"]["title"].startswith("Inbetalning")
        assert booking["invoice_status"] == "paid"


def test_the_short_payment_is_booked_with_a_bank_fee_settlement(demo_json: Any) -> None:
    report, _ = demo_json
    (payment,) = scenario(report, "bank_fee")
    booking = booked(report, payment["invoices"][0])
    assert booking["tier"] == "ocr_tolerance"
    assert kinds(booking) == ["payment", "bankFee"]
    assert booking["postings"][1]["amount"] == 25
    assert booking["invoice_status"] == "paid"


def test_one_payment_for_two_invoices_is_split_into_two_bookings(demo_json: Any) -> None:
    report, _ = demo_json
    (payment,) = scenario(report, "two_invoices")
    bookings = [booked(report, number) for number in payment["invoices"]]
    assert [b["tier"] for b in bookings] == ["multi_reference", "multi_reference"]
    assert sum(b["postings"][0]["amount"] for b in bookings) == payment["amount"]


def test_the_euro_invoice_paid_in_kronor_gets_a_currency_settlement(demo_json: Any) -> None:
    report, _ = demo_json
    (payment,) = scenario(report, "foreign_currency")
    booking = booked(report, payment["invoices"][0])
    assert booking["currency"] == "EUR"
    assert booking["tier"] == "foreign_currency"
    assert kinds(booking) == ["payment", "currency"]
    assert booking["postings"][0]["amount"] == payment["amount"]
    assert booking["invoice_status"] == "paid"


def test_the_stripe_payout_books_each_charge_with_a_psp_fee_settlement(demo_json: Any) -> None:
    report, _ = demo_json
    (payout,) = scenario(report, "stripe_payout")
    bookings = [booked(report, number) for number in payout["invoices"]]
    assert 2 <= len(bookings) <= 3
    for booking in bookings:
        assert booking["tier"] == "psp_payout"
        assert kinds(booking) == ["payment", "paymentServiceFee"]
        assert booking["postings"][1]["vat_scheme"] == "eu"
    assert sum(b["postings"][0]["amount"] for b in bookings) == payout["amount"]


def test_every_booking_is_recorded_in_a_journal_entry_tagged_by_syncd(demo_json: Any) -> None:
    report, _ = demo_json
    for posting in (p for b in report["booked"] for p in b["postings"]):
        entry = posting["journal"]
        assert entry is not None
        assert sum(line["debit"] for line in entry["lines"]) == sum(line["credit"] for line in entry["lines"])
        assert entry["tags"]


def test_the_mistyped_ocr_and_the_payer_only_payment_wait_for_review_with_a_reason(demo_json: Any) -> None:
    report, _ = demo_json
    in_review = {number: item for item in report["review"] for number, _c, _a in item["invoices"]}
    (mistyped,) = scenario(report, "mistyped_ocr")
    (payer_only,) = scenario(report, "payer_only")
    repair = in_review[mistyped["invoices"][0]]
    assert repair["tier"] == "ocr_repair"
    assert "fails its check digit" in repair["explanation"]
    assert repair["candidates"]
    named = in_review[payer_only["invoices"][0]]
    assert named["tier"] == "payer_amount"
    assert "looks like customer" in named["explanation"]
    assert len(report["review"]) == 2


def test_the_payment_nobody_can_place_is_reported_as_not_matched(demo_json: Any) -> None:
    report, _ = demo_json
    (unknown,) = scenario(report, "unknown_payer")
    (row,) = report["unmatched"]
    assert (row["bank_line"]["payer"], row["bank_line"]["amount"]) == (unknown["payer"], unknown["amount"])
    assert row["reason"]


def test_the_bokio_requests_come_from_the_request_ledger_and_fit_the_monthly_budget(demo_json: Any) -> None:
    report, _ = demo_json
    requests = report["requests"]
    assert requests["total"] == sum(r["count"] for r in requests["by_endpoint"])
    assert 0 < requests["total"] < requests["monthly_quota"]
    writes = {r["path"]: r["count"] for r in requests["by_endpoint"] if r["method"] == "POST"}
    assert writes["/invoices/{invoiceId}/payments"] == len(report["booked"])


def test_the_plain_text_report_has_every_section_a_finance_person_needs(tmp_path: Path) -> None:
    done, _ = syncd("demo", "--workdir", str(tmp_path))
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for title in SECTIONS:
        assert title in out
    assert "one full cycle succeeded" in out
    assert "bank fee 25,00" in out
    assert "PSP fee (eu)" in out
    assert "currency diff." in out
    assert "fails its check digit" in out
    assert "┃" not in out  # no box drawing in a pipe


class Terminal(io.StringIO):
    """A stdout that says it is a terminal, so the report draws rich tables."""

    def isatty(self) -> bool:
        return True


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    return run_demo(tmp_path_factory.mktemp("demo-run"), seed=3)


def test_on_a_terminal_the_report_draws_rich_tables_with_the_same_sections(demo_run: DemoRun) -> None:
    terminal = Terminal()
    print_report(demo_run, file=terminal)
    out = terminal.getvalue()
    assert "┃" in out
    for title in SECTIONS:
        assert title.split(" (")[0] in out


def test_running_the_demo_again_in_the_same_workdir_tells_the_same_story(demo_run: DemoRun) -> None:
    again = run_demo(demo_run.database.parent, seed=3)

    def story(run: DemoRun) -> Any:
        rec = run.reconciliation
        return (
            [(b.invoice_number, [(p.kind, p.amount) for p in b.postings]) for b in rec.booked],
            [(r.tier, r.invoices) for r in rec.review],
            [u.bank_line for u in rec.unmatched],
            [(f.name, f.status, f.transactions) for f in rec.files],
        )

    assert story(again) == story(demo_run)
