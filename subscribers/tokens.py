"""Signed, purpose-bound tokens for the links in confirmation, welcome and digest mails.

A token is ``<payload>.<signature>``, both URL-safe base64 without padding.
The payload holds a format version, the purpose, the subscriber's id, the
subscriber's token stamp, and the times of issue and expiry; the signature is
an HMAC-SHA256 over it with a key derived from the application's secret.  The
address never appears in a token.

The stamp is a random value stored with the subscriber.  It changes when a
person subscribes again after leaving, and disappears with the row when a
person is forgotten, so older links stop working; checking it against the
database is the caller's part (see :meth:`subscribers.service.Audience.token_subscriber`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

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

_VERSION = 1
# version, purpose, subscriber id, issued at, expires at (seconds since the epoch), stamp
_LAYOUT = struct.Struct(">BBQQQ8s")
_SIGNATURE_BYTES = 32
STAMP_HEX_CHARS = 16


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


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    if not text or len(text) % 4 == 1:
        raise ValueError("bad base64 length")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenSigner:
    """Issues and verifies tokens with one secret.

    ``lifetimes`` overrides how long each purpose's tokens stay valid (unsubscribe
    links at least :data:`MIN_UNSUBSCRIBE_LIFETIME`).
    """

    def __init__(
        self, secret: str | bytes, *, lifetimes: Mapping[Purpose, timedelta] | None = None
    ) -> None:
        raw = secret.encode("utf-8") if isinstance(secret, str) else secret
        if not raw:
            raise ValueError("the secret key for signing links is empty")
        # A key of its own, so the secret's other uses never produce a valid token.
        self._key = hmac.new(raw, b"subscribers.tokens.v1", hashlib.sha256).digest()
        self.lifetimes: dict[Purpose, timedelta] = {**DEFAULT_LIFETIMES, **(lifetimes or {})}
        if self.lifetimes["unsubscribe"] < MIN_UNSUBSCRIBE_LIFETIME:
            raise ValueError(
                "unsubscribe links must keep working for at least "
                f"{MIN_UNSUBSCRIBE_LIFETIME.days} days, got {self.lifetimes['unsubscribe']}"
            )

    def _sign(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()

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
        stamp_bytes = bytes.fromhex(stamp)
        issued = int(now.timestamp())
        expires = issued + int((lifetime or self.lifetimes[purpose]).total_seconds())
        payload = _LAYOUT.pack(
            _VERSION, PURPOSES.index(purpose), subscriber_id, issued, expires, stamp_bytes
        )
        return f"{_b64encode(payload)}.{_b64encode(self._sign(payload))}"

    def verify(self, token: str, purpose: Purpose, *, now: datetime) -> TokenClaims:
        """The claims of a genuine, unexpired token made for ``purpose``.

        Raises :class:`TokenInvalid` for anything malformed or not signed with
        this secret, :class:`TokenWrongPurpose` and :class:`TokenExpired`.
        """
        head, dot, tail = token.partition(".")
        try:
            payload = _b64decode(head)
            signature = _b64decode(tail)
        except (ValueError, binascii.Error) as exc:
            raise TokenInvalid("the link is incomplete or has been changed") from exc
        if not dot or len(signature) != _SIGNATURE_BYTES or len(payload) != _LAYOUT.size:
            raise TokenInvalid("the link is incomplete or has been changed")
        if not hmac.compare_digest(signature, self._sign(payload)):
            raise TokenInvalid("the link is incomplete or has been changed")
        version, purpose_code, subscriber_id, issued, expires, stamp = _LAYOUT.unpack(payload)
        if version != _VERSION or purpose_code >= len(PURPOSES):
            raise TokenInvalid("the link was made by an incompatible version")
        found = PURPOSES[purpose_code]
        if found != purpose:
            raise TokenWrongPurpose(f"this is a {found} link, not a {purpose} link")
        expires_at = datetime.fromtimestamp(expires, UTC)
        if now >= expires_at:
            raise TokenExpired(f"the link expired on {expires_at:%Y-%m-%d %H:%M} UTC")
        return TokenClaims(
            purpose=found,
            subscriber_id=subscriber_id,
            stamp=stamp.hex(),
            issued_at=datetime.fromtimestamp(issued, UTC),
            expires_at=expires_at,
        )
