"""Metrics: a registry per instance, event recording, and outbox/budget read fresh at scrape time."""

from __future__ import annotations

import datetime as dt

import pytest
from prometheus_client import generate_latest

from syncd.bokio.engine import RequestRecord
from syncd.ops.metrics import BudgetFigures, Metrics, OutboxFigures

COMPANY = "00000000-0000-4000-8000-000000000001"


def value(metrics: Metrics, name: str, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(name, labels)


def record(status: int | None, kind: str | None = None) -> RequestRecord:
    return RequestRecord(
        COMPANY, "GET", "/companies/{companyId}/invoices", status, dt.datetime.now(dt.UTC), 120.0, kind, 1
    )


def test_two_instances_keep_separate_figures_without_duplicate_registration_errors() -> None:
    first, second = Metrics(), Metrics()
    first.observe_allocation("ocr", "auto")
    assert value(first, "syncd_allocations_total", tier="ocr", decision="auto") == 1
    assert value(second, "syncd_allocations_total", tier="ocr", decision="auto") is None


def test_bokio_requests_are_counted_by_company_endpoint_method_and_status_or_error_kind() -> None:
    metrics = Metrics()
    metrics.observe_request(record(200))
    metrics.observe_request(record(200))
    metrics.observe_request(record(None, "timeout"))
    labels = {"company": COMPANY, "endpoint": "/companies/{companyId}/invoices", "method": "GET"}
    assert value(metrics, "syncd_bokio_requests_total", **labels, status="200") == 2
    assert value(metrics, "syncd_bokio_requests_total", **labels, status="timeout") == 1
    assert (
        value(
            metrics, "syncd_bokio_request_duration_seconds_count", endpoint="/companies/{companyId}/invoices"
        )
        == 3
    )


def test_job_timing_records_duration_and_counts_a_raised_failure_per_company() -> None:
    metrics = Metrics()
    with metrics.time_job("poll", COMPANY):
        pass
    with pytest.raises(RuntimeError), metrics.time_job("poll", COMPANY):
        raise RuntimeError("boom")
    metrics.observe_job("push", None, 0.5, ok=True)
    assert value(metrics, "syncd_job_duration_seconds_count", job="poll") == 2
    assert value(metrics, "syncd_job_failures_total", job="poll", company=COMPANY) == 1
    assert value(metrics, "syncd_job_failures_total", job="push", company="") is None
    metrics.observe_lock_skipped("poll")
    assert value(metrics, "syncd_lock_skipped_total", job="poll") == 1


def test_the_last_successful_cycle_is_stamped_with_the_injected_clock() -> None:
    metrics = Metrics(clock=lambda: 1_800_000_000.0)
    metrics.mark_cycle_success(COMPANY)
    assert value(metrics, "syncd_cycle_last_success_timestamp_seconds", company=COMPANY) == 1_800_000_000.0


def test_pushed_outbox_and_budget_figures_are_exposed() -> None:
    metrics = Metrics()
    metrics.set_budget(COMPANY, used=1200, remaining=3800)
    metrics.set_outbox(COMPANY, {"pending": 3, "failed": 0}, oldest_pending_age_s=42.0)
    assert value(metrics, "syncd_bokio_budget_used_requests", company=COMPANY) == 1200
    assert value(metrics, "syncd_bokio_budget_remaining_requests", company=COMPANY) == 3800
    assert value(metrics, "syncd_outbox_depth", company=COMPANY, state="pending") == 3
    assert value(metrics, "syncd_outbox_depth", company=COMPANY, state="failed") == 0
    assert value(metrics, "syncd_outbox_oldest_pending_age_seconds", company=COMPANY) == 42.0


def test_scrape_time_sources_are_called_on_every_scrape_and_win_over_pushed_values() -> None:
    depth = {"pending": 1}
    calls: list[str] = []

    def outbox() -> list[OutboxFigures]:
        calls.append("outbox")
        return [OutboxFigures(COMPANY, dict(depth), 5.0)]

    def budget() -> list[BudgetFigures]:
        return [BudgetFigures(COMPANY, used=10, remaining=4990)]

    metrics = Metrics(outbox_source=outbox, budget_source=budget)
    metrics.set_outbox(COMPANY, {"pending": 99})
    assert value(metrics, "syncd_outbox_depth", company=COMPANY, state="pending") == 1
    depth["pending"] = 7
    assert value(metrics, "syncd_outbox_depth", company=COMPANY, state="pending") == 7
    assert value(metrics, "syncd_bokio_budget_remaining_requests", company=COMPANY) == 4990
    assert value(metrics, "syncd_scrape_source_up", source="outbox") == 1
    assert len(calls) >= 2


def test_a_failing_source_does_not_fail_the_scrape_and_falls_back_to_pushed_values() -> None:
    def outbox() -> list[OutboxFigures]:
        raise ConnectionError("database away")

    metrics = Metrics(outbox_source=outbox)
    metrics.set_outbox(COMPANY, {"pending": 4})
    text = generate_latest(metrics.registry).decode()
    assert 'syncd_scrape_source_up{source="outbox"} 0.0' in text
    assert value(metrics, "syncd_outbox_depth", company=COMPANY, state="pending") == 4
