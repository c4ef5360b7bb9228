"""Schema migrations through Alembic, driven by syncd's own settings.

``syncd db upgrade|downgrade|current|check`` call these. The migration scripts are written in the
repository's top-level ``migrations/`` folder, which the wheel ships as the package data
``syncd/_migrations`` (pyproject.toml maps one onto the other), so an installed syncd needs no
checkout. ``SYNCD_MIGRATIONS`` overrides both.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, MetaData

from syncd.errors import ConfigError

MIGRATION_LOCK_KEY = 0x5359_4E43  # "SYNC": pg_advisory_lock key held while migrating


def _packaged() -> Path | None:
    """The scripts inside an installed wheel (``syncd/_migrations``), if this syncd has them.

    Alembic needs a real folder: a wheel installed into site-packages is one; a zipped install
    is not supported.
    """
    shipped = resources.files("syncd") / "_migrations"
    if isinstance(shipped, Path) and (shipped / "env.py").is_file():
        return shipped
    return None


def migrations_dir() -> Path:
    """Where the Alembic scripts are: ``SYNCD_MIGRATIONS``, else the installed package, else the checkout."""
    override = os.environ.get("SYNCD_MIGRATIONS")
    if override:
        path = Path(override)
        if not (path / "env.py").is_file():
            raise ConfigError(
                f"SYNCD_MIGRATIONS={override} has no Alembic env.py; point it at a copy of syncd's "
                "migrations/ folder, or unset it to use the migrations installed with syncd",
                key="SYNCD_MIGRATIONS",
            )
        return path
    checkout = Path(__file__).resolve().parents[1] / "migrations"
    path = _packaged() or checkout
    if not (path / "env.py").is_file():
        raise ConfigError(
            f"Alembic migrations not found in the installed package nor at {checkout}: reinstall "
            "syncd from a wheel built by `pip wheel .` (it carries them), or set SYNCD_MIGRATIONS",
            key="SYNCD_MIGRATIONS",
        )
    return path


def alembic_config(url: str) -> Config:
    """An Alembic config pointing at our scripts and database (no alembic.ini needed)."""
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.attributes["syncd_url"] = url
    return config


def resolve_url(config: Config) -> str:
    """The database URL for env.py: given by syncd, or from the settings when run by ``alembic``."""
    url = config.attributes.get("syncd_url")
    if url:
        return str(url)
    from syncd.settings import load_settings

    return load_settings().database_url.get_secret_value()


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate up to ``revision``."""
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    """Migrate down to ``revision`` (``base`` drops everything syncd created)."""
    command.downgrade(alembic_config(url), revision)


def head_revision() -> str | None:
    """The newest revision in the scripts."""
    return ScriptDirectory.from_config(alembic_config("")).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None for an empty database)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


@dataclass(frozen=True, slots=True)
class SchemaCheck:
    """Outcome of comparing the database (at head) with the models."""

    current: str | None
    head: str | None
    differences: list[Any]

    @property
    def ok(self) -> bool:
        return self.current == self.head and not self.differences


def check(engine: Engine, metadata: MetaData | None = None) -> SchemaCheck:
    """Compare the migrated database with the models: empty differences means they agree."""
    if metadata is None:
        import syncd.models  # noqa: F401 - completes Base.metadata
        from syncd.db import Base

        metadata = Base.metadata
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={"compare_type": True, "render_as_batch": connection.dialect.name == "sqlite"},
        )
        differences = compare_metadata(context, metadata)
        current = context.get_current_revision()
    return SchemaCheck(current=current, head=head_revision(), differences=list(differences))
