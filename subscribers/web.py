"""The audience's web pages: sign up, confirm, preferences, unsubscribe (Starlette).

:func:`create_app` builds the ASGI app from what the application hands in: a
``sessionmaker`` on the migrated database, :class:`WebSettings`, a ``render``
function for the page templates (``web/<page>.html``), a ``send_mail``
coroutine function, and a clock.

Safety, in short: nothing changes on a GET (link scanners follow those); the
sign-up form carries a CSRF token bound to a cookie, a honeypot field, and
limits per client address and per email address; its answer is the same page
whoever the address belongs to, and the confirmation mail leaves after the
answer, so neither the page nor its timing tells whether someone subscribes.
Links carry signed, purpose-bound tokens (:mod:`subscribers.tokens`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import logging
import math
import re
import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .addresses import AddressError, address_key, normalize_address
from .db import utcnow
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
from .views import AudienceSettings, PreferenceError, SubscriberView, UnknownSubscriber

log = logging.getLogger(__name__)

MailKind = Literal["confirm", "welcome"]
SendMail = Callable[[MailKind, SubscriberView, Mapping[str, str]], Awaitable[None]]
Render = Callable[[str, Mapping[str, Any]], str]
Clock = Callable[[], datetime]

PATHS: Mapping[Purpose, str] = {
    "confirm": "/confirm/",
    "unsubscribe": "/unsubscribe/",
    "preferences": "/preferences/",
}
CSRF_COOKIE = "digest_csrf"
CSRF_FIELD = "csrf_token"
HONEYPOT_FIELD = "website"
_COOKIE_VALUE = re.compile(r"[A-Za-z0-9_-]{32}")
_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_FREQUENCY_NAMES = (("daily", "Every day"), ("weekly", "Once a week"))
_SCRIPT = re.compile(r"<script\b[^>]*>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL)
_STYLE = re.compile(r"<style\b[^>]*>(.*?)</style\s*>", re.IGNORECASE | re.DOTALL)
_HEADERS = (
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-content-type-options", b"nosniff"),
    (b"cache-control", b"no-store"),
)
_DEFAULT_CSP = b"default-src 'none'; frame-ancestors 'none'; base-uri 'none'"


class InsecureSecret(ValueError):
    """The web app would sign links with a secret anybody can read."""


@dataclass(frozen=True, slots=True)
class RateLimit:
    """At most ``count`` attempts in ``per``, refilled evenly."""

    count: int
    per: timedelta


@dataclass(frozen=True, slots=True)
class WebSettings:
    """What the web pages need; built by the application from its configuration.

    ``host`` is where the server listens: with the ``placeholder_secret`` the
    app starts only on a loopback address.  Cookies are marked Secure when
    ``base_url`` is https.
    """

    base_url: str
    secret: str
    audience: AudienceSettings
    newsletter: str = "the newsletter"
    host: str = "127.0.0.1"
    placeholder_secret: str | None = None
    ip_limit: RateLimit = RateLimit(20, timedelta(hours=1))
    address_limit: RateLimit = RateLimit(3, timedelta(hours=1))
    token_lifetimes: Mapping[Purpose, timedelta] | None = None

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.lower().startswith("https://")


def is_loopback(host: str) -> bool:
    """Whether a listen address reaches this machine only (127.0.0.0/8, ::1, localhost)."""
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def check_secret(secret: str, placeholder: str | None, host: str) -> None:
    """Refuse to serve links signed with an empty or placeholder secret beyond loopback."""
    if not secret:
        raise InsecureSecret("the secret key that signs subscriber links is empty; set one")
    if placeholder is not None and secret == placeholder and not is_loopback(host):
        raise InsecureSecret(
            f"the secret key that signs subscriber links is the placeholder {placeholder!r}, "
            f"so anybody could forge them; set a real one (for example the output of "
            f"`python3 -c 'import secrets; print(secrets.token_urlsafe(32))'`) "
            f"or listen on 127.0.0.1 only, not on {host}"
        )


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


class LinkMaker:
    """Absolute URLs with fresh tokens for a subscriber's links (for mails too)."""

    def __init__(self, base_url: str, signer: TokenSigner) -> None:
        self.base_url = base_url.rstrip("/")
        self.signer = signer

    def url(self, purpose: Purpose, subscriber: SubscriberView, *, now: datetime) -> str:
        token = self.signer.issue(purpose, subscriber.id, stamp=subscriber.token_stamp, now=now)
        return f"{self.base_url}{PATHS[purpose]}{token}"

    def links(
        self, subscriber: SubscriberView, *purposes: Purpose, now: datetime
    ) -> dict[str, str]:
        return {purpose: self.url(purpose, subscriber, now=now) for purpose in purposes}


class _SecurityHeaders:
    """Adds the headers every answer carries (pages set their own CSP with hashes)."""

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


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _user_agent(request: Request) -> str:
    return request.headers.get("user-agent", "")


async def _read_form(request: Request) -> FormData | None:
    try:
        return await request.form(max_files=0, max_fields=100, max_part_size=64 * 1024)
    except (HTTPException, MultiPartException, ValueError):
        return None


def _text(form: FormData | None, name: str) -> str:
    value = form.get(name) if form is not None else None
    return value if isinstance(value, str) else ""


def _texts(form: FormData | None, name: str) -> list[str]:
    if form is None:
        return []
    return [value for value in form.getlist(name) if isinstance(value, str)]


@dataclass(frozen=True, slots=True)
class _Choices:
    """What a sign-up or preferences form holds (as typed, before validation)."""

    email: str = ""
    name: str = ""
    sections: tuple[str, ...] = ()
    frequency: str = ""
    weekday: str = ""
    send_at: str = ""
    timezone: str = ""
    paused: bool = False

    @classmethod
    def read(cls, form: FormData | None) -> _Choices:
        return cls(
            email=_text(form, "email").strip(),
            name=_text(form, "name").strip(),
            sections=tuple(_texts(form, "sections")),
            frequency=_text(form, "frequency"),
            weekday=_text(form, "weekday"),
            send_at=_text(form, "send_at"),
            timezone=_text(form, "timezone").strip(),
            paused=bool(_text(form, "paused")),
        )


class _Site:
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
        self._csrf_key = hmac.new(
            settings.secret.encode("utf-8"), b"subscribers.web.csrf", hashlib.sha256
        ).digest()

    # -- pages -------------------------------------------------------------

    def page(self, name: str, context: Mapping[str, Any], *, status: int = 200) -> HTMLResponse:
        html = self.render(f"web/{name}.html", {"newsletter": self.settings.newsletter, **context})
        response = HTMLResponse(html, status_code=status)
        response.headers["Content-Security-Policy"] = content_security_policy(html)
        return response

    def token_error(self, exc: TokenError, purpose: Purpose) -> HTMLResponse:
        if isinstance(exc, TokenExpired):
            status, heading = 410, "This link has expired"
            message = (
                "Confirmation links work for a few days only. Subscribe again to get a new one."
                if purpose == "confirm"
                else "Please use the link in the most recent email you received from us."
            )
        elif isinstance(exc, TokenRevoked):
            status, heading = 410, "This link is no longer valid"
            message = (
                "It belongs to an earlier subscription. "
                "Please use the link in the most recent email you received from us."
            )
        elif isinstance(exc, TokenWrongPurpose):
            status, heading = 400, "This link is meant for something else"
            message = "Please use the matching link or button in the email."
        else:
            status, heading = 400, "This link does not work"
            message = (
                "It seems incomplete or changed. Copy the whole link from the email into "
                "your browser, or use the button in the email."
            )
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

    # -- CSRF --------------------------------------------------------------

    def csrf_token(self, cookie: str) -> str:
        mac = hmac.new(self._csrf_key, cookie.encode("ascii"), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii")

    def csrf_ok(self, request: Request, form: FormData | None) -> bool:
        cookie = request.cookies.get(CSRF_COOKIE, "")
        given = _text(form, CSRF_FIELD)
        if not _COOKIE_VALUE.fullmatch(cookie) or not given:
            return False
        return hmac.compare_digest(
            given.encode("ascii", "replace"), self.csrf_token(cookie).encode()
        )

    def csrf_cookie(self, request: Request) -> tuple[str, bool]:
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
                secure=self.settings.secure_cookies,
                path="/",
            )
        return response

    # -- sign-up -----------------------------------------------------------

    def form_context(self, values: _Choices) -> dict[str, Any]:
        return {
            "sections": list(self.settings.audience.sections),
            "weekdays": list(zip(WEEKDAYS, _WEEKDAY_NAMES, strict=True)),
            "frequencies": list(_FREQUENCY_NAMES),
            "values": values,
        }

    def default_values(self) -> _Choices:
        s = self.settings.audience
        return _Choices(
            sections=s.sections,
            frequency=s.frequency,
            weekday=s.weekday,
            send_at=s.send_at,
            timezone=s.timezone,
        )

    def subscribe_page(
        self,
        request: Request,
        values: _Choices,
        *,
        error: str | None = None,
        status: int = 200,
        detect_timezone: bool = False,
    ) -> Response:
        cookie, new = self.csrf_cookie(request)
        response = self.page(
            "subscribe",
            {
                **self.form_context(values),
                "csrf_token": self.csrf_token(cookie),
                "error": error,
                "detect_timezone": detect_timezone,
                "action": "/subscribe",
            },
            status=status,
        )
        return self.with_cookie(response, cookie, new)

    async def get_subscribe(self, request: Request) -> Response:
        return self.subscribe_page(request, self.default_values(), detect_timezone=True)

    async def post_subscribe(self, request: Request) -> Response:
        form = await _read_form(request)
        values = _Choices.read(form)
        if not self.csrf_ok(request, form):
            return self.subscribe_page(
                request,
                values,
                error="This form had expired. Please check your choices and send it again.",
                status=403,
            )
        if _text(form, HONEYPOT_FIELD):
            return self.check_inbox()  # a bot: looks like success, does nothing
        now = self.clock()
        wait = self.ip_bucket.take(_client_ip(request), now.timestamp())
        if wait:
            minutes = max(1, math.ceil(wait / 60))
            response = self.subscribe_page(
                request,
                values,
                error=f"Too many sign-ups from your network. "
                f"Please try again in {minutes} minute{'s' if minutes != 1 else ''}.",
                status=429,
            )
            response.headers["Retry-After"] = str(math.ceil(wait))
            return response
        try:
            address = normalize_address(values.email)
            self.audience.preferences(
                sections=values.sections,
                frequency=values.frequency or None,
                weekday=values.weekday or None,
                send_at=values.send_at or None,
                timezone=values.timezone or None,
            )
        except (AddressError, PreferenceError) as exc:
            return self.subscribe_page(request, values, error=str(exc), status=400)
        if self.address_bucket.take(address_key(address), now.timestamp()):
            return self.check_inbox()  # asked too often: answer alike, mail nothing
        outcome = await run_in_threadpool(
            self.audience.subscribe,
            address,
            name=values.name,
            sections=values.sections,
            frequency=values.frequency or None,
            weekday=values.weekday or None,
            send_at=values.send_at or None,
            timezone=values.timezone or None,
            source="form:/subscribe",
            ip=_client_ip(request),
            user_agent=_user_agent(request),
            text_version=self.settings.audience.text_version,
            now=now,
        )
        response = self.check_inbox()
        if outcome.send_confirmation and outcome.subscriber is not None:
            links = self.links.links(outcome.subscriber, "confirm", now=now)
            response.background = BackgroundTask(self.mail, "confirm", outcome.subscriber, links)
        return response

    def check_inbox(self) -> Response:
        return self.page("check_inbox", {})

    async def mail(self, kind: MailKind, subscriber: SubscriberView, links: dict[str, str]) -> None:
        try:
            await self.send_mail(kind, subscriber, links)
        except Exception:  # the page has been answered: log and carry on
            log.exception("could not send the %s mail to subscriber %s", kind, subscriber.id)
            if kind == "confirm":  # so that signing up again sends it at once
                await run_in_threadpool(self.audience.confirmation_not_sent, [subscriber.id])

    # -- tokens ------------------------------------------------------------

    def claims(self, request: Request, purpose: Purpose) -> TokenClaims:
        return self.signer.verify(request.path_params["token"], purpose, now=self.clock())

    async def subscriber(self, request: Request, purpose: Purpose) -> SubscriberView:
        claims = self.claims(request, purpose)
        return await run_in_threadpool(self.audience.token_subscriber, claims)

    # -- confirm -----------------------------------------------------------

    async def get_confirm(self, request: Request) -> Response:
        try:
            subscriber = await self.subscriber(request, "confirm")
        except TokenError as exc:
            return self.token_error(exc, "confirm")
        if subscriber.status == "active":
            return self.confirmed_page(subscriber, already=True)
        if subscriber.status != "pending":
            return self.ended()
        return self.page("confirm", {"action": request.url.path})

    async def post_confirm(self, request: Request) -> Response:
        try:
            claims = self.claims(request, "confirm")
        except TokenError as exc:
            return self.token_error(exc, "confirm")
        now = self.clock()
        outcome = await run_in_threadpool(
            self.audience.confirm,
            claims.subscriber_id,
            now=now,
            ip=_client_ip(request),
            user_agent=_user_agent(request),
            stamp=claims.stamp,
        )
        if outcome.subscriber is None:
            return self.token_error(TokenRevoked("gone"), "confirm")
        if outcome.action == "not_pending":
            return self.ended()
        response = self.confirmed_page(outcome.subscriber, already=outcome.action == "already")
        if outcome.action == "confirmed":
            links = self.links.links(outcome.subscriber, "preferences", "unsubscribe", now=now)
            response.background = BackgroundTask(self.mail, "welcome", outcome.subscriber, links)
        return response

    def confirmed_page(self, subscriber: SubscriberView, *, already: bool) -> Response:
        url = self.links.url("preferences", subscriber, now=self.clock())
        return self.page(
            "confirmed",
            {"already": already, "preferences_url": url, "schedule": self.schedule(subscriber)},
        )

    def schedule(self, subscriber: SubscriberView) -> str:
        """The subscriber's next send time in words, in their own time zone."""
        if subscriber.paused:
            return "Your digests are paused."
        if subscriber.next_due_at is None:
            return ""
        local = subscriber.next_due_at.astimezone(ZoneInfo(subscriber.timezone))
        day = _WEEKDAY_NAMES[local.weekday()]
        return (
            f"Your next digest is due on {day} {local.day} {local:%B} at {local:%H:%M} "
            f"({subscriber.timezone})."
        )

    # -- preferences -------------------------------------------------------

    def preferences_page(
        self,
        request: Request,
        subscriber: SubscriberView,
        values: _Choices,
        *,
        error: str | None = None,
        status: int = 200,
    ) -> Response:
        cookie, new = self.csrf_cookie(request)
        response = self.page(
            "preferences",
            {
                **self.form_context(values),
                "csrf_token": self.csrf_token(cookie),
                "error": error,
                "email": subscriber.email,
                "action": request.url.path,
                "unsubscribe_url": self.links.url("unsubscribe", subscriber, now=self.clock()),
            },
            status=status,
        )
        return self.with_cookie(response, cookie, new)

    async def get_preferences(self, request: Request) -> Response:
        try:
            subscriber = await self.subscriber(request, "preferences")
        except TokenError as exc:
            return self.token_error(exc, "preferences")
        if subscriber.status != "active":
            return self.ended()
        values = _Choices(
            email=subscriber.email,
            sections=subscriber.sections or self.settings.audience.sections,
            frequency=subscriber.frequency,
            weekday=subscriber.weekday,
            send_at=subscriber.send_at,
            timezone=subscriber.timezone,
            paused=subscriber.paused,
        )
        return self.preferences_page(request, subscriber, values)

    async def post_preferences(self, request: Request) -> Response:
        try:
            claims = self.claims(request, "preferences")
            subscriber = await run_in_threadpool(self.audience.token_subscriber, claims)
        except TokenError as exc:
            return self.token_error(exc, "preferences")
        if subscriber.status != "active":
            return self.ended()
        form = await _read_form(request)
        values = _Choices.read(form)
        if not self.csrf_ok(request, form):
            return self.preferences_page(
                request,
                subscriber,
                values,
                error="This form had expired. Please check your choices and save again.",
                status=403,
            )
        try:
            updated = await run_in_threadpool(
                self.audience.update_preferences,
                subscriber.id,
                sections=values.sections,
                frequency=values.frequency or None,
                weekday=values.weekday or None,
                send_at=values.send_at or None,
                timezone=values.timezone or None,
                paused=values.paused,
                now=self.clock(),
                source="form:/preferences",
                ip=_client_ip(request),
                user_agent=_user_agent(request),
                stamp=claims.stamp,
            )
        except PreferenceError as exc:
            return self.preferences_page(request, subscriber, values, error=str(exc), status=400)
        except UnknownSubscriber:
            return self.token_error(TokenRevoked("gone"), "preferences")
        return self.page(
            "preferences_saved",
            {
                "preferences_url": str(request.url.path),
                "schedule": self.schedule(updated),
                "sections": list(updated.sections or self.settings.audience.sections),
            },
        )

    # -- unsubscribe -------------------------------------------------------

    async def get_unsubscribe(self, request: Request) -> Response:
        try:
            claims = self.claims(request, "unsubscribe")
        except TokenError as exc:
            return self.token_error(exc, "unsubscribe")
        subscriber = await run_in_threadpool(self.audience.get, claims.subscriber_id)
        if subscriber is None or subscriber.status == "unsubscribed":
            return self.unsubscribed_page()
        if subscriber.token_stamp != claims.stamp:
            return self.token_error(TokenRevoked("earlier subscription"), "unsubscribe")
        return self.page("unsubscribe", {"action": request.url.path})

    async def post_unsubscribe(self, request: Request) -> Response:
        # The token authorises: no cookie, no CSRF token (RFC 8058 one-click POSTs
        # come from mail providers with neither).
        try:
            claims = self.claims(request, "unsubscribe")
        except TokenError as exc:
            return self.token_error(exc, "unsubscribe")
        form = await _read_form(request)
        one_click = _text(form, "List-Unsubscribe") == "One-Click"
        outcome = await run_in_threadpool(
            self.audience.unsubscribe,
            claims.subscriber_id,
            now=self.clock(),
            source="one-click" if one_click else "form:/unsubscribe",
            ip=_client_ip(request),
            user_agent=_user_agent(request),
            stamp=claims.stamp,
        )
        if outcome.action == "unknown":
            exists = await run_in_threadpool(self.audience.get, claims.subscriber_id)
            if exists is not None:  # subscribed again since this link was made
                return self.token_error(TokenRevoked("earlier subscription"), "unsubscribe")
        return self.unsubscribed_page()

    def unsubscribed_page(self) -> Response:
        return self.page("unsubscribed", {"subscribe_url": "/subscribe"})

    # -- the rest ----------------------------------------------------------

    async def healthz(self, request: Request) -> Response:
        try:
            await run_in_threadpool(self.audience.ping)
        except Exception:  # any failure means unhealthy
            log.exception("health check: the database does not answer")
            return PlainTextResponse("database unavailable\n", status_code=503)
        return PlainTextResponse("ok\n")

    async def home(self, request: Request) -> Response:
        return RedirectResponse("/subscribe", status_code=303)


def create_app(
    *,
    sessions: sessionmaker[Session],
    settings: WebSettings,
    render: Render,
    send_mail: SendMail,
    clock: Clock = utcnow,
) -> Starlette:
    """The sign-up, confirm, preferences and unsubscribe pages as an ASGI app.

    Raises :class:`InsecureSecret` for an empty secret, or for the placeholder
    one unless ``settings.host`` is a loopback address.
    """
    check_secret(settings.secret, settings.placeholder_secret, settings.host)
    site = _Site(
        sessions=sessions, settings=settings, render=render, send_mail=send_mail, clock=clock
    )
    routes = [
        Route("/", site.home, methods=["GET"]),
        Route("/healthz", site.healthz, methods=["GET"]),
        Route("/subscribe", site.get_subscribe, methods=["GET"]),
        Route("/subscribe", site.post_subscribe, methods=["POST"]),
        Route("/confirm/{token}", site.get_confirm, methods=["GET"]),
        Route("/confirm/{token}", site.post_confirm, methods=["POST"]),
        Route("/preferences/{token}", site.get_preferences, methods=["GET"]),
        Route("/preferences/{token}", site.post_preferences, methods=["POST"]),
        Route("/unsubscribe/{token}", site.get_unsubscribe, methods=["GET"]),
        Route("/unsubscribe/{token}", site.post_unsubscribe, methods=["POST"]),
    ]
    app = Starlette(routes=routes, middleware=[Middleware(_SecurityHeaders)])
    app.state.links = site.links
    app.state.audience = site.audience
    return app
