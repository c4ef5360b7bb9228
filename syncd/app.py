"""Composition root: builds the engine, sessions and clients from settings. No business logic."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from syncd.db import make_engine, session_factory
from syncd.settings import Settings


@dataclass
class App:
    """What a command or the daemon needs, built once from :class:`Settings`."""

    settings: Settings
    engine: Engine = field(init=False)
    sessions: sessionmaker[Any] = field(init=False)

    def __post_init__(self) -> None:
        self.engine = make_engine(self.settings.database_url.get_secret_value())
        self.sessions = session_factory(self.engine)

    @property
    def database_url(self) -> str:
        return self.settings.database_url.get_secret_value()

    def close(self) -> None:
        """Release pooled connections."""
        self.engine.dispose()

    def __enter__(self) -> App:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
