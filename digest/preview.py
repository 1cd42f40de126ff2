"""Previews: the digest a subscriber would get now, rendered exactly as it would be sent.

:func:`build_preview` takes the one code path the sender takes (compose, then
render, then build the MIME message) and changes nothing: no mail leaves, no
watermark moves, no edition is archived.  ``digest preview`` writes its result
to a file; the operator page of ``digest serve`` shows it in the browser.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from zoneinfo import ZoneInfo

from subscribers.addresses import AddressError
from subscribers.service import SubscriberView

from .audience import link_maker, list_id, open_audience
from .compose import Digest, Preferences, period
from .config import Settings
from .errors import DigestError
from .message import build_message, message_bytes, recipient
from .pipeline import compose_for
from .render import Personal, RenderedEmail, Renderer
from .store import Store

# The default reader is nobody: an address in a domain that cannot exist (RFC 2606).
DEFAULT_READER = "preview@example.invalid"


class PreviewError(DigestError):
    """The preview cannot be made (an unknown or invalid subscriber address)."""

    exit_code = 2


@dataclass(frozen=True, slots=True)
class Preview:
    """One digest as it would go out now; ``rendered`` is None when nothing would."""

    digest: Digest
    rendered: RenderedEmail | None
    email: EmailMessage | None
    raw: bytes  # the message as it would be handed to the SMTP server
    to: str  # the recipient, or "the default reader"
    subscriber: SubscriberView | None
    nothing_new: str = ""  # why nothing would be sent
    warning: str = ""  # e.g. the subscriber would not get it (unsubscribed, paused)


def _who(view: SubscriberView | None) -> str:
    return view.email if view is not None else "the default reader"


def _warning(view: SubscriberView | None) -> str:
    if view is None:
        return ""
    if view.status != "active":
        return f"{view.email} is {view.status}: they would not receive this digest"
    if view.paused:
        return f"{view.email} has paused their digests: they would not receive this one now"
    return ""


def build_preview(
    store: Store,
    settings: Settings,
    renderer: Renderer,
    *,
    subscriber: str | None,
    now: datetime,
) -> Preview:
    """The digest *subscriber* (an address; None: the default reader) would get at *now*.

    The default reader takes every section and the newsletter's frequency, and
    gets the last period's stories.  Raises :class:`PreviewError` for an
    address that is invalid or not subscribed, and
    :class:`digest.errors.RenderError` for a broken template.
    """
    newsletter = settings.newsletter
    base = newsletter.base_url.rstrip("/")
    view: SubscriberView | None = None
    if subscriber is not None:
        try:
            view = open_audience(store, settings, renderer).find(subscriber)
        except AddressError as exc:
            raise PreviewError(f"--subscriber: {exc}") from exc
        if view is None:
            raise PreviewError(
                f"--subscriber: no subscriber has the address {subscriber} "
                "(see `digest subscribers list`)"
            )
    if view is not None:
        preferences = Preferences(
            sections=view.sections, frequency=view.frequency, watermark=view.watermark
        )
        zone = ZoneInfo(view.timezone)
        links = link_maker(settings)
        unsubscribe = links.url("unsubscribe", view, now=now)
        personal = Personal(
            email=view.email,
            name=view.name,
            unsubscribe_url=unsubscribe,
            preferences_url=links.url("preferences", view, now=now),
            # The edition is archived when it is sent; until then the archive's index.
            web_url=f"{base}/archive",
        )
        to = recipient(view.email, view.name)
    else:
        preferences = Preferences(frequency=newsletter.frequency)
        zone = newsletter.timezone
        unsubscribe = f"{base}/subscribe"
        personal = Personal(
            email=DEFAULT_READER,
            unsubscribe_url=unsubscribe,
            preferences_url=f"{base}/subscribe",
            web_url=f"{base}/archive",
        )
        to = recipient(DEFAULT_READER)

    digest = compose_for(store, settings, preferences, now=now)
    if digest.empty and settings.stories.when_empty == "skip":
        since = view.watermark if view and view.watermark else now - period(preferences.frequency)
        stamp = since.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")
        return Preview(
            digest=digest,
            rendered=None,
            email=None,
            raw=b"",
            to=_who(view),
            subscriber=view,
            nothing_new=f"nothing new for {_who(view)} since {stamp}: no digest would be sent",
            warning=_warning(view),
        )
    rendered = renderer.digest(digest, personal=personal, tz=zone)
    email = build_message(
        rendered,
        sender=newsletter.sender,
        to=to,
        unsubscribe_url=unsubscribe,
        list_id=list_id(settings),
        list_name=newsletter.title,
        date=now,
    )
    return Preview(
        digest=digest,
        rendered=rendered,
        email=email,
        raw=message_bytes(email),
        to=str(to),
        subscriber=view,
        warning=_warning(view),
    )


__all__ = ["DEFAULT_READER", "Preview", "PreviewError", "build_preview"]
