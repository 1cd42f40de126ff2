"""What keeps the sign-up form from being abused: CSRF values and rate limits.

A visitor gets a random cookie; the forms carry that cookie's signature
(itsdangerous's :class:`~itsdangerous.Signer`, HMAC-SHA256 with a key of its
own, compared in constant time), which another site cannot read or make.
Sign-ups are limited per client address and per email address by in-memory
token buckets.
"""

from __future__ import annotations

import re
import secrets

from starlette.requests import Request
from starlette.responses import Response

from .tokens import sha256_signer
from .web_settings import RateLimit

CSRF_COOKIE = "digest_csrf"
CSRF_FIELD = "csrf_token"
HONEYPOT_FIELD = "website"
_COOKIE_VALUE = re.compile(r"[A-Za-z0-9_-]{32}")


class CsrfGuard:
    """The CSRF cookie and the form value that must match it."""

    def __init__(self, secret: str, *, secure: bool) -> None:
        self._signer = sha256_signer(secret, "subscribers.web.csrf")
        self.secure = secure

    def token(self, cookie: str) -> str:
        """The form value that goes with this cookie."""
        return self._signer.get_signature(cookie).decode("ascii")

    def check(self, request: Request, given: str) -> bool:
        """Whether a form's value matches the visitor's cookie."""
        cookie = request.cookies.get(CSRF_COOKIE, "")
        if not _COOKIE_VALUE.fullmatch(cookie) or not given:
            return False
        return self._signer.verify_signature(cookie, given)

    def cookie(self, request: Request) -> tuple[str, bool]:
        """The visitor's CSRF cookie value, and whether it is new (must be set)."""
        cookie = request.cookies.get(CSRF_COOKIE, "")
        if _COOKIE_VALUE.fullmatch(cookie):
            return cookie, False
        return secrets.token_urlsafe(24), True

    def with_cookie(self, response: Response, cookie: str, new: bool) -> Response:
        if new:
            response.set_cookie(
                CSRF_COOKIE,
                cookie,
                httponly=True,
                samesite="strict",
                secure=self.secure,
                path="/",
            )
        return response


class TokenBucket:
    """In-memory token buckets, one per key (a client address, an email address)."""

    def __init__(self, limit: RateLimit, *, max_keys: int = 100_000) -> None:
        self.capacity = float(limit.count)
        self.rate = limit.count / max(limit.per.total_seconds(), 1e-9)
        self.max_keys = max_keys
        self._buckets: dict[str, tuple[float, float]] = {}

    def take(self, key: str, now: float) -> float:
        """Take one token: 0.0 when granted, else the seconds until one is free."""
        tokens, last = self._buckets.get(key, (self.capacity, now))
        tokens = min(self.capacity, tokens + max(0.0, now - last) * self.rate)
        if tokens >= 1.0:
            self._buckets[key] = (tokens - 1.0, now)
            if len(self._buckets) > self.max_keys:
                self._prune(now)
            return 0.0
        self._buckets[key] = (tokens, now)
        return (1.0 - tokens) / self.rate

    def _prune(self, now: float) -> None:
        full = self.capacity / self.rate
        self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < full}
