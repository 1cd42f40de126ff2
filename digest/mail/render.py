"""Render emails and web pages from Jinja templates; email HTML through MJML.

A :class:`Renderer` loads templates from the operator's folder first, then the
built-in ``templates/`` folder.  Autoescaping is on for ``.mjml.j2`` and
``.html`` templates (and anything not plain text), off for ``.txt.j2``;
undefined variables are errors; the only way to mark markup safe is the
``article_html`` filter, which sanitises first.

The digest is the hot path.  Many subscribers get the same content (same
sections, same period, same time zone), so the template is rendered and the
MJML compiled once per distinct content with *placeholders* where personal
values go (name, address, the unsubscribe, preferences and web-version links).
The compiled HTML and the text part are cached, split at the placeholders;
each subscriber then costs one ``"".join`` of the shared pieces and their own
escaped values.  The quoted-printable encoding of the shared pieces is cached
too, so :mod:`digest.mail.message` encodes only the personal values per recipient.

Size budget: the HTML part stays under :data:`HTML_SIZE_LIMIT` (Gmail clips a
message at about 102 KB).  A digest that would exceed it loses its
lowest-ranked stories, whole, from the ends of their sections; the email then
says how many more stories are on the web version, and
:attr:`RenderedEmail.overflow` counts them.
"""

from __future__ import annotations

import binascii
import contextlib
import heapq
import html
import math
import re
import secrets
import textwrap
import threading
import traceback
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import jinja2
from lxml import etree
from markupsafe import Markup
from mjml import mjml2html

from digest.errors import RenderError
from digest.records import Digest, DigestSection, Story
from digest.resources import templates_dir
from digest.text.sanitize import clean_html, clean_line

if TYPE_CHECKING:
    from digest.config import NewsletterSettings

HTML_SIZE_LIMIT = 100 * 1024  # bytes of the HTML part; Gmail clips at about 102 KB
WORDS_PER_MINUTE = 230
TEXT_WIDTH = 72
CACHE_SIZE = 256  # distinct digest contents kept compiled
CONFIRM_DAYS = 7  # how long a confirmation link works (subscribers.tokens)
PREHEADER_STORIES = 3
PREHEADER_LENGTH = 150

DIGEST_TEMPLATE = "email/digest"
CONFIRM_TEMPLATE = "email/confirm"
WELCOME_TEMPLATE = "email/welcome"

# Bytes set aside for each personal value while fitting the size budget; a
# subscriber whose values are longer gets a fit of their own (rare).
_RESERVE = {
    "name": 120,
    "email": 254,
    "unsubscribe_url": 400,
    "preferences_url": 400,
    "web_url": 400,
}
_RESERVE_KEY = tuple(sorted(_RESERVE.items()))
_LINK_SCHEMES = frozenset({"http", "https"})
_PERSONAL_SCHEMES = frozenset({"http", "https", "mailto"})
_MRML_POSITION = re.compile(r"at position (\d+):(\d+)")
_IGNORED_XML_ERRORS = frozenset({"ERR_UNDECLARED_ENTITY", "WAR_UNDECLARED_ENTITY"})
# A misnested MJML element (not HTML inside mj-text, which MRML reads leniently).
_MJML_MISMATCH = re.compile(r"mismatch: mj[\w-]* line \d+ and mj[\w-]*")


# --- what callers get and give ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Personal:
    """One recipient's own values, filled into the shared rendering."""

    email: str
    unsubscribe_url: str
    preferences_url: str
    web_url: str  # the web version of this edition (the archive)
    name: str = ""


@dataclass(frozen=True, slots=True)
class RenderedEmail:
    """One finished email: subject, both parts, and what went into it."""

    subject: str
    html: str
    text: str
    preheader: str = ""
    size: int = 0  # bytes of the HTML part (UTF-8)
    items: int = 0  # stories in the email
    overflow: int = 0  # stories moved to the web version by the size budget
    html_body: _Filled | None = field(default=None, repr=False, compare=False)
    text_body: _Filled | None = field(default=None, repr=False, compare=False)

    def encoded_html(self) -> str:
        """The HTML part, quoted-printable; shared pieces were encoded once."""
        return self.html_body.quoted_printable() if self.html_body else _qp(self.html)

    def encoded_text(self) -> str:
        """The plain-text part, quoted-printable."""
        return self.text_body.quoted_printable() if self.text_body else _qp(self.text)


# --- what templates get -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Link:
    text: str
    url: str  # "" when the address is not an http(s) link
    ref: int  # its number in the plain text's list of links


@dataclass(frozen=True, slots=True)
class StoryView:
    title: str
    url: str
    ref: int
    source: str
    author: str
    time: str  # in the subscriber's time zone: "14:05", or "Mon 2 Jun, 14:05"
    datetime: str  # ISO 8601, for <time datetime>
    minutes: int  # reading time; 0 when the length is unknown
    summary: str  # plain text
    also: tuple[Link, ...]
    section: str


@dataclass(frozen=True, slots=True)
class SectionView:
    name: str
    anchor: str
    stories: tuple[StoryView, ...]
    more: int  # stories of this section not in the email


@dataclass(frozen=True, slots=True)
class NewsletterView:
    title: str
    base_url: str
    postal_address: str
    postal_lines: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Recipient:
    name: str
    email: str
    has_name: bool


@dataclass(frozen=True, slots=True)
class Links:
    unsubscribe: str
    preferences: str
    web: str


# --- the shared rendering, split at the personal values -----------------------------------


def _qp(text: str) -> str:
    return binascii.b2a_qp(text.encode("utf-8"), istext=True).decode("ascii")


def _soft_break(encoded: str) -> str:
    """End an encoded piece with a soft line break so the next starts a fresh line."""
    return encoded if not encoded or encoded.endswith("\n") else encoded + "=\n"


class _Skeleton:
    """Rendered output with named slots: even pieces are shared text, odd ones slot names."""

    __slots__ = ("_qp_pieces", "literal_bytes", "occurrences", "pieces", "slots")

    def __init__(self, rendered: str, pattern: re.Pattern[str]) -> None:
        self.pieces = pattern.split(rendered)
        self.slots = [(i, self.pieces[i]) for i in range(1, len(self.pieces), 2)]
        self.literal_bytes = sum(
            len(self.pieces[i].encode("utf-8")) for i in range(0, len(self.pieces), 2)
        )
        self.occurrences: dict[str, int] = {}
        for _i, name in self.slots:
            self.occurrences[name] = self.occurrences.get(name, 0) + 1
        self._qp_pieces: list[str] | None = None

    def size(self, values: Mapping[str, str]) -> int:
        """Bytes of the output once *values* are filled in."""
        return self.estimate({name: len(value.encode("utf-8")) for name, value in values.items()})

    def estimate(self, lengths: Mapping[str, int]) -> int:
        """Bytes of the output with values of the given lengths in bytes."""
        return self.literal_bytes + sum(
            count * lengths[name] for name, count in self.occurrences.items()
        )

    def fill(self, values: Mapping[str, str]) -> str:
        out = self.pieces.copy()
        for i, name in self.slots:
            out[i] = values[name]
        return "".join(out)

    def quoted_printable(self, values: Mapping[str, str]) -> str:
        pieces = self._qp_pieces
        if pieces is None:  # encoded once, on first use; a race only repeats the work
            pieces = [_soft_break(_qp(p)) if i % 2 == 0 else "" for i, p in enumerate(self.pieces)]
            self._qp_pieces = pieces
        out = pieces.copy()
        encoded = {name: _soft_break(_qp(value)) for name, value in values.items()}
        for i, name in self.slots:
            out[i] = encoded[name]
        return "".join(out)


@dataclass(frozen=True, slots=True)
class _Filled:
    skeleton: _Skeleton
    values: Mapping[str, str]

    def quoted_printable(self) -> str:
        return self.skeleton.quoted_printable(self.values)


@dataclass(frozen=True, slots=True)
class _Content:
    """One distinct digest, compiled: shared by every subscriber who gets it."""

    html: _Skeleton
    text: _Skeleton
    subject: str
    preheader: str
    items: int
    overflow: int


# --- small helpers ------------------------------------------------------------------------


def _autoescape(name: str | None) -> bool:
    """Escape everything but plain text (select_autoescape does not know ``.mjml.j2``)."""
    return name is None or not name.endswith((".txt.j2", ".txt"))


def wrap(text: str, width: int = TEXT_WIDTH, indent: str = "", first: str | None = None) -> str:
    """Wrap *text* to *width* columns, never breaking words or URLs."""
    return textwrap.fill(
        " ".join(str(text).split()),
        width=width,
        initial_indent=indent if first is None else first,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    )


def refs(links: Sequence[Link]) -> str:
    """Links as plain text with their reference numbers: "BBC [4], Reuters [5]"."""
    return ", ".join(f"{link.text} [{link.ref}]" if link.ref else link.text for link in links)


def article_html(fragment: str) -> Markup:
    """Article HTML, sanitised with the allow-list, then (only then) marked safe."""
    return Markup(clean_html(str(fragment)))


def link_url(url: str, schemes: frozenset[str] = _LINK_SCHEMES) -> str:
    """*url* if it is an absolute link with an allowed scheme, else ""."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return ""
    if parts.scheme.lower() not in schemes or (parts.scheme != "mailto" and not parts.netloc):
        return ""
    return url.strip()


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def long_date(moment: datetime) -> str:
    return f"{moment:%A}, {moment.day} {moment:%B %Y}"


def _day_time(moment: datetime) -> str:
    return f"{moment:%a} {moment.day} {moment:%b}, {moment:%H:%M}"


def _short_time(moment: datetime, today: date) -> str:
    return f"{moment:%H:%M}" if moment.date() == today else _day_time(moment)


def reading_minutes(words: int) -> int:
    return math.ceil(words / WORDS_PER_MINUTE) if words > 0 else 0


def _anchor(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "section"


def _subject(title: str, stories: Sequence[Story]) -> str:
    if not stories:
        return f"{title}: nothing new"
    first = clean_line(stories[0].lead.title, max_length=120) or "today's stories"
    more = len(stories) - 1
    return f"{title}: {first}" + (f" and {more} more" if more else "")


def _preheader(stories: Sequence[Story], since: str) -> str:
    if not stories:
        return f"Nothing new since {since}."
    titles = [clean_line(s.lead.title) for s in stories[:PREHEADER_STORIES]]
    line = " · ".join(t for t in titles if t)
    if len(line) > PREHEADER_LENGTH:
        line = line[: PREHEADER_LENGTH - 1].rsplit(" ", 1)[0].rstrip(" ·") + "…"
    return line


def _drop_order(sections: Sequence[DigestSection]) -> list[int]:
    """Section index of each story in the order the size budget drops them.

    Always the last story still in some section, the lowest-ranked of those first
    (ties: the later section), so stories leave from the ends of their sections.
    """
    heap: list[tuple[float, int, int]] = []
    for s, section in enumerate(sections):
        if section.stories:
            heap.append((section.stories[-1].score, -s, len(section.stories) - 1))
    heapq.heapify(heap)
    order: list[int] = []
    while heap:
        _score, neg, index = heapq.heappop(heap)
        order.append(-neg)
        if index > 0:
            story = sections[-neg].stories[index - 1]
            heapq.heappush(heap, (story.score, neg, index - 1))
    return order


def _trim(digest: Digest, order: Sequence[int], drop: int) -> Digest:
    if not drop:
        return digest
    dropped = [0] * len(digest.sections)
    for s in order[:drop]:
        dropped[s] += 1
    sections = tuple(
        replace(sec, stories=sec.stories[: len(sec.stories) - d], more=sec.more + d)
        for sec, d in zip(digest.sections, dropped, strict=True)
    )
    return replace(digest, sections=sections)


# --- the renderer -------------------------------------------------------------------------


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
        self.folders = tuple(p for p in (templates, templates_dir()) if p is not None)
        self.env = jinja2.Environment(
            loader=jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(p)) for p in self.folders]),
            autoescape=_autoescape,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            auto_reload=True,
        )
        self.env.filters["wrap"] = wrap
        self.env.filters["article_html"] = article_html
        self.env.filters["refs"] = refs
        nonce = secrets.token_hex(6)
        self._slot_prefix = f"@@dg{nonce}:"
        self._slot_pattern = re.compile(re.escape(self._slot_prefix) + r"([a-z_]+)@@")
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

    # -- public API --------------------------------------------------------------------------

    def digest(
        self, digest: Digest, *, personal: Personal, tz: tzinfo | None = None
    ) -> RenderedEmail:
        """The digest email for one recipient, in their time zone (default: the newsletter's)."""
        zone = tz or self.timezone
        text_values = self._personal(personal)
        html_values = {k: html.escape(v, quote=True) for k, v in text_values.items()}
        named = bool(text_values["name"])
        content = self._content(digest, zone, named, _RESERVE_KEY)
        lengths = {k: len(v.encode("utf-8")) for k, v in html_values.items()}
        if any(lengths[k] > _RESERVE[k] for k in lengths) and (
            content.html.estimate(lengths) > self.size_limit
        ):
            # This recipient's values are longer than the reserve: fit for them exactly.
            reserve = tuple(sorted({k: max(_RESERVE[k], n) for k, n in lengths.items()}.items()))
            content = self._content(digest, zone, named, reserve)
        html_body = _Filled(content.html, html_values)
        text_body = _Filled(content.text, text_values)
        return RenderedEmail(
            subject=content.subject,
            html=content.html.fill(html_values),
            text=content.text.fill(text_values),
            preheader=content.preheader,
            size=content.html.size(html_values),
            items=content.items,
            overflow=content.overflow,
            html_body=html_body,
            text_body=text_body,
        )

    def confirm(
        self, *, email: str, confirm_url: str, name: str = "", expires_days: int = CONFIRM_DAYS
    ) -> RenderedEmail:
        """The sign-up confirmation: a button to *confirm_url*, valid *expires_days* days."""
        subject = f"Confirm your subscription to {self.title}"
        context = {
            **self._common(subject, f"One click to start receiving {self.title}."),
            "recipient": _recipient(name, email),
            "confirm_url": self._personal_url(confirm_url, "confirm_url"),
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
        schedule = _schedule(frequency, weekday, send_at, timezone)
        context = {
            **self._common(subject, f"Your first digest arrives {schedule}."),
            "recipient": _recipient(name, email),
            "links": Links(
                unsubscribe=self._personal_url(unsubscribe_url, "unsubscribe_url"),
                preferences=self._personal_url(preferences_url, "preferences_url"),
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
        try:
            template = self.env.get_template(name)
            return template.render(context)
        except jinja2.TemplateSyntaxError as exc:
            where = exc.filename or exc.name or name
            raise RenderError(f"{where}:{exc.lineno}: {exc.message}") from exc
        except jinja2.TemplateNotFound as exc:
            folders = ", ".join(str(p) for p in self.folders)
            raise RenderError(f"template {exc.name} not found in {folders}") from exc
        except (jinja2.TemplateError, TypeError, ValueError, LookupError, ArithmeticError) as exc:
            message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
            raise RenderError(f"{self._where(exc, name)}: {message}") from exc

    # -- the digest's shared content ---------------------------------------------------------

    def clear_cache(self) -> None:
        with self._lock:
            self._cache.clear()
            # Jinja rechecks a cached template's own file, but not whether an override
            # now shadows it: forget them all.
            if self.env.cache is not None:
                self.env.cache.clear()

    def templates_stamp(self) -> tuple[tuple[str, int], ...]:
        """Every template file with its modification time: changes when any template does."""
        return tuple(
            (str(path), path.stat().st_mtime_ns)
            for folder in self.folders
            for pattern in ("email/*.j2", "web/*.html")
            for path in sorted(folder.glob(pattern))
        )

    def _content(
        self, digest: Digest, zone: tzinfo, named: bool, reserve: tuple[tuple[str, int], ...]
    ) -> _Content:
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
        """Compile *digest*, dropping as few whole stories as the size budget needs."""
        order = _drop_order(digest.sections)
        tried: dict[int, tuple[_Skeleton, Digest]] = {}

        def size(drop: int) -> int:
            if drop not in tried:
                trimmed = _trim(digest, order, drop)
                source = self._render_digest(trimmed, zone, named, "mjml", drop)
                compiled = self._compile(source, f"{DIGEST_TEMPLATE}.mjml.j2")
                tried[drop] = (_Skeleton(compiled, self._slot_pattern), trimmed)
            return tried[drop][0].estimate(reserve)

        limit = self.size_limit
        fits, too_big = len(order), 0  # fewest drops known to fit, most known not to
        if size(0) <= limit:
            fits = 0
        elif size(fits) > limit:
            pass  # even without section stories it is too big: send what is left
        else:
            # Sizes fall about linearly with each story dropped: interpolate, then bisect.
            for step in range(32):
                if fits - too_big <= 1:
                    break
                big, small = size(too_big), size(fits)
                if step < 3 and big > small:
                    guess = too_big + round((fits - too_big) * (big - limit) / (big - small))
                else:
                    guess = (too_big + fits) // 2
                guess = min(max(guess, too_big + 1), fits - 1)
                if size(guess) <= limit:
                    fits = guess
                else:
                    too_big = guess
        skeleton, trimmed = tried[fits]
        text = _Skeleton(self._render_digest(trimmed, zone, named, "txt", fits), self._slot_pattern)
        stories = trimmed.stories
        since = _day_time(_aware(digest.since).astimezone(zone))
        return _Content(
            html=skeleton,
            text=text,
            subject=_subject(self.title, stories),
            preheader=_preheader(stories, since),
            items=len(stories),
            overflow=fits,
        )

    def _render_digest(
        self, digest: Digest, zone: tzinfo, named: bool, kind: str, overflow: int
    ) -> str:
        context = self._digest_context(digest, zone, named, overflow)
        return self.render_template(f"{DIGEST_TEMPLATE}.{kind}.j2", context)

    def _digest_context(
        self, digest: Digest, zone: tzinfo, named: bool, overflow: int
    ) -> dict[str, Any]:
        until = _aware(digest.until).astimezone(zone)
        today = until.date()
        refs: list[Link] = []

        def ref(text: str, url: str) -> Link:
            link = Link(text, link_url(url), 0)
            if link.url:
                link = replace(link, ref=len(refs) + 1)
                refs.append(link)
            return link

        def view(story: Story, section: str) -> StoryView:
            lead = story.lead
            title = clean_line(lead.title) or "(untitled)"
            main = ref(title, lead.url)
            published = _aware(lead.published).astimezone(zone)
            also = tuple(ref(clean_line(a.source), a.url) for a in story.also)
            return StoryView(
                title=title,
                url=main.url,
                ref=main.ref,
                source=clean_line(lead.source),
                author=clean_line(lead.author),
                time=_short_time(published, today),
                datetime=published.isoformat(timespec="minutes"),
                minutes=reading_minutes(lead.words),
                summary=" ".join(" ".join(lead.summary).split()),
                also=tuple(a for a in also if a.url),
                section=section,
            )

        top = tuple(view(s, "Top stories") for s in digest.top)
        sections = tuple(
            SectionView(
                name=sec.name,
                anchor=_anchor(sec.name),
                stories=tuple(view(s, sec.name) for s in sec.stories),
                more=sec.more,
            )
            for sec in digest.sections
            if sec.stories or sec.more
        )
        stories = digest.stories
        since = _day_time(_aware(digest.since).astimezone(zone))
        slot = self._slot_prefix
        return {
            **self._common(_subject(self.title, stories), _preheader(stories, since)),
            "digest": digest,
            "date": long_date(until),
            "date_iso": until.date().isoformat(),
            "since": since,
            "top": top,
            "sections": sections,
            "items": len(stories),
            "source_count": len({a.source for s in stories for a in s.articles}),
            "left_out": digest.left_out,
            "overflow": overflow,
            "empty": digest.empty,
            "first": digest.first,
            "references": tuple(refs),
            "recipient": Recipient(f"{slot}name@@", f"{slot}email@@", named),
            "links": Links(
                unsubscribe=f"{slot}unsubscribe_url@@",
                preferences=f"{slot}preferences_url@@",
                web=f"{slot}web_url@@",
            ),
        }

    def _common(self, subject: str, preheader: str) -> dict[str, Any]:
        lines = tuple(line.strip() for line in self.postal_address.splitlines() if line.strip())
        return {
            "lang": self.lang,
            "subject": subject,
            "preheader": preheader,
            "newsletter": NewsletterView(self.title, self.base_url, self.postal_address, lines),
        }

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

    # -- personal values ---------------------------------------------------------------------

    @staticmethod
    def _personal_url(url: str, what: str) -> str:
        safe = link_url(url, _PERSONAL_SCHEMES)
        if not safe or any(c in safe for c in " \t\r\n\0<>\"'"):
            raise RenderError(f"{what}: expected an http(s) or mailto URL, got {url!r}")
        return safe

    def _personal(self, personal: Personal) -> dict[str, str]:
        return {
            "name": clean_line(personal.name, max_length=100),
            "email": clean_line(personal.email, max_length=254),
            "unsubscribe_url": self._personal_url(personal.unsubscribe_url, "unsubscribe_url"),
            "preferences_url": self._personal_url(personal.preferences_url, "preferences_url"),
            "web_url": self._personal_url(personal.web_url, "web_url"),
        }

    # -- MJML and errors ---------------------------------------------------------------------

    def _compile(self, source: str, template: str) -> str:
        self.compiles += 1
        try:
            return mjml2html(source, disable_comments=True, fonts={})
        except ValueError as exc:
            raise RenderError(self._mjml_problem(source, template, str(exc))) from exc

    def _mjml_problem(self, source: str, template: str, message: str) -> str:
        """One line naming where invalid MJML came from: a template line if it can tell."""
        line = 0
        parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True)
        with contextlib.suppress(etree.XMLSyntaxError):
            etree.fromstring(source.encode("utf-8"), parser)
        errors = [e for e in parser.error_log if e.type_name not in _IGNORED_XML_ERRORS]
        found = _MRML_POSITION.search(message)
        if found:
            line = source.encode("utf-8")[: int(found.group(1))].count(b"\n") + 1
            message = message[: found.start()].rstrip()
            # MRML tends to report a stray or missing closing tag where the parent
            # element ends; an MJML element misnested earlier is the real culprit.
            for error in errors:
                if error.line < line and _MJML_MISMATCH.search(error.message):
                    line, message = error.line, f"{message} ({error.message})"
                    break
        elif errors:
            line, message = errors[0].line, f"{message} ({errors[0].message})"
        origin = self._template_file(template)
        if not line:
            return f"{origin}: invalid MJML: {message}"
        snippet = source.splitlines()[line - 1].strip() if line <= source.count("\n") + 1 else ""
        located = self._find_line(snippet)
        if located:
            return f"{located}: invalid MJML: {message}"
        return f"{origin}: invalid MJML at line {line} of its output ({snippet[:60]!r}): {message}"

    def _template_file(self, name: str) -> str:
        for folder in self.folders:
            if (folder / name).is_file():
                return str(folder / name)
        return name

    def _find_line(self, snippet: str) -> str:
        """``file:line`` of the one email template line that is exactly *snippet*, if any."""
        if len(snippet) < 3:
            return ""
        hits: list[str] = []
        seen: set[str] = set()
        for folder in self.folders:
            for path in sorted((folder / "email").glob("*.mjml.j2")):
                if path.name in seen:
                    continue  # overridden by the operator's folder
                seen.add(path.name)
                lines = path.read_text(encoding="utf-8").splitlines()
                hits += [
                    f"{path}:{n}" for n, text in enumerate(lines, 1) if text.strip() == snippet
                ]
        return hits[0] if len(hits) == 1 else ""

    def _where(self, exc: BaseException, name: str) -> str:
        """``file:line`` of the innermost template frame in *exc*'s traceback."""
        roots = tuple(str(folder) for folder in self.folders)
        for frame in reversed(traceback.extract_tb(exc.__traceback__)):
            if frame.filename.startswith(roots):
                return f"{frame.filename}:{frame.lineno}"
        return self._template_file(name)


def _recipient(name: str, email: str) -> Recipient:
    name = clean_line(name, max_length=100)
    return Recipient(name, clean_line(email, max_length=254), bool(name))


def _schedule(frequency: str, weekday: str, send_at: str, timezone: str) -> str:
    """e.g. "every day at 07:00 (Europe/Paris time)" or "every Monday at 07:00"."""
    days = {
        "mon": "Monday",
        "tue": "Tuesday",
        "wed": "Wednesday",
        "thu": "Thursday",
        "fri": "Friday",
        "sat": "Saturday",
        "sun": "Sunday",
    }
    when = (
        f"every {days.get(weekday[:3].lower(), 'week')}" if frequency == "weekly" else "every day"
    )
    if send_at:
        when += f" at {send_at}"
    if timezone:
        when += f" ({timezone} time)"
    return when


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
