"""PostgreSQL bulk insert at COPY speed: COPY into a staging table, then set-based statements.

A many-row ``INSERT … VALUES`` costs psycopg a conversion of the whole statement on every batch
(28,000 parameters in 845 KB of SQL) and PostgreSQL a plan for it; COPY streams typed rows
instead. The staging table is a temporary table of this transaction (dropped at its end) with the
target's columns, none of its constraints, and the row's position in the batch (``syncd_ord``).
The caller may look at the staged rows in SQL (which of them could be duplicates of stored
rows), drop or change some of them, and then ``INSERT … SELECT … ON CONFLICT DO NOTHING
RETURNING`` moves the rest in one statement, so a key that is already taken -- inside the batch,
by an earlier batch or by a concurrent import -- is skipped by the database, exactly as the plain
insert does. Runs in the caller's transaction (never commits).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.orm import Session

ORD = "syncd_ord"
"""The staging column holding each row's index in the batch."""


def _filled(table: Table, rows: Sequence[Mapping[str, Any]]) -> tuple[list[str], list[Any]]:
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


class Staging:
    """One batch of rows for ``table``, copied into a temporary table of the transaction."""

    def __init__(self, session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
        """COPY ``rows`` (all with the same keys, at least one) into the staging table."""
        dialect = session.get_bind().dialect
        self.table = table
        names, defaults = _filled(table, rows)
        self.columns = ", ".join(f'"{name}"' for name in names)
        # one staging table per column set, so batches with other columns never share one
        self.name = f"syncd_staging_{table.name}_{hashlib.sha256(self.columns.encode()).hexdigest()[:8]}"
        own = list(rows[0])
        processors: list[Callable[[Any], Any] | None] = [
            table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names
        ]
        converted = [(i, p) for i, p in enumerate(processors) if p is not None]
        self._connection = session.connection().connection.driver_connection
        with self._connection.cursor() as cursor:  # type: ignore[union-attr]
            cursor.execute(
                f'CREATE TEMP TABLE IF NOT EXISTS "{self.name}" ON COMMIT DROP AS '  # noqa: S608 - model names
                f'SELECT {self.columns}, 0 AS "{ORD}" FROM "{table.name}" WITH NO DATA'
            )
            cursor.execute(f'TRUNCATE "{self.name}"')
            with cursor.copy(f'COPY "{self.name}" ({self.columns}, "{ORD}") FROM STDIN') as copy:
                for index, row in enumerate(rows):
                    values = [*(row[name] for name in own), *defaults, index]
                    for i, processor in converted:
                        values[i] = processor(values[i])
                    copy.write_row(values)

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        """Run ``sql`` (``{staging}`` names the staging table) and return its rows."""
        with self._connection.cursor() as cursor:  # type: ignore[union-attr]
            cursor.execute(sql.format(staging=f'"{self.name}"'), params or {})
            return [tuple(row) for row in cursor.fetchall()] if cursor.description else []

    def drop(self, ords: Sequence[int]) -> None:
        """Leave these rows out of the insert."""
        if ords:
            self.query(f'DELETE FROM {{staging}} WHERE "{ORD}" = ANY(%(ords)s)', {"ords": list(ords)})  # noqa: S608

    def change(self, changes: Mapping[int, Mapping[str, Any]]) -> None:
        """Set columns of single rows (by batch index) before the insert."""
        for ord_, values in changes.items():
            assignments = ", ".join(f'"{name}" = %({name})s' for name in values)
            self.query(
                f'UPDATE {{staging}} SET {assignments} WHERE "{ORD}" = %(syncd_ord)s',  # noqa: S608
                {**values, ORD: ord_},
            )

    def insert(self, conflict: Sequence[str]) -> list[tuple[Any, ...]]:
        """Move the staged rows into the table unless ``conflict`` is taken, in batch order.

        Returns ``(id, <last conflict column>)`` of each row inserted.
        """
        target = ", ".join(f'"{name}"' for name in conflict)
        return self.query(
            f'INSERT INTO "{self.table.name}" ({self.columns}) '  # noqa: S608 - names from the model
            f'SELECT {self.columns} FROM {{staging}} ORDER BY "{ORD}" '
            f'ON CONFLICT ({target}) DO NOTHING RETURNING "id", "{conflict[-1]}"'
        )


def copy_insert(
    session: Session, table: Table, rows: Sequence[Mapping[str, Any]], *, conflict: Sequence[str]
) -> list[tuple[Any, ...]]:
    """Insert ``rows`` (all with the same keys) into ``table`` unless ``conflict`` is taken.

    Returns ``(id, <last conflict column>)`` of each row inserted.
    """
    if not rows:
        return []
    return Staging(session, table, rows).insert(conflict)
