"""Answering with a page: rendering, security headers, and what every page handler shares.

Every page gets a Content-Security-Policy that allows exactly its own inline
scripts and styles (by hash); :class:`SecurityHeaders` adds the headers every
answer carries, and :class:`SecureApp` applies it outside Starlette's own error
handling, so that a 400, 404, 405, 429 or 500 carries them too.
:class:`SiteBase` holds what the handlers of :mod:`subscribers.web_signup` and
:mod:`subscribers.web_account` share: the audience, the signer, the clock, the
CSRF guard, the rate limits, and the pages they have in common (a bad link, an
ended subscription, a form).
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .links import LinkMaker
from .schedule import WEEKDAYS
from .service import Audience
from .tokens import (
    Purpose,
    TokenClaims,
    TokenError,
    TokenExpired,
    TokenRevoked,
    TokenSigner,
    TokenWrongPurpose,
)
from .views import SubscriberView
from .web_forms import Choices
from .web_guard import CsrfGuard, TokenBucket
from .web_settings import WebSettings

MailKind = Literal["confirm", "welcome"]
SendMail = Callable[[MailKind, SubscriberView, Mapping[str, str]], Awaitable[None]]
Render = Callable[[str, Mapping[str, Any]], str]
Clock = Callable[[], datetime]

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_FREQUENCY_NAMES = (("daily", "Every day"), ("weekly", "Once a week"))
_SCRIPT = re.compile(r"<script\b[^>]*>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL)
_STYLE = re.compile(r"<style\b[^>]*>(.*?)</style\s*>", re.IGNORECASE | re.DOTALL)
# Every answer: no MIME sniffing, no framing, no referrer; not stored by caches unless the
# route says otherwise (the pages with links or personal data never do).
_HEADERS = (
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-content-type-options", b"nosniff"),
    (b"cache-control", b"no-store"),
)
_DEFAULT_CSP = b"default-src 'none'; frame-ancestors 'none'; base-uri 'none'"


def _hashes(pattern: re.Pattern[str], html: str) -> str:
    found = {
        "'sha256-"
        + base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode("ascii")
        + "'"
        for body in pattern.findall(html)
    }
    return " ".join(sorted(found)) or "'none'"


def content_security_policy(html: str) -> str:
    """A policy that allows exactly the inline scripts and styles of this page."""
    return (
        f"default-src 'self'; script-src {_hashes(_SCRIPT, html)}; "
        f"style-src {_hashes(_STYLE, html)}; img-src 'self' data:; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    )


class SecurityHeaders:
    """Adds the headers every answer carries, where the answer has not set its own.

    A pure ASGI middleware (it rewrites ``http.response.start``), so it also covers
    answers made outside any route: Starlette's 404, 405 and 500, and a rejected Host.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def add_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in _HEADERS if name not in present]
                if b"content-security-policy" not in present:
                    headers.append((b"content-security-policy", _DEFAULT_CSP))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, add_headers)


class SecureApp(Starlette):
    """A Starlette app whose every answer carries :class:`SecurityHeaders`.

    Middleware given to Starlette runs inside its ``ServerErrorMiddleware``, so the
    500 page would go out without them; this wraps the whole stack instead.
    """

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeaders(super().build_middleware_stack())


def _token_problem(exc: TokenError, purpose: Purpose) -> tuple[int, str, str]:
    """The status, heading and advice of the page for a link that does not work."""
    if isinstance(exc, TokenExpired):
        return (
            410,
            "This link has expired",
            "Confirmation links work for a few days only. Subscribe again to get a new one."
            if purpose == "confirm"
            else "Please use the link in the most recent email you received from us.",
        )
    if isinstance(exc, TokenRevoked):
        return (
            410,
            "This link is no longer valid",
            "It belongs to an earlier subscription. "
            "Please use the link in the most recent email you received from us.",
        )
    if isinstance(exc, TokenWrongPurpose):
        return (
            400,
            "This link is meant for something else",
            "Please use the matching link or button in the email.",
        )
    return (
        400,
        "This link does not work",
        "It seems incomplete or changed. Copy the whole link from the email into "
        "your browser, or use the button in the email.",
    )


class SiteBase:
    """What every page handler of the audience's web app shares."""

    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        settings: WebSettings,
        render: Render,
        send_mail: SendMail,
        clock: Clock,
    ) -> None:
        self.audience = Audience(sessions, settings.audience)
        self.settings = settings
        self.render = render
        self.send_mail = send_mail
        self.clock = clock
        self.signer = TokenSigner(settings.secret, lifetimes=settings.token_lifetimes)
        self.links = LinkMaker(settings.base_url, self.signer)
        self.ip_bucket = TokenBucket(settings.ip_limit)
        self.address_bucket = TokenBucket(settings.address_limit)
        self.csrf = CsrfGuard(settings.secret, secure=settings.secure_cookies)

    # -- pages -------------------------------------------------------------

    def page(self, name: str, context: Mapping[str, Any], *, status: int = 200) -> HTMLResponse:
        html = self.render(f"web/{name}.html", {"newsletter": self.settings.newsletter, **context})
        response = HTMLResponse(html, status_code=status)
        response.headers["Content-Security-Policy"] = content_security_policy(html)
        return response

    def token_error(self, exc: TokenError, purpose: Purpose) -> HTMLResponse:
        status, heading, message = _token_problem(exc, purpose)
        return self.page(
            "token_error",
            {"heading": heading, "message": message, "offer_subscribe": purpose == "confirm"},
            status=status,
        )

    def ended(self) -> HTMLResponse:
        return self.page(
            "token_error",
            {
                "heading": "This subscription has ended",
                "message": "There is nothing to change here any more. "
                "You are welcome to subscribe again.",
                "offer_subscribe": True,
            },
            status=410,
        )

    def form_page(
        self,
        request: Request,
        name: str,
        values: Choices,
        context: Mapping[str, Any],
        *,
        error: str | None,
        status: int,
    ) -> Response:
        """A page with the preferences form on it, its CSRF value, and the cookie if new."""
        cookie, new = self.csrf.cookie(request)
        response = self.page(
            name,
            {
                "sections": list(self.settings.audience.sections),
                "weekdays": list(zip(WEEKDAYS, WEEKDAY_NAMES, strict=True)),
                "frequencies": list(_FREQUENCY_NAMES),
                "values": values,
                "csrf_token": self.csrf.token(cookie),
                "error": error,
                **context,
            },
            status=status,
        )
        return self.csrf.with_cookie(response, cookie, new)

    def schedule(self, subscriber: SubscriberView) -> str:
        """The subscriber's next send time in words, in their own time zone."""
        if subscriber.paused:
            return "Your digests are paused."
        if subscriber.next_due_at is None:
            return ""
        local = subscriber.next_due_at.astimezone(ZoneInfo(subscriber.timezone))
        day = WEEKDAY_NAMES[local.weekday()]
        return (
            f"Your next digest is due on {day} {local.day} {local:%B} at {local:%H:%M} "
            f"({subscriber.timezone})."
        )

    # -- tokens ------------------------------------------------------------

    def claims(self, request: Request, purpose: Purpose) -> TokenClaims:
        return self.signer.verify(request.path_params["token"], purpose, now=self.clock())

    async def subscriber(self, request: Request, purpose: Purpose) -> SubscriberView:
        claims = self.claims(request, purpose)
        return await run_in_threadpool(self.audience.token_subscriber, claims)
