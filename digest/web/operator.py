"""``/operator/preview``: the digest a subscriber (or the default reader) would get now.

At desktop and phone width, as plain text and as the raw message, with its size
against Gmail's clipping limit; it reloads when a template changes. Only the
operator may see it: without an operator token it answers only when the server
listens on loopback and the request comes from this machine directly; with
``DIGEST_OPERATOR_TOKEN`` set it asks for the token (``Authorization: Bearer``,
or once as ``?token=`` which sets a cookie).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
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
from digest.web.pages import EMAIL_CSP, page
from subscribers.web import is_loopback

OPERATOR_COOKIE = "digest_operator"
View = Literal["desktop", "phone", "text", "raw"]
VIEWS: tuple[tuple[View, str], ...] = (
    ("desktop", "Desktop"),
    ("phone", "Phone"),
    ("text", "Plain text"),
    ("raw", "Raw message"),
)
FRAME_WIDTH = {"desktop": 800, "phone": 375}
_PRIVATE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


@dataclass(frozen=True, slots=True)
class Operator:
    """Who may see the operator pages."""

    listen_host: str
    token: str

    def allowed(self, request: Request) -> bool:
        if self.token:
            presented = _bearer(request) or request.cookies.get(OPERATOR_COOKIE, "")
            return hmac.compare_digest(presented.encode("utf-8"), self.token.encode("utf-8"))
        # No token: this machine only. A request relayed by a proxy on this machine
        # comes from loopback too, so a forwarding header means "not the operator".
        client = request.client.host if request.client else ""
        forwarded = any(h in request.headers for h in ("forwarded", "x-forwarded-for"))
        return is_loopback(self.listen_host) and is_loopback(client) and not forwarded


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
                "message": "The preview answers on this machine only, or to the operator "
                "token (DIGEST_OPERATOR_TOKEN).",
                "offer_subscribe": False,
            },
            status=403,
        )

    def _token_login(self, request: Request) -> Response | None:
        """``?token=`` once: set the cookie and drop the token from the address bar."""
        token = request.query_params.get("token")
        if not token or not self.operator.token:
            return None
        if not hmac.compare_digest(token.encode("utf-8"), self.operator.token.encode("utf-8")):
            return self.forbidden()
        rest = urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "token"])
        response = RedirectResponse(request.url.path + (f"?{rest}" if rest else ""), 303)
        response.set_cookie(
            OPERATOR_COOKIE,
            token,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
            path="/operator",
        )
        return response

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
            headers={"Content-Security-Policy": EMAIL_CSP, **_PRIVATE_HEADERS},
        )

    async def stamp(self, request: Request) -> Response:
        if not self.operator.allowed(request):
            return self.forbidden()
        stamp = await run_in_threadpool(_template_stamp, self.renderer)
        return JSONResponse({"stamp": stamp}, headers=_PRIVATE_HEADERS)


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
