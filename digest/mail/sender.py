"""The :class:`Sender` protocol: finished message bytes and an explicit envelope, out.

A sender never reads the message's headers: who it goes to is the
:class:`Envelope` (``MAIL FROM`` and the ``RCPT TO`` list), decided by the
caller, so a ``To`` header and the real recipients can differ (and a header
can never add one).  It answers with the server's reply to each recipient and
to the end of ``DATA`` (:class:`Delivery`), and raises :class:`MailError` when
the message was not taken at all, saying whether for good (5xx) or for now
(4xx, network), so callers retry only the temporary failures.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from digest.errors import DigestError


class MailError(DigestError):
    """The SMTP server did not take a message."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True, slots=True)
class Envelope:
    """Who a message is from and to, on the wire: not its ``From`` and ``To`` headers."""

    mail_from: str
    recipients: tuple[str, ...]

    def __post_init__(self) -> None:
        if not self.recipients:
            raise MailError("the message has no recipient", permanent=True)


@dataclass(frozen=True, slots=True)
class Reply:
    """One SMTP reply: its code and its text, e.g. ``250`` and ``"2.0.0 OK queued"``."""

    code: int
    message: str

    @property
    def positive(self) -> bool:
        return 200 <= self.code < 300

    def __str__(self) -> str:
        return f"{self.code} {self.message}"


@dataclass(frozen=True, slots=True)
class Delivery:
    """What the server said: to each envelope recipient (in envelope order), and to DATA."""

    recipients: Mapping[str, Reply] = field(hash=False)
    data: Reply

    @property
    def accepted(self) -> tuple[str, ...]:
        return tuple(address for address, reply in self.recipients.items() if reply.positive)

    @property
    def refused(self) -> dict[str, Reply]:
        return {address: reply for address, reply in self.recipients.items() if not reply.positive}


class Sender(Protocol):
    """Delivers finished messages; one may keep connections open until :meth:`close`."""

    async def send(self, data: bytes, envelope: Envelope) -> Delivery:
        """Hand *data* (CRLF-terminated lines) over for the *envelope*'s recipients.

        Returns once the server took the message for at least one recipient;
        raises :class:`MailError` otherwise.
        """
        ...

    async def close(self) -> None:
        """Let go of any connection; the sender may be used again after."""
        ...


__all__ = ["Delivery", "Envelope", "MailError", "Reply", "Sender"]
