"""``syncd web``, ``syncd web user add`` and ``syncd demo --web`` as an admin or a newcomer runs them."""

from __future__ import annotations

import io
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher

from syncd.cli import main
from syncd.daemon.cycle import CompanyCycle
from syncd.settings import WebSettings, load_settings
from syncd.web import demo

COMPANY = "00000000-0000-4000-8000-000000000001"


def _config(tmp_path: Path) -> Path:
    config = tmp_path / "syncd.toml"
    config.write_text(
        f'database_url = "sqlite:///{tmp_path}/db.sqlite3"\n\n'
        f'[[companies]]\nid = "{COMPANY}"\ntoken = "a-real-looking-token-123"\n'
    )
    return config


def test_the_web_page_binds_only_this_machine_unless_told_otherwise() -> None:
    web = WebSettings()
    assert (web.host, web.port, web.enabled) == ("127.0.0.1", 8108, False)


def test_user_add_appends_an_argon2_hash_the_config_then_loads_and_never_the_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], clean_env: Any
) -> None:
    config = _config(tmp_path)
    monkeypatch.setattr(sys, "stdin", io.StringIO("a long enough password\n"))
    assert (
        main(
            ["--config", str(config), "web", "user", "add", "karin", "--company", COMPANY, "--password-stdin"]
        )
        == 0
    )
    assert "web user karin added" in capsys.readouterr().out
    text = config.read_text()
    assert "a long enough password" not in text
    user = load_settings({}, config_path=config).web.user("karin")
    assert user is not None
    assert user.companies == (COMPANY,)
    assert user.password_hash is not None
    assert PasswordHasher().verify(user.password_hash.get_secret_value(), "a long enough password")

    monkeypatch.setattr(sys, "stdin", io.StringIO("another long password\n"))
    assert main(["--config", str(config), "web", "user", "add", "karin", "--password-stdin"]) == 2
    assert "exists already" in capsys.readouterr().err


def test_user_add_refuses_a_short_password_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], clean_env: Any
) -> None:
    config = _config(tmp_path)
    before = config.read_text()
    monkeypatch.setattr(sys, "stdin", io.StringIO("short\n"))
    assert main(["--config", str(config), "web", "user", "add", "karin", "--password-stdin"]) == 2
    assert "at least 10 characters" in capsys.readouterr().err
    assert config.read_text() == before


def test_syncd_web_refuses_to_serve_a_page_nobody_can_sign_in_to(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], clean_env: Any
) -> None:
    assert main(["--config", str(_config(tmp_path)), "web"]) == 2
    assert "syncd web user add NAME" in capsys.readouterr().err


def test_syncd_help_does_not_import_the_web_app() -> None:
    code = "import contextlib, sys\nfrom syncd.cli import main\nwith contextlib.suppress(SystemExit):\n    main(['--help'])\n"
    code += "print(sorted(m for m in sys.modules if m.startswith(('syncd.web', 'starlette', 'uvicorn', 'jinja2'))))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False).stdout
    assert out.strip().splitlines()[-1] == "[]"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.integration
@pytest.mark.slow
def test_demo_web_leaves_the_demo_review_queue_open_to_a_newcomer_until_ctrl_c(tmp_path: Path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNCD_")}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "syncd",
            "demo",
            "--web",
            "--web-port",
            str(port),
            "--workdir",
            str(tmp_path / "demo"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    try:
        assert process.stderr is not None
        deadline = time.monotonic() + 120
        line = ""
        while "sign in as" not in line and time.monotonic() < deadline:
            line = process.stderr.readline()
            assert line or process.poll() is None, "the demo ended before serving its web page"
        found = re.search(r"on (http://\S+)/ - sign in as 'demo' with password '([^']+)'", line)
        assert found, line
        url, password = found.groups()
        assert url == f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=url, timeout=30) as client:
            token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
            assert token
            client.post(
                "/login", data={"csrf": token.group(1), "username": "demo", "password": password, "next": "/"}
            )
            overview = client.get("/", follow_redirects=True)
            assert overview.status_code == 200
            review = client.get(overview.url.path.rstrip("/") + "/review")
            assert review.text.count('class="card proposal"') == 2
    finally:
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert "stopped" in err


@pytest.mark.integration
@pytest.mark.slow
def test_the_daemon_serves_the_web_page_when_enabled_and_stops_it_on_sigterm(
    tmp_path: Path, clean_env: Any
) -> None:
    from syncd import migrate
    from syncd.demo.world import build_sandbox
    from syncd.sandbox.server import running
    from syncd.web.auth import hash_password

    database = f"sqlite:///{tmp_path / 'daemon.sqlite3'}"
    migrate.upgrade(database)
    web_port, ops_port = _free_port(), _free_port()
    config = tmp_path / "syncd.toml"
    config.write_text(
        f'[web]\nenabled = true\nport = {web_port}\n\n[[web.users]]\nname = "karin"\n'
        f'password_hash = "{hash_password("a long enough password")}"\n'
    )
    sandbox, demo = build_sandbox(5)
    with running(sandbox) as server:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("SYNCD_")},
            "SYNCD_CONFIG": str(config),
            "SYNCD_DATABASE_URL": database,
            "SYNCD_BOKIO_BASE_URL": server.url,
            "SYNCD_COMPANY_ID": demo.id,
            "SYNCD_BOKIO_TOKEN": demo.token,
            "SYNCD_HTTP_PORT": str(ops_port),
        }
        process = subprocess.Popen(
            [sys.executable, "-m", "syncd", "run"],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            deadline = time.monotonic() + 60
            answer: httpx.Response | None = None
            while answer is None and time.monotonic() < deadline and process.poll() is None:
                try:
                    answer = httpx.get(f"http://127.0.0.1:{web_port}/login", timeout=5)
                except httpx.TransportError:
                    time.sleep(0.2)
            assert answer is not None, "the daemon never served its web page"
            assert answer.status_code == 200
            assert "Sign in to syncd" in answer.text
        finally:
            process.send_signal(signal.SIGTERM)
            _, err = process.communicate(timeout=60)
    assert process.returncode == 0, err


def test_ctrl_c_during_a_demo_push_lets_the_push_finish_then_stops(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pushes: list[str] = []

    def push_interrupted_halfway(self: CompanyCycle) -> None:
        pushes.append("started")
        os.kill(os.getpid(), signal.SIGINT)  # the newcomer's Ctrl-C lands mid-push
        time.sleep(0.2)
        pushes.append("finished")

    monkeypatch.setattr(CompanyCycle, "push", push_interrupted_halfway)
    monkeypatch.setattr(demo, "PUSH_EVERY_S", 0.05)
    demo.serve_demo(load_settings({}, config_path=_config(tmp_path)), port=0)
    assert pushes == ["started", "finished"]
    assert "stopped" in capsys.readouterr().err
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
