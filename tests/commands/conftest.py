"""A sandbox served over real HTTP by ``syncd sandbox serve`` in a subprocess, for command tests."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

COMPANY = "3c6f0a4e-8b1d-4f7a-9e2c-5d4b3a2f1e0d"
TOKEN = "commands-test-token-7f3a"
OAUTH_CLIENT = "syncd-public"
OAUTH_SECRET = "public-integration-secret-1"
REDIRECT = "https://syncd.example.se/oauth/callback"


@dataclass
class Served:
    url: str
    process: subprocess.Popen[str]


@pytest.fixture
def served_sandbox() -> Iterator[Served]:
    command = [
        sys.executable,
        "-m",
        "syncd",
        "sandbox",
        "serve",
        "--port",
        "0",
        "--token",
        TOKEN,
        "--company-id",
        COMPANY,
        "--seed",
        "demo",
        "--seed-size",
        "30",
        "--oauth-client",
        f"{OAUTH_CLIENT}:{OAUTH_SECRET}:{REDIRECT}",
    ]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"}
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        assert line.startswith("serving "), line
        yield Served(line.removeprefix("serving "), process)
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()
