"""The last look at a message before it leaves: its bytes parsed back, compared with what was set.

Python's header folding before 3.11.9 and 3.12.5 can write a header that
breaks into several (CVE-2024-6923), and this program runs on such versions;
names are checked when they come in (:mod:`subscribers.names`), and this is
the second line: whatever a message object holds, the bytes handed to SMTP
must say the same.  :func:`checked_bytes` serialises a message and requires,
of the bytes parsed back:

* exactly the top-level header names that were set, in order, each as often
  as it was set: no extra ``Bcc`` or ``Reply-To``, no header block ending
  early (which would make the rest the attacker's body);
* for ``From``, ``Sender``, ``Reply-To``, ``To``, ``Cc`` and ``Bcc``, exactly
  the addresses that were set, read by two parsers: :func:`email.utils.getaddresses`
  on the raw value (as a mail server reads it, encoded words left alone) and
  the ``email.policy.default`` address parser (as a mail client reads it,
  encoded words decoded);
* an envelope whose every recipient is one plain address, none twice.

The bytes are parsed with the ``compat32`` policy, header block only: it
keeps the header names and values exactly as they are on the wire and
interprets nothing, so a header that the folding split in two shows up as
two.  Otherwise the message is not sent: :class:`UnsafeMessage`, a permanent
:class:`~digest.mail.sender.MailError`, and one ERROR line naming the header
problem, with addresses masked.  Hand-written because no library checks a
serialised message against its intent; the parsing is the standard
library's.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Sequence
from email import errors, policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses

from digest.mail.message import message_bytes
from digest.mail.sender import MailError
from subscribers.addresses import mask_address

LOGGER = logging.getLogger(__name__)

ADDRESS_HEADERS = ("from", "sender", "reply-to", "to", "cc", "bcc")
_PARSER = BytesParser(policy=policy.compat32)
_UNFOLD = re.compile(r"\r?\n(?=[ \t])")  # RFC 5322 unfolding: a line break before white space
# A line in the header block that is no header: the rest is read as the body.
_BROKEN_BLOCK = (errors.MissingHeaderBodySeparatorDefect, errors.MisplacedEnvelopeHeaderDefect)


class UnsafeMessage(MailError):
    """The serialised message is not the message that was built: it is not sent."""

    def __init__(self, problem: str) -> None:
        super().__init__(f"message not sent: {problem}", permanent=True)
        self.problem = problem


def _shown(addresses: Sequence[str]) -> str:
    return ", ".join(mask_address(address) for address in addresses) or "none"


def _wire_text(value: str) -> str:
    """A raw header value as text: 8-bit bytes (kept as surrogates by the parser) as UTF-8."""
    return value.encode("ascii", "surrogateescape").decode("utf-8", "replace")


def intended(message: Message, name: str) -> list[str]:
    """The addr-specs the header *name* of *message* was set to (every occurrence)."""
    found: list[str] = []
    for value in message.get_all(name, []):
        addresses = getattr(value, "addresses", None)  # a parsed header: its Address objects
        if addresses is not None:
            found += [address.addr_spec for address in addresses if address.username]
        else:  # a compat32 message: plain strings
            found += [spec for _name, spec in getaddresses([str(value)]) if spec]
    return found


def _read_back(raw: list[str], name: str) -> tuple[list[str], list[str] | None]:
    """The addr-specs of a header's raw values, by the server's and by the client's parser.

    The client's is None when it cannot read them at all.
    """
    plain = [spec for _name, spec in getaddresses(raw) if spec]
    modern: list[str] = []
    for value in raw:
        try:
            header = policy.default.header_factory(name, _UNFOLD.sub("", value))
        except (ValueError, IndexError, TypeError):  # the parser's Address refuses a part
            return plain, None
        modern += [a.addr_spec for a in getattr(header, "addresses", ()) if a.username]
    return plain, modern


def _names_problem(set_names: list[str], wire_names: list[str]) -> str | None:
    if set_names == wire_names:
        return None
    want = Counter(name.lower() for name in set_names)
    got = Counter(name.lower() for name in wire_names)
    spelled = {name.lower(): name for name in [*set_names, *wire_names]}
    for key in got:
        if key not in want:
            return f"header {spelled[key]} is in the bytes but was never set"
    for key, count in want.items():
        if got[key] != count:
            return f"header {spelled[key]} was set {count} time(s) but is in the bytes {got[key]}"
    return "the headers are not in the order they were set"


def header_problem(data: bytes, message: Message) -> str | None:
    """What differs between *data* (the serialised *message*) and *message*; None if nothing."""
    # The header block is all the parser reads; any line end that ends it early lies before
    # the first CRLF CRLF, so the bytes after that (the body) need not be decoded at all.
    end = data.find(b"\r\n\r\n")
    wire = _PARSER.parsebytes(data if end < 0 else data[: end + 4], headersonly=True)
    if any(isinstance(defect, _BROKEN_BLOCK) for defect in wire.defects):
        return "the header block ends early, at a line that is not a header"
    problem = _names_problem(list(message.keys()), list(wire.keys()))
    if problem is not None:
        return problem
    for name in ADDRESS_HEADERS:
        want = intended(message, name)
        raw = [_wire_text(value) for value in wire.get_all(name, [])]
        for got in _read_back(raw, name):
            if got is None:
                return f"header {name.title()} cannot be read back as addresses"
            if got != want:
                return (
                    f"header {name.title()} holds other addresses in the bytes than were set "
                    f"(set: {_shown(want)}; in the bytes: {_shown(got)})"
                )
    return None


def recipients_problem(recipients: Sequence[str]) -> str | None:
    """Why *recipients* is not a list of distinct plain addresses; None if it is."""
    seen: set[str] = set()
    for address in recipients:
        parsed = getaddresses([address])
        plain = len(parsed) == 1 and parsed[0] == ("", address) and address.count("@") >= 1
        if not plain or any(ch.isspace() or ch in "<>," for ch in address):
            return f"envelope recipient {mask_address(address)!r} is not one plain address"
        key = address.lower()
        if key in seen:
            return f"envelope recipient {mask_address(address)} is there twice"
        seen.add(key)
    return None


def checked_bytes(message: EmailMessage | Message, recipients: Sequence[str]) -> bytes:
    """*message* as it is sent (:func:`~digest.mail.message.message_bytes`), checked.

    *recipients* is the envelope's ``RCPT TO`` list.  Raises :class:`UnsafeMessage`
    (and logs the problem) when the bytes do not say what *message* does.
    """
    data = message_bytes(message)  # type: ignore[arg-type]  # a compat32 Message works too
    problem = recipients_problem(recipients) or header_problem(data, message)
    if problem is not None:
        LOGGER.error("message not sent: %s", problem)
        raise UnsafeMessage(problem)
    return data


__all__ = [
    "ADDRESS_HEADERS",
    "UnsafeMessage",
    "checked_bytes",
    "header_problem",
    "intended",
    "recipients_problem",
]
