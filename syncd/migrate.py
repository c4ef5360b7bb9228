"""Schema migrations through Alembic, driven by syncd's own settings.

``syncd db upgrade|downgrade|current|check`` call these. The migration scripts are written in the
repository's top-level ``migrations/`` folder, which the wheel ships as the package data
``syncd/_migrations`` (pyproject.toml maps one onto the other), so an installed syncd needs no
checkout. ``SYNCD_MIGRATIONS`` overrides both.

Start-up: "is the database migrated?" (``status``, ``doctor``, ``run``, the health endpoint) is
answered without Alembic, which with Mako and Pygments costs ≈0.1 s to import:
:func:`current_revision` reads ``alembic_version`` with one query and :func:`head_revision` reads
the ``revision``/``down_revision`` lines of the scripts. Alembic is imported only to migrate or
compare schemas (tests check both answers against Alembic's own).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, MetaData, inspect, text

from syncd.errors import ConfigError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATION_LOCK_KEY = 0x5359_4E43  # "SYNC": pg_advisory_lock key held while migrating
VERSION_TABLE = "alembic_version"  # Alembic's default, which migrations/env.py keeps
_REVISION_LINE = re.compile(r"^(revision|down_revision)\b[^=\n]*=\s*(.+)$", re.MULTILINE)
_QUOTED = re.compile(r"[\"']([^\"']+)[\"']")


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
    from alembic.config import Config

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
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    """Migrate down to ``revision`` (``base`` drops everything syncd created)."""
    from alembic import command

    command.downgrade(alembic_config(url), revision)


def head_revision() -> str | None:
    """The newest revision in the scripts: the one no other script revises (None without scripts)."""
    revisions: set[str] = set()
    revised: set[str] = set()
    for script in sorted((migrations_dir() / "versions").glob("*.py")):
        lines = dict(_REVISION_LINE.findall(script.read_text(encoding="utf-8")))
        revisions.update(_QUOTED.findall(lines.get("revision", "")))
        revised.update(_QUOTED.findall(lines.get("down_revision", "")))
    heads = sorted(revisions - revised)
    if len(heads) > 1:
        raise ConfigError(
            f"the migrations have several heads ({', '.join(heads)}): merge them with `alembic merge`",
            key="SYNCD_MIGRATIONS",
        )
    return heads[0] if heads else None


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None for an empty database), read as Alembic stores it."""
    with engine.connect() as connection:
        if not inspect(connection).has_table(VERSION_TABLE):
            return None
        found = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    if len(found) > 1:
        raise ConfigError(
            f"the database is at several revisions ({', '.join(sorted(found))}); syncd's migrations "
            "have one line of history: check what else migrated this database"
        )
    return found[0] if found else None


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
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

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
