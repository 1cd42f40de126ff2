"""The plain values of rendering: what callers give and get, and what templates see.

Callers give a :class:`Personal` (one recipient's own values) and get a
:class:`RenderedEmail`.  Templates get views made only of strings, numbers and
tuples (:class:`StoryView`, :class:`SectionView`, :class:`Link`, ...), never
the records of other stages, so a template cannot reach past what it is shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from digest.mail.slots import Filled, quoted_printable

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
    html_body: Filled | None = field(default=None, repr=False, compare=False)
    text_body: Filled | None = field(default=None, repr=False, compare=False)

    def encoded_html(self) -> str:
        """The HTML part, quoted-printable; shared pieces were encoded once."""
        return self.html_body.quoted_printable() if self.html_body else quoted_printable(self.html)

    def encoded_text(self) -> str:
        """The plain-text part, quoted-printable."""
        return self.text_body.quoted_printable() if self.text_body else quoted_printable(self.text)


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


__all__ = [
    "Link",
    "Links",
    "NewsletterView",
    "Personal",
    "Recipient",
    "RenderedEmail",
    "SectionView",
    "StoryView",
]
