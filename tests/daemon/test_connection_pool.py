"""A replica keeps the database connections its workers need instead of reconnecting all day."""

from __future__ import annotations

import threading

from pydantic import SecretStr
from sqlalchemy import event, text

from syncd.app import App
from syncd.settings import BokioSettings, DaemonSettings, Settings
from tests.conftest import Database
from tests.pull.harness import company_settings

WORKERS = 4


def _every_worker_busy_at_once(app: App) -> None:
    """Each worker's stage holds its (company, stage) lock's connection and its work's; the
    heartbeat holds one more."""
    barrier = threading.Barrier(WORKERS + 1)

    def stage() -> None:
        with app.engine.connect() as lock, app.engine.connect() as work:
            lock.execute(text("SELECT 1"))
            work.execute(text("SELECT 1"))
            barrier.wait(timeout=30)

    def heartbeat() -> None:
        with app.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            barrier.wait(timeout=30)

    threads = [threading.Thread(target=stage) for _ in range(WORKERS)] + [threading.Thread(target=heartbeat)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)


def test_a_replica_whose_workers_are_all_busy_again_and_again_opens_no_new_connection_after_the_first_time(
    database: Database,
) -> None:
    settings = Settings(
        database_url=SecretStr(database.url),
        bokio=BokioSettings(base_url="http://sandbox.test/v1"),
        companies=(company_settings(),),
        daemon=DaemonSettings(workers=WORKERS),
    )
    app = App(settings)
    opened: list[object] = []
    event.listen(app.engine, "connect", lambda *_args: opened.append(object()))
    try:
        _every_worker_busy_at_once(app)
        first = len(opened)
        for _ in range(3):
            _every_worker_busy_at_once(app)
    finally:
        app.close()
    assert first == 2 * WORKERS + 1
    assert len(opened) == first
