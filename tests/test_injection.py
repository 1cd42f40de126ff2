"""Header injection through a name (CVE-2024-6923), refused at input and caught at output.

Every way a name comes in is tried for real: the sign-up form (the whole site,
``digest.web.app.create_web_app``, through Starlette's TestClient: the
transport does not matter here, and the confirmation mail leaves before the
answer), ``digest subscribe --name`` and ``digest subscribers import``; the
mail goes to a real SMTP server (aiosmtpd), and the assertions are on the
bytes it received: the envelope's recipients, and the header names and
addresses parsed back from the raw header block.
"""

from __future__ import annotations

import asyncio
import base64
import re
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from email import policy
from email.header import decode_header, make_header
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses
from pathlib import Path

import httpx
import pytest
from sqlalchemy import update

from digest.cli.main import main
from digest.config import Settings
from digest.mail.mailer import Mailer, MailError
from digest.mail.message import POLICY, message_bytes
from digest.mail.render import Renderer
from digest.mail.verify import UnsafeMessage, checked_bytes, header_problem
from digest.pipeline.audience import AudienceMail, link_maker, open_audience
from digest.pipeline.digests import build_digest, subscriber_reader
from digest.store import Store
from digest.web.app import create_web_app
from subscribers.models import Subscriber
from subscribers.names import NAME_MAX, check_name
from subscribers.service import Audience
from subscribers.views import SubscriberView
from tests.conftest import ConfigWriter
from tests.support.smtpd import Received, SMTPServer, free_port
from tests.support.web import LiveServer, csrf_of

SECRET = "a-test-secret-that-is-long-enough-0123456789"
ADDRESS = "jane@example.org"
# The header names a confirmation mail is built with, in order, and nothing else.
CONFIRMATION_HEADERS = [
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "MIME-Version",
    "Content-Type",
]
WEB_URL = "https://news.example.org/archive/"
CVE = "=?utf-8?q?x=0D=0ABcc:_bcc=40evil.example=0D=0AReply-To:_attacker=40evil.example?="


def b_word(text: str) -> str:
    return f"=?utf-8?b?{base64.b64encode(text.encode()).decode()}?="


HOSTILE = {
    "the CVE's q-encoded word": (CVE, "its encoded word (=?...?=) decodes to text with a line"),
    "a b-encoded word": (b_word("x\r\nBcc: bcc@evil.example"), "decodes to text with a line"),
    "a long name with CRLF": ("Jane Doe " * 9 + "\r\nBcc: bcc@evil.example", "a line break"),
    "a NUL": ("Jane\x00Doe", "a control character (U+0000"),
    "U+2028": ("Jane\u2028Bcc: bcc@evil.example", "a line break (U+2028"),
    "101 characters": ("J" * (NAME_MAX + 1), "101 characters; a name has at most 100"),
    "an encoded word in an encoded word": (
        b_word("=?utf-8?q?x=0D=0A?="),
        "does not decode to plain text",
    ),
}
# As typed, and as stored and shown in To.
BENIGN = {
    "a comma and angle brackets": ("Bob, <evil@example.com>", "Bob, <evil@example.com>"),
    "a b-encoded word": (b_word("Zoë Ångström"), "Zoë Ångström"),
    "100 characters that fold": ("Zoë, " + "Ångström-Lindqvist " * 5, None),
    "quotes and a backslash": ('Jane "JD" \\ Doe', 'Jane "JD" \\ Doe'),
}


def raw_headers(received: Received) -> tuple[list[str], list[tuple[str, str]]]:
    """The header names of the bytes as received, and their To: (decoded name, addr-spec).

    The name is decoded by :func:`email.header.decode_header`, which follows RFC 2047
    (no space between adjacent encoded words); ``policy.default``'s parser on 3.11.7
    puts one in, so it would read a long folded name wrongly.
    """
    parsed = BytesParser(policy=policy.compat32).parsebytes(received.content, headersonly=True)
    to = [
        (str(make_header(decode_header(name))), spec)
        for name, spec in getaddresses(parsed.get_all("To", []))
    ]
    return list(parsed.keys()), to


def assert_clean(received: Received, address: str, name: str) -> None:
    """One envelope recipient, exactly the headers that were set, To as intended."""
    assert received.rcpt_tos == (address,)
    names, to = raw_headers(received)
    assert names == CONFIRMATION_HEADERS
    assert to == [(name, address)]
    assert [a.addr_spec for a in received.message["To"].addresses] == [address]


@pytest.fixture
def smtpd() -> Iterator[SMTPServer]:
    with SMTPServer() as server:
        yield server


@pytest.fixture
def settings(make_config: ConfigWriter, tmp_path: Path, smtpd: SMTPServer) -> Settings:
    """A config on a fresh SQLite database whose [smtp] is the running aiosmtpd."""
    smtp = f'[smtp]\nhost = "127.0.0.1"\nport = {smtpd.port}\nsecurity = "none"\ntimeout = 5\n'
    written = make_config(
        sections=("World",), db_url=f"sqlite:///{tmp_path / 'digest.db'}", extra=smtp
    )
    return replace(written, secret_key=SECRET)


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIGEST_SECRET_KEY", SECRET)
    monkeypatch.delenv("DIGEST_CONFIG", raising=False)


def wait_for(smtpd: SMTPServer, count: int, timeout: float = 10.0) -> list[Received]:
    """The mails received once there are *count*, and no more after a short grace time."""
    deadline = time.monotonic() + timeout
    while len(smtpd.received) < count and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.3)
    assert len(smtpd.received) == count, smtpd.received
    return list(smtpd.received)


def sign_up(settings: Settings, email: str, name: str) -> tuple[int, str, Audience]:
    """POST the sign-up form of the whole site, served by uvicorn; status, page, audience.

    The confirmation mail leaves after the answer: see :func:`wait_for`.
    """
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = replace(settings, newsletter=replace(settings.newsletter, base_url=url))
    with Store(settings.storage.url) as store:
        app = create_web_app(store, settings)
        with LiveServer(app, port), httpx.Client(base_url=url, timeout=10) as client:
            form = client.get("/subscribe")
            token = csrf_of(form)
            data = {"email": email, "name": name, "sections": "World", "csrf_token": token}
            answer = client.post("/subscribe", data=data)
            time.sleep(0.3)  # the background mail, if any, before the server stops
        return answer.status_code, answer.text, app.state.site.state.audience


def cli(settings: Settings, *argv: str) -> int:
    return main([*argv, "--config", str(settings.path)])


# -- at input: the form, the CLI, a CSV import --------------------------------------------


@pytest.mark.parametrize("name", list(HOSTILE))
def test_the_form_refuses_a_hostile_name_and_mails_nothing(
    settings: Settings, smtpd: SMTPServer, name: str
) -> None:
    typed, says = HOSTILE[name]
    status, page, audience = sign_up(settings, ADDRESS, typed)
    assert status == 400
    assert "name: " in page and says in page.replace("&#39;", "'")
    assert audience.list() == []
    assert wait_for(smtpd, 0) == []


@pytest.mark.parametrize("name", list(BENIGN))
def test_the_form_takes_a_benign_name_and_its_mail_has_only_the_headers_set(
    settings: Settings, smtpd: SMTPServer, name: str
) -> None:
    typed, shown = BENIGN[name]
    status, _page, audience = sign_up(settings, ADDRESS, typed)
    assert status in (200, 303)
    (stored,) = audience.list()
    assert stored.name == (shown if shown is not None else check_name(typed))
    (received,) = wait_for(smtpd, 1)
    assert_clean(received, ADDRESS, stored.name)


@pytest.mark.parametrize("name", list(HOSTILE))
def test_digest_subscribe_refuses_a_hostile_name(
    settings: Settings, smtpd: SMTPServer, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    typed, says = HOSTILE[name]
    assert cli(settings, "subscribe", ADDRESS, "--name", typed) == 2
    _out, err = capsys.readouterr()
    assert err.startswith("error: --name: ") and says in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert smtpd.received == []
    assert cli(settings, "subscribers", "list", "--json") == 0
    assert capsys.readouterr().out.strip() == "[]"


@pytest.mark.parametrize("name", list(BENIGN))
def test_digest_subscribe_takes_a_benign_name(
    settings: Settings, smtpd: SMTPServer, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    typed, shown = BENIGN[name]
    assert cli(settings, "subscribe", ADDRESS, "--name", typed) == 0, capsys.readouterr()
    (received,) = smtpd.received
    assert_clean(received, ADDRESS, shown if shown is not None else check_name(typed))


def write_csv(tmp_path: Path, rows: list[tuple[str, str]]) -> Path:
    lines = ["email,name"]
    for email, name in rows:
        lines.append(email + ',"' + name.replace('"', '""') + '"')
    path = tmp_path / "people.csv"
    path.write_bytes(("\n".join(lines) + "\n").encode("utf-8"))
    return path


def test_a_csv_import_names_each_hostile_name_and_imports_nothing(
    settings: Settings, smtpd: SMTPServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hostile = list(HOSTILE.values())
    path = write_csv(
        tmp_path, [(f"p{i}@example.org", typed) for i, (typed, _) in enumerate(hostile)]
    )
    assert cli(settings, "subscribers", "import", str(path)) == 2
    err = capsys.readouterr().err.splitlines()
    problems = [line for line in err if line.startswith(f"{path}:")]
    assert len(problems) == len(hostile), err  # one a row
    assert err[-1].startswith(f"error: {path}: {len(hostile)} problems, nothing was imported")
    for line, (_typed, says) in zip(problems, hostile, strict=True):
        assert re.match(rf"{re.escape(str(path))}:\d+: name: ", line), line
        assert says in line
    assert smtpd.received == []


def test_a_csv_import_mails_benign_names_with_one_recipient_each(
    settings: Settings, smtpd: SMTPServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [(f"p{i}@example.org", typed) for i, (typed, _) in enumerate(BENIGN.values())]
    assert cli(settings, "subscribers", "import", str(write_csv(tmp_path, rows))) == 0, (
        capsys.readouterr()
    )
    received = sorted(smtpd.received, key=lambda r: r.rcpt_tos)
    assert len(received) == len(rows)
    for mail, (email, typed) in zip(received, rows, strict=True):
        assert_clean(mail, email, check_name(typed))


# -- at output: the bytes parsed back before they are sent -----------------------------------


def hostile_message(name: str = CVE) -> EmailMessage:
    """A message built without the checks, as the standard library would make it."""
    message = EmailMessage(policy=POLICY)
    message["From"] = Address("Digest", addr_spec="digest@example.org")
    message["To"] = Address(display_name=name, addr_spec=ADDRESS)
    message["Subject"] = "Confirm"
    message.set_content("Body line.\n")
    return message


def test_the_standard_library_does_write_the_injected_headers() -> None:
    """What the output check is for: on this Python the folding writes the CVE's headers."""
    names = list(BytesParser(policy=policy.compat32).parsebytes(message_bytes(hostile_message())))
    if "Bcc" not in names:
        pytest.skip("this Python's email package is fixed (3.11.9+, 3.12.5+)")
    assert header_problem(message_bytes(hostile_message()), hostile_message()) == (
        "header Bcc is in the bytes but was never set"
    )


def test_a_message_whose_bytes_gain_a_header_is_not_sent(
    settings: Settings, smtpd: SMTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    async def send() -> None:
        async with Mailer(settings.smtp, sender="digest@example.org") as mailer:
            await mailer.send(hostile_message(), recipients=(ADDRESS,))

    with pytest.raises(MailError) as caught:
        asyncio.run(send())
    assert isinstance(caught.value, UnsafeMessage) and caught.value.permanent
    assert smtpd.received == []
    (line,) = [r for r in caught.value.args]
    assert line.startswith("message not sent: header ")
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1 and errors[0] == line
    assert ADDRESS not in errors[0]


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"Subject: Hi\r\nBcc: eve@example.org\r\n\r\nBody\r\n", "header Bcc is in the bytes"),
        (b"To: jane@example.org\r\n\r\nSubject: Hi\r\n\r\n", "header Subject was set 1 time"),
        (b"Subject: Hi\r\nTo: jane@example.org, eve@example.org\r\n\r\n", "header To holds"),
        (b"Subject: Hi\r\nTo: =?utf-8?q?Jane?= <eve@example.org>\r\n\r\n", "header To holds"),
        (b"Subject: Hi\r\nTo: jane@example.org\r\nnot a header\r\n\r\n", "the header block ends"),
        (b"To: jane@example.org\r\nSubject: Hi\r\n\r\n", "the headers are not in the order"),
    ],
)
def test_bytes_that_say_something_else_than_the_message_are_named(
    data: bytes, problem: str
) -> None:
    message = EmailMessage()
    message["Subject"] = "Hi"
    message["To"] = ADDRESS
    found = header_problem(data, message)
    assert found is not None and found.startswith(problem)
    assert "jane@example.org" not in found and "eve@example.org" not in found


@pytest.mark.parametrize(
    "recipients",
    [
        ("jane@example.org, eve@example.org",),
        ("Jane <jane@example.org>",),
        (ADDRESS, ADDRESS.upper()),
    ],
)
def test_an_envelope_recipient_must_be_one_plain_address_once(recipients: tuple[str, ...]) -> None:
    message = EmailMessage()
    message["To"] = ADDRESS
    with pytest.raises(UnsafeMessage) as caught:
        checked_bytes(message, recipients)
    assert "envelope recipient" in str(caught.value) and ADDRESS not in str(caught.value)


def test_a_built_message_passes_the_check_unchanged(settings: Settings) -> None:
    renderer = Renderer.from_settings(settings.newsletter)
    with Store(settings.storage.url) as store:
        audience = AudienceMail(settings, renderer)
        view = stored_with_name(store, settings, renderer, "Zoë, Bob " + "Ångström " * 9)
        message = audience.message("confirm", view, {"confirm": "https://n.example/c/t"})
        assert checked_bytes(message, (ADDRESS,)) == message_bytes(message)


# -- names stored before the check: cleaned when the mail is made -----------------------------


def stored_with_name(
    store: Store, settings: Settings, renderer: Renderer, name: str
) -> SubscriberView:
    """A pending subscriber whose stored name is *name*, written past the checks."""
    audience = open_audience(store, settings, renderer)
    outcome = audience.subscribe(ADDRESS, source="test", now=datetime.now(UTC))
    assert outcome.subscriber is not None
    with store.sessions.begin() as session:
        session.execute(
            update(Subscriber).where(Subscriber.id == outcome.subscriber.id).values(name=name)
        )
    found = audience.get(outcome.subscriber.id)
    assert found is not None and found.name == name
    return found


def test_a_hostile_name_stored_before_is_left_out_of_the_mail(
    settings: Settings, smtpd: SMTPServer
) -> None:
    renderer = Renderer.from_settings(settings.newsletter)
    with Store(settings.storage.url) as store:
        view = stored_with_name(store, settings, renderer, CVE)
        links = link_maker(settings).links(view, "confirm", now=datetime.now(UTC))
        asyncio.run(AudienceMail(settings, renderer).send("confirm", view, links))
        reader = subscriber_reader(settings, view, now=datetime.now(UTC), web_url=WEB_URL)
    assert reader.to == Address(addr_spec=ADDRESS) and reader.personal.name == ""
    (received,) = smtpd.received
    assert_clean(received, ADDRESS, "")
    assert b"evil.example" not in received.content


def test_a_digest_for_a_stored_hostile_name_is_built_safe(settings: Settings) -> None:
    settings = replace(settings, stories=replace(settings.stories, when_empty="note"))
    renderer = Renderer.from_settings(settings.newsletter)
    now = datetime.now(UTC)
    with Store(settings.storage.url) as store:
        view = stored_with_name(store, settings, renderer, b_word("x\r\nBcc: bcc@evil.example"))
        reader = subscriber_reader(settings, view, now=now, web_url=WEB_URL)
        outgoing = build_digest(store, settings, renderer, reader, now=now)
    assert outgoing.would_send and outgoing.email is not None
    parsed = BytesParser(policy=policy.compat32).parsebytes(outgoing.raw, headersonly=True)
    assert list(parsed.keys()) == list(outgoing.email.keys())
    assert "Bcc" not in parsed and getaddresses(parsed.get_all("To", [])) == [("", ADDRESS)]


def test_nothing_listening_is_still_a_plain_mail_error(settings: Settings) -> None:
    """The check passes a clean message on to the transport, whose failure it does not mask."""
    message = hostile_message("Jane Doe")

    async def send() -> None:
        smtp = replace(settings.smtp, port=free_port())
        async with Mailer(smtp, sender="digest@example.org") as mailer:
            await mailer.send(message)

    with pytest.raises(MailError) as caught:
        asyncio.run(send())
    assert not isinstance(caught.value, UnsafeMessage) and not caught.value.permanent
