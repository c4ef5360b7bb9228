"""A plain install carries everything: migrations in the wheel, a complete hashed lock, no dev-only imports.

The real wheel is built, installed with no extras and used by ``deploy/smoke-wheel.sh`` in CI; these
tests guard the pieces that script relies on, quickly and without a network.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from setuptools import find_packages

from syncd import migrate
from syncd.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
CONTRACT_MODULES = ("jsonschema", "openapi_schema_validator", "yaml")


def locked() -> dict[str, tuple[str, list[str]]]:
    """name -> (version, hashes) from requirements.lock."""
    text = re.sub(r"\\\n", " ", (ROOT / "requirements.lock").read_text())
    pins = {}
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            requirement, *options = line.split()
            name, _, version = requirement.partition("==")
            pins[canonicalize_name(name)] = (version, [o.split(":", 1)[1] for o in options if "sha256:" in o])
    return pins


def test_every_syncd_package_is_listed_for_the_wheel_and_the_migrations_are_mapped_into_it() -> None:
    setuptools = PYPROJECT["tool"]["setuptools"]
    found = set(find_packages(where=str(ROOT), include=["syncd*"]))
    missing = found - set(setuptools["packages"])
    assert not missing, f"add {sorted(missing)} to [tool.setuptools] packages in pyproject.toml"
    assert setuptools["package-dir"] == {"syncd._migrations": "migrations"}
    assert {"syncd._migrations", "syncd._migrations.versions"} <= set(setuptools["packages"])
    assert "*.mako" in setuptools["package-data"]["syncd._migrations"]


def test_the_lock_pins_every_dependency_and_the_build_backend_with_hashes() -> None:
    pins = locked()
    wanted = [Requirement(r) for r in PYPROJECT["project"]["dependencies"]]
    wanted += [Requirement(r) for r in PYPROJECT["build-system"]["requires"]]
    for requirement in wanted:
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{name} is not in requirements.lock: run `make lock`"
        version, _hashes = pins[name]
        assert requirement.specifier.contains(version, prereleases=True), (
            f"requirements.lock pins {name}=={version}, outside {requirement.specifier}: run `make lock`"
        )
    assert all(hashes for _, hashes in pins.values()), (
        "every pin needs --hash (pip-compile --generate-hashes)"
    )


def test_the_contract_validator_is_an_extra_not_a_dependency_of_syncd() -> None:
    project = PYPROJECT["project"]
    names = {canonicalize_name(Requirement(r).name) for r in project["dependencies"]}
    contract = {canonicalize_name(Requirement(r).name) for r in project["optional-dependencies"]["contract"]}
    assert contract == {"openapi-schema-validator", "pyyaml"}
    assert not names & contract
    assert not set(locked()) & (contract | {"jsonschema"})
    assert "syncd[contract]" in project["optional-dependencies"]["dev"]


def _without_contract_modules(code: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter where the contract extra's modules cannot be imported."""
    blocker = "import sys\n" + "".join(f"sys.modules[{name!r}] = None\n" for name in CONTRACT_MODULES)
    return subprocess.run(
        [sys.executable, "-c", blocker + code],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )


def test_the_demo_runs_without_the_contract_extra(tmp_path: Path) -> None:
    result = _without_contract_modules(
        "from syncd.cli import main\n"
        f"code = main(['demo', '--workdir', {str(tmp_path / 'demo')!r}])\n"
        "assert 'syncd.sandbox.contract' not in sys.modules\n"
        "sys.exit(code)\n",
        tmp_path,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "requests of the 5000 a company may make a month" in result.stdout


def test_strict_mode_without_the_contract_extra_says_which_extra_to_install(tmp_path: Path) -> None:
    result = _without_contract_modules(
        "from syncd.cli import main\n"
        "sys.exit(main(['sandbox', 'serve', '--strict', '--token', 't', '--company-id', 'c', '--port', '0']))\n",
        tmp_path,
    )
    assert result.returncode != 0
    assert "pip install 'syncd[contract]'" in result.stderr + result.stdout


def test_migrations_installed_with_syncd_are_found_without_a_checkout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    installed = tmp_path / "site-packages" / "syncd"
    (installed / "_migrations").mkdir(parents=True)
    (installed / "_migrations" / "env.py").write_text("# shipped\n")
    monkeypatch.delenv("SYNCD_MIGRATIONS", raising=False)
    monkeypatch.setattr(migrate.resources, "files", lambda package: installed)

    assert migrate.migrations_dir() == installed / "_migrations"


def test_a_checkout_uses_its_own_migrations_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SYNCD_MIGRATIONS", raising=False)
    assert migrate.migrations_dir() == ROOT / "migrations"


def test_syncd_migrations_overrides_and_a_wrong_one_says_how_to_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "copy").mkdir()
    (tmp_path / "copy" / "env.py").write_text("# copy\n")
    monkeypatch.setenv("SYNCD_MIGRATIONS", str(tmp_path / "copy"))
    assert migrate.migrations_dir() == tmp_path / "copy"

    monkeypatch.setenv("SYNCD_MIGRATIONS", str(tmp_path / "nowhere"))
    with pytest.raises(ConfigError, match="unset it to use the migrations installed with syncd"):
        migrate.migrations_dir()
