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

The parts, by concern: settings and the secret's check
(:mod:`subscribers.web_settings`), reading requests (:mod:`subscribers.web_forms`),
CSRF and rate limits (:mod:`subscribers.web_guard`), rendering and what every
handler shares (:mod:`subscribers.web_pages`), the sign-up and confirm pages
(:mod:`subscribers.web_signup`), the preferences and unsubscribe pages
(:mod:`subscribers.web_account`), and links (:mod:`subscribers.links`).
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from .db import utcnow
from .links import PATHS, LinkMaker
from .web_account import AccountPages
from .web_guard import CSRF_COOKIE, CSRF_FIELD, HONEYPOT_FIELD, TokenBucket
from .web_pages import (
    Clock,
    MailKind,
    Render,
    SecureApp,
    SecurityHeaders,
    SendMail,
    content_security_policy,
)
from .web_settings import InsecureSecret, RateLimit, WebSettings, check_secret, is_loopback
from .web_signup import CHECK_INBOX_PATH, SignUpPages

__all__ = [
    "CSRF_COOKIE",
    "CSRF_FIELD",
    "HONEYPOT_FIELD",
    "PATHS",
    "Clock",
    "InsecureSecret",
    "LinkMaker",
    "MailKind",
    "RateLimit",
    "Render",
    "SecureApp",
    "SecurityHeaders",
    "SendMail",
    "TokenBucket",
    "WebSettings",
    "check_secret",
    "content_security_policy",
    "create_app",
    "is_loopback",
]


# The web app's log (one name for all its modules, as before they were split).
log = logging.getLogger("subscribers.web")


class _Site(SignUpPages, AccountPages):
    """Every page of the app, and the two that are neither sign-up nor account."""

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
        Route("/subscribe", site.options_subscribe, methods=["OPTIONS"]),
        Route(CHECK_INBOX_PATH, site.get_check_inbox, methods=["GET"]),
        Route("/confirm/{token}", site.get_confirm, methods=["GET"]),
        Route("/confirm/{token}", site.post_confirm, methods=["POST"]),
        Route("/preferences/{token}", site.get_preferences, methods=["GET"]),
        Route("/preferences/{token}", site.post_preferences, methods=["POST"]),
        Route("/unsubscribe/{token}", site.get_unsubscribe, methods=["GET"]),
        Route("/unsubscribe/{token}", site.post_unsubscribe, methods=["POST"]),
    ]
    app = SecureApp(routes=routes)
    app.state.links = site.links
    app.state.audience = site.audience
    return app
