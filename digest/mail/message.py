"""Build the MIME message for one rendered email and one recipient.

The message is ``multipart/alternative``: the plain-text part first, then the
HTML (clients show the last part they can display).  Both are UTF-8 and
quoted-printable: nearly all of the text is ASCII, so it stays readable on the
wire and barely grows (base64 would add a third to every message).  The
encoding of the pieces every recipient shares is done once per rendered
content (see :class:`digest.mail.views.RenderedEmail`); per recipient only their
own values and the headers are encoded.

Headers, and why:

* ``From`` and ``To`` are built with :class:`email.headerregistry.Address`,
  never by formatting strings, and any name or address holding a control
  character or line break is refused: otherwise ``"x>\\r\\nBcc: <victim@example.org"``
  adds a recipient.  So is a display name holding ``=?``: Python's header
  folding before 3.11.9 decodes an RFC 2047 encoded word in a name and writes
  what it decodes to, line breaks included, as real header lines
  (CVE-2024-6923).  Names come checked (:func:`subscribers.names.check_name`),
  and :mod:`digest.mail.verify` parses every message back before it is sent.
* An internationalised domain is written in its ASCII (IDNA) form
  (``x@xn--mnchen-3ya.de``): an encoded word cannot stand for a domain.
* ``Message-ID`` is random (128 bits) at the sender's domain.
* ``List-Unsubscribe`` (an https link, optionally a mailto) with
  ``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` (RFC 8058): the
  one-click unsubscribe that Gmail and Yahoo require of bulk senders.  These
  headers are written exactly as given, never folded into encoded words (the
  email package does that to a long token, and receivers then cannot read the
  link).
* ``List-Id`` (RFC 2919) names the list, so receivers and filters can group
  and sort it.
* ``Precedence: bulk`` on list mail.  RFC 2076 calls the header
  non-standard, but vacation responders and many servers still read it to
  avoid answering a newsletter, and no receiver penalises it.
* No ``Auto-Submitted``: RFC 3834 meant it for automatic replies and
  machine notifications; on a newsletter some filters file the mail as a
  system notice, and the List-* headers already tell what it is.

Confirmation and welcome mails are transactional: build them without
``list_id`` and ``unsubscribe_url`` and they carry none of the list headers.
"""

from __future__ import annotations

import email.policy
import functools
import re
import secrets
from datetime import UTC, datetime
from email.header import Header
from email.headerregistry import Address, BaseHeader, HeaderRegistry, UnstructuredHeader
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlsplit

from digest.errors import DigestError
from digest.mail.views import RenderedEmail
from subscribers.addresses import ascii_address

MAX_HEADER_URL = 900  # a header line may hold 998 octets
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_ENCODED_WORD = "=?"
_LIST_ID = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)+$")
_BETWEEN_ITEMS = re.compile(r"(?<=>)\s*,\s*(?=<)")
_URL_UNSAFE = re.compile(r"[\s<>\"',\x00-\x1f\x7f]")


class MessageError(DigestError, ValueError):
    """A header value would be unsafe or invalid (the message names the header)."""


class _Verbatim(UnstructuredHeader, BaseHeader):
    """A header kept and written exactly as given (ASCII), folded only between <...> items."""

    @classmethod
    def parse(cls, value: str, kwds: dict[str, Any]) -> None:
        kwds["parse_tree"] = cls.value_parser(value)
        kwds["decoded"] = value  # not decoded: "=?utf-8?q?...?=" stays as it is

    def fold(self, *, policy: Any) -> str:  # email's policy type is not exported
        items = _BETWEEN_ITEMS.split(str(self))
        return f"{self.name}: " + f",{policy.linesep} ".join(items) + policy.linesep


class _Registry(HeaderRegistry):
    """The standard header classes, plus ours, built once per name instead of per header."""

    def __init__(self) -> None:
        super().__init__()
        self.map_to_type("list-unsubscribe", _Verbatim)
        self.map_to_type("list-id", _Verbatim)
        self._built: dict[str, type[BaseHeader]] = {}

    def __getitem__(self, name: str) -> type[BaseHeader]:
        key = name.lower()
        built = self._built.get(key)
        if built is None:
            built = self._built[key] = super().__getitem__(name)
        return built


POLICY = email.policy.SMTP.clone(header_factory=_Registry())
# One boundary for the process: it only has to be absent from the bodies, and "=_"
# cannot occur in quoted-printable text ("=" is always followed by hex digits or a
# line break there).  Being constant, the Content-Type line is shared too.
BOUNDARY = f"=_{secrets.token_hex(12)}"
_MULTIPART = f'multipart/alternative; boundary="{BOUNDARY}"'
_SHARED_NAMES = frozenset(
    {
        "from",
        "subject",
        "date",
        "list-id",
        "precedence",
        "list-unsubscribe-post",
        "mime-version",
        "content-type",
        "content-transfer-encoding",
    }
)


def _check(value: str, what: str) -> str:
    if _UNSAFE.search(value):
        raise MessageError(f"{what}: control characters or line breaks are not allowed: {value!r}")
    return value


def _check_name(name: str, what: str) -> str:
    _check(name, what)
    if _ENCODED_WORD in name:
        raise MessageError(f"{what}: an encoded word (=?...?=) is not allowed in a name")
    return name


def recipient(address: str, name: str = "") -> Address:
    """An :class:`Address` for *address* (an addr-spec) and display *name*, checked.

    The domain is given in its ASCII form (see the module's notes).
    """
    _check_name(name, "display name")
    _check(address, "address")
    try:
        return Address(display_name=name, addr_spec=ascii_address(address))
    except (ValueError, IndexError) as exc:  # AddressError is a ValueError
        raise MessageError(f"address: not a valid email address: {address!r}") from exc


def _address(value: Address | str, what: str) -> Address:
    if isinstance(value, str):
        return recipient(value)
    _check_name(value.display_name, what)
    for part in (value.username, value.domain):
        _check(part, what)
    if not value.username or not value.domain:
        raise MessageError(f"{what}: expected an address with a domain, got {str(value)!r}")
    if not value.domain.isascii():
        return recipient(value.addr_spec, value.display_name)
    return value


def _header_url(url: str, what: str, schemes: tuple[str, ...]) -> str:
    parts = urlsplit(url)
    if parts.scheme not in schemes or _URL_UNSAFE.search(url) or len(url) > MAX_HEADER_URL:
        raise MessageError(f"{what}: expected a {' or '.join(schemes)} URL, got {url!r}")
    return url


@functools.lru_cache(maxsize=1024)
def _shared(name: str, value: str) -> BaseHeader:
    """A header many messages carry alike (sender, subject, date, MIME lines), parsed once."""
    header: BaseHeader = POLICY.header_factory(name, value)
    return header


@functools.lru_cache(maxsize=1024)
def _shared_folded(name: str, value: str) -> bytes:
    return POLICY.fold_binary(name, _shared(name, value))


def _text_part(subtype: str, encoded: str) -> EmailMessage:
    part = EmailMessage(policy=POLICY)
    part["Content-Type"] = _shared("Content-Type", f'text/{subtype}; charset="utf-8"')
    part["Content-Transfer-Encoding"] = _shared("Content-Transfer-Encoding", "quoted-printable")
    part.set_payload(encoded)
    return part


def build_message(
    rendered: RenderedEmail,
    *,
    sender: Address,
    to: Address | str,
    unsubscribe_url: str | None = None,
    unsubscribe_mailto: str | None = None,
    list_id: str | None = None,
    list_name: str = "",
    message_id: str | None = None,
    date: datetime | None = None,
) -> EmailMessage:
    """The complete message for one recipient, ready for :meth:`digest.mail.mailer.Mailer.send`.

    *list_id* is the list's identifier, a dot-atom such as ``digest.example.org``.
    """
    sender = _address(sender, "From")
    to = _address(to, "To")
    subject = _check(" ".join(rendered.subject.split()), "Subject")
    if message_id is None:
        message_id = f"<{secrets.token_hex(16)}@{sender.domain}>"
    elif not re.fullmatch(r"<[^\s<>@]+@[^\s<>@]+>", message_id):
        raise MessageError(f"Message-ID: expected <local@domain>, got {message_id!r}")

    message = EmailMessage(policy=POLICY)
    message["From"] = _shared("From", str(sender))
    message["To"] = to
    message["Subject"] = _shared("Subject", subject)
    message["Date"] = _shared("Date", format_datetime((date or datetime.now(UTC)).astimezone(UTC)))
    message["Message-ID"] = message_id
    if list_id is not None:
        if not _LIST_ID.match(list_id):
            raise MessageError(f"List-Id: expected a dot-atom like news.example.org: {list_id!r}")
        name = _check(" ".join(list_name.split()), "List-Id")
        if name and not name.isascii():
            name = Header(name, "utf-8").encode().replace("\n ", " ")
        elif name:
            name = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
        message["List-Id"] = _shared("List-Id", f"{name} <{list_id}>" if name else f"<{list_id}>")
        message["Precedence"] = _shared("Precedence", "bulk")
    if unsubscribe_url is not None:
        links = [_header_url(unsubscribe_url, "List-Unsubscribe", ("https", "http"))]
        if unsubscribe_mailto:
            links.append(_header_url(unsubscribe_mailto, "List-Unsubscribe", ("mailto",)))
        message["List-Unsubscribe"] = ", ".join(f"<{link}>" for link in links)
        message["List-Unsubscribe-Post"] = _shared(
            "List-Unsubscribe-Post", "List-Unsubscribe=One-Click"
        )
    message["MIME-Version"] = _shared("MIME-Version", "1.0")
    message["Content-Type"] = _shared("Content-Type", _MULTIPART)
    message.attach(_text_part("plain", rendered.encoded_text()))
    message.attach(_text_part("html", rendered.encoded_html()))
    return message


def message_bytes(message: EmailMessage) -> bytes:
    """The message as sent over SMTP: CRLF line ends, 7-bit clean.

    The bytes are exactly what ``message.as_bytes(policy=POLICY)`` gives, but for
    a message from :func:`build_message` the bodies are written in one piece
    instead of line by line (the email package's generator spends most of the
    time of building a message writing a 50 KB body a line at a time).
    """
    fast = _multipart_bytes(message)
    return fast if fast is not None else message.as_bytes(policy=POLICY)


def _headers(message: EmailMessage) -> bytes:
    return b"".join(
        _shared_folded(name, str(value))
        if name.lower() in _SHARED_NAMES
        else POLICY.fold_binary(name, value)
        for name, value in message.raw_items()
    )


def _multipart_bytes(message: EmailMessage) -> bytes | None:
    """The generator's output for a multipart of ASCII text parts; None for anything else."""
    parts = message.get_payload()
    boundary = message.get_boundary()
    if (
        not isinstance(parts, list)
        or not boundary
        or message.preamble is not None
        or message.epilogue is not None
    ):
        return None
    bodies = []
    for part in parts:
        if not isinstance(part, EmailMessage):
            return None
        payload = part.get_payload()
        if not isinstance(payload, str) or "\r" in payload or not payload.isascii():
            return None
        bodies.append(_headers(part) + b"\r\n" + payload.replace("\n", "\r\n").encode("ascii"))
    separator = f"\r\n--{boundary}\r\n".encode("ascii")
    return b"".join(
        (
            _headers(message),
            b"\r\n--" + boundary.encode("ascii") + b"\r\n",
            separator.join(bodies),
            f"\r\n--{boundary}--\r\n".encode("ascii"),
        )
    )


__all__ = [
    "BOUNDARY",
    "POLICY",
    "MessageError",
    "build_message",
    "message_bytes",
    "recipient",
]
