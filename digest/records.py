"""Plain data passed between the stages.

What gathering found, what the store holds, and the composed digest that
rendering and sending take: frozen dataclasses, no behaviour beyond derived
properties, so that ``gather``, ``content`` and ``mail`` share values, not
each other's modules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class ArticleData:
    """One article as gathered, ready to be stored (all text already cleaned)."""

    key: str  # sha256 hex of the identity (guid, else canonical URL, else content)
    guid: str | None
    url: str
    title: str
    author: str
    description: str
    text: str
    html: str
    image_url: str
    language: str
    published_at: datetime
    date_note: str | None  # None, "missing", "invalid" or "future"
    full_text: bool  # True when ``text`` is the article's whole text, not a teaser
    content_hash: str

    @property
    def words(self) -> int:
        return len(self.text.split())


@dataclass(frozen=True, slots=True)
class SourceState:
    """A source as the store knows it: where it is fetched now and how that went."""

    id: int
    name: str
    config_url: str
    url: str
    kind: str
    section: str
    enabled: bool
    etag: str | None
    last_modified: str | None
    last_status: str
    last_http_status: int | None
    last_error: str | None
    failures: int
    next_fetch_at: datetime | None
    last_fetched_at: datetime | None
    last_success_at: datetime | None
    articles: int = 0
    created_at: datetime | None = None  # when the source was first configured


@dataclass(frozen=True, slots=True)
class StoredArticle:
    """An article as listed by ``digest articles``."""

    id: int
    source: str
    section: str
    title: str
    url: str
    author: str
    published: datetime
    date_note: str | None
    fetched: datetime
    words: int
    full_text: bool
    text: str
    summary: tuple[str, ...] = ()
    summary_method: str = ""
    story_id: int | None = None


@dataclass(frozen=True, slots=True)
class SummaryJob:
    """An article that needs a (new) summary."""

    id: int
    title: str
    text: str
    description: str
    summary_hash: str  # what the summary will be stored under


@dataclass(frozen=True, slots=True)
class StoryDoc:
    """An article as story clustering sees it."""

    id: int
    title: str
    text: str
    published: datetime
    source: str
    story_id: int | None


@dataclass(frozen=True, slots=True)
class SaveResult:
    new: int = 0
    updated: int = 0


@dataclass(frozen=True, slots=True)
class EditionData:
    """A digest to archive: its shared content, free of anyone's personal links."""

    key: str
    subject: str
    preheader: str
    html: str
    text: str
    items: int
    sections: tuple[str, ...]
    article_ids: tuple[int, ...]
    period_start: datetime
    period_end: datetime


@dataclass(frozen=True, slots=True)
class StoredEdition:
    id: int
    created_at: datetime
    subject: str
    preheader: str
    html: str
    text: str
    items: int
    sections: tuple[str, ...]
    period_start: datetime
    period_end: datetime


@dataclass(frozen=True, slots=True)
class Candidate:
    """An article as composition sees it."""

    id: int
    source: str
    section: str
    title: str
    url: str
    published: datetime
    fetched: datetime
    summary: tuple[str, ...] = ()
    author: str = ""
    words: int = 0
    full_text: bool = True
    story: int | None = None  # None: a story of its own
    priority: int = 0  # the source's priority

    @property
    def story_key(self) -> int:
        return self.story if self.story is not None else self.id


@dataclass(frozen=True, slots=True)
class Story:
    lead: Candidate
    also: tuple[Candidate, ...] = ()
    score: float = 0.0

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys([self.lead.source, *(a.source for a in self.also)]))

    @property
    def coverage(self) -> int:
        return len(self.sources)

    @property
    def articles(self) -> tuple[Candidate, ...]:
        return (self.lead, *self.also)


@dataclass(frozen=True, slots=True)
class DigestSection:
    name: str
    stories: tuple[Story, ...]
    more: int = 0  # stories left out by max_items


@dataclass(frozen=True, slots=True)
class Digest:
    since: datetime  # articles gathered after this ...
    until: datetime  # ... and up to this moment
    top: tuple[Story, ...]
    sections: tuple[DigestSection, ...]
    first: bool = False  # the subscriber's first digest

    @property
    def stories(self) -> tuple[Story, ...]:
        return self.top + tuple(s for section in self.sections for s in section.stories)

    @property
    def article_ids(self) -> tuple[int, ...]:
        return tuple(a.id for story in self.stories for a in story.articles)

    @property
    def left_out(self) -> int:
        return sum(section.more for section in self.sections)

    @property
    def empty(self) -> bool:
        return not self.stories
