"""A cash-method company, and a Bokio that refuses to record a payment on an unrecorded invoice.

doctor names the accounting method Bokio reports; a refused record is one failed command with
Bokio's reason, never sent again on its own.
"""

from __future__ import annotations

import json
from decimal import Decimal

from sqlalchemy import select

from syncd.daemon.cycle import CompanyCycle
from syncd.outbox.tables import OutboxCommand
from tests.cycle_world import World, bokio_client, bokio_post, issue_invoice, switch_readings
from tests.ingest.deliveries import BankPayment, camt054


def test_doctor_names_the_cash_method_bokio_reports(cycle_world: World) -> None:
    switch_readings(cycle_world, accountingMethod="cash")
    cycle_world.cycle()

    cycle_world.capsys.readouterr()
    from syncd.cli import main

    main(["doctor", "--offline", "--json"])
    checks = {c["name"]: c for c in json.loads(cycle_world.capsys.readouterr().out)["checks"]}
    method = checks[f"{cycle_world.company.id} accounting method"]
    assert (method["status"], method["detail"].split(" ")[0]) == ("warn", "cash")


def test_a_record_bokio_refuses_is_one_failed_command_with_its_reason_and_is_not_sent_again(
    cycle_world: World,
) -> None:
    with bokio_client(cycle_world) as bokio:  # published in Bokio, never recorded
        customer = bokio_post(bokio, "/customers", {"name": "Kontant AB", "type": "company"})["id"]
        invoice = issue_invoice(bokio, customer, "1000", str(cycle_world.sandbox.today()))
        # history: Bokio once let a person book a payment on an unrecorded invoice, so the books
        # say payments only (syncd.calibration.record_order) -- then Bokio starts refusing
        older = issue_invoice(bokio, customer, "1000", str(cycle_world.sandbox.today()))
        body = {
            "date": str(cycle_world.sandbox.today()),
            "sumBaseCurrency": 1250,
            "bookkeepingAccountNumber": 1930,
        }
        paid = bokio_post(bokio, f"/invoices/{older['id']}/payments", body)
        bokio_post(bokio, f"/invoices/{older['id']}/payments/{paid['id']}/record")
    switch_readings(cycle_world, recordRequiresRecordedInvoice=True)
    cycle_world.cycle()
    payment = BankPayment(
        5, cycle_world.sandbox.today(), Decimal("1250.00"), "Kontant AB", ocr=invoice["paymentReference"]
    )
    cycle_world.deliver("ntf.xml", camt054([payment], "NTF-REC"))
    errors = []
    for _ in range(2):  # the second cycle must not send the refused record again
        report = CompanyCycle(cycle_world.app, cycle_world.app.settings.companies[0]).run()
        errors += [stage["error"] for stage in report.to_json()["stages"] if stage["stage"] == "push"]
    assert errors == ["1 command(s) failed; see `syncd outbox list --state failed`", None]

    with cycle_world.app.sessions() as session:
        records = session.scalars(select(OutboxCommand).where(OutboxCommand.kind == "record_payment")).all()
    assert [(c.state, c.attempts) for c in records] == [("failed", 1)]
    failed = cycle_world.cli("outbox", "list", "--state", "failed")
    assert "record" in str(failed).casefold()
