"""What the pages of the web app share.

A page of ``templates/web`` with the Content-Security-Policy that allows exactly
its own scripts and styles, and the policies an email shown in the browser is
served under. The headers every answer carries (nosniff, no framing, no referrer,
no-store) come from :class:`subscribers.web.SecurityHeaders` around the whole app.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import HTMLResponse

from digest.config import Settings
from digest.mail.render import Renderer
from subscribers.web import content_security_policy

# An email shown in the browser: its own inline styles, images from anywhere over https
# (article images are opt-in), no scripts.
_EMAIL_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; "
    "base-uri 'none'; form-action 'none'"
)
# An archived edition is a page of its own: framed by nobody.
ARCHIVE_CSP = f"{_EMAIL_POLICY}; frame-ancestors 'none'"
# The previewed email is framed by the operator's preview page, and by nothing else.
PREVIEW_FRAME_CSP = f"{_EMAIL_POLICY}; frame-ancestors 'self'"


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
