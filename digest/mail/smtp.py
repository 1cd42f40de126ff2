"""The :class:`~digest.mail.sender.Sender` over SMTP (aiosmtplib), for ``[smtp]``.

:func:`open_smtp` is the one connection set-up (connect, implicit TLS or
STARTTLS as configured, EHLO, login), shared by :class:`SmtpSender` and by
``digest check``'s probe.  :class:`SmtpSender` keeps one connection open
between sends and reconnects when the server has closed it; each send is one
mail transaction (MAIL, one RCPT per envelope recipient, DATA), so every
recipient's own reply comes back.  Every failure becomes a
:class:`~digest.mail.sender.MailError` naming ``host:port``.

Envelope addresses go out with their domain in ASCII (IDNA) form.  One with
a non-ASCII local part (``δοκιμή@example.org``) can only be sent with the
SMTPUTF8 extension (RFC 6531): the transaction asks for it when the server
offers it, and otherwise fails for good before ``MAIL FROM``, saying so.
"""

from __future__ import annotations

import asyncio
import logging
import re

import aiosmtplib
from aiosmtplib.email import parse_address

from digest.config import SmtpSettings
from digest.mail.sender import Delivery, Envelope, MailError, Reply
from subscribers.addresses import AddressError, ascii_address, mask_address

LOGGER = logging.getLogger(__name__)

# What a failed connection or transaction raises: an SMTP error, a socket error, a timeout.
SMTP_ERRORS: tuple[type[Exception], ...] = (aiosmtplib.SMTPException, OSError, TimeoutError)
_LONE_LINE_END = re.compile(rb"\r\n|\r|\n")


async def open_smtp(
    settings: SmtpSettings, *, timeout: float | None = None
) -> tuple[aiosmtplib.SMTP, Reply]:
    """A connection to the ``[smtp]`` server, greeted and logged in; and the server's greeting.

    *timeout* (seconds) overrides ``[smtp] timeout``.  Raises one of
    :data:`SMTP_ERRORS` (the connection closed) if any step fails.
    """
    client = aiosmtplib.SMTP(
        hostname=settings.host,
        port=settings.port,
        use_tls=settings.security == "tls",
        start_tls=settings.security == "starttls",
        timeout=settings.timeout if timeout is None else timeout,
    )
    greeting = await client.connect()
    try:
        if client.is_ehlo_or_helo_needed:
            try:
                await client.ehlo()
            except aiosmtplib.SMTPHeloError:
                if not client.is_connected:
                    raise
                await client.helo()
        if settings.username:
            await client.login(settings.username, settings.password)
    except BaseException:
        client.close()
        raise
    return client, Reply(greeting.code, greeting.message)


async def close_smtp(client: aiosmtplib.SMTP) -> None:
    """Say QUIT and hang up; just hang up if the server does not answer."""
    if not client.is_connected:
        return
    try:
        await client.quit()
    except SMTP_ERRORS:
        client.close()


def reason(exc: BaseException) -> str:
    """The first line of what *exc* says (its type if it says nothing)."""
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


class SmtpSender:
    """Sends over one SMTP connection to ``[smtp]``, opened on the first send."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self._client: aiosmtplib.SMTP | None = None
        self._lock = asyncio.Lock()  # one transaction at a time on the connection

    @property
    def where(self) -> str:
        return f"{self.settings.host}:{self.settings.port}"

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await close_smtp(client)

    async def send(self, data: bytes, envelope: Envelope) -> Delivery:
        """Send *data* to the envelope's recipients; :class:`MailError` if nobody took it."""
        on_wire = self._on_wire(envelope)  # before connecting: a bad address costs nothing
        async with self._lock:
            for attempt in (1, 2):
                reused = self._client is not None and self._client.is_connected
                client = await self._connection()
                try:
                    delivery = await self._transaction(client, data, envelope, on_wire)
                except aiosmtplib.SMTPServerDisconnected as exc:
                    # A reused connection the server had closed while idle: reconnect once.
                    # A fresh connection that drops is not retried here, since the server
                    # may have taken the message before it hung up.
                    self._drop()
                    if attempt == 2 or not reused:
                        raise MailError(f"{self.where}: the server hung up: {exc}") from exc
                    continue
                except aiosmtplib.SMTPResponseException as exc:
                    await self._reset()
                    raise MailError(
                        f"{self.where} did not take the message: {exc.code} {exc.message}",
                        permanent=500 <= exc.code < 600,
                    ) from exc
                except SMTP_ERRORS as exc:
                    self._drop()
                    raise MailError(f"{self.where}: sending failed: {reason(exc)}") from exc
                accepted = ", ".join(mask_address(a) for a in delivery.accepted)
                LOGGER.debug("sent to %s: %s", accepted, delivery.data)
                return delivery
        raise AssertionError("unreachable")  # pragma: no cover

    async def _connection(self) -> aiosmtplib.SMTP:
        if self._client is not None and self._client.is_connected:
            return self._client
        smtp = self.settings
        try:
            self._client, _greeting = await open_smtp(smtp)
        except aiosmtplib.SMTPAuthenticationError as exc:
            raise MailError(
                f"{self.where}: login as {smtp.username} refused: {exc.message} "
                "(check [smtp] username and DIGEST_SMTP_PASSWORD)",
                permanent=True,
            ) from exc
        except SMTP_ERRORS as exc:
            raise MailError(
                f"{self.where}: cannot connect: {reason(exc)} "
                "(is the SMTP server running? try `digest check`)"
            ) from exc
        return self._client

    async def _transaction(
        self, client: aiosmtplib.SMTP, data: bytes, envelope: Envelope, on_wire: Envelope
    ) -> Delivery:
        """MAIL, RCPT for each recipient, DATA; refused recipients do not stop the others.

        *on_wire* is *envelope* as the commands write it (see :meth:`_on_wire`); the
        replies are keyed by *envelope*'s own addresses.
        """
        mail_from, wire = on_wire.mail_from, on_wire.recipients
        options = [f"size={_wire_size(data)}"] if client.supports_extension("size") else []
        encoding = "ascii"
        if not all(address.isascii() for address in (mail_from, *wire)):
            if not client.supports_extension("smtputf8"):
                odd = [a for a in (mail_from, *wire) if not a.isascii()]
                raise MailError(
                    f"{self.where}: {odd[0]}: an address with non-ASCII characters before the "
                    "@-sign needs SMTPUTF8, which this server does not offer",
                    permanent=True,
                )
            options.append("SMTPUTF8")
            encoding = "utf-8"
        await client.mail(mail_from, options=options, encoding=encoding)
        replies: dict[str, Reply] = {}
        for address, written in zip(envelope.recipients, wire, strict=True):
            try:
                answer = await client.rcpt(written, encoding=encoding)
            except aiosmtplib.SMTPRecipientRefused as exc:
                replies[address] = Reply(exc.code, exc.message)
            else:
                replies[address] = Reply(answer.code, answer.message)
        if not any(reply.positive for reply in replies.values()):
            await self._reset()
            raise _refused(self.where, replies)
        answer = await client.data(data)
        return Delivery(replies, Reply(answer.code, answer.message))

    def _on_wire(self, envelope: Envelope) -> Envelope:
        """*envelope* as MAIL FROM and RCPT TO write it, domains in ASCII; or MailError."""
        written: list[str] = []
        for address in (envelope.mail_from, *envelope.recipients):
            try:
                wire = ascii_address(address)
                # aiosmtplib writes what parseaddr finds in the text: it must be all of it.
                usable = parse_address(wire) == wire
            except (AddressError, ValueError):
                usable = False
            if not usable:
                raise MailError(
                    f"{self.where}: cannot be used in an envelope: {address!r}", permanent=True
                )
            written.append(wire)
        return Envelope(mail_from=written[0], recipients=tuple(written[1:]))

    async def _reset(self) -> None:
        """Make the connection usable for the next message after a refused one."""
        client = self._client
        if client is None:
            return
        try:
            await client.rset()
        except SMTP_ERRORS:
            self._drop()

    def _drop(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.close()


def _refused(where: str, replies: dict[str, Reply]) -> MailError:
    """Every recipient refused: permanent only if every refusal was."""
    reasons = "; ".join(f"{address}: {reply}" for address, reply in replies.items())
    permanent = all(500 <= reply.code < 600 for reply in replies.values())
    return MailError(f"{where} refused {reasons}", permanent=permanent)


def _wire_size(data: bytes) -> int:
    """Octets of *data* as DATA sends it: CRLF line ends, ending with one (RFC 1870)."""
    size = len(_LONE_LINE_END.sub(b"\r\n", data))
    return size if data.endswith((b"\r\n", b"\n", b"\r")) else size + 2


__all__ = ["SMTP_ERRORS", "SmtpSender", "close_smtp", "open_smtp", "reason"]
