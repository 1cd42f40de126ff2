"""Addresses beyond ASCII: refused at sign-up before the @, carried in ASCII after it.

A non-ASCII local part (``δοκιμή@example.org``) is refused by the sign-up
form, ``digest subscribe`` and a CSV import, so nobody is stored who would
wait for a confirmation that never comes.  For such an address already in an
envelope the SMTP sender asks for SMTPUTF8 when the server offers it and
fails for good when it does not; an internationalised domain goes out in its
ASCII (IDNA) form.  Against real aiosmtpd servers, with and without SMTPUTF8.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller

from digest.cli.main import main
from digest.config import Settings, SmtpSettings
from digest.mail.message import build_message, message_bytes, recipient
from digest.mail.sender import Envelope, MailError
from digest.mail.smtp import SmtpSender
from digest.mail.views import RenderedEmail
from digest.store import Store
from digest.web.app import create_web_app
from subscribers.addresses import AddressError, ascii_address, normalize_address
from tests.conftest import ConfigWriter
from tests.support.smtpd import free_port
from tests.support.web import LiveServer, csrf_of

SECRET = "a-test-secret-that-is-long-enough-0123456789"
GREEK = "δοκιμή@example.org"
SAYS = "non-ASCII characters before the @-sign (δ, ο, κ) are not supported"  # noqa: RUF001
DATA = b"From: digest@example.org\r\nTo: someone@example.org\r\nSubject: Hi\r\n\r\nBody.\r\n"


@dataclass
class Recorder:
    """An aiosmtpd handler that keeps each MAIL FROM (with its options) and each message."""

    mails: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    received: list[tuple[str, tuple[str, ...], bytes]] = field(default_factory=list)

    async def handle_MAIL(  # aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        self.mails.append((address, tuple(options)))
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append((envelope.mail_from, tuple(envelope.rcpt_tos), envelope.content))
        return "250 OK queued"


@pytest.fixture(params=[False, True], ids=["plain server", "SMTPUTF8 server"])
def server(request: pytest.FixtureRequest) -> Iterator[tuple[Recorder, int, bool]]:
    recorder = Recorder()
    port = free_port()
    controller = Controller(
        recorder, hostname="127.0.0.1", port=port, enable_SMTPUTF8=request.param
    )
    controller.start()
    try:
        yield recorder, port, request.param
    finally:
        controller.stop()


def smtp(port: int) -> SmtpSettings:
    return SmtpSettings(
        host="127.0.0.1",
        port=port,
        security="none",
        username="",
        password="",
        concurrency=1,
        timeout=5,
    )


def send(port: int, data: bytes, envelope: Envelope) -> object:
    async def run() -> object:
        sender = SmtpSender(smtp(port))
        try:
            return await sender.send(data, envelope)
        except MailError as exc:
            return exc
        finally:
            await sender.close()

    return asyncio.run(run())


# -- the SMTP sender ----------------------------------------------------------------------


def test_a_non_ascii_local_part_goes_with_smtputf8_or_fails_for_good(
    server: tuple[Recorder, int, bool],
) -> None:
    recorder, port, offers = server
    result = send(port, DATA, Envelope("digest@example.org", (GREEK,)))
    if offers:
        assert not isinstance(result, MailError), result
        ((sender, options),) = recorder.mails
        assert sender == "digest@example.org" and "SMTPUTF8" in options
        assert recorder.received == [("digest@example.org", (GREEK,), DATA)]
    else:
        assert isinstance(result, MailError) and result.permanent
        assert f"127.0.0.1:{port}: {GREEK}: " in str(result) and "SMTPUTF8" in str(result)
        assert recorder.mails == []  # refused before MAIL FROM: no half-made transaction
        assert recorder.received == []


def test_an_ascii_envelope_never_asks_for_smtputf8(server: tuple[Recorder, int, bool]) -> None:
    recorder, port, _offers = server
    result = send(port, DATA, Envelope("digest@example.org", ("jane@example.org",)))
    assert not isinstance(result, MailError), result
    ((_sender, options),) = recorder.mails
    assert "SMTPUTF8" not in options


def test_an_internationalised_domain_goes_out_in_ascii(server: tuple[Recorder, int, bool]) -> None:
    recorder, port, _offers = server
    rendered = RenderedEmail(subject="Hello", html="<p>Hello</p>", text="Hello")
    message = build_message(
        rendered,
        sender=recipient("digest@example.org", "Digest"),
        to=recipient("jane@bücher.example", "Jane"),
    )
    assert str(message["To"]) == "Jane <jane@xn--bcher-kva.example>"
    envelope = Envelope("digest@example.org", ("jane@bücher.example",))
    result = send(port, message_bytes(message), envelope)
    assert not isinstance(result, MailError), result
    ((_from, rcpt_tos, content),) = recorder.received
    assert rcpt_tos == ("jane@xn--bcher-kva.example",)
    assert b"To: Jane <jane@xn--bcher-kva.example>\r\n" in content
    assert "SMTPUTF8" not in recorder.mails[0][1]


def test_an_envelope_address_with_a_line_break_is_a_permanent_mail_error() -> None:
    result = send(free_port(), DATA, Envelope("digest@example.org", ("a@b.org\r\nRCPT TO:<c@d>",)))
    assert isinstance(result, MailError) and result.permanent
    assert "cannot be used in an envelope" in str(result)


def test_ascii_address_converts_only_the_domain() -> None:
    assert ascii_address("x@MÜNCHEN.de") == "x@xn--mnchen-3ya.de"
    assert ascii_address("Jane@Example.org") == "Jane@Example.org"
    assert ascii_address(GREEK) == GREEK
    with pytest.raises(AddressError):
        ascii_address("x@bad..dömain")


# -- sign-up refuses a non-ASCII local part everywhere ---------------------------------------


@pytest.fixture
def settings(
    make_config: ConfigWriter, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Settings:
    monkeypatch.setenv("DIGEST_SECRET_KEY", SECRET)
    monkeypatch.delenv("DIGEST_CONFIG", raising=False)
    port = free_port()  # nothing listens: no mail may be needed
    written = make_config(
        sections=("World",),
        db_url=f"sqlite:///{tmp_path / 'digest.db'}",
        extra=f'[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\ntimeout = 5\n',
    )
    return replace(written, secret_key=SECRET)


def subscribers(settings: Settings, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["subscribers", "list", "--json", "--config", str(settings.path)]) == 0
    return capsys.readouterr().out.strip()


def test_normalize_address_refuses_a_non_ascii_local_part_with_a_clear_message() -> None:
    with pytest.raises(AddressError) as caught:
        normalize_address(GREEK)
    assert str(caught.value).startswith(f"{GREEK}: {SAYS}")
    assert normalize_address("jane@bücher.example") == "jane@bücher.example"


def test_the_form_refuses_a_non_ascii_local_part(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = replace(settings, newsletter=replace(settings.newsletter, base_url=url))
    with Store(settings.storage.url) as store:
        app = create_web_app(store, settings)
        with LiveServer(app, port), httpx.Client(base_url=url, timeout=10) as client:
            form = client.get("/subscribe")
            token = csrf_of(form)
            answer = client.post(
                "/subscribe",
                data={"email": GREEK, "sections": "World", "csrf_token": token},
            )
    assert answer.status_code == 400
    assert SAYS in answer.text
    assert subscribers(settings, capsys) == "[]"


def test_digest_subscribe_refuses_a_non_ascii_local_part(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["subscribe", GREEK, "--config", str(settings.path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {GREEK}: {SAYS}") and err.count("\n") == 1
    assert subscribers(settings, capsys) == "[]"


def test_a_csv_import_refuses_a_non_ascii_local_part(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "people.csv"
    path.write_text(f"email,name\n{GREEK},Dokimi\n", encoding="utf-8")
    assert main(["subscribers", "import", str(path), "--config", str(settings.path)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(f"{path}:2: email: {GREEK}: {SAYS}")
    assert subscribers(settings, capsys) == "[]"
