"""Shared fixtures: databases on SQLite always and on PostgreSQL when SYNCD_TEST_DATABASE_URL is set.

Each database test runs once per backend (``database`` is parametrised). Migrations run once per
session into a template (a SQLite file that is copied, a PostgreSQL template database that is
cloned), so every test starts from a freshly migrated, committed database of its own: tests can
exercise real transactions, several sessions and subprocesses without rolling anything back.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from syncd import migrate
from syncd.db import make_engine, session_factory
from syncd.logging import configure_logging

PG_ENV = "SYNCD_TEST_DATABASE_URL"

# On 2 cores shared with other work an example can take seconds: a per-example deadline only adds
# flakiness, never a finding. Hypothesis still shrinks and reports real failures.
settings.register_profile("syncd", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("syncd")
SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@dataclass
class Database:
    """A freshly migrated database for one test."""

    backend: str
    url: str
    engine: Engine
    sessions: sessionmaker[Session]


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session", autouse=True)
def _logs_to_stderr() -> None:
    """Library code logs through structlog; unconfigured, it would print to stdout."""
    configure_logging(level="INFO", fmt="json")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    migrate.upgrade(f"sqlite:///{path}")
    return path


# read once, at collection: a test that clears SYNCD_* (clean_env) and happens to be a worker's
# first to ask for PostgreSQL must not make the session-scoped fixture skip the whole leg
_PG_URL = os.environ.get(PG_ENV)


@pytest.fixture(scope="session")
def pg_admin_url() -> str:
    url = _PG_URL
    if not url:
        pytest.skip(f"PostgreSQL leg: set {PG_ENV} (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)")
    return url


def _pg_execute(admin_url: str, *statements: str) -> None:
    engine = make_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            for statement in statements:
                connection.execute(text(statement))
    finally:
        engine.dispose()


def _with_database(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def pg_template(pg_admin_url: str) -> Iterator[str]:
    name = f"syncd_tpl_{_worker()}_{uuid.uuid4().hex[:8]}"
    _pg_execute(pg_admin_url, f'CREATE DATABASE "{name}"')
    url = _with_database(pg_admin_url, name)
    migrate.upgrade(url)
    yield name
    _pg_execute(pg_admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def new_database_url(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database of its own for one test (a copy of the template)."""
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / f"syncd-{uuid.uuid4().hex[:8]}.sqlite3"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    admin = request.getfixturevalue("pg_admin_url")
    template_name = request.getfixturevalue("pg_template")
    name = f"syncd_t_{_worker()}_{uuid.uuid4().hex[:10]}"
    _pg_execute(admin, f'CREATE DATABASE "{name}" TEMPLATE "{template_name}"')
    try:
        yield _with_database(admin, name)
    finally:
        _pg_execute(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> Iterator[str]:
    yield from new_database_url(request, backend, tmp_path)


@pytest.fixture
def database(backend: str, database_url: str) -> Iterator[Database]:
    engine = make_engine(database_url)
    try:
        yield Database(backend, database_url, engine, session_factory(engine))
    finally:
        engine.dispose()


@pytest.fixture
def empty_database_url(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> Iterator[str]:
    """An unmigrated, empty database (for migration tests)."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    admin = request.getfixturevalue("pg_admin_url")
    name = f"syncd_e_{_worker()}_{uuid.uuid4().hex[:10]}"
    _pg_execute(admin, f'CREATE DATABASE "{name}"')
    try:
        yield _with_database(admin, name)
    finally:
        _pg_execute(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, Any]:
    """An environment without any SYNCD_* variables, run from an empty folder."""
    for name in list(os.environ):
        if name.startswith("SYNCD_") or name in {"CREDENTIALS_DIRECTORY", "STATE_DIRECTORY"}:
            monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return {}


from tests.cycle_world import cycle_world  # noqa: E402, F401 - a fixture for every test module
