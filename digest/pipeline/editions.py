"""Editions: the public copy of each digest that goes out, for the archive and "view in browser".

Before a digest is mailed, :func:`publish` stores its public copy (once per
distinct content: every subscriber who gets the same stories shares one
edition) and returns the ``/archive/<id>`` URL that goes into each
recipient's email as the web version.  The public copy holds every story,
including those the size budget moved out of the email, and no personal
link: its footer points to the sign-up form instead of anyone's preferences.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from digest.mail.render import Personal, Renderer
from digest.records import Digest, EditionData
from digest.store import Store

# The archived copy is a web page, not an email: no clipping, so no budget.
UNLIMITED = 1 << 40


def edition_key(digest: Digest) -> str:
    """Identifies the content: the same stories in the same places give the same key."""
    shape = {
        "top": [[a.id for a in story.articles] for story in digest.top],
        "sections": [
            [section.name, [[a.id for a in story.articles] for story in section.stories]]
            for section in digest.sections
        ],
    }
    encoded = json.dumps(shape, separators=(",", ":"), sort_keys=True).encode("utf-8")
    return hashlib.sha256(encoded).hexdigest()


def public_renderer(renderer: Renderer) -> Renderer:
    """A renderer like *renderer* for archived copies: same templates, no size budget."""
    return Renderer(
        title=renderer.title,
        base_url=renderer.base_url,
        postal_address=renderer.postal_address,
        templates=renderer.folders[0] if len(renderer.folders) > 1 else None,
        timezone=renderer.timezone,
        lang=renderer.lang,
        size_limit=UNLIMITED,
        cache_size=renderer.cache_size,
    )


def public_personal(base_url: str) -> Personal:
    """Stand-ins for the personal links in a copy anyone may read."""
    base = base_url.rstrip("/")
    return Personal(
        email="your address",
        unsubscribe_url=f"{base}/subscribe",
        preferences_url=f"{base}/subscribe",
        web_url=f"{base}/archive",
    )


def publish(store: Store, renderer: Renderer, digest: Digest, *, now: datetime) -> str:
    """Archive *digest*'s public copy (unless stored already); return its web address.

    *renderer* must render without a size budget (see :func:`public_renderer`).
    """
    rendered = renderer.digest(digest, personal=public_personal(renderer.base_url))
    edition_id = store.archive(
        EditionData(
            key=edition_key(digest),
            subject=rendered.subject,
            preheader=rendered.preheader,
            html=rendered.html,
            text=rendered.text,
            items=rendered.items,
            sections=tuple(section.name for section in digest.sections),
            article_ids=digest.article_ids,
            period_start=digest.since,
            period_end=digest.until,
        ),
        now=now,
    )
    return f"{renderer.base_url}/archive/{edition_id}"


__all__ = ["edition_key", "public_personal", "public_renderer", "publish"]
