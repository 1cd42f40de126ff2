"""Signed, purpose-bound tokens for the links in confirmation, welcome and digest mails.

A token is ``<payload>.<signature>``, both URL-safe base64 without padding, so
it fits a link and a ``List-Unsubscribe`` header as it is.  The payload packs a
format version, the subscriber's random public id (never the sequential
database id, which would tell how many people subscribed and in which order),
the subscriber's token stamp, and the times of issue and expiry (33 bytes, 44
characters); the address never appears in a token.

Signing is itsdangerous's :class:`~itsdangerous.Signer`: HMAC-SHA256 with a key
derived (``hmac``) from the application's secret and a salt of the token's
purpose, and a constant-time comparison.  A token made for one purpose
therefore never verifies as another; to tell a visitor that a genuine link is
meant for something else, :meth:`TokenSigner.verify` tries the other
purposes' signers once the expected one has refused it.

A token has exactly one spelling.  itsdangerous decodes leniently: it drops
characters outside the base64 alphabet, adds missing padding, and the last
character of a base64 string carries bits that decoding ignores, so several
strings decode to the same signed bytes.  :meth:`TokenSigner.verify` therefore
re-encodes what it verified and accepts only the string it would have issued
itself (compared in constant time).

What stays hand-written, and why:

* The payload is packed with :mod:`struct` rather than given to itsdangerous's
  ``URLSafeSerializer``, whose JSON would make every token about twice as long
  (these links go into mail headers and plain-text mails).
* Expiry is checked here, not with ``TimestampSigner``: that one reads the
  clock itself (``time.time()``) whereas the audience is always told ``now``
  (the web app's clock, the tests' fixed times), it takes the lifetime when
  verifying so a link could not keep the lifetime it was issued with, and it
  adds a third dotted part to every token.
* The one-spelling check: itsdangerous has no strict mode.

Format versions: 3 (issued now) carries the public id; 2 carried the database
id and is still accepted until the last such link expires (at most the
longest configured lifetime after the upgrade that introduced version 3;
:attr:`TokenClaims.legacy_id` is then set instead of ``public_id``).  Version 1
(from before itsdangerous, one key for every purpose) does not verify and is
refused as invalid.

The stamp is a random value stored with the subscriber.  It changes when a
person subscribes again after leaving, and disappears with the row when a
person is forgotten, so older links stop working; checking it against the
database is the caller's part (see :meth:`subscribers.core.AudienceCore.by_token`
and :meth:`subscribers.service.Audience.token_subscriber`).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from itsdangerous import BadData, Signer
from itsdangerous.encoding import base64_decode, base64_encode

Purpose = Literal["confirm", "unsubscribe", "preferences"]
PURPOSES: tuple[Purpose, ...] = ("confirm", "unsubscribe", "preferences")

DEFAULT_LIFETIMES: Mapping[Purpose, timedelta] = {
    "confirm": timedelta(days=7),
    # Digest mails carry these; they must outlive any reasonable gap between sends.
    "unsubscribe": timedelta(days=180),
    "preferences": timedelta(days=90),
}

# Digest mails carry unsubscribe links; they must work this long after a send at least.
MIN_UNSUBSCRIBE_LIFETIME = timedelta(days=60)

_VERSION = 3
# version, public id, issued at, expires at (seconds since the epoch, to 2106), stamp
_LAYOUT = struct.Struct(">B16sII8s")
# Version 2, issued before public ids: version, database id, issued at, expires at, stamp.
_LEGACY_VERSION = 2
_LEGACY_LAYOUT = struct.Struct(">BQQQ8s")
STAMP_HEX_CHARS = 16
PUBLIC_ID_HEX_CHARS = 32
# What a token can be made of at all: two parts of the URL-safe alphabet, nothing else.
_SHAPE = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
_CHANGED = "the link is incomplete or has been changed"


class TokenError(ValueError):
    """A link's token cannot be used; ``reason`` is a short word for logs and pages."""

    reason = "invalid"


class TokenInvalid(TokenError):
    """The token is malformed or its signature does not match: tampered or truncated."""

    reason = "invalid"


class TokenExpired(TokenError):
    """The token was genuine but its time is up."""

    reason = "expired"


class TokenWrongPurpose(TokenError):
    """A genuine token made for another action (a confirm token used to unsubscribe)."""

    reason = "wrong_purpose"


class TokenRevoked(TokenError):
    """A genuine token for a subscriber who is gone or has subscribed again since."""

    reason = "revoked"


@dataclass(frozen=True, slots=True)
class TokenClaims:
    """What a verified token says.

    It names its subscriber by ``public_id`` (32 hex digits); a version-2 token,
    issued before public ids, by the database id in ``legacy_id`` instead.
    """

    purpose: Purpose
    public_id: str | None
    legacy_id: int | None
    stamp: str
    issued_at: datetime
    expires_at: datetime


def new_stamp() -> str:
    """A fresh random token stamp for a subscriber (16 hex characters)."""
    return secrets.token_hex(STAMP_HEX_CHARS // 2)


def new_public_id() -> str:
    """A fresh random public id for a subscriber (16 random bytes as 32 hex characters)."""
    return secrets.token_hex(PUBLIC_ID_HEX_CHARS // 2)


def sha256_signer(secret: str | bytes, salt: str) -> Signer:
    """itsdangerous's signer with SHA-256 and a key of the salt's own (for tokens and CSRF)."""
    return Signer(secret, salt=salt, key_derivation="hmac", digest_method=hashlib.sha256)


def same_text(given: str, expected: str) -> bool:
    """Whether two strings are the same, compared in constant time (any characters)."""
    return hmac.compare_digest(given.encode("utf-8", "surrogatepass"), expected.encode("utf-8"))


def _hex(value: str, chars: int, what: str) -> bytes:
    if not re.fullmatch(f"[0-9a-f]{{{chars}}}", value):
        raise ValueError(f"a {what} is {chars} lowercase hex digits, got {value!r}")
    return bytes.fromhex(value)


class TokenSigner:
    """Issues and verifies tokens with one secret.

    ``lifetimes`` overrides how long each purpose's tokens stay valid (unsubscribe
    links at least :data:`MIN_UNSUBSCRIBE_LIFETIME`).
    """

    def __init__(
        self, secret: str | bytes, *, lifetimes: Mapping[Purpose, timedelta] | None = None
    ) -> None:
        if not secret:
            raise ValueError("the secret key for signing links is empty")
        # A key of each purpose's own, so the secret's other uses never produce a valid token.
        self._signers = {
            purpose: sha256_signer(secret, f"subscribers.tokens.{purpose}") for purpose in PURPOSES
        }
        self.lifetimes: dict[Purpose, timedelta] = {**DEFAULT_LIFETIMES, **(lifetimes or {})}
        if self.lifetimes["unsubscribe"] < MIN_UNSUBSCRIBE_LIFETIME:
            raise ValueError(
                "unsubscribe links must keep working for at least "
                f"{MIN_UNSUBSCRIBE_LIFETIME.days} days, got {self.lifetimes['unsubscribe']}"
            )

    def issue(
        self,
        purpose: Purpose,
        public_id: str,
        *,
        stamp: str,
        now: datetime,
        lifetime: timedelta | None = None,
    ) -> str:
        """A token for one purpose and subscriber (by public id), valid from ``now``."""
        if purpose not in PURPOSES:
            raise ValueError(f"unknown token purpose {purpose!r} (expected one of {PURPOSES})")
        subscriber = _hex(public_id, PUBLIC_ID_HEX_CHARS, "public id")
        stamp_bytes = _hex(stamp, STAMP_HEX_CHARS, "token stamp")
        issued = int(now.timestamp())
        expires = issued + int((lifetime or self.lifetimes[purpose]).total_seconds())
        if not 0 <= issued <= expires < 2**32:
            raise ValueError(f"a token's times must lie between 1970 and 2106, got {now}")
        payload = _LAYOUT.pack(_VERSION, subscriber, issued, expires, stamp_bytes)
        return self._sign(purpose, payload)

    def _sign(self, purpose: Purpose, payload: bytes) -> str:
        return self._signers[purpose].sign(base64_encode(payload)).decode("ascii")

    def _payload(self, token: str, purpose: Purpose) -> bytes | None:
        """The payload of a token signed for ``purpose`` and spelt exactly as issued, else None."""
        try:
            payload = base64_decode(self._signers[purpose].unsign(token))
        except BadData:
            return None
        # Only the one spelling this signer makes of these bytes (see the module's docstring).
        return payload if same_text(token, self._sign(purpose, payload)) else None

    def verify(self, token: str, purpose: Purpose, *, now: datetime) -> TokenClaims:
        """The claims of a genuine, unexpired token made for ``purpose``.

        Raises :class:`TokenInvalid` for anything malformed, spelt otherwise than
        issued, or not signed with this secret, :class:`TokenWrongPurpose` and
        :class:`TokenExpired`.
        """
        if not _SHAPE.fullmatch(token):
            raise TokenInvalid(_CHANGED)
        payload = self._payload(token, purpose)
        if payload is None:
            for other in PURPOSES:
                if other != purpose and self._payload(token, other) is not None:
                    raise TokenWrongPurpose(f"this is a {other} link, not a {purpose} link")
            raise TokenInvalid(_CHANGED)
        return _claims(purpose, payload, now)


def _claims(purpose: Purpose, payload: bytes, now: datetime) -> TokenClaims:
    """What a genuine payload says, either version; :class:`TokenExpired` when it is over."""
    public_id: str | None = None
    legacy_id: int | None = None
    if len(payload) == _LAYOUT.size and payload[0] == _VERSION:
        _version, subscriber, issued, expires, stamp = _LAYOUT.unpack(payload)
        public_id = subscriber.hex()
    elif len(payload) == _LEGACY_LAYOUT.size and payload[0] == _LEGACY_VERSION:
        _version, legacy_id, issued, expires, stamp = _LEGACY_LAYOUT.unpack(payload)
    else:
        raise TokenInvalid("the link was made by an incompatible version")
    expires_at = datetime.fromtimestamp(expires, UTC)
    if now >= expires_at:
        raise TokenExpired(f"the link expired on {expires_at:%Y-%m-%d %H:%M} UTC")
    return TokenClaims(
        purpose=purpose,
        public_id=public_id,
        legacy_id=legacy_id,
        stamp=stamp.hex(),
        issued_at=datetime.fromtimestamp(issued, UTC),
        expires_at=expires_at,
    )
