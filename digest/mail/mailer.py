"""Send built messages: the envelope made explicit, the bytes handed to a Sender.

A :class:`Mailer` is what the application sends mail with.  The envelope
sender is the newsletter's address; the recipients are the addresses the
caller names, or else the ``To`` addresses of the message it built, read once
when the envelope is made.  The message's exact bytes (see
:func:`digest.mail.message.message_bytes`), parsed back and compared with
the message first (:func:`digest.mail.verify.checked_bytes`: the headers that
were set and no other, the addresses that were set, one plain address per
envelope recipient), then go to a :class:`~digest.mail.sender.Sender`, by
default one SMTP connection to ``[smtp]`` (:class:`~digest.mail.smtp.SmtpSender`),
which never looks at the headers.  Failures are :class:`MailError`\\ s, permanent (5xx) or not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage

from digest.closing import AsyncClosing
from digest.config import SmtpSettings
from digest.mail.sender import Delivery, Envelope, MailError, Sender
from digest.mail.smtp import SmtpSender
from digest.mail.verify import UnsafeMessage, checked_bytes, intended


@dataclass(frozen=True, slots=True)
class Sent:
    recipients: tuple[str, ...]  # the envelope's
    response: str  # the server's answer to the end of DATA, e.g. "250 OK queued as 1A2B"
    delivery: Delivery  # every reply: to each recipient, and to DATA


def to_addresses(message: EmailMessage) -> tuple[str, ...]:
    """The addresses of *message*'s ``To`` header: the recipients it was built for."""
    return tuple(intended(message, "To"))


class Mailer(AsyncClosing):
    """Sends from *sender* (an address) over *transport*; ``async with Mailer(...) as mailer``."""

    def __init__(
        self, settings: SmtpSettings, *, sender: str, transport: Sender | None = None
    ) -> None:
        self.settings = settings
        self.sender = sender
        self.transport: Sender = transport if transport is not None else SmtpSender(settings)

    @property
    def where(self) -> str:
        return f"{self.settings.host}:{self.settings.port}"

    async def aclose(self) -> None:
        await self.transport.close()

    def envelope(self, message: EmailMessage, recipients: Sequence[str] | None = None) -> Envelope:
        """From the newsletter's address to *recipients* (default: the message's ``To``)."""
        to = tuple(recipients) if recipients is not None else to_addresses(message)
        return Envelope(mail_from=self.sender, recipients=to)

    async def send(self, message: EmailMessage, *, recipients: Sequence[str] | None = None) -> Sent:
        """Send *message* to *recipients* (default: its ``To``); :class:`MailError` if not taken.

        A message whose bytes do not say what it does is not sent:
        :class:`~digest.mail.verify.UnsafeMessage`, a permanent MailError.
        """
        envelope = self.envelope(message, recipients)
        # The exact bytes build_message prepared (pre-encoded parts), not a re-flattening.
        data = checked_bytes(message, envelope.recipients)
        delivery = await self.transport.send(data, envelope)
        return Sent(envelope.recipients, delivery.data.message, delivery)


__all__ = ["MailError", "Mailer", "Sent", "UnsafeMessage", "to_addresses"]
