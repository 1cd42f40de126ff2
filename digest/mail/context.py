"""What the templates are handed: a digest, a sign-up or a welcome turned into plain views.

Everything a template shows is made here: times in the recipient's zone,
reading times, subjects and preheaders, link numbers for the plain text, and
only links with an allowed scheme.  The digest's personal values are
placeholders (see :mod:`digest.mail.slots`), filled in per recipient later.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, tzinfo
from typing import Any
from urllib.parse import urlsplit

from digest.errors import RenderError
from digest.mail.views import Link, Links, NewsletterView, Recipient, SectionView, StoryView
from digest.records import Digest, Story
from digest.text.sanitize import clean_line

WORDS_PER_MINUTE = 230
PREHEADER_STORIES = 3
PREHEADER_LENGTH = 150

_LINK_SCHEMES = frozenset({"http", "https"})
_PERSONAL_SCHEMES = frozenset({"http", "https", "mailto"})
_DAYS = {
    "mon": "Monday",
    "tue": "Tuesday",
    "wed": "Wednesday",
    "thu": "Thursday",
    "fri": "Friday",
    "sat": "Saturday",
    "sun": "Sunday",
}


# --- links --------------------------------------------------------------------------------


def link_url(url: str, schemes: frozenset[str] = _LINK_SCHEMES) -> str:
    """*url* if it is an absolute link with an allowed scheme, else ""."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return ""
    if parts.scheme.lower() not in schemes or (parts.scheme != "mailto" and not parts.netloc):
        return ""
    return url.strip()


def personal_url(url: str, what: str) -> str:
    """A recipient's own link (http(s) or mailto), checked; :class:`RenderError` if unsafe."""
    safe = link_url(url, _PERSONAL_SCHEMES)
    if not safe or any(c in safe for c in " \t\r\n\0<>\"'"):
        raise RenderError(f"{what}: expected an http(s) or mailto URL, got {url!r}")
    return safe


class _References:
    """The numbered list of links at the end of the plain text, filled as links are made."""

    def __init__(self) -> None:
        self.links: list[Link] = []

    def __call__(self, text: str, url: str) -> Link:
        link = Link(text, link_url(url), 0)
        if link.url:
            link = replace(link, ref=len(self.links) + 1)
            self.links.append(link)
        return link


# --- times and words ----------------------------------------------------------------------


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


def since(digest: Digest, zone: tzinfo) -> str:
    """When the digest's period began, as its emails say it: "Mon 2 Jun, 07:00"."""
    return _day_time(_aware(digest.since).astimezone(zone))


def subject(title: str, stories: Sequence[Story]) -> str:
    if not stories:
        return f"{title}: nothing new"
    first = clean_line(stories[0].lead.title, max_length=120) or "today's stories"
    more = len(stories) - 1
    return f"{title}: {first}" + (f" and {more} more" if more else "")


def preheader(stories: Sequence[Story], start: str) -> str:
    if not stories:
        return f"Nothing new since {start}."
    titles = [clean_line(s.lead.title) for s in stories[:PREHEADER_STORIES]]
    line = " · ".join(t for t in titles if t)
    if len(line) > PREHEADER_LENGTH:
        line = line[: PREHEADER_LENGTH - 1].rsplit(" ", 1)[0].rstrip(" ·") + "…"
    return line


def schedule(frequency: str, weekday: str, send_at: str, timezone: str) -> str:
    """e.g. "every day at 07:00 (Europe/Paris time)" or "every Monday at 07:00"."""
    when = (
        f"every {_DAYS.get(weekday[:3].lower(), 'week')}" if frequency == "weekly" else "every day"
    )
    if send_at:
        when += f" at {send_at}"
    if timezone:
        when += f" ({timezone} time)"
    return when


def recipient(name: str, email: str) -> Recipient:
    name = clean_line(name, max_length=100)
    return Recipient(name, clean_line(email, max_length=254), bool(name))


# --- contexts -----------------------------------------------------------------------------


def common(newsletter: NewsletterView, lang: str, subject: str, preheader: str) -> dict[str, Any]:
    """What every email template gets."""
    return {
        "lang": lang,
        "subject": subject,
        "preheader": preheader,
        "newsletter": newsletter,
    }


def _story_view(
    story: Story, section: str, zone: tzinfo, today: date, ref: Callable[[str, str], Link]
) -> StoryView:
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


def digest_context(
    digest: Digest,
    *,
    zone: tzinfo,
    named: bool,
    overflow: int,
    placeholder: Callable[[str], str],
) -> dict[str, Any]:
    """The digest template's own context (with :func:`common`'s), personal values as placeholders.

    Links are numbered in the order the stories appear: top stories, then each section.
    """
    until = _aware(digest.until).astimezone(zone)
    today = until.date()
    ref = _References()
    top = tuple(_story_view(s, "Top stories", zone, today, ref) for s in digest.top)
    sections = tuple(
        SectionView(
            name=sec.name,
            anchor=_anchor(sec.name),
            stories=tuple(_story_view(s, sec.name, zone, today, ref) for s in sec.stories),
            more=sec.more,
        )
        for sec in digest.sections
        if sec.stories or sec.more
    )
    stories = digest.stories
    return {
        "digest": digest,
        "date": long_date(until),
        "date_iso": until.date().isoformat(),
        "since": since(digest, zone),
        "top": top,
        "sections": sections,
        "items": len(stories),
        "source_count": len({a.source for s in stories for a in s.articles}),
        "left_out": digest.left_out,
        "overflow": overflow,
        "empty": digest.empty,
        "first": digest.first,
        "references": tuple(ref.links),
        "recipient": Recipient(placeholder("name"), placeholder("email"), named),
        "links": Links(
            unsubscribe=placeholder("unsubscribe_url"),
            preferences=placeholder("preferences_url"),
            web=placeholder("web_url"),
        ),
    }


__all__ = [
    "WORDS_PER_MINUTE",
    "common",
    "digest_context",
    "link_url",
    "long_date",
    "personal_url",
    "preheader",
    "reading_minutes",
    "recipient",
    "schedule",
    "since",
    "subject",
]
