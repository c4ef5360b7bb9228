"""PostgreSQL bulk insert at COPY speed: COPY into a staging table, then one set-based INSERT.

A many-row ``INSERT … VALUES`` costs psycopg a conversion of the whole statement on every batch
(28,000 parameters in 845 KB of SQL) and PostgreSQL a plan for it; COPY streams typed rows
instead. The staging table is a temporary table of this connection with the target's columns and
none of its constraints; ``INSERT … SELECT … ON CONFLICT DO NOTHING RETURNING`` then moves the
rows in one statement, so a key that is already taken -- inside the batch, by an earlier batch or
by a concurrent import -- is skipped by the database, exactly as the plain insert does. Runs in
the caller's transaction (never commits).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.orm import Session


def _staging_name(table: Table) -> str:
    return f"syncd_staging_{table.name}"


def _filled(table: Table, rows: Sequence[dict[str, Any]]) -> tuple[list[str], list[Any]]:
    """The columns to copy: the rows' own keys, then every other column with a Python default."""
    names = list(rows[0])
    defaults: list[Any] = []
    for column in table.columns:
        default = column.default
        if column.name in names or column.primary_key or default is None or not hasattr(default, "arg"):
            continue
        names.append(column.name)
        defaults.append(default.arg(None) if callable(default.arg) else default.arg)
    return names, defaults


def copy_insert(
    session: Session, table: Table, rows: Sequence[dict[str, Any]], *, conflict: Sequence[str]
) -> list[tuple[Any, ...]]:
    """Insert ``rows`` (all with the same keys) into ``table`` unless ``conflict`` is taken.

    Returns ``(id, <last conflict column>)`` of each row inserted.
    """
    if not rows:
        return []
    dialect = session.get_bind().dialect
    names, defaults = _filled(table, rows)
    own = list(rows[0])
    processors: list[Callable[[Any], Any] | None] = [
        table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names
    ]
    staging = _staging_name(table)
    columns = ", ".join(f'"{name}"' for name in names)
    connection = session.connection().connection.driver_connection
    with connection.cursor() as cursor:  # type: ignore[union-attr]
        cursor.execute(
            f'CREATE TEMP TABLE IF NOT EXISTS "{staging}" AS '  # noqa: S608 - names from the model
            f'SELECT {columns} FROM "{table.name}" WITH NO DATA'
        )
        with cursor.copy(f'COPY "{staging}" ({columns}) FROM STDIN') as copy:
            for row in rows:
                values = [*(row[name] for name in own), *defaults]
                copy.write_row([v if p is None else p(v) for p, v in zip(processors, values, strict=True)])
        target = ", ".join(f'"{name}"' for name in conflict)
        cursor.execute(
            f'INSERT INTO "{table.name}" ({columns}) SELECT {columns} FROM "{staging}" '  # noqa: S608
            f'ON CONFLICT ({target}) DO NOTHING RETURNING "id", "{conflict[-1]}"'
        )
        inserted = [tuple(row) for row in cursor.fetchall()]
        cursor.execute(f'TRUNCATE "{staging}"')
    return inserted
