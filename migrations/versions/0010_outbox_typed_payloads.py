"""Outbox payloads hold syncd's typed writes (their field names), not Bokio's wire keys.

Only ``syncd.bokio`` turns a write into Bokio's JSON now; a ``create_payment`` or
``create_settlement`` command written before this revision is rewritten in place
(``sumBaseCurrency`` → ``sum_base_currency``, ``bookkeepingAccountNumber`` →
``bookkeeping_account_number``, ``vatScheme`` → ``vat_scheme``); nothing else changes.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 22:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

import syncd.db

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KEYS = {
    "sumBaseCurrency": "sum_base_currency",
    "bookkeepingAccountNumber": "bookkeeping_account_number",
    "vatScheme": "vat_scheme",
}
_DEFAULT_ACCOUNT = 1930  # what the pusher sent when a payload named no account
_commands = sa.table(
    "outbox_commands",
    sa.column("id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("payload", syncd.db.JSONDocument()),
)


def _rename(payload: dict[str, Any], keys: dict[str, str]) -> dict[str, Any]:
    return {keys.get(key, key): value for key, value in payload.items()}


def _rewrite(keys: dict[str, str], *, fill_account: bool) -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(_commands.c.id, _commands.c.kind, _commands.c.payload).where(
            _commands.c.kind.in_(("create_payment", "create_settlement"))
        )
    ).all()
    for command_id, kind, payload in rows:
        renamed = _rename(dict(payload or {}), keys)
        if fill_account and kind == "create_payment":
            renamed.setdefault("bookkeeping_account_number", _DEFAULT_ACCOUNT)
        if renamed != payload:
            bind.execute(sa.update(_commands).where(_commands.c.id == command_id).values(payload=renamed))


def upgrade() -> None:
    _rewrite(_KEYS, fill_account=True)


def downgrade() -> None:
    _rewrite({new: old for old, new in _KEYS.items()}, fill_account=False)
