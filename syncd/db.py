"""Engine, session factory and the column types that keep money and time exact on both databases.

SQLite is the embedded default (one small company, the demo); PostgreSQL is for production.
The SQLite file holds bank data and Bokio ids, so it is created 0600 (SQLite gives its ``-wal``
and ``-shm`` files the database file's mode); an existing one readable by others is tightened.
SQLite stores NUMERIC as a float, so money is stored there as text and read back as Decimal;
on PostgreSQL it is an arbitrary-precision ``numeric``. Datetimes are stored as UTC.
"""

from __future__ import annotations

import datetime as dt
import os
import stat
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, DateTime, Dialect, Engine, MetaData, Numeric, String, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, sessionmaker
from sqlalchemy.types import TypeDecorator, TypeEngine

from syncd import jsonutil

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Money(TypeDecorator[Decimal]):
    """An exact Decimal: ``numeric`` on PostgreSQL, canonical text on SQLite."""

    impl = Numeric
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(64))
        return dialect.type_descriptor(Numeric(asdecimal=True))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, Decimal):
            raise TypeError(f"money columns take Decimal, got {type(value).__name__}")
        return str(value) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(str(value))


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC datetimes on both databases (SQLite has no time zones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware UTC datetime")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class JSONDocument(TypeDecorator[Any]):
    """JSON, stored as JSONB on PostgreSQL (as the migrations create it).

    A decorator rather than ``JSON().with_variant(JSONB(), "postgresql")`` because naming
    ``JSONB`` imports SQLAlchemy's whole PostgreSQL dialect (with asyncio, ≈0.04 s): this way
    only a PostgreSQL engine does, and ``syncd review show`` on SQLite starts faster. Like
    :class:`~sqlalchemy.types.JSON`, ``None`` is stored as JSON ``null`` and values are unhashable.
    """

    impl = JSON
    cache_ok = True
    should_evaluate_none = True
    hashable = False

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import JSONB

            return dialect.type_descriptor(JSONB())
        return dialect.type_descriptor(JSON())


JSONType = JSONDocument()


class Base(DeclarativeBase):
    """Declarative base with deterministic constraint names for Alembic diffs."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy reads this class attribute
        Decimal: Money(),
        dt.datetime: UTCDateTime(),
        dict[str, Any]: JSONType,
    }


def utcnow() -> dt.datetime:
    """The current time, aware, in UTC (callers inject it; the matcher never calls this)."""
    return dt.datetime.now(dt.UTC)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine with exact JSON; on SQLite WAL, foreign keys and a busy timeout; on PostgreSQL
    with psycopg, plans made for each query's values."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("connect_args", {"timeout": 30})
    elif parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() == "psycopg":
        # No server-side prepared statements: after five runs psycopg prepares a query, and
        # PostgreSQL may then keep a generic plan that ignores the values (the bank import's
        # same-day candidate query went from 9 ms to 560 ms at 30,000 rows that way).
        kwargs.setdefault("connect_args", {"prepare_threshold": None})
    engine = create_engine(
        url,
        json_serializer=jsonutil.dumps,
        json_deserializer=jsonutil.loads,
        pool_pre_ping=True,
        **kwargs,
    )
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            path = Path(database)  # created 0600 just before SQLite would create it with the umask's mode
            event.listen(engine, "do_connect", lambda *_args: private_sqlite_file(path))
    return engine


def private_sqlite_file(path: Path) -> None:
    """Create the SQLite file 0600 before SQLite does (with the umask's mode), or tighten it."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        os.close(fd)
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            mode = stat.S_IMODE(file.stat().st_mode)
            if mode & 0o077:
                file.chmod(mode & 0o700)
        except FileNotFoundError:
            continue
        except PermissionError:  # not ours to change (a shared read-only copy): leave it
            continue


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def session_factory(engine: Engine) -> sessionmaker[Any]:
    """Sessions for jobs: each job opens ``with factory.begin() as session`` and owns it."""
    return sessionmaker(engine, expire_on_commit=False)
