"""The web server of ``digest serve``: the audience's pages, the archive, the operator preview.

One Starlette app:

- ``/subscribe``, ``/confirm/…``, ``/preferences/…``, ``/unsubscribe/…``,
  ``/healthz``: the sign-up pages of :mod:`subscribers.web`, handed this
  application's templates and mailer;
- ``/archive`` and ``/archive/<id>``: :mod:`digest.web.archive`;
- ``/operator/preview``: :mod:`digest.web.operator`, for the operator only.

Around all of it: the Host header must name this site (the host of
``[newsletter] base_url``, a loopback name, the one address it listens on, or one
of ``[web] allowed_hosts``;
Starlette's ``TrustedHostMiddleware`` answers 400 to any other, so a page that
rebinds its DNS name to this machine reads nothing); ``Forwarded`` from a trusted
proxy names the client (:mod:`digest.web.proxies`); and every answer, errors
included, carries the security headers (:class:`subscribers.web.SecureApp`).
"""

from __future__ import annotations

import ipaddress
import secrets
from dataclasses import replace
from urllib.parse import urlsplit

import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.routing import BaseRoute, Mount

from digest.config import Settings
from digest.errors import ConfigError
from digest.mail.render import Renderer
from digest.pipeline.audience import AudienceMail, site_settings
from digest.store import Store
from digest.web.archive import Archive
from digest.web.operator import Operator, OperatorPages
from digest.web.proxies import ForwardedClient
from subscribers.web import InsecureSecret, SecureApp, create_app

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")
_EVERY_INTERFACE = ("", "0.0.0.0", "::", "[::]")


def _host_header_name(host: str) -> str:
    host = host.strip().lower()
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def allowed_hosts(settings: Settings) -> list[str]:
    """The names the Host header may hold.

    The host of base_url, loopback names, ``[web] allowed_hosts``, and the address
    the server listens on when it is one address (an IP literal in the Host header
    cannot be a rebound DNS name, and it is what ``digest serve`` prints).
    """
    own = urlsplit(settings.newsletter.base_url).hostname or ""
    listen = settings.web.host if _is_one_address(settings.web.host) else ""
    names = [own, listen, *LOOPBACK_NAMES, *settings.web.allowed_hosts]
    return list(dict.fromkeys(_host_header_name(name) for name in names if name))


def _is_one_address(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host.strip().strip("[]"))
    except ValueError:
        return False
    return not address.is_unspecified


def _shown_host(host: str) -> str:
    """Where to point a browser at a server listening on *host*."""
    return "127.0.0.1" if host in _EVERY_INTERFACE else _host_header_name(host)


def create_web_app(
    store: Store, settings: Settings, *, renderer: Renderer | None = None
) -> Starlette:
    """The whole site for *settings*; raises :class:`ConfigError` for an unsafe secret."""
    renderer = renderer or Renderer.from_settings(settings.newsletter, reload=True)
    try:
        site = create_app(
            sessions=store.sessions,
            settings=site_settings(settings, renderer),
            render=renderer.render_template,
            send_mail=AudienceMail(settings, renderer),
        )
    except InsecureSecret as exc:
        raise ConfigError(
            f"{settings.path.name}: web.host: {exc} (set DIGEST_SECRET_KEY to a long random "
            "value, or listen on 127.0.0.1)"
        ) from exc
    operator = Operator(
        token=settings.web.operator_token,
        secure=settings.newsletter.base_url.lower().startswith("https://"),
    )
    routes: list[BaseRoute] = [
        *Archive(store, settings, renderer).routes(),
        *OperatorPages(store, settings, renderer, operator).routes(),
        Mount("/", app=site),
    ]
    middleware = [
        Middleware(
            TrustedHostMiddleware, allowed_hosts=allowed_hosts(settings), www_redirect=False
        ),
        Middleware(ForwardedClient, trusted=settings.web.trusted_proxies),
    ]
    app = SecureApp(routes=routes, middleware=middleware)
    app.state.site = site
    app.state.renderer = renderer
    return app


def serve(settings: Settings, *, host: str | None = None, port: int | None = None) -> None:
    """Run the web server until interrupted (``digest serve``).

    Without ``DIGEST_OPERATOR_TOKEN`` it makes up an operator token and prints the
    preview's address with it, once (the access log is off, so no request line
    repeats it).
    """
    web = replace(
        settings.web,
        host=host if host is not None else settings.web.host,
        port=port if port is not None else settings.web.port,
    )
    made_up = not web.operator_token
    if made_up:
        web = replace(web, operator_token=secrets.token_urlsafe(32))
    settings = replace(settings, web=web)
    with Store(settings.storage.url) as store:
        app = create_web_app(store, settings)
        where = f"http://{_shown_host(web.host)}:{web.port}"
        preview = f"{where}/operator/preview"
        listening = f"{_host_header_name(web.host)}:{web.port}"
        print(f"serving {settings.newsletter.title} on {listening}", flush=True)
        print(f"  sign-up form   {where}/subscribe", flush=True)
        print(f"  archive        {where}/archive", flush=True)
        if made_up:
            print(f"  preview        {preview}?token={web.operator_token}", flush=True)
            print("    (a new token each start; set DIGEST_OPERATOR_TOKEN to keep one)", flush=True)
        else:
            print(f"  preview        {preview} (with DIGEST_OPERATOR_TOKEN)", flush=True)
        uvicorn.run(
            app,
            host=web.host,
            port=web.port,
            log_level="warning",
            access_log=False,
            # X-Forwarded-For only from [web] trusted_proxies; an empty list trusts nobody
            # (None would mean uvicorn's default, 127.0.0.1 and ::1, or $FORWARDED_ALLOW_IPS).
            proxy_headers=True,
            forwarded_allow_ips=list(web.trusted_proxies),
            server_header=False,
        )


__all__ = ["Operator", "create_web_app", "serve"]
