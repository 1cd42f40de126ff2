"""The error classes of digest.

One base class, :class:`DigestError`; each subclass also inherits the builtin
whose meaning matches, so callers may catch either.  Only the CLI's entry
point turns these into exit codes and one-line messages.
"""

from __future__ import annotations


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
