"""A database syncd cannot use yet (not migrated, unreachable): exit 3 with the fix, never raw SQL.

Commands that need the schema either call :func:`require_schema` first (``run``, whose stages
would otherwise turn the missing tables into one failed stage after another) or let the
database error rise: :func:`not_ready` recognises it in ``syncd.cli`` and prints the fix.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from syncd.errors import SyncdError
from syncd.settings import describe_database

if TYPE_CHECKING:
    from syncd.app import App

EXIT_NOT_READY = 3
UPGRADE_HINT = "run `syncd db upgrade`"

# what SQLite and PostgreSQL say about a table or column an older schema lacks
_MISSING_SCHEMA = ("no such table", "no such column", "UndefinedTable", "UndefinedColumn")


class DatabaseNotReady(SyncdError):
    """The database is not at the schema this syncd needs, or cannot be reached."""

    exit_code = EXIT_NOT_READY


def require_schema(app: App) -> None:
    """Raise :class:`DatabaseNotReady` unless the database is reachable and at the head revision."""
    from sqlalchemy.exc import OperationalError

    from syncd import migrate

    database = describe_database(app.database_url)
    try:
        current = migrate.current_revision(app.engine)
    except OperationalError as exc:
        raise DatabaseNotReady(
            f"cannot reach the database {database}: {exc.orig}; check database_url"
        ) from None
    head = migrate.head_revision()
    if current != head:
        raise DatabaseNotReady(
            f"the database {database} is at {current or 'no schema (empty)'}, this syncd needs "
            f"{head}: {UPGRADE_HINT}"
        )


def not_ready(exc: BaseException) -> str | None:
    """The message for a database error that means "not migrated" or "unreachable", else None."""
    from sqlalchemy.exc import DBAPIError, OperationalError

    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, DBAPIError):
            detail = f"{type(seen.orig).__name__}: {seen.orig}"
            if any(marker in detail for marker in _MISSING_SCHEMA):
                return f"the database is not migrated to this syncd's schema ({seen.orig}): {UPGRADE_HINT}"
            if isinstance(seen, OperationalError):
                return f"the database cannot be used ({seen.orig}); check database_url and the server"
            return None
        seen = seen.__cause__ or seen.__context__
    return None
