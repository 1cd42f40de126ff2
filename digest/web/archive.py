"""``/archive`` and ``/archive/<id>``: every edition sent.

The target of each email's "view in browser" link; public, since editions hold
no personal links.
"""

from __future__ import annotations

import re

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from digest.config import Settings
from digest.mail.render import Renderer
from digest.store import Store
from digest.web.pages import ARCHIVE_CSP, page

PAGE_SIZE = 50  # editions per page of the list
# An id the database can hold (ASCII digits only: str.isdigit() takes "²", which int() refuses).
_EDITION_ID = re.compile(r"[0-9]{1,18}")


class Archive:
    """The archive's pages over *store*."""

    def __init__(self, store: Store, settings: Settings, renderer: Renderer) -> None:
        self.store = store
        self.settings = settings
        self.renderer = renderer

    def routes(self) -> list[Route]:
        return [
            Route("/archive", self.archive_list, methods=["GET"]),
            Route("/archive/{edition:int}", self.archive_edition, methods=["GET"]),
        ]

    async def archive_list(self, request: Request) -> Response:
        before = request.query_params.get("before", "")
        editions = await run_in_threadpool(
            self.store.editions,
            limit=PAGE_SIZE,
            before=int(before) if _EDITION_ID.fullmatch(before) else None,
        )
        older = editions[-1].id if len(editions) == PAGE_SIZE else None
        zone = self.settings.newsletter.timezone
        rows = [
            {
                "id": e.id,
                "subject": e.subject,
                "preheader": e.preheader,
                "items": e.items,
                "date": e.created_at.astimezone(zone).strftime("%A %-d %B %Y"),
            }
            for e in editions
        ]
        return page(self.renderer, self.settings, "archive", {"editions": rows, "older": older})

    async def archive_edition(self, request: Request) -> Response:
        wanted = request.path_params["edition"]
        edition = await run_in_threadpool(self.store.edition, wanted) if wanted < 2**63 else None
        if edition is None:
            return page(
                self.renderer,
                self.settings,
                "token_error",
                {
                    "heading": "No such edition",
                    "message": "This edition is not in the archive.",
                    "offer_subscribe": True,
                },
                status=404,
            )
        return HTMLResponse(edition.html, headers={"Content-Security-Policy": ARCHIVE_CSP})
