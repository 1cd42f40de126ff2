"""The error classes of digest.

One base class, :class:`DigestError`; each subclass also inherits the builtin
whose meaning matches, so callers may catch either.  Only the CLI's entry
point turns these into exit codes and one-line messages.  Below the classes, the helpers
that describe a failure in one line (:func:`one_line`, :func:`connect_failure` ...), for
every stage that reports errors from another machine.
"""

from __future__ import annotations

import re
from typing import Literal
from urllib.parse import urlsplit


class DigestError(Exception):
    """Base class of every error digest reports to a user."""

    exit_code = 1


class ConfigError(DigestError, ValueError):
    """The configuration file is missing, unreadable or invalid."""

    exit_code = 2


class StorageError(DigestError, RuntimeError):
    """The database cannot be opened or migrated."""


class FetchError(DigestError, OSError):
    """A source could not be fetched."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class FetchTimeout(FetchError, TimeoutError):
    """A source did not answer within its deadline."""


class TooLarge(FetchError):
    """A response exceeded the configured size cap."""


class ParseError(DigestError, ValueError):
    """A document (feed, page, article file) could not be parsed."""


class RenderError(DigestError, ValueError):
    """A template or the MJML it produced is broken; the message names the file and line."""


# -- describing a failure in one line ---------------------------------------------------------
# Shared by the stages that talk to other machines (gather's fetcher, the LLM client).  Only the
# standard library, and not even socket: digest.content imports this module and must stay free
# of network modules, so a DNS failure is known by its class name.

_CONTROL = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064"
    "\u2066-\u2069\ufeff]"
)
"""Control, zero-width and bidi-override characters: never part of a message."""

_DNS_MARKERS = (
    "name or service not known",
    "temporary failure in name resolution",
    "nodename nor servname",
    "no address associated",
    "getaddrinfo failed",
    "name resolution",
)


def one_line(text: str, limit: int = 160) -> str:
    """*text* as one line for a message: control characters dropped, white space collapsed,
    cut to at most *limit* characters (an ellipsis ends a cut line)."""
    text = " ".join(_CONTROL.sub("", text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def strip_controls(text: str) -> str:
    """*text* without the control, zero-width and bidi-override characters."""
    return _CONTROL.sub("", text)


def redact(message: str, secret: str) -> str:
    """*message* (text a server sent) with *secret* (an API key) replaced by ``***``."""
    return message.replace(secret, "***") if secret else message


def url_host(url: str) -> str:
    """The lower-case host of *url*, with ``:port`` when it has one (*url* if it has none)."""
    parts = urlsplit(url)
    host = (parts.hostname or url).lower()
    return f"{host}:{parts.port}" if parts.port else host


def exception_chain(exc: BaseException) -> list[BaseException]:
    """*exc* and its causes, following ``__cause__`` (else ``__context__``), each once."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def connect_failure(exc: BaseException) -> Literal["refused", "dns", "unreachable"] | None:
    """Why a connection failed, read from *exc*'s chain: the server refused it, the host name
    did not resolve, or the network is unreachable; None when the chain does not say.

    A ``ConnectionRefusedError`` or ``socket.gaierror`` in the chain decides; otherwise the
    words of the chain's messages ("connection refused", "name resolution", "unreachable").
    """
    chain = exception_chain(exc)
    if any(isinstance(e, ConnectionRefusedError) for e in chain):
        return "refused"
    if any(cls.__name__ == "gaierror" for e in chain for cls in type(e).__mro__):
        return "dns"
    text = " ".join(str(e) for e in chain).lower()
    if any(marker in text for marker in _DNS_MARKERS):
        return "dns"
    if "refused" in text:
        return "refused"
    if "unreachable" in text:
        return "unreachable"
    return None
