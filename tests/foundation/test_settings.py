"""Acceptance 2 of the foundation: layering, secret files, credentials, companies, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from syncd.errors import ConfigError
from syncd.settings import load_settings

COMPANY_A = "5a1e0000-0000-4000-8000-00000000000a"
COMPANY_B = "5a1e0000-0000-4000-8000-00000000000b"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_environment_shorthand_configures_one_company_without_any_file(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "SYNCD_COMPANY_ID": COMPANY_A,
            "SYNCD_BOKIO_TOKEN": "live-token-abc123",
            "SYNCD_BANK_INBOX": str(tmp_path / "inbox"),
            "SYNCD_BOKIO_BASE_URL": "http://127.0.0.1:8080/v1",
            "SYNCD_DATABASE_URL": "sqlite:///x.sqlite3",
        }
    )
    (company,) = settings.companies
    assert str(company.id) == COMPANY_A
    assert company.token is not None
    assert company.token.get_secret_value() == "live-token-abc123"
    assert company.bank_inbox == tmp_path / "inbox"
    assert company.payment_account == 1930
    assert settings.bokio.base_url == "http://127.0.0.1:8080/v1"


def test_defaults_are_bokio_production_and_an_embedded_sqlite_file_at_an_absolute_path() -> None:
    settings = load_settings({})
    assert settings.bokio.base_url == "https://api.bokio.se/v1"
    assert settings.database_url.get_secret_value() == f"sqlite:///{Path.cwd() / 'var' / 'syncd.sqlite3'}"
    assert load_settings({"STATE_DIRECTORY": "/var/lib/syncd"}).database_url.get_secret_value() == (
        "sqlite:////var/lib/syncd/syncd.sqlite3"
    )


def test_environment_overrides_the_file_and_secret_files_override_both(tmp_path: Path) -> None:
    token_file = write(tmp_path / "token", "from-secret-file\n")
    config = write(
        tmp_path / "syncd.toml",
        f"""
log_level = "WARNING"
database_url = "sqlite:///from-file.sqlite3"
[budget]
monthly_target = 900
[[companies]]
id = "{COMPANY_A}"
token = "from-toml-file"
""",
    )
    settings = load_settings(
        {
            "SYNCD_CONFIG": str(config),
            "SYNCD_LOG_LEVEL": "DEBUG",
            "SYNCD_BUDGET__MONTHLY_TARGET": "800",
            "SYNCD_COMPANY_ID": COMPANY_A,
            "SYNCD_BOKIO_TOKEN": "from-environment",
            "SYNCD_BOKIO_TOKEN_FILE": str(token_file),
        }
    )
    assert settings.log_level == "DEBUG"
    assert settings.budget.monthly_target == 800
    assert settings.database_url.get_secret_value() == "sqlite:///from-file.sqlite3"
    (company,) = settings.companies
    assert company.token is not None
    assert company.token.get_secret_value() == "from-secret-file"


def test_several_companies_with_token_files_and_matching_overrides(tmp_path: Path) -> None:
    write(tmp_path / "a.token", "token-of-a")
    write(tmp_path / "b.token", "token-of-b")
    config = write(
        tmp_path / "syncd.toml",
        f"""
[[companies]]
id = "{COMPANY_A}"
name = "Alfa Bygg AB"
token_file = "{tmp_path / "a.token"}"
bank_inbox = "/srv/bank/alfa"

[[companies]]
id = "{COMPANY_B}"
name = "Beta Konsult AB"
token_file = "{tmp_path / "b.token"}"
payment_account = 1940
[companies.matching]
bank_fee_tolerance = "25.00"
""",
    )
    settings = load_settings({}, config_path=config)
    a, b = settings.companies
    assert a.name == "Alfa Bygg AB"
    assert a.token is not None
    assert a.token.get_secret_value() == "token-of-a"
    assert b.payment_account == 1940
    assert b.matching == {"bank_fee_tolerance": "25.00"}
    assert settings.company(COMPANY_B) is b
    assert sorted(settings.secrets()) == ["token-of-a", "token-of-b"]


def test_systemd_credentials_directory_provides_tokens_and_database_url(tmp_path: Path) -> None:
    creds = tmp_path / "creds"
    creds.mkdir()
    write(creds / f"bokio-token-{COMPANY_A}", "credential-token\n")
    write(creds / "database-url", "postgresql+psycopg://syncd@db/syncd")
    settings = load_settings(
        {"CREDENTIALS_DIRECTORY": str(creds), "SYNCD_COMPANY_ID": COMPANY_A, "SYNCD_BOKIO_TOKEN": "env-token"}
    )
    assert settings.companies[0].token is not None
    assert settings.companies[0].token.get_secret_value() == "credential-token"
    assert settings.database_url.get_secret_value() == "postgresql+psycopg://syncd@db/syncd"


def test_an_unknown_key_is_named_with_its_file(tmp_path: Path) -> None:
    config = write(tmp_path / "syncd.toml", "[budget]\nmonthly_quotaa = 4000\n")
    with pytest.raises(ConfigError) as error:
        load_settings({}, config_path=config)
    message = str(error.value)
    assert "budget.monthly_quotaa" in message
    assert str(config) in message
    assert "unknown key" in message


def test_a_wrong_type_is_named_with_its_source(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as error:
        load_settings(
            {
                "SYNCD_COMPANY_ID": COMPANY_A,
                "SYNCD_BOKIO_TOKEN": "t0ken-real",
                "SYNCD_PAYMENT_ACCOUNT": "bank",
            }
        )
    assert "companies.0.payment_account" in str(error.value)
    assert "environment" in str(error.value)


def test_a_missing_token_says_where_to_put_one(tmp_path: Path) -> None:
    config = write(tmp_path / "syncd.toml", f'[[companies]]\nid = "{COMPANY_A}"\n')
    with pytest.raises(ConfigError, match="missing Bokio token") as error:
        load_settings({}, config_path=config)
    assert "companies.0.token" in str(error.value)


def test_an_unreadable_secret_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read secret file") as error:
        load_settings({"SYNCD_COMPANY_ID": COMPANY_A, "SYNCD_BOKIO_TOKEN_FILE": str(tmp_path / "nope")})
    assert "SYNCD_BOKIO_TOKEN_FILE" in str(error.value)


@pytest.mark.parametrize("placeholder", ["changeme", "your-token-here", "", "REPLACE_ME"])
def test_a_placeholder_token_is_refused(placeholder: str) -> None:
    with pytest.raises(ConfigError, match="placeholder"):
        load_settings({"SYNCD_COMPANY_ID": COMPANY_A, "SYNCD_BOKIO_TOKEN": placeholder})


def test_a_token_without_a_company_id_is_refused() -> None:
    with pytest.raises(ConfigError, match="SYNCD_COMPANY_ID"):
        load_settings({"SYNCD_BOKIO_TOKEN": "real-token-123"})


def test_invalid_toml_is_reported_with_the_file(tmp_path: Path) -> None:
    config = write(tmp_path / "syncd.toml", "log_level = \n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings({"SYNCD_CONFIG": str(config)})


def test_the_example_config_documents_valid_keys() -> None:
    example = Path(__file__).resolve().parents[2] / "config" / "syncd.example.toml"
    settings = load_settings({}, config_path=example)
    assert settings.companies, "the example shows at least one company"


def test_an_old_config_with_poll_share_is_told_what_replaced_it(tmp_path: Path) -> None:
    config = write(tmp_path / "syncd.toml", "[budget]\npoll_share = 0.5\n")
    with pytest.raises(ConfigError) as caught:
        load_settings({}, config_path=config)
    assert "'poll_share' is retired" in str(caught.value)
    assert "monthly_target" in str(caught.value)
