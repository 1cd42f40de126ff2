"""The SMTP client, against a real aiosmtpd server."""

from __future__ import annotations

import asyncio
from email.headerregistry import Address
from email.message import EmailMessage

import pytest

from digest.config import SmtpSettings
from digest.mail.mailer import Mailer, MailError, Sent
from digest.mail.message import message_bytes
from digest.mail.sender import Delivery, Envelope, Reply
from digest.mail.smtp import SmtpSender
from tests.support.smtpd import SMTPServer, free_port


def settings(port: int) -> SmtpSettings:
    return SmtpSettings(
        host="127.0.0.1",
        port=port,
        security="none",
        username="",
        password="",
        concurrency=1,
        timeout=5,
    )


def message(to: str, subject: str = "Hello") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = Address("Digest", addr_spec="digest@example.org")
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content("Body line.\n")
    return msg


@pytest.fixture
def smtpd() -> object:
    with SMTPServer() as server:
        yield server


def send_all(port: int, *messages: EmailMessage) -> list[object]:
    async def run() -> list[object]:
        out: list[object] = []
        async with Mailer(settings(port), sender="bounces@example.org") as mailer:
            for msg in messages:
                try:
                    out.append(await mailer.send(msg))
                except MailError as exc:
                    out.append(exc)
        return out

    return asyncio.run(run())


def test_messages_arrive_with_envelope_and_bytes(smtpd: SMTPServer) -> None:
    results = send_all(smtpd.port, message("ana@example.com", "One"), message("bo@example.net"))
    assert [r.recipients for r in results] == [("ana@example.com",), ("bo@example.net",)]  # type: ignore[attr-defined]
    assert all("250" in r.response or "OK" in r.response for r in results)  # type: ignore[attr-defined]
    first, second = smtpd.received
    assert first.mail_from == "bounces@example.org"
    assert first.rcpt_tos == ("ana@example.com",)
    assert first.message["Subject"] == "One"
    assert b"Body line." in first.content
    assert second.rcpt_tos == ("bo@example.net",)


def test_a_refused_recipient_is_permanent_and_the_next_message_still_goes(
    smtpd: SMTPServer,
) -> None:
    smtpd.handler.rcpt_reply = lambda a: "550 5.1.1 no such user" if a.startswith("x@") else None
    refused, taken = send_all(smtpd.port, message("x@example.com"), message("y@example.com"))
    assert isinstance(refused, MailError) and refused.permanent
    assert f"127.0.0.1:{smtpd.port} refused x@example.com: 550" in str(refused)
    assert [r.rcpt_tos for r in smtpd.received] == [("y@example.com",)]
    assert taken.recipients == ("y@example.com",)  # type: ignore[attr-defined]


def test_a_temporary_refusal_is_not_permanent(smtpd: SMTPServer) -> None:
    smtpd.handler.data_reply = lambda envelope: "451 4.3.0 try again later"
    (result,) = send_all(smtpd.port, message("ana@example.com"))
    assert isinstance(result, MailError) and not result.permanent
    assert "451" in str(result)
    assert smtpd.received == []


def test_nothing_listening_is_one_clear_error() -> None:
    port = free_port()
    (result,) = send_all(port, message("ana@example.com"))
    assert isinstance(result, MailError) and not result.permanent
    assert str(result).startswith(f"127.0.0.1:{port}: cannot connect:")
    assert "is the SMTP server running?" in str(result)


def test_a_message_without_recipients_is_refused_before_connecting() -> None:
    msg = message("ana@example.com")
    del msg["To"]
    (result,) = send_all(free_port(), msg)
    assert isinstance(result, MailError) and result.permanent


def test_the_envelope_is_the_explicit_one_not_the_to_header(smtpd: SMTPServer) -> None:
    msg = message("shown@example.com")

    async def run() -> Sent:
        async with Mailer(settings(smtpd.port), sender="bounces@example.org") as mailer:
            return await mailer.send(msg, recipients=["real@example.net", "copy@example.net"])

    sent = asyncio.run(run())
    assert sent.recipients == ("real@example.net", "copy@example.net")
    (received,) = smtpd.received
    assert received.mail_from == "bounces@example.org"
    assert received.rcpt_tos == ("real@example.net", "copy@example.net")
    assert received.message["To"] == "shown@example.com"  # the header is left as it was
    assert received.content.replace(b"\r\n", b"\n") == message_bytes(msg).replace(b"\r\n", b"\n")


def test_the_sender_sends_bytes_to_the_envelope_and_never_reads_the_headers(
    smtpd: SMTPServer,
) -> None:
    data = b"From: someone@example.org\r\nTo: nobody@example.com\r\nSubject: Hi\r\n\r\nBody.\r\n"

    async def run() -> Delivery:
        sender = SmtpSender(settings(smtpd.port))
        try:
            return await sender.send(data, Envelope("env@example.org", ("ana@example.com",)))
        finally:
            await sender.close()

    delivery = asyncio.run(run())
    assert delivery.accepted == ("ana@example.com",)
    (received,) = smtpd.received
    assert (received.mail_from, received.rcpt_tos) == ("env@example.org", ("ana@example.com",))
    assert received.message["To"] == "nobody@example.com"
    assert b"Body." in received.content


def test_each_recipient_gets_its_own_reply(smtpd: SMTPServer) -> None:
    smtpd.handler.rcpt_reply = lambda a: "550 5.1.1 no such user" if a.startswith("x@") else None

    async def run() -> Sent:
        async with Mailer(settings(smtpd.port), sender="bounces@example.org") as mailer:
            return await mailer.send(
                message("x@example.com"), recipients=["x@example.com", "y@example.com"]
            )

    sent = asyncio.run(run())
    delivery = sent.delivery
    assert delivery.recipients == {
        "x@example.com": Reply(550, "5.1.1 no such user"),
        "y@example.com": Reply(250, "OK"),
    }
    assert delivery.accepted == ("y@example.com",)
    assert delivery.refused == {"x@example.com": Reply(550, "5.1.1 no such user")}
    assert delivery.data == Reply(250, "2.0.0 OK queued")
    assert sent.response == "2.0.0 OK queued"
    assert [r.rcpt_tos for r in smtpd.received] == [("y@example.com",)]


def test_every_recipient_refused_is_one_error_naming_each(smtpd: SMTPServer) -> None:
    smtpd.handler.rcpt_reply = lambda a: (
        "550 5.1.1 no such user" if a.startswith("x@") else "450 4.2.1 mailbox busy"
    )

    async def run() -> MailError:
        async with Mailer(settings(smtpd.port), sender="bounces@example.org") as mailer:
            with pytest.raises(MailError) as caught:
                await mailer.send(message("x@example.com"), recipients=["x@example.com", "z@x.org"])
            return caught.value

    error = asyncio.run(run())
    assert str(error) == (
        f"127.0.0.1:{smtpd.port} refused x@example.com: 550 5.1.1 no such user; "
        "z@x.org: 450 4.2.1 mailbox busy"
    )
    assert not error.permanent  # one of the refusals was only for now
    assert smtpd.received == []


def test_a_server_hanging_up_on_data_is_a_temporary_error(smtpd: SMTPServer) -> None:
    smtpd.handler.hang_up_on_data = True
    (result,) = send_all(smtpd.port, message("ana@example.com"))
    assert isinstance(result, MailError) and not result.permanent
    assert str(result).startswith(f"127.0.0.1:{smtpd.port}: the server hung up:")


def test_an_empty_envelope_is_refused() -> None:
    with pytest.raises(MailError, match="the message has no recipient") as caught:
        Envelope("bounces@example.org", ())
    assert caught.value.permanent
