"""Database models of the pipeline: sources and the articles gathered from them.

They share the metadata of :mod:`subscribers.db`, so one set of migrations
(``digest/migrations``) creates every table of the application.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from subscribers.db import Base, UTCDateTime


class Source(Base):
    """One configured source and what the last fetches of it found."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    # The URL (or folder) as the config gives it; ``url`` is where we fetch now,
    # which a permanent redirect or a discovered feed may have changed.
    config_url: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(10))  # auto, feed, page, folder
    section: Mapped[str] = mapped_column(String(200))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    etag: Mapped[str | None] = mapped_column(Text, nullable=True)
    last_modified: Mapped[str | None] = mapped_column(Text, nullable=True)
    # ok, not_modified, error, gone, new
    last_status: Mapped[str] = mapped_column(String(20), default="new")
    last_http_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    next_fetch_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    articles: Mapped[list[Article]] = relationship(back_populates="source", passive_deletes=True)


class Article(Base):
    """One article, identified within its source by ``key``."""

    __tablename__ = "articles"
    __table_args__ = (UniqueConstraint("source_id", "key", name="uq_articles_source_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    # sha256 of the identity: the feed's guid, else the canonical URL, else the content.
    key: Mapped[str] = mapped_column(String(64))
    guid: Mapped[str | None] = mapped_column(Text, nullable=True)
    url: Mapped[str] = mapped_column(Text, default="")
    title: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")
    html: Mapped[str] = mapped_column(Text, default="")
    image_url: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(20), default="")
    words: Mapped[int] = mapped_column(Integer, default=0)
    full_text: Mapped[bool] = mapped_column(Boolean, default=False)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    # None when the source gave a usable date; else why the fetch time stands in:
    # "missing", "invalid" or "future".
    date_note: Mapped[str | None] = mapped_column(String(10), nullable=True)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    content_hash: Mapped[str] = mapped_column(String(64))
    # The summary's sentences, how they were made, and the text they summarise
    # (a hash of title and text: a changed article is summarised again).
    summary: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    summary_method: Mapped[str] = mapped_column(String(20), default="")
    summary_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # The story (cluster of articles about one event) this article belongs to:
    # the id of the story's earliest article.
    story_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)

    source: Mapped[Source] = relationship(back_populates="articles")


class Edition(Base):
    """A digest as it went out, for the web version and the archive.

    One row per distinct content: subscribers who got the same stories share it.
    The HTML and text are the shared parts, with the personal links (unsubscribe,
    preferences) replaced by neutral ones, so the archive can be public.
    """

    __tablename__ = "editions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)  # a hash of the content
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    subject: Mapped[str] = mapped_column(Text)
    preheader: Mapped[str] = mapped_column(Text, default="")
    html: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    items: Mapped[int] = mapped_column(Integer, default=0)
    sections: Mapped[list[str]] = mapped_column(JSON)
    article_ids: Mapped[list[int]] = mapped_column(JSON)
    period_start: Mapped[datetime] = mapped_column(UTCDateTime())
    period_end: Mapped[datetime] = mapped_column(UTCDateTime())
