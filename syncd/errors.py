"""One exception tree, organised by what the caller should do.

::

    SyncdError
    ├── ConfigError            fix the configuration, then restart
    ├── RetriableError         try again later (backoff); nothing is known to be wrong with the request
    │   ├── RateLimitedError   429: wait `retry_after` seconds
    │   ├── QuotaExceededError 403 quota-exceeded: pause the company until `retry_after`
    │   └── OutcomeUnknownError a write may or may not have happened: read back, never re-send blindly
    ├── FatalError             the request is wrong or not allowed; retrying will not help
    │   ├── AuthError          401 / token problems
    │   ├── ForbiddenError     403 missing scope or price plan feature
    │   ├── NotFoundError      404
    │   └── ValidationError    400 with Bokio's field errors
    ├── SkippableError         one bad record; record a problem and go on
    └── ParseError             a bank file that cannot be read (where, why)

Bokio-specific subclasses live in :mod:`syncd.bokio.errors`; they extend these families so a
job loop can decide with one ``except`` per family.
"""

from __future__ import annotations


class SyncdError(Exception):
    """Root of every error syncd raises on purpose."""


class ConfigError(SyncdError):
    """The configuration is invalid; the message names the key, the source and the fix."""

    def __init__(self, message: str, *, key: str | None = None, source: str | None = None) -> None:
        self.key = key
        self.source = source
        where = ", ".join(part for part in (f"key {key!r}" if key else "", source or "") if part)
        super().__init__(f"{message} ({where})" if where else message)


class RetriableError(SyncdError):
    """Transient: transport errors, 429, 5xx, a database that went away."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(message)


class FatalError(SyncdError):
    """Permanent for this request: fix the input, the token or the plan."""


class SkippableError(SyncdError):
    """One record is bad; the batch goes on and the problem is reported."""


class ParseError(SyncdError):
    """A bank file could not be parsed; ``location`` is a line number or an XPath."""

    def __init__(self, message: str, *, location: str | None = None, source: str | None = None) -> None:
        self.location = location
        self.source = source
        self.reason = message
        where = " ".join(part for part in (source or "", location or "") if part)
        super().__init__(f"{where}: {message}" if where else message)
