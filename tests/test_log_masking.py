"""Logs never hold a full address at ERROR level or in a traceback.

A confirmation mail that cannot be sent (the SMTP server down, or refusing
the address with a reply that repeats it, as Postfix does) is logged by
subscriber id with any address masked (``j***@example.org``); so is the
traceback ``digest -v`` logs.  The whole site runs under uvicorn, the mail
goes to a real aiosmtpd, and the assertions are on every log record.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from digest.cli.main import main
from digest.config import Settings
from digest.store import Store
from digest.web.app import create_web_app
from subscribers.addresses import mask_address, mask_addresses, masked_traceback
from tests.conftest import ConfigWriter
from tests.support.smtpd import SMTPServer, free_port
from tests.support.web import LiveServer, csrf_of

SECRET = "a-test-secret-that-is-long-enough-0123456789"
ADDRESS = "jane.doe@example.org"
MASKED = "j***@example.org"


def full_addresses(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Every log record (message or traceback) that holds the full address."""
    found = []
    for record in caplog.records:
        text = record.getMessage()
        if record.exc_info:
            text += logging.Formatter().formatException(record.exc_info)
        if ADDRESS in text:
            found.append(f"{record.levelname} {record.name}: {text}")
    return found


@pytest.fixture
def smtpd() -> Iterator[SMTPServer]:
    with SMTPServer() as server:
        yield server


def config(make_config: ConfigWriter, tmp_path: Path, port: int) -> Settings:
    written = make_config(
        sections=("World",),
        db_url=f"sqlite:///{tmp_path / 'digest.db'}",
        extra=f'[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\ntimeout = 5\n',
    )
    return replace(written, secret_key=SECRET)


def sign_up(settings: Settings, caplog: pytest.LogCaptureFixture) -> int:
    """Sign up through the form; return once the confirmation mail failed (and was logged)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = replace(settings, newsletter=replace(settings.newsletter, base_url=url))
    with Store(settings.storage.url) as store:
        app = create_web_app(store, settings)
        with LiveServer(app, port), httpx.Client(base_url=url, timeout=10) as client:
            form = client.get("/subscribe")
            token = csrf_of(form)
            data = {"email": ADDRESS, "sections": "World", "csrf_token": token}
            answer = client.post("/subscribe", data=data)
            deadline = time.monotonic() + 10  # the mail is tried after the answer
            while time.monotonic() < deadline and not any(
                "could not send" in r.getMessage() for r in caplog.records
            ):
                time.sleep(0.05)
            time.sleep(0.2)  # and whatever is logged after it
        return answer.status_code


@pytest.fixture(autouse=True)
def _capture(caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIGEST_SECRET_KEY", SECRET)
    monkeypatch.delenv("DIGEST_CONFIG", raising=False)
    caplog.set_level(logging.WARNING)  # every library (INFO is aiosmtpd's own dialogue)
    caplog.set_level(logging.DEBUG, logger="subscribers")  # the masked traceback too
    caplog.set_level(logging.DEBUG, logger="digest")


def test_a_refused_confirmation_is_logged_by_id_with_the_address_masked(
    make_config: ConfigWriter,
    tmp_path: Path,
    smtpd: SMTPServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    smtpd.handler.rcpt_reply = lambda a: f"550 5.1.1 <{a}>: Recipient address rejected"
    assert sign_up(config(make_config, tmp_path, smtpd.port), caplog) in (200, 303)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [r.getMessage().split(":")[0] for r in errors] == [
        "could not send the confirm mail to subscriber 1"
    ]
    assert MASKED in errors[0].getMessage()  # the server's reply, masked
    assert full_addresses(caplog) == []
    assert smtpd.received == []


def test_a_server_that_is_down_is_logged_without_the_address(
    make_config: ConfigWriter, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    assert sign_up(config(make_config, tmp_path, free_port()), caplog) in (200, 303)
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "cannot connect" in errors[0]
    assert full_addresses(caplog) == []


def test_digest_v_logs_the_traceback_with_the_address_masked(
    make_config: ConfigWriter,
    tmp_path: Path,
    smtpd: SMTPServer,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = config(make_config, tmp_path, smtpd.port)
    assert main(["unsubscribe", ADDRESS, "-v", "--config", str(settings.path)]) == 1
    # What the operator asked about is named in the command's answer, not in the log.
    assert capsys.readouterr().err.startswith(f"error: {ADDRESS}: no subscriber has")
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and errors[0].startswith("Traceback (most recent call last):")
    assert f"{MASKED}: no subscriber has this address" in errors[0]
    assert full_addresses(caplog) == []


def test_masking() -> None:
    assert mask_address("jane@example.org") == "j***@example.org"
    assert mask_address("not an address") == "***"
    text = 'refused jane@example.org: 550 <bob.smith@mail.example.net>; "a b"@c.org'
    assert (
        mask_addresses(text) == 'refused j***@example.org: 550 <b***@mail.example.net>; "***@c.org'
    )
    try:
        raise ValueError(f"{ADDRESS} is wrong")
    except ValueError as exc:
        shown = masked_traceback(exc)
    assert shown.startswith("Traceback") and f"ValueError: {MASKED} is wrong" in shown
    assert ADDRESS not in shown
