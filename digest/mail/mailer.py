"""Hand finished messages to the SMTP server named by ``[smtp]``.

One :class:`Mailer` keeps one connection open and reuses it for the messages it
sends, reconnecting when the server closed it. The envelope sender is the
newsletter's address; the recipients are the message's ``To``.  Every failure
becomes a :class:`MailError` naming ``host:port`` and whether the server
refused the message for good (5xx) or for now (4xx, network), so callers can
retry the temporary ones and never the permanent ones.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import getaddresses
from types import TracebackType

import aiosmtplib

from digest.config import SmtpSettings
from digest.errors import DigestError
from digest.mail.message import message_bytes

LOGGER = logging.getLogger(__name__)


class MailError(DigestError):
    """The SMTP server did not take a message."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True, slots=True)
class Sent:
    recipients: tuple[str, ...]
    response: str  # the server's answer to the end of DATA, e.g. "250 OK queued as 1A2B"


def _recipients(message: EmailMessage) -> list[str]:
    return [address for _name, address in getaddresses(message.get_all("To", [])) if address]


class Mailer:
    """An SMTP client for ``[smtp]``; use as ``async with Mailer(settings) as mailer``."""

    def __init__(self, settings: SmtpSettings, *, sender: str) -> None:
        self.settings = settings
        self.sender = sender
        self._client: aiosmtplib.SMTP | None = None

    @property
    def where(self) -> str:
        return f"{self.settings.host}:{self.settings.port}"

    async def __aenter__(self) -> Mailer:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None and client.is_connected:
            try:
                await client.quit()
            except (aiosmtplib.SMTPException, OSError):
                client.close()

    async def _connect(self) -> aiosmtplib.SMTP:
        if self._client is not None and self._client.is_connected:
            return self._client
        smtp = self.settings
        client = aiosmtplib.SMTP(
            hostname=smtp.host,
            port=smtp.port,
            use_tls=smtp.security == "tls",
            start_tls=smtp.security == "starttls",
            timeout=smtp.timeout,
        )
        try:
            await client.connect()
            if smtp.username:
                await client.login(smtp.username, smtp.password)
        except aiosmtplib.SMTPAuthenticationError as exc:
            client.close()
            raise MailError(
                f"{self.where}: login as {smtp.username} refused: {exc.message} "
                "(check [smtp] username and DIGEST_SMTP_PASSWORD)",
                permanent=True,
            ) from exc
        except (aiosmtplib.SMTPException, OSError) as exc:
            client.close()
            raise MailError(
                f"{self.where}: cannot connect: {_reason(exc)} "
                "(is the SMTP server running? try `digest check`)"
            ) from exc
        self._client = client
        return client

    async def send(self, message: EmailMessage) -> Sent:
        """Send *message* to its ``To`` recipients; raise :class:`MailError` if not taken."""
        recipients = _recipients(message)
        if not recipients:
            raise MailError("the message has no recipient", permanent=True)
        # The exact bytes build_message prepared (pre-encoded parts), not a re-flattening.
        data = message_bytes(message)
        for attempt in (1, 2):
            reused = self._client is not None and self._client.is_connected
            client = await self._connect()
            try:
                _refused, response = await client.sendmail(self.sender, recipients, data)
            except aiosmtplib.SMTPServerDisconnected as exc:
                # A reused connection the server had closed while idle: reconnect once.
                # A fresh connection that drops is not retried here, since the server
                # may have taken the message before it hung up.
                self._client = None
                if attempt == 2 or not reused:
                    raise MailError(f"{self.where}: the server hung up: {exc}") from exc
                continue
            except aiosmtplib.SMTPRecipientsRefused as exc:
                codes = [error.code for error in exc.recipients]
                reasons = "; ".join(f"{e.recipient}: {e.code} {e.message}" for e in exc.recipients)
                raise MailError(
                    f"{self.where} refused {reasons}",
                    permanent=all(500 <= code < 600 for code in codes),
                ) from exc
            except aiosmtplib.SMTPResponseException as exc:
                await self._reset()
                raise MailError(
                    f"{self.where} did not take the message: {exc.code} {exc.message}",
                    permanent=500 <= exc.code < 600,
                ) from exc
            except (aiosmtplib.SMTPException, OSError) as exc:
                self._client = None
                raise MailError(f"{self.where}: sending failed: {_reason(exc)}") from exc
            LOGGER.debug("sent to %s: %s", ", ".join(recipients), response)
            return Sent(tuple(recipients), response)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _reset(self) -> None:
        """Make the connection usable for the next message after a refused one."""
        client = self._client
        if client is None:
            return
        try:
            await client.rset()
        except (aiosmtplib.SMTPException, OSError):
            client.close()
            self._client = None


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


__all__ = ["MailError", "Mailer", "Sent"]
