"""Parse feed documents: RSS 0.9x/1.0/2.0 and Atom (feedparser), and JSON Feed.

Only bytes fetched by :mod:`digest.gather.fetcher` come in here; feedparser never
fetches anything itself.  feedparser strips DOCTYPE entity declarations,
which defuses entity-expansion bombs and external entities.
"""

from __future__ import annotations

import calendar
import html
import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import feedparser

from digest.errors import ParseError
from digest.text.sanitize import clean_line, html_to_line

FEED_TYPES = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
        "application/feed+json",
        "application/json",
        "application/xml",
        "text/xml",
    }
)
JSON_FEED_TYPES = frozenset({"application/feed+json", "application/json"})


@dataclass(frozen=True, slots=True)
class FeedEntry:
    guid: str | None
    link: str
    title: str
    author: str
    summary_html: str  # the description / summary as given (unsanitised)
    content_html: str  # the full content when the feed carries it (unsanitised)
    image: str
    published: datetime | None  # timezone-aware, or None
    date_given: bool  # the entry had a date field (even if it could not be parsed)


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    format: str  # "rss20", "atom10", "json1", ...
    title: str
    link: str
    entries: tuple[FeedEntry, ...]


def looks_like_html(body: bytes) -> bool:
    head = body[:2048].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<html" in head[:512]


def looks_like_json(body: bytes, content_type: str) -> bool:
    return content_type in JSON_FEED_TYPES or body.lstrip()[:1] == b"{"


def parse_feed(body: bytes, *, url: str, content_type: str = "") -> ParsedFeed:
    """Parse a feed document; raise :class:`ParseError` when it is not one."""
    if looks_like_json(body, content_type):
        return _parse_json_feed(body, url=url)
    return _parse_xml_feed(body, url=url, content_type=content_type)


# -- XML ------------------------------------------------------------------


def _struct_to_datetime(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    except (OverflowError, ValueError, TypeError, OSError):
        return None


def _xml_entry(entry: Any) -> FeedEntry:
    content_html = ""
    for content in entry.get("content") or []:
        value = content.get("value") or ""
        if len(value) > len(content_html):
            content_html = value
    summary_html = entry.get("summary") or ""
    if content_html.strip() == summary_html.strip():
        summary_html = ""
    # Plain dict look-ups: feedparser's own .get() maps "updated" onto "published"
    # with a deprecation warning.
    published = _struct_to_datetime(dict.get(entry, "published_parsed")) or _struct_to_datetime(
        dict.get(entry, "updated_parsed")
    )
    date_given = any(dict.get(entry, key) for key in ("published", "updated", "created"))
    image = ""
    for media in (entry.get("media_content") or []) + (entry.get("media_thumbnail") or []):
        if media.get("url") and (media.get("medium", "image") == "image"):
            image = media["url"]
            break
    if not image:
        for enclosure in entry.get("enclosures") or []:
            if str(enclosure.get("type", "")).startswith("image/") and enclosure.get("href"):
                image = enclosure["href"]
                break
    author = entry.get("author") or ""
    if not author and entry.get("authors"):
        author = ", ".join(a.get("name", "") for a in entry["authors"] if a.get("name"))
    return FeedEntry(
        guid=(entry.get("id") or "").strip() or None,
        link=(entry.get("link") or "").strip(),
        title=html_to_line(entry.get("title") or ""),
        author=clean_line(author, max_length=200),
        summary_html=summary_html,
        content_html=content_html,
        image=image.strip(),
        published=published,
        date_given=date_given,
    )


def _parse_xml_feed(body: bytes, *, url: str, content_type: str) -> ParsedFeed:
    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type
    # A stream, never a string: feedparser would treat a string as a URL or a path.
    parsed = feedparser.parse(io.BytesIO(body), response_headers=headers, sanitize_html=False)
    version = parsed.get("version") or ""
    if not version:
        if looks_like_html(body):
            raise ParseError("an HTML page, not a feed")
        problem = parsed.get("bozo_exception")
        detail = f": {problem}" if problem else ""
        raise ParseError(f"not an RSS, Atom or JSON feed{detail}")
    feed = parsed.get("feed", {})
    return ParsedFeed(
        format=version,
        title=html_to_line(feed.get("title") or ""),
        link=(feed.get("link") or "").strip(),
        entries=tuple(_xml_entry(entry) for entry in parsed.get("entries", [])),
    )


# -- JSON Feed -----------------------------------------------------------


def _iso(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _json_item(item: dict[str, Any], feed_authors: str) -> FeedEntry:
    authors = item.get("authors")
    if not isinstance(authors, list):
        author_one = item.get("author")
        authors = [author_one] if isinstance(author_one, dict) else []
    author = ", ".join(
        _text(a.get("name")) for a in authors if isinstance(a, dict) and a.get("name")
    )
    content_html = _text(item.get("content_html"))
    if not content_html and item.get("content_text"):
        paragraphs = _text(item["content_text"]).split("\n\n")
        content_html = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs if p.strip())
    raw_date = item.get("date_published") or item.get("date_modified")
    item_id = item.get("id")
    guid = str(item_id).strip() if isinstance(item_id, str | int) and str(item_id).strip() else None
    return FeedEntry(
        guid=guid,
        link=_text(item.get("url")).strip() or _text(item.get("external_url")).strip(),
        title=html_to_line(_text(item.get("title"))),
        author=clean_line(author or feed_authors, max_length=200),
        summary_html=_text(item.get("summary")),
        content_html=content_html,
        image=_text(item.get("image")).strip() or _text(item.get("banner_image")).strip(),
        published=_iso(raw_date),
        date_given=bool(raw_date),
    )


def _parse_json_feed(body: bytes, *, url: str) -> ParsedFeed:
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ParseError(f"not valid JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise ParseError("a JSON document, but not a JSON Feed (expected an object)")
    version = _text(document.get("version"))
    items = document.get("items")
    if "jsonfeed.org" not in version or not isinstance(items, list):
        raise ParseError('a JSON document, but not a JSON Feed (no "version" and "items")')
    authors = document.get("authors") or (
        [document["author"]] if isinstance(document.get("author"), dict) else []
    )
    feed_authors = ", ".join(
        _text(a.get("name")) for a in authors if isinstance(a, dict) and a.get("name")
    )
    return ParsedFeed(
        format="json1.1" if version.rstrip("/").endswith("/1.1") else "json1",
        title=html_to_line(_text(document.get("title"))),
        link=_text(document.get("home_page_url")),
        entries=tuple(_json_item(item, feed_authors) for item in items if isinstance(item, dict)),
    )
