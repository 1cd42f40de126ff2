"""Signed, purpose-bound tokens for the links in confirmation, welcome and digest mails.

A token is ``<payload>.<signature>``, both URL-safe base64 without padding, so
it fits a link and a ``List-Unsubscribe`` header as it is.  The payload packs a
format version, the subscriber's id, the subscriber's token stamp, and the
times of issue and expiry (33 bytes); the address never appears in a token.

Signing is itsdangerous's :class:`~itsdangerous.Signer`: HMAC-SHA256 with a key
derived (``hmac``) from the application's secret and a salt of the token's
purpose, and a constant-time comparison.  A token made for one purpose
therefore never verifies as another; to tell a visitor that a genuine link is
meant for something else, :meth:`TokenSigner.verify` tries the other
purposes' signers once the expected one has refused it.

What stays hand-written, and why:

* The payload is packed with :mod:`struct` rather than given to itsdangerous's
  ``URLSafeSerializer``, whose JSON would make every token about twice as long
  (these links go into mail headers and plain-text mails).
* Expiry is checked here, not with ``TimestampSigner``: that one reads the
  clock itself (``time.time()``) whereas the audience is always told ``now``
  (the web app's clock, the tests' fixed times), it takes the lifetime when
  verifying so a link could not keep the lifetime it was issued with, and it
  adds a third dotted part to every token.

Links from before this module used itsdangerous (format version 1, one key for
every purpose) do not verify and are refused as invalid.

The stamp is a random value stored with the subscriber.  It changes when a
person subscribes again after leaving, and disappears with the row when a
person is forgotten, so older links stop working; checking it against the
database is the caller's part (see :meth:`subscribers.service.Audience.token_subscriber`).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from itsdangerous import BadData, BadSignature, Signer
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

_VERSION = 2
# version, subscriber id, issued at, expires at (seconds since the epoch), stamp
_LAYOUT = struct.Struct(">BQQQ8s")
STAMP_HEX_CHARS = 16
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
    """What a verified token says."""

    purpose: Purpose
    subscriber_id: int
    stamp: str
    issued_at: datetime
    expires_at: datetime


def new_stamp() -> str:
    """A fresh random token stamp for a subscriber (16 hex characters)."""
    return secrets.token_hex(STAMP_HEX_CHARS // 2)


def sha256_signer(secret: str | bytes, salt: str) -> Signer:
    """itsdangerous's signer with SHA-256 and a key of the salt's own (for tokens and CSRF)."""
    return Signer(secret, salt=salt, key_derivation="hmac", digest_method=hashlib.sha256)


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
        subscriber_id: int,
        *,
        stamp: str,
        now: datetime,
        lifetime: timedelta | None = None,
    ) -> str:
        """A token for one purpose and subscriber, valid from ``now`` for its lifetime."""
        if purpose not in PURPOSES:
            raise ValueError(f"unknown token purpose {purpose!r} (expected one of {PURPOSES})")
        if not re.fullmatch(f"[0-9a-f]{{{STAMP_HEX_CHARS}}}", stamp):
            raise ValueError(f"a token stamp is {STAMP_HEX_CHARS} hex digits, got {stamp!r}")
        issued = int(now.timestamp())
        expires = issued + int((lifetime or self.lifetimes[purpose]).total_seconds())
        payload = _LAYOUT.pack(_VERSION, subscriber_id, issued, expires, bytes.fromhex(stamp))
        return self._signers[purpose].sign(base64_encode(payload)).decode("ascii")

    def verify(self, token: str, purpose: Purpose, *, now: datetime) -> TokenClaims:
        """The claims of a genuine, unexpired token made for ``purpose``.

        Raises :class:`TokenInvalid` for anything malformed or not signed with
        this secret, :class:`TokenWrongPurpose` and :class:`TokenExpired`.
        """
        try:
            encoded = self._signers[purpose].unsign(token)
        except BadSignature as exc:
            for other in PURPOSES:
                if other != purpose and self._signers[other].validate(token):
                    raise TokenWrongPurpose(
                        f"this is a {other} link, not a {purpose} link"
                    ) from exc
            raise TokenInvalid(_CHANGED) from exc
        try:
            payload = base64_decode(encoded)
        except BadData as exc:  # pragma: no cover - only a signed token gets here
            raise TokenInvalid(_CHANGED) from exc
        if len(payload) != _LAYOUT.size or payload[0] != _VERSION:
            raise TokenInvalid("the link was made by an incompatible version")
        _version, subscriber_id, issued, expires, stamp = _LAYOUT.unpack(payload)
        expires_at = datetime.fromtimestamp(expires, UTC)
        if now >= expires_at:
            raise TokenExpired(f"the link expired on {expires_at:%Y-%m-%d %H:%M} UTC")
        return TokenClaims(
            purpose=purpose,
            subscriber_id=subscriber_id,
            stamp=stamp.hex(),
            issued_at=datetime.fromtimestamp(issued, UTC),
            expires_at=expires_at,
        )
