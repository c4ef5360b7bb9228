"""structlog set-up: JSON lines in production, a readable console in a terminal, secrets never.

Everything (our own events and the stdlib loggers of SQLAlchemy, httpx, Alembic and APScheduler)
goes through one :class:`structlog.stdlib.ProcessorFormatter`, so the redaction processor sees
every record at every level before any renderer does.

Start-up: structlog imports rich (≈0.04 s) at import time for its rich tracebacks and pretty
reprs, which syncd never uses (exceptions are rendered by :func:`structlog.processors.format_exc_info`
and the console renderer is given :func:`structlog.dev.plain_traceback`), so
:func:`_import_structlog_without_rich` keeps rich out of structlog's own import. Commands that draw progress
bars still import rich themselves.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable, MutableMapping
from contextlib import AbstractContextManager
from typing import Any, Literal


def _import_structlog_without_rich() -> None:
    """Import structlog (unless something already has) as if rich were not installed."""
    if "structlog" in sys.modules or "rich" in sys.modules:
        return
    sys.modules["rich"] = None  # type: ignore[assignment]  # makes `import rich` raise ImportError
    try:
        import structlog  # noqa: F401
    finally:
        del sys.modules["rich"]


_import_structlog_without_rich()
import structlog  # noqa: E402 - after the import above, which kept rich out

REDACTED = "***"
_SECRET_KEYS = re.compile(
    r"(^|_)(token|access_token|refresh_token|authorization|password|passwd|secret|client_secret|api_key|"
    r"cookie|set_cookie)$",
    re.IGNORECASE,
)
_PATTERNS = (
    # Authorization: Bearer <token> / Basic <creds>, in any text
    (re.compile(r"\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=\-]+", re.IGNORECASE), r"\1 " + REDACTED),
    # credentials in URLs: scheme://user:password@host
    (re.compile(r"([a-z][a-z0-9+.\-]*://[^/\s:@]+):[^/\s@]+@", re.IGNORECASE), r"\1:" + REDACTED + "@"),
    # token-like query parameters and key=value pairs
    (
        re.compile(
            r"\b(access_token|refresh_token|token|client_secret|password|code)=([^&\s\"']+)", re.IGNORECASE
        ),
        r"\1=" + REDACTED,
    ),
    # 'Authorization': '...' in reprs of header mappings
    (re.compile(r"(['\"]?authorization['\"]?\s*[:=]\s*['\"]?)[^'\",}\s]+", re.IGNORECASE), r"\1" + REDACTED),
)


class Redactor:
    """A structlog processor that scrubs secrets from keys, values and free text.

    Known secret values (the configured tokens) are replaced wherever they appear, in addition
    to the patterns above, so a token pasted into an exception message is caught as well.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: list[str] = []
        self.add_secrets(secrets)

    def add_secrets(self, secrets: Iterable[str]) -> None:
        """Register more literal values to scrub (longest first, so prefixes do not leak)."""
        merged = {*self._secrets, *(s for s in secrets if len(s) >= 4)}
        self._secrets = sorted(merged, key=len, reverse=True)

    def __call__(
        self, _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        for key in list(event_dict):
            event_dict[key] = self.scrub(event_dict[key], key=key)
        return event_dict

    def scrub(self, value: Any, *, key: str = "") -> Any:
        """Scrub one value; containers are walked, other objects are scrubbed as text."""
        if key and _SECRET_KEYS.search(key) and value is not None:
            return REDACTED
        if isinstance(value, str):
            return self.scrub_text(value)
        if isinstance(value, dict):
            return {k: self.scrub(v, key=str(k)) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(self.scrub(v) for v in value)
        if value is None or isinstance(value, bool | int | float):
            return value
        text = str(value)
        cleaned = self.scrub_text(text)
        return value if cleaned == text else cleaned

    def scrub_text(self, text: str) -> str:
        """Replace known secrets and secret-shaped substrings in ``text``."""
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        for pattern, replacement in _PATTERNS:
            text = pattern.sub(replacement, text)
        return text


REDACTOR = Redactor()


def redact(text: str) -> str:
    """``text`` scrubbed like every log line: for what the CLI prints outside the logs (errors)."""
    return REDACTOR.scrub_text(text)


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at emit time (test runners and daemons swap it)."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def _format_exception_then_redact(
    logger: Any, method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Render tracebacks to text first, so a secret inside an exception message is scrubbed too."""
    event_dict = structlog.processors.format_exc_info(logger, method, event_dict)
    return REDACTOR(logger, method, event_dict)


def configure_logging(
    *,
    level: str = "INFO",
    fmt: Literal["auto", "json", "console"] = "auto",
    secrets: Iterable[str] = (),
    stream: Any = None,
) -> None:
    """Configure structlog and the stdlib root logger once, at start-up."""
    REDACTOR.add_secrets(secrets)
    out = stream or sys.stderr
    use_console = fmt == "console" or (fmt == "auto" and hasattr(out, "isatty") and out.isatty())
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.stdlib.ExtraAdder(),
    ]
    renderer: Any = (
        structlog.dev.ConsoleRenderer(colors=False, exception_formatter=structlog.dev.plain_traceback)
        if use_console
        else structlog.processors.JSONRenderer()
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            _format_exception_then_redact,
            renderer,
        ],
    )
    handler: logging.Handler = logging.StreamHandler(stream) if stream is not None else _StderrHandler()
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for existing in list(root.handlers):
        if getattr(existing, "_syncd", False):
            root.removeHandler(existing)
    handler._syncd = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    # SQLAlchemy logs every statement at INFO and httpcore every socket event at DEBUG: useful
    # only when the operator asks for DEBUG; otherwise they would drown our own events.
    quiet = logging.DEBUG if level == "DEBUG" else logging.WARNING
    for name in ("sqlalchemy.engine", "sqlalchemy.pool", "httpcore", "httpx", "alembic.runtime"):
        logging.getLogger(name).setLevel(quiet)
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )


def bind_job_context(*, company: str | None = None, job: str, run_id: str) -> AbstractContextManager[Any]:
    """Bind company, job and run id for the duration of one job (inside the job's own thread)."""
    values = {"job": job, "run_id": run_id}
    if company is not None:
        values["company"] = company
    return structlog.contextvars.bound_contextvars(**values)


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    """A logger bound to ``name`` (use ``__name__``)."""
    return structlog.stdlib.get_logger(name)
