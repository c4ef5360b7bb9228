"""Acceptance 1 of the foundation: migrations reach head, go down and up, and `db check` guards drift."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, inspect

import syncd.models  # noqa: F401  (all tables on Base.metadata)
from syncd import jsonutil, migrate
from syncd.cli import main
from syncd.db import Base, make_engine
from syncd.errors import ConfigError


def test_upgrade_on_an_empty_database_reaches_head(empty_database_url: str) -> None:
    migrate.upgrade(empty_database_url)
    engine = make_engine(empty_database_url)
    try:
        assert migrate.current_revision(engine) == migrate.head_revision()
        assert {"invoices", "request_ledger", "sync_state"} <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_downgrade_to_base_and_upgrade_again_works(empty_database_url: str) -> None:
    migrate.upgrade(empty_database_url)
    migrate.downgrade(empty_database_url, "base")
    engine = make_engine(empty_database_url)
    try:
        assert migrate.current_revision(engine) is None
        assert "invoices" not in inspect(engine).get_table_names()
        migrate.upgrade(empty_database_url)
        assert migrate.current_revision(engine) == migrate.head_revision()
    finally:
        engine.dispose()


def test_db_check_passes_when_models_and_migrations_agree(empty_database_url: str) -> None:
    migrate.upgrade(empty_database_url)
    engine = make_engine(empty_database_url)
    try:
        result = migrate.check(engine)
    finally:
        engine.dispose()
    assert result.ok, result.differences


def test_db_check_fails_when_a_model_changes_without_a_migration(empty_database_url: str) -> None:
    migrate.upgrade(empty_database_url)
    changed = MetaData(naming_convention=Base.metadata.naming_convention)
    for table in Base.metadata.tables.values():
        table.to_metadata(changed)
    changed.tables["invoices"].append_column(Column("reminder_fee", Integer, nullable=True))
    engine = make_engine(empty_database_url)
    try:
        result = migrate.check(engine, changed)
    finally:
        engine.dispose()
    assert not result.ok
    assert any("reminder_fee" in repr(difference) for difference in result.differences)


def test_db_check_fails_on_a_database_that_is_not_migrated(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    try:
        assert not migrate.check(engine).ok
    finally:
        engine.dispose()


@pytest.mark.usefixtures("clean_env")
def test_the_db_commands_upgrade_and_check_through_the_cli(
    empty_database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SYNCD_DATABASE_URL", empty_database_url)
    assert main(["db", "current"]) == 3
    assert main(["db", "upgrade"]) == 0
    assert main(["db", "check"]) == 0
    assert main(["db", "current", "--json"]) == 0
    out = capsys.readouterr().out
    assert '"at_head":true' in out
    assert "schema OK" in out


def test_outbox_commands_written_in_bokio_s_wire_format_are_rewritten_as_typed_writes(
    empty_database_url: str,
) -> None:
    from decimal import Decimal

    from sqlalchemy import text

    from syncd.outbox import payloads

    migrate.upgrade(empty_database_url, "0009")
    engine = make_engine(empty_database_url)
    old = {
        "create_payment": {"date": "2026-11-02", "sumBaseCurrency": Decimal("1250.50")},
        "create_settlement": {
            "type": "paymentServiceFee",
            "date": "2026-11-02",
            "sumBaseCurrency": Decimal("12.40"),
            "vatScheme": "eu",
        },
        "record_payment": {"payment_seq": 1},
    }
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO companies (id, bokio_company_id, name, created_at)"
                    " VALUES (1, :uuid, 'AB', CURRENT_TIMESTAMP)"
                ),
                {"uuid": "5f1c9a4e-0000-4000-8000-000000000001"},
            )
            for seq, (kind, payload) in enumerate(old.items(), start=1):
                connection.execute(
                    text(
                        "INSERT INTO outbox_commands (company_id, seq, kind, payload, state, idempotency_key,"
                        " attempts, next_attempt_at, created_at, updated_at) VALUES (1, :seq, :kind,"
                        " :payload, 'pending', :key, 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                    ),
                    {"seq": seq, "kind": kind, "payload": jsonutil.dumps(payload), "key": f"old:{seq}"},
                )
        migrate.upgrade(empty_database_url)
        with engine.connect() as connection:
            stored = {
                kind: jsonutil.loads(str(payload))
                for kind, payload in connection.execute(
                    text("SELECT kind, CAST(payload AS TEXT) FROM outbox_commands")
                )
            }
    finally:
        engine.dispose()
    payment = payloads.payment_write(stored["create_payment"])
    assert (payment.sum_base_currency, payment.bookkeeping_account_number) == (Decimal("1250.50"), 1930)
    fee = payloads.settlement_write(stored["create_settlement"])
    assert (fee.type.value, fee.sum_base_currency, fee.vat_scheme) == (
        "paymentServiceFee",
        Decimal("12.40"),
        "eu",
    )
    assert stored["record_payment"] == {"payment_seq": 1}
    migrate.downgrade(empty_database_url, "0009")


def test_the_revisions_read_without_alembic_are_the_ones_alembic_reads(empty_database_url: str) -> None:
    # status, doctor and run answer "is the database migrated?" without importing Alembic
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory

    assert (
        migrate.head_revision() == ScriptDirectory.from_config(migrate.alembic_config("")).get_current_head()
    )
    engine = make_engine(empty_database_url)

    def alembic_reads() -> str | None:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    try:
        assert migrate.current_revision(engine) is None  # no alembic_version table yet
        for revision in ("0003", "head", "base"):  # base: the table stays, empty
            if revision == "base":
                migrate.downgrade(empty_database_url, revision)
            else:
                migrate.upgrade(empty_database_url, revision)
            assert migrate.current_revision(engine) == alembic_reads()
        assert migrate.current_revision(engine) is None
    finally:
        engine.dispose()


def test_a_second_head_in_the_scripts_is_named_not_guessed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    head = migrate.head_revision()
    shutil.copytree(migrate.migrations_dir(), tmp_path / "migrations")
    (tmp_path / "migrations" / "versions" / "0099_branch.py").write_text(
        'revision: str = "0099"\ndown_revision: str | None = "0008"\n', encoding="utf-8"
    )
    monkeypatch.setenv("SYNCD_MIGRATIONS", str(tmp_path / "migrations"))
    with pytest.raises(ConfigError, match=rf"several heads \({head}, 0099\)"):
        migrate.head_revision()
