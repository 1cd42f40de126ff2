"""The application's side of the audience.

:mod:`subscribers` never imports :mod:`digest`; this module builds its objects
from the configuration and hands it what it needs from outside: the page
templates and a way to send the confirmation and welcome mails.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage

from digest.config import PLACEHOLDER_SECRET, Settings
from digest.mail.mailer import Mailer, Sent
from digest.mail.message import build_message, recipient
from digest.mail.render import Renderer
from digest.store import Store
from subscribers.names import display_name
from subscribers.service import Audience
from subscribers.tokens import TokenSigner
from subscribers.views import AudienceSettings, SubscriberView
from subscribers.web import LinkMaker
from subscribers.web import WebSettings as SiteSettings

log = logging.getLogger(__name__)

SIGNUP_TEMPLATE = "web/subscribe.html"


def list_id(settings: Settings) -> str:
    """The List-Id of this newsletter: ``digest.<sender's domain>``."""
    return f"digest.{settings.newsletter.sender.domain}"


def text_version(renderer: Renderer) -> str:
    """Which sign-up text a person saw: the form template's name and a hash of its source.

    Editing the form (or overriding it) gives a new version, so consent records
    say which wording each person agreed to.
    """
    source, _filename, _uptodate = renderer.env.loader.get_source(  # type: ignore[union-attr]
        renderer.env, SIGNUP_TEMPLATE
    )
    return f"subscribe.html@{hashlib.sha256(source.encode('utf-8')).hexdigest()[:12]}"


def audience_settings(settings: Settings, renderer: Renderer) -> AudienceSettings:
    newsletter = settings.newsletter
    return AudienceSettings(
        sections=tuple(section.name for section in settings.sections),
        text_version=text_version(renderer),
        frequency=newsletter.frequency,
        weekday=newsletter.weekday,
        send_at=newsletter.send_at,
        timezone=newsletter.timezone.key,
        # A salt of the operator's own, so a suppression hash cannot be looked up elsewhere.
        suppression_salt=hashlib.sha256(
            b"digest.suppressions\0" + settings.secret_key.encode("utf-8")
        ).hexdigest(),
    )


def open_audience(store: Store, settings: Settings, renderer: Renderer) -> Audience:
    return Audience(store.sessions, audience_settings(settings, renderer))


def link_maker(settings: Settings) -> LinkMaker:
    return LinkMaker(settings.newsletter.base_url, TokenSigner(settings.secret_key))


def site_settings(settings: Settings, renderer: Renderer) -> SiteSettings:
    """What the sign-up pages need, from ``[newsletter]`` and ``[web]``."""
    return SiteSettings(
        base_url=settings.newsletter.base_url,
        secret=settings.secret_key,
        audience=audience_settings(settings, renderer),
        newsletter=settings.newsletter.title,
        host=settings.web.host,
        placeholder_secret=PLACEHOLDER_SECRET,
        embed_origins=settings.web.embed_origins,
        max_confirmations_per_hour=settings.web.max_confirmations_per_hour,
    )


class AudienceMail:
    """Sends the confirmation and welcome mails: the ``send_mail`` the web app and CLI use.

    Each call opens its own SMTP connection: these mails are one at a time, and
    a connection held open between sign-ups would only time out.
    """

    def __init__(self, settings: Settings, renderer: Renderer) -> None:
        self.settings = settings
        self.renderer = renderer

    def message(
        self, kind: str, subscriber: SubscriberView, links: Mapping[str, str]
    ) -> EmailMessage:
        renderer = self.renderer
        name = display_name(subscriber.name)  # one stored before names were checked: left out
        if kind == "confirm":
            rendered = renderer.confirm(
                email=subscriber.email, name=name, confirm_url=links["confirm"]
            )
            unsubscribe = None
        elif kind == "welcome":
            sections = subscriber.sections or tuple(s.name for s in self.settings.sections)
            rendered = renderer.welcome(
                email=subscriber.email,
                name=name,
                preferences_url=links["preferences"],
                unsubscribe_url=links["unsubscribe"],
                sections=sections,
                frequency=subscriber.frequency,
                weekday=subscriber.weekday,
                send_at=subscriber.send_at,
                timezone=subscriber.timezone,
            )
            unsubscribe = links["unsubscribe"]
        else:
            raise ValueError(f"unknown mail kind {kind!r}")
        return build_message(
            rendered,
            sender=self.settings.newsletter.sender,
            to=self.to_address(subscriber),
            unsubscribe_url=unsubscribe,
            list_id=list_id(self.settings) if unsubscribe else None,
            list_name=self.settings.newsletter.title,
            date=datetime.now(UTC),
        )

    async def __call__(
        self, kind: str, subscriber: SubscriberView, links: Mapping[str, str]
    ) -> None:
        await self.send(kind, subscriber, links)

    @staticmethod
    def to_address(subscriber: SubscriberView) -> Address:
        """Who a mail to *subscriber* is for: its ``To``, and its envelope's only recipient.

        The name is checked again (:func:`subscribers.names.display_name`): one stored
        before names were checked, and not valid now, is left out.
        """
        return recipient(subscriber.email, display_name(subscriber.name))

    async def send(self, kind: str, subscriber: SubscriberView, links: Mapping[str, str]) -> Sent:
        """Render and send one mail; raises :class:`digest.mail.mailer.MailError` if not taken."""
        message = self.message(kind, subscriber, links)
        envelope_to = (self.to_address(subscriber).addr_spec,)
        async with Mailer(
            self.settings.smtp, sender=self.settings.newsletter.sender.addr_spec
        ) as mailer:
            sent = await mailer.send(message, recipients=envelope_to)
        log.info("sent the %s mail to subscriber %s", kind, subscriber.id)
        return sent
