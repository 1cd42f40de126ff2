"""The web server of ``digest serve``: the audience's pages, the archive, the operator preview.

One Starlette app:

- ``/subscribe``, ``/confirm/…``, ``/preferences/…``, ``/unsubscribe/…``,
  ``/healthz``: the sign-up pages of :mod:`subscribers.web`, handed this
  application's templates and mailer;
- ``/archive`` and ``/archive/<id>``: :mod:`digest.web.archive`;
- ``/operator/preview``: :mod:`digest.web.operator`, for the operator only.
"""

from __future__ import annotations

from dataclasses import replace

import uvicorn
from starlette.applications import Starlette
from starlette.routing import BaseRoute, Mount

from digest.config import Settings
from digest.errors import ConfigError
from digest.mail.render import Renderer
from digest.pipeline.audience import AudienceMail, site_settings
from digest.store import Store
from digest.web.archive import Archive
from digest.web.operator import Operator, OperatorPages
from subscribers.web import InsecureSecret, create_app


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
    operator = Operator(listen_host=settings.web.host, token=settings.web.operator_token)
    routes: list[BaseRoute] = [
        *Archive(store, settings, renderer).routes(),
        *OperatorPages(store, settings, renderer, operator).routes(),
        Mount("/", app=site),
    ]
    app = Starlette(routes=routes)
    app.state.site = site
    app.state.renderer = renderer
    return app


def serve(settings: Settings, *, host: str | None = None, port: int | None = None) -> None:
    """Run the web server until interrupted (``digest serve``)."""
    if host is not None or port is not None:
        settings = replace(
            settings,
            web=replace(
                settings.web,
                host=host if host is not None else settings.web.host,
                port=port if port is not None else settings.web.port,
            ),
        )
    with Store(settings.storage.url) as store:
        app = create_web_app(store, settings)
        where = f"http://{settings.web.host}:{settings.web.port}"
        print(f"serving {settings.newsletter.title} on {where}", flush=True)
        print(f"  sign-up form   {where}/subscribe", flush=True)
        print(f"  archive        {where}/archive", flush=True)
        print(f"  preview        {where}/operator/preview", flush=True)
        uvicorn.run(
            app,
            host=settings.web.host,
            port=settings.web.port,
            log_level="warning",
            proxy_headers=False,
            server_header=False,
        )


__all__ = ["Operator", "create_web_app", "serve"]
