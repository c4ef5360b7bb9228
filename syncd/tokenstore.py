"""OAuth token sets on disk: one JSON file per company, readable by the syncd user only.

Under systemd this is ``$STATE_DIRECTORY/oauth/``, in Kubernetes a volume; the refresh token
rotates on every refresh, so the file is replaced atomically (write, fsync, rename) before the
new access token is used, and a crash can never leave a half-written file behind.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pydantic import SecretStr

from syncd.bokio.auth import TokenSet
from syncd.clock import parse_timestamp

_SAFE = re.compile(r"[^A-Za-z0-9._-]")


class FileTokenStore:
    """A :class:`syncd.bokio.auth.TokenStore` keeping each company's tokens in ``directory``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _path(self, key: str) -> Path:
        return self.directory / f"{_SAFE.sub('_', key)}.json"

    def load(self, key: str) -> TokenSet | None:
        """The stored tokens, or None when the company was never connected."""
        try:
            data = json.loads(self._path(key).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        refresh = data.get("refresh_token")
        return TokenSet(
            access_token=SecretStr(data["access_token"]),
            expires_at=_expiry(data["expires_at"]),
            refresh_token=SecretStr(refresh) if refresh else None,
            token_type=data.get("token_type", "bearer"),
            tenant_id=data.get("tenant_id"),
            tenant_type=data.get("tenant_type"),
            connection_id=data.get("connection_id"),
        )

    @contextmanager
    def locked(self, key: str) -> Iterator[None]:
        """An exclusive ``flock`` on ``<key>.lock`` beside the tokens: one refresher at a time
        across threads, processes and replicas sharing the directory (a local or block volume)."""
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self._path(key).with_suffix(".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing the descriptor releases the lock

    def save(self, key: str, tokens: TokenSet) -> None:
        """Replace the company's tokens atomically, mode 0600."""
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        data = {
            "access_token": tokens.access_token.get_secret_value(),
            "expires_at": tokens.expires_at.isoformat(),
            "refresh_token": tokens.refresh_token.get_secret_value() if tokens.refresh_token else None,
            "token_type": tokens.token_type,
            "tenant_id": tokens.tenant_id,
            "tenant_type": tokens.tenant_type,
            "connection_id": tokens.connection_id,
        }
        fd, temp = tempfile.mkstemp(dir=self.directory, prefix=".tokens-")
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, self._path(key))
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise


def _expiry(value: str) -> dt.datetime:
    expires = parse_timestamp(value)
    if expires is None:
        raise ValueError("stored tokens without expires_at")
    return expires
