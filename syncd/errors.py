"""One exception tree, organised by what the caller should do: the only drawing of it.

Every error syncd raises on purpose is in this tree; ``tests/test_error_tree.py`` fails when the
drawing and the classes part ways. The families under :class:`SyncdError` are disjoint, so a
handler's ``except`` clauses cannot shadow each other: above all, an uncertain outcome is never
a retriable error (re-sending a write whose answer was lost could book a payment twice).
Bokio's errors (:mod:`syncd.bokio.errors`) also extend ``BokioError``, which carries Bokio's
fields (``code``, ``bokio_error_id``, field errors); it is a mixin and is drawn as one.

::

    SyncdError
    ├── ConfigError                        fix the configuration, then restart
    │   ├── ConfigProblems                 every problem of a configuration at once
    │   └── AlreadyRunningError            another syncd holds the lock
    ├── RetriableError                     try again later; nothing is known to be wrong, nothing happened
    │   ├── RateLimitedError               429: wait ``retry_after`` seconds, then resend
    │   │   └── ConcurrencyLimitError      429: a write to the same path was in flight
    │   ├── QuotaExceededError             403 quota-exceeded: pause the company until ``retry_after``
    │   ├── ServerError                    5xx to a read
    │   └── TransportError                 a read failed, or a write that provably never left
    ├── UncertainError                     it may have happened: find out by reading, never re-send blindly
    │   └── OutcomeUnknownError            a write was sent and no trustworthy answer came back
    ├── FatalError                         wrong or not allowed; retrying will not help
    │   ├── AuthError                      401: token missing, invalid, expired or refresh refused
    │   │   └── OAuthError                 OAuth ``{error, error_description}``; a bad ``state``
    │   ├── ForbiddenError                 403 without a quota code: most likely a missing scope
    │   │   └── PricePlanRequiredError     403 ``price_plan_feature_required``
    │   ├── NotFoundError                  404
    │   ├── BadRequestError                another 4xx Bokio answers the same way every time
    │   │   ├── ValidationError            400 validation-error with field errors (JSON pointers)
    │   │   └── OperationNotAllowedError   400 operation-not-allowed
    │   ├── ProtocolError                  an answer we cannot read (bad JSON, wrong shape)
    │   │   └── PaginationLoopError        the same page came back twice
    │   ├── DecisionError                  a review decision that cannot be taken (why, what instead)
    │   ├── BankLineError                  a bank line that cannot be assigned or dismissed
    │   ├── ReversalError                  a reversal decision that does not fit the line
    │   ├── UndoRefusedError               nothing (yet) to undo, and what to do instead
    │   ├── OutboxAdminError               an outbox command that cannot be retried or cancelled so
    │   ├── BusyError                      another syncd is deciding on the same company
    │   └── DuplicateDecisionError         a decision on a held possible-duplicate line that does not fit
    ├── SkippableError                     one bad record: report it and go on
    │   └── MalformedRecordError           one object in a Bokio answer does not parse
    ├── ParseError                         a bank file that cannot be read (where, why)
    │   └── UnorderedReport                a PSP report whose rows are out of order
    ├── InboxMissingError                  the configured inbox directory does not exist
    ├── DatabaseNotReady                   the database is not migrated: run ``syncd db upgrade``
    └── BokioError                         (mixin) Bokio's fields on every Bokio error above
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


class UncertainError(SyncdError):
    """An action may or may not have taken effect; only a read can tell, so never repeat it blindly."""


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
