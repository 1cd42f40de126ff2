"""One recipient's digest, built once: composed, rendered, and made into message bytes.

:func:`build_digest` is the one code path from the stored articles to the bytes
handed to the SMTP server.  The operator preview and ``digest preview`` call it,
and sending will call it, so what the operator previews is what would be sent;
the only inputs that differ are the reader, the time and the "view in browser"
address (a preview points at the archive's index, because no edition is
published by a preview).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from email.headerregistry import Address
from email.message import EmailMessage
from zoneinfo import ZoneInfo

from digest.config import Settings
from digest.content.compose import Preferences, SectionPlan, compose, period
from digest.mail.message import build_message, recipient
from digest.mail.render import Personal, RenderedEmail, Renderer
from digest.mail.verify import checked_bytes
from digest.pipeline.audience import link_maker, list_id
from digest.records import Digest
from digest.store import Store
from subscribers.names import display_name
from subscribers.views import SubscriberView

# The default reader is nobody: an address in a domain that cannot exist (RFC 2606).
DEFAULT_READER = "preview@example.invalid"


@dataclass(frozen=True, slots=True)
class Reader:
    """Whom a digest is for: what they read, their time zone, their links and address."""

    preferences: Preferences
    timezone: tzinfo
    personal: Personal
    to: Address  # the To header and the envelope recipient
    unsubscribe_url: str
    subscriber: SubscriberView | None = None  # None: the default reader


@dataclass(frozen=True, slots=True)
class Outgoing:
    """Everything one recipient's digest is.

    ``rendered`` and ``email`` are None and ``raw`` is b"" when nothing would be
    sent (nothing new, and ``[stories] when_empty = "skip"``).
    """

    reader: Reader
    digest: Digest
    rendered: RenderedEmail | None
    email: EmailMessage | None
    raw: bytes  # the message exactly as it is handed to the SMTP server

    @property
    def would_send(self) -> bool:
        return self.rendered is not None


def section_plans(settings: Settings) -> list[SectionPlan]:
    return [SectionPlan(name=s.name, max_items=s.max_items) for s in settings.sections]


def compose_for(
    store: Store, settings: Settings, preferences: Preferences, *, now: datetime | None = None
) -> Digest:
    """The digest a subscriber with *preferences* is due now, from the stored articles."""
    now = now or datetime.now(UTC)
    start = preferences.watermark or (now - period(preferences.frequency))
    # Earlier articles come along so that stories already delivered are recognised.
    since = start - timedelta(hours=settings.stories.window_hours)
    priorities = {source.name: source.priority for source in settings.sources}
    articles = store.candidates(since=since, priorities=priorities)
    return compose(
        articles,
        sections=section_plans(settings),
        preferences=preferences,
        now=now,
        top_stories=settings.stories.top_stories,
    )


def subscriber_reader(
    settings: Settings, view: SubscriberView, *, now: datetime, web_url: str
) -> Reader:
    """*view*'s digest settings, with their own signed unsubscribe and preferences links."""
    links = link_maker(settings)
    unsubscribe = links.url("unsubscribe", view, now=now)
    name = display_name(view.name)  # a name stored before names were checked: left out if bad
    return Reader(
        preferences=Preferences(
            sections=view.sections, frequency=view.frequency, watermark=view.watermark
        ),
        timezone=ZoneInfo(view.timezone),
        personal=Personal(
            email=view.email,
            name=name,
            unsubscribe_url=unsubscribe,
            preferences_url=links.url("preferences", view, now=now),
            web_url=web_url,
        ),
        to=recipient(view.email, name),
        unsubscribe_url=unsubscribe,
        subscriber=view,
    )


def default_reader(settings: Settings, *, now: datetime, web_url: str) -> Reader:
    """Every section, a regular reader's digest of the last period, with neutral links.

    The watermark is one period back: without one the digest would greet a
    newcomer with "your first digest".  The sign-up page unsubscribes no one
    and shows no one's settings, so it stands in for both personal links.
    """
    newsletter = settings.newsletter
    neutral = f"{newsletter.base_url.rstrip('/')}/subscribe"
    return Reader(
        preferences=Preferences(
            frequency=newsletter.frequency, watermark=now - period(newsletter.frequency)
        ),
        timezone=newsletter.timezone,
        personal=Personal(
            email=DEFAULT_READER,
            unsubscribe_url=neutral,
            preferences_url=neutral,
            web_url=web_url,
        ),
        to=recipient(DEFAULT_READER),
        unsubscribe_url=neutral,
    )


def build_digest(
    store: Store, settings: Settings, renderer: Renderer, reader: Reader, *, now: datetime
) -> Outgoing:
    """Compose, render and build the message *reader* is due at *now*.

    Raises :class:`digest.errors.RenderError` for a broken template,
    :class:`digest.mail.message.MessageError` for a header that cannot be built and
    :class:`digest.mail.verify.UnsafeMessage` when the bytes would not say what the
    message does (see :mod:`digest.mail.verify`).
    """
    digest = compose_for(store, settings, reader.preferences, now=now)
    if digest.empty and settings.stories.when_empty == "skip":
        return Outgoing(reader=reader, digest=digest, rendered=None, email=None, raw=b"")
    rendered = renderer.digest(digest, personal=reader.personal, tz=reader.timezone)
    email = build_message(
        rendered,
        sender=settings.newsletter.sender,
        to=reader.to,
        unsubscribe_url=reader.unsubscribe_url,
        list_id=list_id(settings),
        list_name=settings.newsletter.title,
        date=now,
    )
    # Checked as Mailer.send checks it, so the bytes a sender gets are safe to hand over.
    raw = checked_bytes(email, (reader.to.addr_spec,))
    return Outgoing(reader=reader, digest=digest, rendered=rendered, email=email, raw=raw)
