"""``/operator/preview``: the digest a subscriber (or the default reader) would get now.

At desktop and phone width, as plain text and as the raw message, with its size
against Gmail's clipping limit; it reloads when a template changes. Only the
operator may see it, on loopback too (a page elsewhere that rebinds its DNS name
to this machine must not read subscribers' data): every request needs the
operator token (``DIGEST_OPERATOR_TOKEN``, or the one ``digest serve`` makes up
and prints at start), as ``Authorization: Bearer``, or once as ``?token=``, which
sets a session cookie and redirects to the address without it. The cookie holds
an HMAC of the token, not the token, so it never reaches the address bar, a log or
a cache as the token itself. Without a token nobody gets in.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from digest.config import Settings
from digest.errors import DigestError
from digest.mail.render import HTML_SIZE_LIMIT, Renderer
from digest.pipeline.audience import open_audience
from digest.pipeline.preview import Preview, build_preview
from digest.store import Store
from digest.web.pages import PREVIEW_FRAME_CSP, page

OPERATOR_COOKIE = "digest_operator"
_SESSION_PURPOSE = b"digest.operator.session.v1"
View = Literal["desktop", "phone", "text", "raw"]
VIEWS: tuple[tuple[View, str], ...] = (
    ("desktop", "Desktop"),
    ("phone", "Phone"),
    ("text", "Plain text"),
    ("raw", "Raw message"),
)
FRAME_WIDTH = {"desktop": 800, "phone": 375}


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


@dataclass(frozen=True, slots=True)
class Operator:
    """Who may see the operator pages: whoever shows the token, or the cookie made from it.

    ``secure`` marks the cookie Secure (``base_url`` is https). An empty token
    lets nobody in.
    """

    token: str = field(repr=False)
    secure: bool = False

    @property
    def session(self) -> str:
        """The session cookie's value: an HMAC of the token for this one purpose."""
        return hmac.new(self.token.encode("utf-8"), _SESSION_PURPOSE, hashlib.sha256).hexdigest()

    def is_token(self, given: str) -> bool:
        return bool(self.token) and _same(given, self.token)

    def allowed(self, request: Request) -> bool:
        if not self.token:
            return False
        cookie = request.cookies.get(OPERATOR_COOKIE, "")
        return self.is_token(_bearer(request)) or (bool(cookie) and _same(cookie, self.session))

    def log_in(self, response: Response) -> Response:
        response.set_cookie(
            OPERATOR_COOKIE,
            self.session,
            httponly=True,
            samesite="strict",
            secure=self.secure,
            path="/operator",
        )
        return response


def _bearer(request: Request) -> str:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def _template_stamp(renderer: Renderer) -> str:
    """Changes whenever a template file is added, removed or edited."""
    listing = repr(renderer.templates_stamp()).encode("utf-8")
    return hashlib.sha256(listing).hexdigest()[:16]


def _human_size(size: int) -> str:
    return f"{size / 1024:.1f} KB"


class OperatorPages:
    """The preview page, the email in its frame, and the template stamp it polls."""

    def __init__(
        self, store: Store, settings: Settings, renderer: Renderer, operator: Operator
    ) -> None:
        self.store = store
        self.settings = settings
        self.renderer = renderer
        self.operator = operator
        self.audience = open_audience(store, settings, renderer)

    def routes(self) -> list[Route]:
        return [
            Route("/operator/preview", self.preview, methods=["GET"]),
            Route("/operator/preview/email", self.preview_frame, methods=["GET"]),
            Route("/operator/stamp", self.stamp, methods=["GET"]),
        ]

    def forbidden(self) -> Response:
        return page(
            self.renderer,
            self.settings,
            "token_error",
            {
                "heading": "Operators only",
                "message": "The preview answers only to the operator token: open the "
                "address `digest serve` printed when it started, or the one with the token "
                "you set in DIGEST_OPERATOR_TOKEN.",
                "offer_subscribe": False,
            },
            status=403,
        )

    def _token_login(self, request: Request) -> Response | None:
        """``?token=`` once: set the cookie and drop the token from the address bar."""
        token = request.query_params.get("token")
        if token is None:
            return None
        if not self.operator.is_token(token):
            return self.forbidden()
        rest = urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "token"])
        response = RedirectResponse(request.url.path + (f"?{rest}" if rest else ""), 303)
        return self.operator.log_in(response)

    def _preview(self, request: Request) -> Preview:
        email = request.query_params.get("subscriber", "").strip() or None
        return build_preview(
            self.store, self.settings, self.renderer, subscriber=email, now=datetime.now(UTC)
        )

    async def preview(self, request: Request) -> Response:
        login = self._token_login(request)
        if login is not None:
            return login
        if not self.operator.allowed(request):
            return self.forbidden()
        view = request.query_params.get("view", "desktop")
        if view not in dict(VIEWS):
            view = "desktop"
        email = request.query_params.get("subscriber", "").strip()
        subscribers = await run_in_threadpool(self.audience.list, "active")
        context: dict[str, Any] = {
            "views": VIEWS,
            "view": view,
            "subscriber": email,
            "subscribers": [s.email for s in subscribers],
            "width": FRAME_WIDTH.get(view, 0),
            "limit": _human_size(HTML_SIZE_LIMIT),
            "stamp": await run_in_threadpool(_template_stamp, self.renderer),
            "error": "",
            "nothing_new": "",
            "warning": "",
        }
        try:
            preview = await run_in_threadpool(self._preview, request)
        except (DigestError, LookupError, ValueError) as exc:
            context["error"] = str(exc)
            return page(self.renderer, self.settings, "operator_preview", context, status=200)
        context.update(_preview_context(preview, email))
        return page(self.renderer, self.settings, "operator_preview", context)

    async def preview_frame(self, request: Request) -> Response:
        if not self.operator.allowed(request):
            return self.forbidden()
        try:
            preview = await run_in_threadpool(self._preview, request)
        except (DigestError, LookupError, ValueError) as exc:
            return Response(f"{exc}\n", status_code=422, media_type="text/plain")
        if preview.rendered is None:
            return Response("nothing new\n", status_code=404, media_type="text/plain")
        return HTMLResponse(
            preview.rendered.html,
            # framed by the preview page; SAMEORIGIN for browsers that know no frame-ancestors
            headers={"Content-Security-Policy": PREVIEW_FRAME_CSP, "X-Frame-Options": "SAMEORIGIN"},
        )

    async def stamp(self, request: Request) -> Response:
        if not self.operator.allowed(request):
            return self.forbidden()
        stamp = await run_in_threadpool(_template_stamp, self.renderer)
        return JSONResponse({"stamp": stamp})


def _preview_context(preview: Preview, email: str) -> dict[str, Any]:
    rendered = preview.rendered
    if rendered is None:
        return {"nothing_new": preview.nothing_new, "warning": preview.warning}
    return {
        "subject": rendered.subject,
        "preheader": rendered.preheader,
        "items": rendered.items,
        "overflow": rendered.overflow,
        "size": _human_size(rendered.size),
        "size_ratio": min(rendered.size / HTML_SIZE_LIMIT, 1.0),
        "over_limit": rendered.size > HTML_SIZE_LIMIT,
        "text": rendered.text,
        "raw": preview.raw.decode("ascii", errors="replace"),
        "recipient": preview.to,
        "warning": preview.warning,
        "frame_query": urlencode({"subscriber": email}) if email else "",
    }
