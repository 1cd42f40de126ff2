"""MIME messages: headers, both parts, CRLF bytes, and one real SMTP delivery."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.headerregistry import Address
from email.message import EmailMessage

import aiosmtplib
import pytest

from digest.mail.message import POLICY, MessageError, build_message, message_bytes, recipient
from digest.mail.render import RenderedEmail
from tests.support.smtpd import SMTPServer
from tests.test_render import PARIS, make_digest, normalise, personal, renderer

SENDER = Address("Morning Brief, Daily", "news", "example.org")
UNSUBSCRIBE = "https://news.example.org/unsubscribe/UNSUB-ana-token"


@pytest.fixture(scope="module")
def rendered() -> RenderedEmail:
    return renderer().digest(make_digest(), personal=personal(), tz=PARIS)


def build(rendered: RenderedEmail, **options: object) -> EmailMessage:
    arguments: dict[str, object] = {
        "sender": SENDER,
        "to": recipient("ana@example.net", "Ana"),
        "unsubscribe_url": UNSUBSCRIBE,
        "list_id": "brief.example.org",
        "list_name": "Morning Brief",
        "date": datetime(2025, 6, 3, 5, 30, tzinfo=UTC),
    }
    arguments.update(options)
    return build_message(rendered, **arguments)  # type: ignore[arg-type]


def parsed(data: bytes) -> EmailMessage:
    message = message_from_bytes(data, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def test_list_headers_follow_rfc_8058(rendered: RenderedEmail) -> None:
    data = message_bytes(
        build(rendered, unsubscribe_mailto="mailto:unsubscribe@example.org?subject=ana")
    )
    head = data.split(b"\r\n\r\n", 1)[0].decode("ascii")
    assert (
        f"List-Unsubscribe: <{UNSUBSCRIBE}>,\r\n <mailto:unsubscribe@example.org?subject=ana>"
        in head
    )
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n" in head
    assert 'List-Id: "Morning Brief" <brief.example.org>\r\n' in head
    assert "Precedence: bulk\r\n" in head
    assert "Auto-Submitted" not in head
    assert re.search(r"^Message-ID: <[0-9a-f]{32}@example\.org>\r$", head + "\r", re.MULTILINE)
    assert "Date: Tue, 03 Jun 2025 05:30:00 +0000" in head
    assert "MIME-Version: 1.0" in head


def test_a_long_unsubscribe_link_is_never_encoded(rendered: RenderedEmail) -> None:
    long_link = f"https://news.example.org/unsubscribe/{'A1b2' * 60}"
    data = message_bytes(build(rendered, unsubscribe_url=long_link))
    assert f"List-Unsubscribe: <{long_link}>\r\n".encode() in data
    assert parsed(data)["List-Unsubscribe"] == f"<{long_link}>"


def test_sender_with_comma_and_non_ascii_names_round_trip(rendered: RenderedEmail) -> None:
    sender = Address("Brief, Morgen — Ünïcode", "news", "example.org")
    to = recipient("zoë@example.net".replace("ë", "e"), "Zoë O'Brien, Jr.")
    data = message_bytes(build(rendered, sender=sender, to=to))
    assert data.isascii()
    back = parsed(data)
    (from_address,) = back["From"].addresses
    (to_address,) = back["To"].addresses
    assert from_address.display_name == "Brief, Morgen — Ünïcode"
    assert from_address.addr_spec == "news@example.org"
    assert to_address.display_name == "Zoë O'Brien, Jr."
    assert to_address.addr_spec == "zoe@example.net"
    assert len(back["To"].addresses) == 1


@pytest.mark.parametrize(
    "name",
    [
        "Eve\r\nBcc: victim@example.org",
        "Eve\nBcc: victim@example.org",
        'Eve" <x@example.org>\rBcc: <victim@example.org',
        "Eve\x00",
    ],
)
def test_header_injection_through_names_is_refused(rendered: RenderedEmail, name: str) -> None:
    with pytest.raises(MessageError):
        recipient("eve@example.net", name)
    try:
        sender = Address(name, "news", "example.org")
        to = Address(name, "eve", "example.net")
    except ValueError:
        return  # Address itself refuses CR and LF; NUL gets through it
    with pytest.raises(MessageError, match="From"):
        build(rendered, sender=sender)
    with pytest.raises(MessageError, match="To"):
        build(rendered, to=to)


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("to", "not an address"),
        ("to", "eve@example.net\r\nBcc: victim@example.org"),
        ("unsubscribe_url", "javascript:alert(1)"),
        ("unsubscribe_url", "https://x.example/u>, <https://evil.example/"),
        ("unsubscribe_mailto", "https://not-mailto.example"),
        ("list_id", "no dots"),
        ("message_id", "no-brackets@example.org"),
    ],
)
def test_invalid_values_are_refused(rendered: RenderedEmail, option: str, value: str) -> None:
    with pytest.raises(MessageError):
        build(rendered, **{option: value})


def test_subject_is_one_line(rendered: RenderedEmail) -> None:
    odd = RenderedEmail(subject="Hello\r\nBcc: x@example.org", html="<p>x</p>", text="x")
    message = build(odd)
    assert message["Subject"] == "Hello Bcc: x@example.org"
    assert message["Bcc"] is None


def test_both_parts_present_decodable_text_first(rendered: RenderedEmail) -> None:
    data = message_bytes(build(rendered))
    back = parsed(data)
    assert back.get_content_type() == "multipart/alternative"
    parts = list(back.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    for part in parts:
        assert part.get_content_charset() == "utf-8"
        assert part["Content-Transfer-Encoding"] == "quoted-printable"
    assert parts[0].get_content().replace("\r\n", "\n") == rendered.text
    assert parts[1].get_content().replace("\r\n", "\n") == rendered.html
    assert back["Subject"] == rendered.subject


def test_bytes_use_crlf_and_short_lines(rendered: RenderedEmail) -> None:
    data = message_bytes(build(rendered))
    assert b"\r\n" in data
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert b"\r" not in data.replace(b"\r\n", b"")
    body = data.split(b"\r\n\r\n", 1)[1]
    assert max(len(line) for line in body.split(b"\r\n")) <= 76
    assert data.isascii()


def test_fast_serialisation_equals_the_email_generator(rendered: RenderedEmail) -> None:
    message = build(rendered, unsubscribe_mailto="mailto:u@example.org", list_name="Brief, Ü")
    assert message_bytes(message) == message.as_bytes(policy=POLICY)
    assert message_bytes(message) == message_bytes(message)


def test_shared_encoding_equals_encoding_the_whole_part(rendered: RenderedEmail) -> None:
    whole = RenderedEmail(subject=rendered.subject, html=rendered.html, text=rendered.text)
    fast, slow = (parsed(message_bytes(build(r))) for r in (rendered, whole))
    for kind in ("plain", "html"):
        fast_body = fast.get_body((kind,))
        slow_body = slow.get_body((kind,))
        assert fast_body is not None and slow_body is not None
        assert fast_body.get_content() == slow_body.get_content()


def test_transactional_mail_has_no_list_headers() -> None:
    confirm = renderer().confirm(email="ana@example.net", confirm_url="https://x.example/c/t")
    message = build_message(confirm, sender=SENDER, to="ana@example.net")
    for header in ("List-Unsubscribe", "List-Unsubscribe-Post", "List-Id", "Precedence"):
        assert message[header] is None
    assert message["To"] == "ana@example.net"


def test_golden_headers(rendered: RenderedEmail) -> None:
    data = message_bytes(build(rendered, message_id="<fixed-id@example.org>"))
    head = normalise(data.split(b"\r\n\r\n", 1)[0].decode("ascii"))
    assert head.splitlines() == [
        'From: "Morning Brief, Daily" <news@example.org>',
        "To: Ana <ana@example.net>",
        "Subject: Morning Brief: Barges move again on the lower Danube after weeks of",
        " low water and 7 more",
        "Date: Tue, 03 Jun 2025 05:30:00 +0000",
        "Message-ID: <fixed-id@example.org>",
        'List-Id: "Morning Brief" <brief.example.org>',
        "Precedence: bulk",
        f"List-Unsubscribe: <{UNSUBSCRIBE}>",
        "List-Unsubscribe-Post: List-Unsubscribe=One-Click",
        "MIME-Version: 1.0",
        'Content-Type: multipart/alternative; boundary="=_BOUNDARY"',
    ]


def test_a_message_goes_through_a_real_smtp_server(rendered: RenderedEmail) -> None:
    message = build(rendered, unsubscribe_mailto="mailto:unsubscribe@example.org")
    data = message_bytes(message)
    with SMTPServer() as server:

        async def send() -> None:
            async with aiosmtplib.SMTP(hostname="127.0.0.1", port=server.port, timeout=10) as smtp:
                await smtp.send_message(message, sender="bounces@example.org")
                await smtp.sendmail("bounces@example.org", ["ana@example.net"], data)

        asyncio.run(send())
    received, as_bytes = server.received
    # The serialised bytes arrive unchanged, and as the email package would write them.
    assert as_bytes.content.rstrip(b"\r\n") == data.rstrip(b"\r\n")
    assert received.content == as_bytes.content
    assert received.mail_from == "bounces@example.org"
    assert received.rcpt_tos == ("ana@example.net",)
    content = received.content
    assert f"List-Unsubscribe: <{UNSUBSCRIBE}>,".encode() in content
    assert b"List-Unsubscribe-Post: List-Unsubscribe=One-Click" in content
    assert b"\n" not in content.replace(b"\r\n", b"")  # aiosmtpd keeps the CRLFs it got
    back = received.message
    assert back["Message-ID"] == message["Message-ID"]
    html = back.get_body(("html",))
    text = back.get_body(("plain",))
    assert html is not None and text is not None
    assert html.get_content().replace("\r\n", "\n") == rendered.html
    assert text.get_content().replace("\r\n", "\n") == rendered.text
