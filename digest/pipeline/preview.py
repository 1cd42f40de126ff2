"""Previews: the digest a subscriber would get now, rendered exactly as it would be sent.

:func:`build_preview` takes the one code path the sender takes
(:func:`digest.pipeline.digests.build_digest`: compose, render, build the MIME
message) and changes nothing: no mail leaves, no
watermark moves, no edition is archived; it only reads the database.
``digest preview`` writes its result to a file; the operator page of
``digest serve`` shows it in the browser.

Without a subscriber the preview is for the *default reader*: every section,
the newsletter's frequency, and a regular reader's digest of the last period
(not a first digest), with neutral links in place of personal ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from email.message import EmailMessage

from digest.config import Settings
from digest.errors import DigestError
from digest.mail.render import RenderedEmail, Renderer
from digest.pipeline.audience import open_audience
from digest.pipeline.digests import (
    DEFAULT_READER,
    build_digest,
    default_reader,
    subscriber_reader,
)
from digest.records import Digest
from digest.store import Store
from subscribers.addresses import AddressError
from subscribers.views import SubscriberView

DEFAULT_READER_NAME = "the default reader"


class PreviewError(DigestError):
    """The preview cannot be made (an unknown or invalid subscriber address)."""

    exit_code = 2


@dataclass(frozen=True, slots=True)
class Preview:
    """One digest as it would go out now.

    ``rendered``, ``email`` and ``raw`` are None, None and b"" when nothing
    would be sent; ``nothing_new`` then says why (it is "" otherwise).
    """

    digest: Digest
    rendered: RenderedEmail | None
    email: EmailMessage | None
    raw: bytes  # the message as it would be handed to the SMTP server
    to: str  # the recipient as in the To header, or "the default reader"
    subscriber: SubscriberView | None  # None: the default reader
    timezone: tzinfo  # the reader's; the digest's times are shown in it
    nothing_new: str = ""  # why nothing would be sent
    warning: str = ""  # e.g. the subscriber would not get it (unsubscribed, paused)

    @property
    def would_send(self) -> bool:
        """Whether a digest would go out now (False: nothing new, and the config skips)."""
        return self.rendered is not None


def _who(view: SubscriberView | None) -> str:
    return view.email if view is not None else DEFAULT_READER_NAME


def _warning(view: SubscriberView | None) -> str:
    if view is None:
        return ""
    if view.status == "pending":
        return f"{view.email} is pending (not confirmed): they would not receive this digest"
    if view.status != "active":
        return f"{view.email} is {view.status}: they would not receive this digest"
    if view.paused:
        return f"{view.email} has paused their digests: they would not receive this one now"
    return ""


def find_subscriber(
    store: Store, settings: Settings, renderer: Renderer, email: str
) -> SubscriberView:
    """The subscriber with address *email*; :class:`PreviewError` when there is none."""
    try:
        view = open_audience(store, settings, renderer).find(email)
    except AddressError as exc:
        raise PreviewError(f"--subscriber: {exc}") from exc
    if view is None:
        raise PreviewError(f"--subscriber: no subscriber has the address {email}")
    return view


def build_preview(
    store: Store,
    settings: Settings,
    renderer: Renderer,
    *,
    subscriber: str | None,
    now: datetime,
) -> Preview:
    """The digest *subscriber* (an address; None: the default reader) would get at *now*.

    Raises :class:`PreviewError` for an address no subscriber has,
    :class:`digest.errors.RenderError` for a broken template and
    :class:`digest.mail.message.MessageError` for a header that cannot be built.
    """
    # No edition is archived by a preview, so the "view in browser" link cannot
    # point at this one yet: it points at the archive's index instead.
    web_url = f"{settings.newsletter.base_url.rstrip('/')}/archive"
    view = None if subscriber is None else find_subscriber(store, settings, renderer, subscriber)
    reader = (
        default_reader(settings, now=now, web_url=web_url)
        if view is None
        else subscriber_reader(settings, view, now=now, web_url=web_url)
    )
    outgoing = build_digest(store, settings, renderer, reader, now=now)
    nothing_new = ""
    if not outgoing.would_send:
        stamp = outgoing.digest.since.astimezone(reader.timezone).strftime("%Y-%m-%d %H:%M %Z")
        nothing_new = f"nothing new for {_who(view)} since {stamp}: no digest would be sent"
    return Preview(
        digest=outgoing.digest,
        rendered=outgoing.rendered,
        email=outgoing.email,
        raw=outgoing.raw,
        to=str(reader.to) if outgoing.would_send else _who(view),
        subscriber=view,
        timezone=reader.timezone,
        nothing_new=nothing_new,
        warning=_warning(view),
    )


__all__ = [
    "DEFAULT_READER",
    "Preview",
    "PreviewError",
    "build_preview",
    "find_subscriber",
]
