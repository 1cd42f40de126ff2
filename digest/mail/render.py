"""Render emails and web pages from Jinja templates; email HTML through MJML.

:class:`Renderer` ties the steps together, for one newsletter:

* :mod:`digest.mail.context` turns a digest (or a sign-up) into the plain
  views the templates are given (:mod:`digest.mail.views`);
* :mod:`digest.mail.templates` renders them with Jinja (its folders, filters,
  escaping, and errors that name the template's file and line);
* :mod:`digest.mail.compiler` compiles the email's MJML to HTML;
* :mod:`digest.mail.fitting` keeps the HTML part under :data:`HTML_SIZE_LIMIT`
  by dropping the lowest-ranked stories, which :attr:`RenderedEmail.overflow`
  counts and the email points to on the web version.

The digest is the hot path.  Many subscribers get the same content (same
sections, same period, same time zone), so the template is rendered and the
MJML compiled once per distinct content with *placeholders* where personal
values go (name, address, the unsubscribe, preferences and web-version links).
The compiled HTML and the text part are cached, split at the placeholders
(:mod:`digest.mail.slots`); each subscriber then costs one ``"".join`` of the
shared pieces and their own escaped values.  The quoted-printable encoding of
the shared pieces is cached too, so :mod:`digest.mail.message` encodes only
the personal values per recipient.
"""

from __future__ import annotations

import html
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any

from digest.errors import RenderError
from digest.mail import context as ctx
from digest.mail.compiler import compile_mjml
from digest.mail.context import WORDS_PER_MINUTE, link_url, personal_url, reading_minutes
from digest.mail.fitting import HTML_SIZE_LIMIT, RESERVE_KEY, Reserve, fit, wider_reserve
from digest.mail.slots import Filled, Placeholders, Skeleton
from digest.mail.templates import Templates, article_html, wrap
from digest.mail.views import (
    Link,
    Links,
    NewsletterView,
    Personal,
    Recipient,
    RenderedEmail,
    SectionView,
    StoryView,
)
from digest.records import Digest
from digest.resources import templates_dir
from digest.text.sanitize import clean_line

if TYPE_CHECKING:
    import jinja2

    from digest.config import NewsletterSettings

CACHE_SIZE = 256  # distinct digest contents kept compiled
CONFIRM_DAYS = 7  # how long a confirmation link works (subscribers.tokens)

DIGEST_TEMPLATE = "email/digest"
CONFIRM_TEMPLATE = "email/confirm"
WELCOME_TEMPLATE = "email/welcome"


@dataclass(frozen=True, slots=True)
class _Content:
    """One distinct digest, compiled: shared by every subscriber who gets it."""

    html: Skeleton
    text: Skeleton
    subject: str
    preheader: str
    items: int
    overflow: int


class Renderer:
    """Templates to finished emails and pages, for one newsletter."""

    def __init__(
        self,
        *,
        title: str,
        base_url: str,
        postal_address: str = "",
        templates: Path | None = None,
        timezone: tzinfo = UTC,
        lang: str = "en",
        size_limit: int = HTML_SIZE_LIMIT,
        cache_size: int = CACHE_SIZE,
        reload: bool = False,
    ) -> None:
        self.title = clean_line(title) or "Digest"
        self.base_url = base_url.rstrip("/")
        self.postal_address = postal_address.strip()
        self.timezone = timezone
        self.lang = lang
        self.size_limit = size_limit
        self.cache_size = cache_size
        self._templates = Templates(tuple(p for p in (templates, templates_dir()) if p is not None))
        self._placeholder = Placeholders()
        self._cache: OrderedDict[Any, _Content] = OrderedDict()
        self._lock = threading.Lock()
        self.compiles = 0  # MJML compilations so far (the expensive step)
        self.reload = reload  # drop compiled digests when a template file changes (preview)
        self._stamp = self.templates_stamp() if reload else ()

    @classmethod
    def from_settings(cls, newsletter: NewsletterSettings, **options: Any) -> Renderer:
        return cls(
            title=newsletter.title,
            base_url=newsletter.base_url,
            postal_address=newsletter.postal_address,
            templates=newsletter.templates,
            timezone=newsletter.timezone,
            **options,
        )

    @property
    def folders(self) -> tuple[Path, ...]:
        """The template folders, searched in order: the operator's, then the built-in one."""
        return self._templates.folders

    @property
    def env(self) -> jinja2.Environment:
        return self._templates.env

    # -- public API --------------------------------------------------------------------------

    def digest(
        self, digest: Digest, *, personal: Personal, tz: tzinfo | None = None
    ) -> RenderedEmail:
        """The digest email for one recipient, in their time zone (default: the newsletter's)."""
        zone = tz or self.timezone
        text_values = self._personal(personal)
        html_values = {k: html.escape(v, quote=True) for k, v in text_values.items()}
        named = bool(text_values["name"])
        content = self._content(digest, zone, named, RESERVE_KEY)
        lengths = {k: len(v.encode("utf-8")) for k, v in html_values.items()}
        wider = wider_reserve(lengths)
        if wider is not None and content.html.estimate(lengths) > self.size_limit:
            # This recipient's values are longer than the reserve: fit for them exactly.
            content = self._content(digest, zone, named, wider)
        return RenderedEmail(
            subject=content.subject,
            html=content.html.fill(html_values),
            text=content.text.fill(text_values),
            preheader=content.preheader,
            size=content.html.size(html_values),
            items=content.items,
            overflow=content.overflow,
            html_body=Filled(content.html, html_values),
            text_body=Filled(content.text, text_values),
        )

    def confirm(
        self, *, email: str, confirm_url: str, name: str = "", expires_days: int = CONFIRM_DAYS
    ) -> RenderedEmail:
        """The sign-up confirmation: a button to *confirm_url*, valid *expires_days* days."""
        subject = f"Confirm your subscription to {self.title}"
        context = {
            **self._common(subject, f"One click to start receiving {self.title}."),
            "recipient": ctx.recipient(name, email),
            "confirm_url": personal_url(confirm_url, "confirm_url"),
            "expires_days": expires_days,
        }
        return self._single(CONFIRM_TEMPLATE, context)

    def welcome(
        self,
        *,
        email: str,
        preferences_url: str,
        unsubscribe_url: str,
        name: str = "",
        sections: Sequence[str] = (),
        frequency: str = "daily",
        weekday: str = "",
        send_at: str = "",
        timezone: str = "",
    ) -> RenderedEmail:
        """The mail after confirming: what they will get and when, and how to change it."""
        subject = f"Welcome to {self.title}"
        schedule = ctx.schedule(frequency, weekday, send_at, timezone)
        context = {
            **self._common(subject, f"Your first digest arrives {schedule}."),
            "recipient": ctx.recipient(name, email),
            "links": Links(
                unsubscribe=personal_url(unsubscribe_url, "unsubscribe_url"),
                preferences=personal_url(preferences_url, "preferences_url"),
                web=self.base_url,
            ),
            "sections": tuple(sections),
            "schedule": schedule,
            "frequency": frequency,
            "weekday": weekday,
            "send_at": send_at,
            "timezone": timezone,
        }
        return self._single(WELCOME_TEMPLATE, context)

    def page(self, name: str, **context: Any) -> str:
        """The web page ``templates/web/<name>.html`` (autoescaped)."""
        return self.render_template(f"web/{name}.html", context)

    def render_template(self, name: str, context: Mapping[str, Any]) -> str:
        """Any template by its name, e.g. ``"web/confirm.html"``; errors name file and line."""
        return self._templates.render(name, context)

    # -- the digest's shared content ---------------------------------------------------------

    def clear_cache(self) -> None:
        with self._lock:
            self._cache.clear()
            self._templates.forget()

    def templates_stamp(self) -> tuple[tuple[str, int], ...]:
        """Every template file with its modification time: changes when any template does."""
        return self._templates.stamp()

    def _content(self, digest: Digest, zone: tzinfo, named: bool, reserve: Reserve) -> _Content:
        if self.reload:
            stamp = self.templates_stamp()
            if stamp != self._stamp:
                self._stamp = stamp
                self.clear_cache()
        key = (digest, str(zone), named, reserve)
        if self.cache_size:
            with self._lock:
                cached = self._cache.get(key)
                if cached is not None:
                    self._cache.move_to_end(key)
                    return cached
        content = self._fit(digest, zone, named, dict(reserve))
        if self.cache_size:
            with self._lock:
                self._cache[key] = content
                while len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
        return content

    def _fit(
        self, digest: Digest, zone: tzinfo, named: bool, reserve: Mapping[str, int]
    ) -> _Content:
        """Compile *digest* within the size budget, and its text part to match."""

        def compile_html(trimmed: Digest, overflow: int) -> Skeleton:
            source = self._render_digest(trimmed, zone, named, "mjml", overflow)
            return self._placeholder.split(self._compile(source, f"{DIGEST_TEMPLATE}.mjml.j2"))

        fitted = fit(digest, compile_html, reserve=reserve, limit=self.size_limit)
        text = self._render_digest(fitted.digest, zone, named, "txt", fitted.dropped)
        stories = fitted.digest.stories
        return _Content(
            html=fitted.html,
            text=self._placeholder.split(text),
            subject=ctx.subject(self.title, stories),
            preheader=ctx.preheader(stories, ctx.since(digest, zone)),
            items=len(stories),
            overflow=fitted.dropped,
        )

    def _render_digest(
        self, digest: Digest, zone: tzinfo, named: bool, kind: str, overflow: int
    ) -> str:
        stories = digest.stories
        context = {
            **self._common(
                ctx.subject(self.title, stories), ctx.preheader(stories, ctx.since(digest, zone))
            ),
            **ctx.digest_context(
                digest, zone=zone, named=named, overflow=overflow, placeholder=self._placeholder
            ),
        }
        return self.render_template(f"{DIGEST_TEMPLATE}.{kind}.j2", context)

    def _common(self, subject: str, preheader: str) -> dict[str, Any]:
        lines = tuple(line.strip() for line in self.postal_address.splitlines() if line.strip())
        newsletter = NewsletterView(self.title, self.base_url, self.postal_address, lines)
        return ctx.common(newsletter, self.lang, subject, preheader)

    # -- one-off emails ----------------------------------------------------------------------

    def _single(self, template: str, context: Mapping[str, Any]) -> RenderedEmail:
        html_part = self._compile(
            self.render_template(f"{template}.mjml.j2", context), f"{template}.mjml.j2"
        )
        text_part = self.render_template(f"{template}.txt.j2", context)
        return RenderedEmail(
            subject=str(context["subject"]),
            html=html_part,
            text=text_part,
            preheader=str(context["preheader"]),
            size=len(html_part.encode("utf-8")),
        )

    # -- personal values and MJML ------------------------------------------------------------

    @staticmethod
    def _personal(personal: Personal) -> dict[str, str]:
        return {
            "name": clean_line(personal.name, max_length=100),
            "email": clean_line(personal.email, max_length=254),
            "unsubscribe_url": personal_url(personal.unsubscribe_url, "unsubscribe_url"),
            "preferences_url": personal_url(personal.preferences_url, "preferences_url"),
            "web_url": personal_url(personal.web_url, "web_url"),
        }

    def _compile(self, source: str, template: str) -> str:
        self.compiles += 1
        return compile_mjml(source, template, self._templates)


__all__ = [
    "CONFIRM_DAYS",
    "HTML_SIZE_LIMIT",
    "WORDS_PER_MINUTE",
    "Link",
    "Links",
    "NewsletterView",
    "Personal",
    "Recipient",
    "RenderError",
    "RenderedEmail",
    "Renderer",
    "SectionView",
    "StoryView",
    "article_html",
    "link_url",
    "reading_minutes",
    "wrap",
]
