"""Display names: what a person may be called in the ``To`` header and the greeting.

:func:`check_name` is the one check for every way a name comes in (the
sign-up form, ``digest subscribe --name``, a CSV import); :func:`display_name`
applies it again when a mail is made, so a name stored before this check
existed is left out of the mail (address only) rather than sent.

A name is at most :data:`NAME_MAX` characters of printable text on one line:
control and format characters (NUL, CR, LF, tab, U+0085, U+2028/U+2029,
bidirectional overrides, ...) are refused, except the zero-width joiner and
non-joiner (U+200C, U+200D) that some scripts and emoji need.  Other spaces
(a no-break space) become plain spaces, runs of them one, and the text is
NFC-normalised.

An RFC 2047 encoded word (``=?utf-8?q?...?=``) is *decoded first, then
checked*, and the decoded text is what is stored: a name pasted from a raw
mail header still works, while one that decodes to a line break (the
CVE-2024-6923 payload ``=?utf-8?q?x=0D=0ABcc:...?=``, which Python's header
folding before 3.11.9 writes out as real header lines) is refused for what
it decodes to.  The stored name never contains ``=?`` at all (decoded text
that still does, or one that does not decode, is refused), so nothing in it
can be decoded again when the header is written.  Decoding uses the standard
library's :func:`email.header.decode_header`; only the decoding, whose
result is checked here, not its header writing, which is what the CVE is in.
"""

from __future__ import annotations

import unicodedata
from email.errors import HeaderParseError
from email.header import decode_header, make_header

from .views import PreferenceError

NAME_MAX = 100  # characters
_REFUSED = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})
_JOINERS = frozenset({"\u200c", "\u200d"})  # ZWNJ, ZWJ: part of some scripts and emoji
_ENCODED = "=?"


class NameRefused(PreferenceError):
    """A name that cannot be used; the message starts with ``name:`` and says why."""

    def __init__(self, reason: str) -> None:
        super().__init__("name", f"name: {reason}")


def _problem(text: str) -> str | None:
    """What makes *text* unusable as a name, as the end of a sentence; None if nothing."""
    for position, char in enumerate(text, 1):
        if unicodedata.category(char) in _REFUSED and char not in _JOINERS:
            what = "a line break" if char in "\r\n\x85\u2028\u2029" else "a control character"
            return f"{what} (U+{ord(char):04X}, character {position}), which a name cannot have"
    if len(text) > NAME_MAX:
        return f"{len(text)} characters; a name has at most {NAME_MAX}"
    return None


def _tidy(text: str) -> str:
    """Every kind of space a plain one, runs of them one, none at the ends; NFC."""
    spaced = "".join(" " if unicodedata.category(c) == "Zs" else c for c in text)
    return unicodedata.normalize("NFC", " ".join(part for part in spaced.split(" ") if part))


def _decoded(text: str) -> str:
    """*text* with its RFC 2047 encoded words decoded, or :class:`NameRefused`."""
    try:
        decoded = str(make_header(decode_header(text)))
    except (HeaderParseError, LookupError, ValueError) as exc:  # unknown charset, bad bytes
        raise NameRefused(f"has an encoded word (=?...?=) that does not decode ({exc})") from exc
    if _ENCODED in decoded:
        raise NameRefused(
            'has "=?", the start of an encoded word (RFC 2047), that does not decode to plain '
            "text; please type the name itself"
        )
    return decoded


def check_name(text: str | None) -> str:
    """The name to store for *text*: tidied, encoded words decoded; or :class:`NameRefused`."""
    name = _tidy(text or "")
    problem = _problem(name)
    if problem is not None:
        raise NameRefused(f"has {problem}")
    if _ENCODED not in name:
        return name
    decoded = _tidy(_decoded(name))
    problem = _problem(decoded)
    if problem is not None:
        raise NameRefused(f"its encoded word (=?...?=) decodes to text with {problem}")
    return decoded


def display_name(stored: str) -> str:
    """The name a mail may carry for a stored *stored* name: checked again, "" if refused."""
    try:
        return check_name(stored)
    except NameRefused:
        return ""


__all__ = ["NAME_MAX", "NameRefused", "check_name", "display_name"]
