"""Rendered output split at the personal values, so it is shared between recipients.

The digest template is rendered with *placeholders* where a recipient's own
values go (name, address, the unsubscribe, preferences and web-version links).
A :class:`Skeleton` keeps that output cut at the placeholders: filling in one
recipient's values is one ``"".join``, its size is known without filling, and
the quoted-printable encoding of the shared pieces is done once, so only the
personal values are encoded per recipient.
"""

from __future__ import annotations

import binascii
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass


def quoted_printable(text: str) -> str:
    """*text* as UTF-8, quoted-printable (the encoding of both parts of an email)."""
    return binascii.b2a_qp(text.encode("utf-8"), istext=True).decode("ascii")


def _soft_break(encoded: str) -> str:
    """End an encoded piece with a soft line break so the next starts a fresh line."""
    return encoded if not encoded or encoded.endswith("\n") else encoded + "=\n"


class Placeholders:
    """The markers put into a rendering where personal values go.

    Each renderer draws its own random prefix, so no text of a story can pass for one.
    """

    __slots__ = ("_pattern", "prefix")

    def __init__(self) -> None:
        self.prefix = f"@@dg{secrets.token_hex(6)}:"
        self._pattern = re.compile(re.escape(self.prefix) + r"([a-z_]+)@@")

    def __call__(self, name: str) -> str:
        """The placeholder for the personal value *name*."""
        return f"{self.prefix}{name}@@"

    def split(self, rendered: str) -> Skeleton:
        """*rendered* cut at its placeholders."""
        return Skeleton(rendered, self._pattern)


class Skeleton:
    """Rendered output with named slots: even pieces are shared text, odd ones slot names."""

    __slots__ = ("_qp_pieces", "literal_bytes", "occurrences", "pieces", "slots")

    def __init__(self, rendered: str, pattern: re.Pattern[str]) -> None:
        self.pieces = pattern.split(rendered)
        self.slots = [(i, self.pieces[i]) for i in range(1, len(self.pieces), 2)]
        self.literal_bytes = sum(
            len(self.pieces[i].encode("utf-8")) for i in range(0, len(self.pieces), 2)
        )
        self.occurrences: dict[str, int] = {}
        for _i, name in self.slots:
            self.occurrences[name] = self.occurrences.get(name, 0) + 1
        self._qp_pieces: list[str] | None = None

    def size(self, values: Mapping[str, str]) -> int:
        """Bytes of the output once *values* are filled in."""
        return self.estimate({name: len(value.encode("utf-8")) for name, value in values.items()})

    def estimate(self, lengths: Mapping[str, int]) -> int:
        """Bytes of the output with values of the given lengths in bytes."""
        return self.literal_bytes + sum(
            count * lengths[name] for name, count in self.occurrences.items()
        )

    def fill(self, values: Mapping[str, str]) -> str:
        out = self.pieces.copy()
        for i, name in self.slots:
            out[i] = values[name]
        return "".join(out)

    def quoted_printable(self, values: Mapping[str, str]) -> str:
        pieces = self._qp_pieces
        if pieces is None:  # encoded once, on first use; a race only repeats the work
            pieces = [
                _soft_break(quoted_printable(p)) if i % 2 == 0 else ""
                for i, p in enumerate(self.pieces)
            ]
            self._qp_pieces = pieces
        out = pieces.copy()
        encoded = {name: _soft_break(quoted_printable(value)) for name, value in values.items()}
        for i, name in self.slots:
            out[i] = encoded[name]
        return "".join(out)


@dataclass(frozen=True, slots=True)
class Filled:
    """A skeleton with one recipient's values: encodes to the part's quoted-printable body."""

    skeleton: Skeleton
    values: Mapping[str, str]

    def quoted_printable(self) -> str:
        return self.skeleton.quoted_printable(self.values)


__all__ = ["Filled", "Placeholders", "Skeleton", "quoted_printable"]
