"""The systemd unit: notify + watchdog, credentials, hardening; verified by systemd itself when present."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from syncd import settings

ROOT = Path(__file__).resolve().parents[2]
SYSTEMD = ROOT / "deploy" / "systemd"
UNIT = SYSTEMD / "syncd.service"
INSTALLED_SYNCD = "/opt/syncd/bin/syncd"


def directives(path: Path) -> dict[str, dict[str, list[str]]]:
    """section -> key -> values; systemd allows a key several times (configparser does not)."""
    parsed: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    section = ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        parsed[section][key.strip()].append(value.strip())
    return parsed


def test_the_service_is_notify_type_with_a_watchdog_and_graceful_sigterm() -> None:
    service = directives(UNIT)["Service"]
    assert service["Type"] == ["notify"]
    assert service["NotifyAccess"] == ["main"]
    assert service["WatchdogSec"] == ["60"]
    assert service["KillSignal"] == ["SIGTERM"]
    assert service["Restart"] == ["on-failure"]
    assert int(service["TimeoutStopSec"][0]) > 120  # longer than bokio.deadline_s


def test_the_service_migrates_first_then_runs_the_daemon_from_its_state_directory_with_its_inbox() -> None:
    service = directives(UNIT)["Service"]
    assert service["ExecStartPre"] == [f"{INSTALLED_SYNCD} db upgrade"]
    assert service["ExecStart"] == [f"{INSTALLED_SYNCD} run"]
    assert service["DynamicUser"] == ["yes"]
    assert service["StateDirectory"] == ["syncd syncd/inbox"]  # syncd never creates a missing inbox
    assert "bokio-token:/etc/syncd/bokio-token" in service["LoadCredential"]
    assert "SYNCD_CONFIG=/etc/syncd/syncd.toml" in service["Environment"]


def test_the_service_is_hardened() -> None:
    service = directives(UNIT)["Service"]
    expected = {
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "NoNewPrivileges": "yes",
        "RestrictAddressFamilies": "AF_UNIX AF_INET AF_INET6",
        "CapabilityBoundingSet": "",
        "LockPersonality": "yes",
        "MemoryDenyWriteExecute": "yes",
    }
    for key, value in expected.items():
        assert service[key] == [value], key
    assert "@system-service" in service["SystemCallFilter"]


def test_the_env_example_names_only_variables_syncd_reads() -> None:
    known = set(settings._SHORTHAND) | set(settings._TOP_LEVEL_ENV) | {"SYNCD_CONFIG"}
    names = re.findall(r"^#?(SYNCD_[A-Z_]+)=", (SYSTEMD / "syncd.env.example").read_text(), re.MULTILINE)
    assert names
    assert set(names) <= known


def unit_with_local_syncd(tmp_path: Path) -> Path:
    """The unit with ExecStart pointing at this venv's syncd, which systemd checks is executable."""
    local = Path(sys.executable).parent / "syncd"
    copy = tmp_path / UNIT.name
    copy.write_text(UNIT.read_text().replace(INSTALLED_SYNCD, str(local)))
    return copy


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_analyze_verify_reports_nothing(tmp_path: Path) -> None:
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", str(unit_with_local_syncd(tmp_path))],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    # unknown keys and bad values are only warnings (exit 0): any output is a finding
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == ""


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_rates_the_sandboxing_as_low_exposure(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            "systemd-analyze",
            "security",
            "--offline=yes",
            "--threshold=20",  # 2.0 on systemd's 0-10 scale; the unit scores about 1.1
            "--no-pager",
            str(unit_with_local_syncd(tmp_path)),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if "unrecognized option" in result.stderr:
        pytest.skip("this systemd-analyze cannot assess units offline (needs systemd >= 250)")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr
