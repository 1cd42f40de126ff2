"""What keeps the sign-up form from being abused: CSRF values and rate limits.

A visitor gets a random cookie; the forms carry that cookie's signature
(itsdangerous's :class:`~itsdangerous.Signer`, HMAC-SHA256 with a key of its
own), which another site cannot read or make.  The value must be exactly the
one issued, compared in constant time: itsdangerous's own check decodes
leniently (it drops odd characters, and several spellings of the last base64
character give the same bytes), so the value is compared as a string instead.
Sign-ups are limited per client address and per email address by in-memory
token buckets.

A sign-up form pasted into another site's page cannot carry that value; it is
accepted when the request's ``Origin`` (or, without one, the ``Referer``'s
origin) is one the operator listed (:class:`EmbedOrigins`): a browser sets
those headers itself, and a page cannot forge them for another site.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

from .tokens import same_text, sha256_signer
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
        """Whether a form's value is exactly the one made for the visitor's cookie."""
        cookie = request.cookies.get(CSRF_COOKIE, "")
        if not _COOKIE_VALUE.fullmatch(cookie) or not given:
            return False
        return same_text(given, self.token(cookie))

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


_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str) -> str | None:
    """``scheme://host[:port]`` of a URL or an origin, as a browser spells it; None if none.

    Lower case, the default port left out: ``HTTPS://Blog.Example:443/x`` gives
    ``https://blog.example``.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    shown = f":{port}" if port is not None and port != _DEFAULT_PORTS[parts.scheme] else ""
    return f"{parts.scheme}://{host}{shown}"


def request_origin(request: Request) -> str | None:
    """The origin of the page a request came from: ``Origin``, else the ``Referer``'s.

    ``Origin: null`` (a sandboxed page, a page with ``Referrer-Policy: no-referrer``)
    names no origin.
    """
    origin = request.headers.get("origin", "")
    if origin and origin != "null":
        return origin_of(origin)
    referer = request.headers.get("referer", "")
    return origin_of(referer) if referer else None


class EmbedOrigins:
    """The origins whose pages may POST the sign-up form without its CSRF value."""

    def __init__(self, origins: Iterable[str]) -> None:
        self.origins = frozenset(o for o in map(origin_of, origins) if o is not None)

    def allows(self, origin: str | None) -> bool:
        return origin is not None and origin in self.origins

    @staticmethod
    def cors_headers(origin: str) -> dict[str, str]:
        """What lets a script on *origin* read the answer (no cookies: no credentials)."""
        return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}

    def preflight(self, request: Request) -> Response:
        """The answer to a CORS preflight (``OPTIONS``) of a POST to the sign-up form."""
        origin = origin_of(request.headers.get("origin", ""))
        method = request.headers.get("access-control-request-method", "POST").upper()
        if not self.allows(origin) or method != "POST" or origin is None:
            return Response(status_code=403, headers={"Vary": "Origin"})
        return Response(
            status_code=204,
            headers={
                **self.cors_headers(origin),
                "Access-Control-Allow-Methods": "POST",
                "Access-Control-Allow-Headers": "Accept, Content-Type",
                "Access-Control-Max-Age": "600",
            },
        )
