"""What the pages of the web app share.

A page of ``templates/web`` with the Content-Security-Policy that allows exactly
its own scripts and styles, and the policy an email shown in the browser is
served under.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import HTMLResponse

from digest.config import Settings
from digest.mail.render import Renderer
from subscribers.web import content_security_policy

# An archived or previewed email: its own inline styles, images from anywhere over https
# (article images are opt-in), no scripts, and framed only by our own pages.
EMAIL_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; "
    "frame-ancestors 'self'; base-uri 'none'; form-action 'none'"
)


def page(
    renderer: Renderer,
    settings: Settings,
    name: str,
    context: dict[str, Any],
    *,
    status: int = 200,
) -> HTMLResponse:
    """The web page *name* (``templates/web/<name>.html``), allowed exactly its own scripts."""
    html = renderer.page(name, newsletter=settings.newsletter.title, **context)
    response = HTMLResponse(html, status_code=status)
    response.headers["Content-Security-Policy"] = content_security_policy(html)
    return response
