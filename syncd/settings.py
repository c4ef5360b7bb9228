"""Settings: one validated object built once in ``main()`` and passed down.

Layering, lowest to highest:

1. the TOML file (``SYNCD_CONFIG``, else ``config/syncd.toml`` when it exists);
2. ``SYNCD_*`` environment variables (``SYNCD_SECTION__KEY`` for nested keys, plus the
   single-company shorthand ``SYNCD_COMPANY_ID`` / ``SYNCD_BOKIO_TOKEN`` / ``SYNCD_BANK_INBOX`` …);
3. secret files: any ``*_FILE`` key or ``SYNCD_*_FILE`` variable, and systemd credentials in
   ``$CREDENTIALS_DIRECTORY`` (``bokio-token``, ``bokio-token-<company id>``, ``database-url``).

pydantic-settings can layer sources too, but it cannot say *which* source a bad value came
from; a finance team's operator needs "key X in file Y", so the layering is done here and
pydantic only validates.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, get_args
from uuid import UUID

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from syncd.domain import invoice_math as im
from syncd.errors import ConfigError

DEFAULT_BASE_URL = "https://api.bokio.se/v1"
RETIRED = {
    "budget.poll_share": "polls now follow [budget] freshness_bank_days within [budget] monthly_target "
    "(default 700 reads a month) instead of a share of the quota; remove the key",
}
"""Keys older versions read, with what replaced them (an old config gets told, not guessed)."""
DEFAULT_CONFIG_PATH = Path("config/syncd.toml")
PLACEHOLDER_TOKENS = frozenset(
    {
        "",
        "changeme",
        "change-me",
        "replace-me",
        "replace_me",
        "your-token",
        "your-token-here",
        "token",
        "xxx",
        "todo",
        "<token>",
        "secret",
        "placeholder",
        "...",
    }
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BokioSettings(_Strict):
    """How to reach Bokio (or the sandbox)."""

    base_url: str = DEFAULT_BASE_URL
    general_base_url: str = "https://api.bokio.se/v1"  # /v1/token, /v1/authorize: see bokio.auth
    connect_timeout_s: float = Field(default=5.0, gt=0)
    read_timeout_s: float = Field(default=30.0, gt=0)
    deadline_s: float = Field(default=120.0, gt=0)
    settle_window_s: float = Field(default=900.0, gt=0)
    """A write whose answer was lost is re-sent only this long after it was sent, and only if a
    read-back finds nothing: Bokio may still be applying it (design §2.3). Must exceed
    ``deadline_s``, the longest the client waits for one call."""
    rate_limit_per_minute: int = Field(default=200, gt=0)
    settlement_sign: im.SettlementSign = im.DEFAULT_SETTLEMENT_SIGN
    """Bokio's docs contradict on the sign of a currency settlement (design §2.5)."""
    paid_includes_settlements: bool = im.PAID_INCLUDES_SETTLEMENTS
    """Whether ``paidAmount`` counts settlements (undocumented; see syncd.domain.invoice_math)."""
    record_invoice_first: Literal["auto", "always", "never"] = "auto"
    """Record an unrecorded invoice before booking a payment on it: ``auto`` where the company's
    books show invoices recorded first (:mod:`syncd.calibration.record_order`); never under the
    cash method."""
    oauth_client_id: str | None = None
    oauth_client_secret: SecretStr | None = None
    oauth_redirect_uri: str | None = None

    def readings(self) -> im.Readings:
        """The configured reading of Bokio's open rules, as the rest of syncd takes it."""
        return im.Readings(
            im.SettlementSign(self.settlement_sign), self.paid_includes_settlements, self.record_invoice_first
        )

    @field_validator("settle_window_s")
    @classmethod
    def _settle_after_deadline(cls, value: float, info: ValidationInfo) -> float:
        deadline = info.data.get("deadline_s")
        if deadline is not None and value <= deadline:
            raise ValueError(
                f"must be longer than bokio.deadline_s ({deadline} s): a lost write may still land "
                "until the client has given up, so re-sending earlier can book it twice"
            )
        return value


class PullSettings(_Strict):
    """How the pollers mirror Bokio (issue 4); defaults fit 5,000 requests a month."""

    window_days: int = Field(default=30, ge=0, le=366)
    customer_lag_minutes: int = Field(default=10, ge=0)
    full_sweep_hours: float = Field(default=24, gt=0)
    page_size: int = Field(default=100, ge=1, le=100)
    sweep_cycle_days: float = Field(default=28, gt=0, le=366)
    """The daemon's nightly sweep re-lists every invoice once per this many days, a slice a night
    (a changed closed invoice no other read reveals is seen within it); ``syncd pull --full`` is
    the whole listing at once."""


class IngestSettings(_Strict):
    """Bank files: the largest file accepted (a bigger one is quarantined, never half-read)."""

    max_file_mb: int = Field(default=256, ge=1)
    quiet_period_s: float = Field(default=5.0, ge=0)
    """A file is imported only after its size and mtime were still this long (a writer may pause)."""

    @property
    def max_bytes(self) -> int:
        return self.max_file_mb * 1024 * 1024


class DaemonSettings(_Strict):
    """``syncd run``: how often each per-company job runs (pulls follow the budget planner)."""

    inbox_interval_s: int = Field(default=30, ge=1)
    push_interval_s: int = Field(default=60, ge=1)
    match_interval_s: int = Field(default=300, ge=1)
    sweep_at: str = Field(default="02:30", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    misfire_grace_s: int = Field(default=300, ge=1)
    heartbeat_stale_s: int = Field(default=120, ge=5)
    workers: int = Field(default=4, ge=1, le=64)
    audit_interval_s: int = Field(default=7 * 24 * 3600, ge=3600)
    """How often the daemon audits each company against Bokio's ledger (one request per fiscal
    year; skipped while the month's budget is down to the write reserve)."""


class BudgetSettings(_Strict):
    """The monthly request budget per company (design §2.1)."""

    monthly_quota: int = Field(default=5000, gt=0)
    monthly_target: int = Field(default=700, gt=0)
    """Reads syncd plans to stay under a month (never past ``monthly_quota - write_reserve``); once
    the month's reads reach it, polls are spaced out beyond the freshness."""
    freshness_bank_days: int = Field(default=1, ge=1, le=20)
    """A change made in Bokio is in the mirror by the end of this many bank days (Mon-Fri): the
    poll job reads open invoices only on a bank day that has had no open scan by its end."""
    write_reserve: int = Field(default=1000, ge=0)


class WebUser(_Strict):
    """A person who may sign in to ``syncd web`` (``syncd web user add NAME`` writes one)."""

    name: str = Field(min_length=1, max_length=120, pattern=r"^[^\s]+$")
    password_hash: SecretStr | None = None
    """An argon2 hash; without one the user can only come in through the trusted proxy header."""
    companies: tuple[str, ...] = ("*",)
    """Bokio company ids this person may see and decide for; ``*`` is every configured company."""

    def may_see(self, company_id: str) -> bool:
        """Whether this person has access to the company."""
        return "*" in self.companies or company_id in self.companies


class WebSettings(_Strict):
    """The bookkeeper's web page (``syncd web``; the daemon serves it too when ``enabled``)."""

    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = Field(default=8108, ge=0, le=65535)
    session_secret: SecretStr | None = None
    """Signs the session cookie; without it a random key is kept in ``state_dir/web-session-key``."""
    session_hours: float = Field(default=12, gt=0, le=24 * 30)
    proxy_header: str | None = None
    """A header (``X-Forwarded-User``) naming the signed-in user, believed only from ``trusted_proxies``."""
    trusted_proxies: tuple[str, ...] = ()
    """Addresses of the reverse proxies whose ``proxy_header`` and ``X-Forwarded-Proto`` count."""
    users: tuple[WebUser, ...] = ()

    def user(self, name: str) -> WebUser | None:
        """The configured user of this name (exact match), if any."""
        return next((u for u in self.users if u.name == name), None)


class CompanySettings(_Strict):
    """One Bokio company served by this instance."""

    id: UUID
    name: str = ""
    auth: Literal["private", "oauth"] = "private"
    token: SecretStr | None = None
    bank_inbox: Path | None = None
    bank_accounts: tuple[str, ...] = ()
    """The company's IBANs, bankgiro and account numbers; a bank file for any other is quarantined.
    Empty: the accounts of the company's first files are learned (see syncd.ingest.accounts)."""
    payment_account: int = Field(default=1930, ge=1000, le=9999)
    matching: dict[str, Any] = Field(default_factory=dict)

    @field_validator("bank_accounts")
    @classmethod
    def _real_accounts(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for account in value:
            if not any(ch.isalnum() for ch in account):
                raise ValueError(f"{account!r} is not an account: write an IBAN, bankgiro or account number")
        return value

    @field_validator("token")
    @classmethod
    def _refuse_placeholder(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and value.get_secret_value().strip().lower() in PLACEHOLDER_TOKENS:
            raise ValueError("is a placeholder; put the company's real Bokio token here")
        return value


class Settings(_Strict):
    """Everything syncd needs to run; see ``config/syncd.example.toml`` for each key."""

    database_url: SecretStr = SecretStr("")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["auto", "json", "console"] = "auto"
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=9108, ge=0, le=65535)
    state_dir: Path = Path("var")
    """Where syncd keeps files of its own (OAuth tokens): ``$STATE_DIRECTORY`` under systemd."""
    bokio: BokioSettings = Field(default_factory=BokioSettings)
    budget: BudgetSettings = Field(default_factory=BudgetSettings)
    pull: PullSettings = Field(default_factory=PullSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    daemon: DaemonSettings = Field(default_factory=DaemonSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    companies: tuple[CompanySettings, ...] = ()

    def company(self, company_id: str | UUID) -> CompanySettings:
        """The company with this id, or a ConfigError listing the configured ones."""
        for company in self.companies:
            if str(company.id) == str(company_id):
                return company
        known = ", ".join(str(c.id) for c in self.companies) or "none"
        raise ConfigError(f"company {company_id} is not configured (configured: {known})")

    def secrets(self) -> list[str]:
        """Every secret value, so the log redactor can scrub them wherever they appear."""
        values = [c.token.get_secret_value() for c in self.companies if c.token]
        if self.bokio.oauth_client_secret:
            values.append(self.bokio.oauth_client_secret.get_secret_value())
        if self.web.session_secret:
            values.append(self.web.session_secret.get_secret_value())
        return [v for v in values if v]


def default_database_url(environ: Mapping[str, str]) -> str:
    """SQLite under ``$STATE_DIRECTORY`` (systemd) or ``./var``: the embedded default.

    The path is made absolute here, so every command that prints the database shows the file
    a user can find, not one relative to wherever the command happened to run.
    """
    state_dir = Path(environ.get("STATE_DIRECTORY", "var").split(":")[0])
    return f"sqlite:///{(state_dir / 'syncd.sqlite3').absolute()}"


def describe_database(url: str) -> str:
    """The database in use for people: password redacted, a SQLite file as its absolute path."""
    from sqlalchemy.engine import make_url  # only commands that print it pay for it
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        return "(not a database URL; see database_url)"
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            return f"sqlite file {Path(database).absolute()}"
        return f"sqlite {database or ':memory:'}"
    return parsed.render_as_string(hide_password=True)


_SHORTHAND = {
    "SYNCD_COMPANY_ID": "id",
    "SYNCD_COMPANY_NAME": "name",
    "SYNCD_BOKIO_TOKEN": "token",
    "SYNCD_BANK_INBOX": "bank_inbox",
    "SYNCD_BANK_ACCOUNTS": "bank_accounts",
    "SYNCD_PAYMENT_ACCOUNT": "payment_account",
    "SYNCD_AUTH": "auth",
}
_NESTED_SECTIONS = frozenset({"bokio", "budget", "pull", "ingest", "daemon", "web"})
_TOP_LEVEL_ENV = {
    "SYNCD_DATABASE_URL": ("database_url",),
    "SYNCD_LOG_LEVEL": ("log_level",),
    "SYNCD_LOG_FORMAT": ("log_format",),
    "SYNCD_HTTP_HOST": ("http_host",),
    "SYNCD_HTTP_PORT": ("http_port",),
    "SYNCD_BOKIO_BASE_URL": ("bokio", "base_url"),
}


def load_settings(environ: Mapping[str, str] | None = None, *, config_path: Path | None = None) -> Settings:
    """Build and validate the settings; raise :class:`ConfigError` naming key, source and fix."""
    return load_settings_with_sources(environ, config_path=config_path)[0]


def load_settings_with_sources(
    environ: Mapping[str, str] | None = None, *, config_path: Path | None = None
) -> tuple[Settings, dict[tuple[str, ...], str]]:
    """:func:`load_settings`, plus where each key set came from (file, variable, credential)."""
    env = dict(os.environ if environ is None else environ)
    data: dict[str, Any] = {}
    sources: dict[tuple[str, ...], str] = {}

    path = config_path or (Path(env["SYNCD_CONFIG"]) if env.get("SYNCD_CONFIG") else None)
    if path is None and DEFAULT_CONFIG_PATH.exists():
        path = DEFAULT_CONFIG_PATH
    if path is not None:
        data = _read_toml(path)
        _note_sources(data, (), str(path), sources)
        _resolve_file_keys(data, (), str(path), sources)

    _apply_env(env, data, sources)
    _apply_credentials(env, data, sources)
    data.setdefault("database_url", default_database_url(env))
    if ("database_url",) not in sources:
        where = "$STATE_DIRECTORY" if env.get("STATE_DIRECTORY") else "./var under the working directory"
        sources[("database_url",)] = f"default (SQLite in {where})"
    if env.get("STATE_DIRECTORY"):
        data.setdefault("state_dir", env["STATE_DIRECTORY"].split(":")[0])
        sources.setdefault(("state_dir",), "environment STATE_DIRECTORY")
    return _validate(data, sources), sources


def source_of(key: Sequence[str], sources: Mapping[tuple[str, ...], str]) -> str:
    """Where the value at ``key`` came from, or ``default``."""
    found = _source_for(tuple(key), dict(sources))
    return "default" if found == "defaults" else found


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError as exc:
        raise ConfigError(
            "config file not found; set SYNCD_CONFIG to an existing file", source=str(path)
        ) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", source=str(path)) from exc


def _note_sources(
    node: Any, prefix: tuple[str, ...], source: str, sources: dict[tuple[str, ...], str]
) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            sources[(*prefix, str(key))] = source
            _note_sources(value, (*prefix, str(key)), source, sources)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            _note_sources(value, (*prefix, str(index)), source, sources)


def _read_secret_file(path: str, *, key: str, source: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(
            f"cannot read secret file {path}: {exc.strerror}; check the path and its permissions",
            key=key,
            source=source,
        ) from exc


def _resolve_file_keys(
    node: Any, prefix: tuple[str, ...], source: str, sources: dict[tuple[str, ...], str]
) -> None:
    """Replace every ``<key>_file = "path"`` with ``<key> = <file contents>`` (secrets win)."""
    if isinstance(node, list):
        for index, item in enumerate(node):
            _resolve_file_keys(item, (*prefix, str(index)), source, sources)
        return
    if not isinstance(node, dict):
        return
    for key in list(node):
        value = node[key]
        if key.endswith("_file") and isinstance(value, str):
            target = key.removesuffix("_file")
            dotted = ".".join((*prefix, key))
            node[target] = _read_secret_file(value, key=dotted, source=source)
            sources[(*prefix, target)] = f"{value} (via {dotted} in {source})"
            del node[key]
        else:
            _resolve_file_keys(value, (*prefix, key), source, sources)


def _set(data: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    node = data
    for part in path[:-1]:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise ConfigError(f"{'.'.join(path)} conflicts with a non-table value")
    node[path[-1]] = value


def _apply_env(env: Mapping[str, str], data: dict[str, Any], sources: dict[tuple[str, ...], str]) -> None:
    """Environment variables over the file: top-level, ``SYNCD_SECTION__KEY``, then the shorthand."""
    _apply_top_level_env(env, data, sources)
    _apply_nested_env(env, data, sources)
    _apply_shorthand(env, data, sources)


def _apply_top_level_env(
    env: Mapping[str, str], data: dict[str, Any], sources: dict[tuple[str, ...], str]
) -> None:
    for name, path in _TOP_LEVEL_ENV.items():
        if name in env:
            _set(data, path, env[name])
            sources[path] = f"environment {name}"
        if f"{name}_FILE" in env:
            _set(data, path, _read_secret_file(env[f"{name}_FILE"], key=f"{name}_FILE", source="environment"))
            sources[path] = f"file named by environment {name}_FILE"


def _apply_nested_env(
    env: Mapping[str, str], data: dict[str, Any], sources: dict[tuple[str, ...], str]
) -> None:
    for name, value in env.items():  # SYNCD_SECTION__KEY for nested keys
        if name.startswith("SYNCD_") and "__" in name:
            path = tuple(part.lower() for part in name.removeprefix("SYNCD_").split("__"))
            if path[0] not in _NESTED_SECTIONS:
                raise ConfigError(
                    f"unknown section {path[0]!r}; nested variables exist for {sorted(_NESTED_SECTIONS)}",
                    key=name,
                    source="environment",
                )
            _set(data, path, value)
            sources[path] = f"environment {name}"


def _apply_shorthand(
    env: Mapping[str, str], data: dict[str, Any], sources: dict[tuple[str, ...], str]
) -> None:
    """The single-company variables fill (or add) the ``[[companies]]`` entry with that id."""
    shorthand = _shorthand(env)
    if "SYNCD_BOKIO_TOKEN_FILE" in env:
        shorthand["token"] = _read_secret_file(
            env["SYNCD_BOKIO_TOKEN_FILE"], key="SYNCD_BOKIO_TOKEN_FILE", source="environment"
        )
    if not shorthand:
        return
    if "id" not in shorthand:
        raise ConfigError(
            "SYNCD_BOKIO_TOKEN / SYNCD_BANK_INBOX need SYNCD_COMPANY_ID (the Bokio company id)",
            key="SYNCD_COMPANY_ID",
            source="environment",
        )
    companies: list[dict[str, Any]] = data.setdefault("companies", [])
    index = next((i for i, c in enumerate(companies) if str(c.get("id")) == shorthand["id"]), None)
    if index is None:
        companies.append({})
        index = len(companies) - 1
    companies[index].update(shorthand)
    for field in shorthand:
        sources[("companies", str(index), field)] = "environment (single-company shorthand)"


def _shorthand(env: Mapping[str, str]) -> dict[str, Any]:
    """The single-company variables that are set, by field (``SYNCD_BANK_ACCOUNTS`` is a comma list)."""
    shorthand: dict[str, Any] = {field: env[var] for var, field in _SHORTHAND.items() if var in env}
    if "bank_accounts" in shorthand:
        shorthand["bank_accounts"] = [a.strip() for a in shorthand["bank_accounts"].split(",") if a.strip()]
    return shorthand


def _apply_credentials(
    env: Mapping[str, str], data: dict[str, Any], sources: dict[tuple[str, ...], str]
) -> None:
    """systemd ``LoadCredential=``: files in ``$CREDENTIALS_DIRECTORY`` override everything."""
    directory = env.get("CREDENTIALS_DIRECTORY")
    if not directory:
        return
    creds = Path(directory)
    database = creds / "database-url"
    if database.is_file():
        data["database_url"] = _read_secret_file(str(database), key="database-url", source=directory)
        sources[("database_url",)] = f"credential {database}"
    companies: list[dict[str, Any]] = data.get("companies", [])
    for index, company in enumerate(companies):
        candidates = [creds / f"bokio-token-{company.get('id')}"]
        if len(companies) == 1:
            candidates.append(creds / "bokio-token")
        for candidate in candidates:
            if candidate.is_file():
                company["token"] = _read_secret_file(str(candidate), key=candidate.name, source=directory)
                sources[("companies", str(index), "token")] = f"credential {candidate}"
                break


class ConfigProblems(ConfigError):
    """Every problem found in the configuration at once; each names its key, source and fix."""

    def __init__(self, problems: Sequence[ConfigError]) -> None:
        self.problems = list(problems)
        first = self.problems[0]
        self.key, self.source = first.key, first.source
        if len(self.problems) == 1:
            text = str(first)
        else:
            lines = "\n".join(f"  - {problem}" for problem in self.problems)
            text = f"{len(self.problems)} problems in the configuration:\n{lines}"
        Exception.__init__(self, text)


def _validate(data: dict[str, Any], sources: dict[tuple[str, ...], str]) -> Settings:
    """Validate everything and report every problem (not just the first) with key and source."""
    problems: list[ConfigError] = []
    settings: Settings | None = None
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            loc = tuple(str(part) for part in error["loc"])
            message = _unknown_key(loc) if error["type"] == "extra_forbidden" else error["msg"]
            problems.append(ConfigError(message, key=".".join(loc), source=_source_for(loc, sources)))
    companies = data.get("companies")
    for index, company in enumerate(companies if isinstance(companies, list) else []):
        if not isinstance(company, dict):
            continue
        where = ("companies", str(index))
        if company.get("auth", "private") == "private" and company.get("token") is None:
            problems.append(
                ConfigError(
                    "missing Bokio token: set token / token_file in [[companies]], "
                    f"SYNCD_BOKIO_TOKEN(_FILE), or a credential bokio-token-{company.get('id')}",
                    key=f"companies.{index}.token",
                    source=_source_for(where, sources),
                )
            )
        matching = company.get("matching", {})
        if isinstance(matching, dict):
            problems.extend(_matching_problems(matching, (*where, "matching"), sources))
    if settings is not None:
        problems.extend(_company_problems(settings))
    if problems:
        raise ConfigProblems(problems) from None
    assert settings is not None  # noqa: S101 - no problems means it validated
    return settings


def _matching_problems(
    table: dict[str, Any], where: tuple[str, ...], sources: dict[tuple[str, ...], str]
) -> list[ConfigError]:
    """Every bad ``[companies.matching]`` key (validated by :class:`~syncd.match.rules.MatchRules`)."""
    from syncd.match.rules import rule_problems

    problems = []
    for problem in rule_problems(table)[1]:
        loc = (*where, *problem.key.split("."))
        problems.append(ConfigError(problem.message, key=".".join(loc), source=_source_for(loc, sources)))
    return problems


def _company_problems(settings: Settings) -> list[ConfigError]:
    problems = []
    ids = [str(c.id) for c in settings.companies]
    for duplicate in sorted({i for i in ids if ids.count(i) > 1}):
        problems.append(
            ConfigError(f"company {duplicate} is configured twice; keep one entry", key="companies")
        )
    for inbox, owners in shared_inboxes(settings.companies).items():
        names = " and ".join(_label(c) for c in owners)
        problems.append(
            ConfigError(
                f"companies {names} share the bank inbox {inbox}: the first one scanned would import "
                "the other's files; give each company its own bank_inbox folder",
                key="companies.bank_inbox",
            )
        )
    return problems


def _unknown_key(loc: tuple[str, ...]) -> str:
    """What to tell about a key syncd does not read: what replaced it, or what it may mean."""
    retired = RETIRED.get(".".join(loc))
    if retired is not None:
        return f"{loc[-1]!r} is retired: {retired}"
    return (
        "unknown key"
        + _did_you_mean(loc[-1], _known_keys(loc[:-1]))
        + "; see config/syncd.example.toml for the keys syncd reads"
    )


def _known_keys(loc: tuple[str, ...]) -> list[str]:
    """The keys the table at ``loc`` accepts (for "did you mean")."""
    model: type[BaseModel] = Settings
    for part in loc:
        if part.isdigit():
            continue
        field = model.model_fields.get(part)
        if field is None:
            return []
        nested = [a for a in (field.annotation, *get_args(field.annotation)) if _is_model(a)]
        if not nested:
            return []
        model = nested[0]
    return sorted(model.model_fields)


def _is_model(value: Any) -> bool:
    return isinstance(value, type) and issubclass(value, BaseModel)


def _did_you_mean(key: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(key, known, n=1)
    return f" {key!r}; did you mean {close[0]!r}?" if close else f" {key!r}"


def _label(company: CompanySettings) -> str:
    return f"{company.name} ({company.id})" if company.name else str(company.id)


def shared_inboxes(companies: Sequence[CompanySettings]) -> dict[Path, list[CompanySettings]]:
    """Inbox folders (resolved: symlinks and ``..`` do not hide a match) that several companies name."""
    owners: dict[Path, list[CompanySettings]] = {}
    for company in companies:
        if company.bank_inbox is not None:
            owners.setdefault(company.bank_inbox.expanduser().resolve(), []).append(company)
    return {inbox: found for inbox, found in owners.items() if len(found) > 1}


def _source_for(loc: tuple[str, ...], sources: dict[tuple[str, ...], str]) -> str:
    for end in range(len(loc), 0, -1):
        if loc[:end] in sources:
            return sources[loc[:end]]
    return "defaults"
