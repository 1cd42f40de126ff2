"""A real SMTP server (aiosmtpd) on a free loopback port, for tests.

It records every envelope it accepts. A test injects faults by programming the
server's answers (``rcpt_reply``, ``data_reply``) or by making it hang up,
never by mocking the client.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from types import TracebackType
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    content: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class _Handler:
    received: list[Received] = field(default_factory=list)
    # Called with the recipient address; return an SMTP reply to refuse it, or None.
    rcpt_reply: Callable[[str], str | None] = lambda address: None
    # Called with the envelope; return the reply to DATA (default: accepted).
    data_reply: Callable[[Any], str] = lambda envelope: "250 2.0.0 OK queued"
    hang_up_on_data: bool = False

    async def handle_RCPT(  # aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        refusal = self.rcpt_reply(address)
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.hang_up_on_data:
            server.transport.close()
            return "421 closing"
        reply = self.data_reply(envelope)
        if reply.startswith("250"):
            self.received.append(
                Received(envelope.mail_from, tuple(envelope.rcpt_tos), bytes(envelope.content))
            )
        return reply


class SMTPServer:
    """``with SMTPServer() as smtpd:`` a running aiosmtpd on 127.0.0.1:``smtpd.port``."""

    def __init__(self) -> None:
        self.handler = _Handler()
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    @property
    def config(self) -> str:
        """The ``[smtp]`` table of a config file that points at this server."""
        return f'[smtp]\nhost = "127.0.0.1"\nport = {self.port}\ntimeout = 5\n'

    def start(self) -> SMTPServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def __enter__(self) -> SMTPServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
