"""Acceptance 3 of the foundation: secrets never reach a log line, at any level, in either renderer."""

from __future__ import annotations

import io
import logging

import pytest

from syncd.logging import configure_logging, get_logger

TOKEN = "bokio-live-7f3a9c2e51d04b8e"


@pytest.fixture(params=["json", "console"])
def captured(request: pytest.FixtureRequest) -> io.StringIO:
    stream = io.StringIO()
    configure_logging(level="DEBUG", fmt=request.param, secrets=[TOKEN], stream=stream)
    yield stream
    configure_logging(level="WARNING", fmt="json", stream=io.StringIO())


def test_a_token_in_a_field_or_message_is_redacted(captured: io.StringIO) -> None:
    log = get_logger("syncd.test")
    log.debug("calling bokio", token=TOKEN, note=f"using {TOKEN} now")
    output = captured.getvalue()
    assert TOKEN not in output
    assert "calling bokio" in output


def test_an_authorization_header_is_redacted(captured: io.StringIO) -> None:
    log = get_logger("syncd.test")
    log.debug("request", headers={"Authorization": "Bearer abc.def.ghi-unknown-token"})
    log.debug("raw header text: Authorization: Bearer zzz-unregistered-token")
    output = captured.getvalue()
    assert "abc.def.ghi-unknown-token" not in output
    assert "zzz-unregistered-token" not in output


def test_credentials_in_a_url_are_redacted(captured: io.StringIO) -> None:
    get_logger("syncd.test").debug("connecting", url="postgresql+psycopg://syncd:s3cr3t-pw@db:5432/syncd")
    logging.getLogger("sqlalchemy.pool").warning("reconnect to postgresql://admin:hunter2pass@db/x")
    output = captured.getvalue()
    assert "s3cr3t-pw" not in output
    assert "hunter2pass" not in output
    assert "db:5432/syncd" in output


def test_stdlib_loggers_go_through_the_same_redaction(captured: io.StringIO) -> None:
    logging.getLogger("httpx").debug("HTTP Request: GET https://api.bokio.se/v1?access_token=%s", TOKEN)
    logging.getLogger("apscheduler.scheduler").info("job failed for token %s", TOKEN)
    output = captured.getvalue()
    assert TOKEN not in output
    assert "job failed" in output


def test_a_token_inside_an_exception_traceback_is_redacted(captured: io.StringIO) -> None:
    def fail() -> None:
        raise RuntimeError(f"bad response for {TOKEN}")

    try:
        fail()
    except RuntimeError:
        get_logger("syncd.test").exception("push failed")
    output = captured.getvalue()
    assert "push failed" in output
    assert "RuntimeError" in output
    assert TOKEN not in output
