"""The admin's commands against a sandbox over real HTTP and a real database (both legs)."""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest

from syncd.bokio import OAuthClient
from syncd.cli import main
from syncd.settings import BokioSettings
from tests.commands.conftest import COMPANY, OAUTH_CLIENT, OAUTH_SECRET, REDIRECT, TOKEN, Served


@pytest.fixture
def configured(
    served_sandbox: Served,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    clean_env: dict,
) -> Path:
    """The single-company environment shorthand, nothing else."""
    monkeypatch.setenv("SYNCD_DATABASE_URL", database_url)
    monkeypatch.setenv("SYNCD_BOKIO_BASE_URL", served_sandbox.url)
    monkeypatch.setenv("SYNCD_COMPANY_ID", COMPANY)
    monkeypatch.setenv("SYNCD_BOKIO_TOKEN", TOKEN)
    monkeypatch.setenv("SYNCD_BANK_INBOX", str(tmp_path / "inbox"))
    (tmp_path / "inbox").mkdir()
    return tmp_path


def json_out(capsys: pytest.CaptureFixture[str]) -> object:
    return json.loads(capsys.readouterr().out)


@pytest.mark.integration
@pytest.mark.usefixtures("configured")
def test_doctor_reports_every_check_green_on_a_healthy_setup(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor", "--json"]) == 0
    report = json_out(capsys)
    assert isinstance(report, dict)
    names = [check["name"] for check in report["checks"]]
    assert report["ok"] is True
    assert any(name.endswith("plan") for name in names)
    assert any(name.endswith("scopes") for name in names)


@pytest.mark.integration
def test_doctor_names_a_bad_token_and_the_fix(
    configured: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SYNCD_BOKIO_TOKEN", "a-token-bokio-does-not-know")
    assert main(["doctor"]) == 1
    out = capsys.readouterr().out
    assert "[FAIL]" in out
    assert "fix: create a new private integration token" in out
    assert "a-token-bokio-does-not-know" not in out


@pytest.mark.integration
@pytest.mark.usefixtures("configured")
def test_run_once_mirrors_the_company_and_status_shows_it(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--once", "--json"]) == 0
    cycle = json_out(capsys)
    assert isinstance(cycle, dict)
    assert [stage["stage"] for stage in cycle["companies"][0]["stages"]] == [
        "import",
        "pull",
        "match",
        "push",
    ]
    assert main(["status", "--json"]) == 0
    status = json_out(capsys)
    assert isinstance(status, dict)
    (company,) = status["companies"]
    assert company["open_invoices"] > 0
    assert company["budget"]["used"] > 0
    assert company["outbox"]["failed"] == 0


@pytest.mark.integration
@pytest.mark.usefixtures("configured")
def test_rerun_dry_run_prints_planned_calls_and_makes_none(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--once"]) == 0
    capsys.readouterr()
    assert main(["status", "--json"]) == 0
    before = json_out(capsys)["companies"][0]["budget"]["used"]  # type: ignore[index]
    assert main(["rerun", "--since", "2026-01-01", "--stage", "pull", "--dry-run", "--json"]) == 0
    plan = json_out(capsys)
    assert isinstance(plan, dict)
    assert any("/invoices" in line for line in plan["planned"])
    assert main(["status", "--json"]) == 0
    assert json_out(capsys)["companies"][0]["budget"]["used"] == before  # type: ignore[index]


@pytest.mark.integration
@pytest.mark.usefixtures("configured")
def test_companies_list_shows_the_configured_company_without_its_token(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["companies", "list", "--json"]) == 0
    (row,) = json_out(capsys)["companies"]  # type: ignore[index]
    assert row["id"] == COMPANY
    assert row["token"] == "configured"
    assert TOKEN not in json.dumps(row)


@pytest.mark.integration
def test_connect_runs_the_oauth_flow_and_the_company_then_pulls_with_its_tokens(
    served_sandbox: Served,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    clean_env: dict,
    capsys: pytest.CaptureFixture[str],
) -> None:
    secret_file = tmp_path / "client-secret"
    secret_file.write_text(OAUTH_SECRET)
    config = tmp_path / "syncd.toml"
    config.write_text(
        f"""
database_url = "{database_url}"
state_dir = "{tmp_path / "state"}"
[bokio]
base_url = "{served_sandbox.url}"
general_base_url = "{served_sandbox.url}"
oauth_client_id = "{OAUTH_CLIENT}"
oauth_client_secret_file = "{secret_file}"
oauth_redirect_uri = "{REDIRECT}"
[[companies]]
id = "{COMPANY}"
auth = "oauth"
"""
    )
    monkeypatch.setenv("SYNCD_CONFIG", str(config))
    assert main(["connect", "--json"]) == 0
    step = json_out(capsys)
    assert isinstance(step, dict)
    consent = httpx.get(step["url"], follow_redirects=False)
    assert consent.status_code == 302
    callback = consent.headers["location"]
    assert urlparse(callback).netloc == "syncd.example.se"

    assert main(["connect", "--callback", callback.replace("state=", "state=forged"), "--json"]) != 0
    assert main(["connect", "--callback", callback, "--json"]) == 0
    done = json_out(capsys)
    assert isinstance(done, dict)
    assert done["step"] == "connected"
    stored = next((tmp_path / "state" / "oauth").glob("*.json"))
    assert oct(stored.stat().st_mode & 0o777) == "0o600"

    assert main(["pull", "--json"]) == 0
    capsys.readouterr()
    assert main(["status", "--json"]) == 0
    assert json_out(capsys)["companies"][0]["open_invoices"] > 0  # type: ignore[index]


@pytest.mark.integration
def test_the_default_oauth_path_is_under_v1_where_the_sandbox_serves_token_and_authorize(
    served_sandbox: Served,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    clean_env: dict,
    capsys: pytest.CaptureFixture[str],
) -> None:
    default = urlparse(BokioSettings().general_base_url)
    assert (default.scheme, default.netloc, default.path) == ("https", "api.bokio.se", "/v1")
    assert inspect.signature(OAuthClient).parameters["base_url"].default == BokioSettings().general_base_url
    served = urlparse(served_sandbox.url)
    secret_file = tmp_path / "client-secret"
    secret_file.write_text(OAUTH_SECRET)
    config = tmp_path / "syncd.toml"
    config.write_text(
        f"""
database_url = "{database_url}"
state_dir = "{tmp_path / "state"}"
[bokio]
base_url = "{served_sandbox.url}"
general_base_url = "{served.scheme}://{served.netloc}{default.path}"
oauth_client_id = "{OAUTH_CLIENT}"
oauth_client_secret_file = "{secret_file}"
oauth_redirect_uri = "{REDIRECT}"
[[companies]]
id = "{COMPANY}"
auth = "oauth"
"""
    )
    monkeypatch.setenv("SYNCD_CONFIG", str(config))
    assert main(["connect", "--json"]) == 0
    step = json_out(capsys)
    assert isinstance(step, dict)
    assert urlparse(step["url"]).path == f"{default.path}/authorize"
    consent = httpx.get(step["url"], follow_redirects=False)
    assert consent.status_code == 302
    assert main(["connect", "--callback", consent.headers["location"], "--json"]) == 0  # POST /v1/token
    done = json_out(capsys)
    assert isinstance(done, dict)
    assert done["step"] == "connected"


@pytest.mark.integration
@pytest.mark.usefixtures("configured")
def test_rerun_prints_each_stage_as_a_sentence_not_a_python_dict(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--once"]) == 0
    capsys.readouterr()
    assert main(["rerun", "--since", "2026-01-01", "--stage", "match"]) == 0
    out = capsys.readouterr().out
    assert "  match: ok" in out
    assert "{" not in out
    assert "'" not in out
