"""Build the stored form of an article from whatever a source gave."""

from __future__ import annotations

from datetime import datetime, timedelta

from digest.gather.urls import canonical_url, content_hash, identity_key
from digest.records import ArticleData
from digest.text.sanitize import clean_html, clean_line

# A date this far ahead of the fetch is a publisher's mistake, not a schedule.
FUTURE_TOLERANCE = timedelta(minutes=10)


def date_note(published: datetime | None, *, date_given: bool, now: datetime) -> str | None:
    """Why the fetch time must stand in for the published time, or None if it need not."""
    if published is None:
        return "invalid" if date_given else "missing"
    if published > now + FUTURE_TOLERANCE:
        return "future"
    return None


def build_article(
    *,
    guid: str | None,
    url: str,
    title: str,
    author: str = "",
    description: str = "",
    text: str,
    html: str = "",
    image: str = "",
    language: str = "",
    published: datetime | None,
    date_given: bool,
    full_text: bool,
    now: datetime,
    hash_basis: tuple[str, ...],
) -> ArticleData:
    """Clean every field and settle identity and date.

    *hash_basis* is what the source itself said about the article (title, link,
    teaser...): it decides whether a later fetch counts as an update, so text
    fetched from the article page afterwards does not.
    """
    link = canonical_url(url) if url else ""
    note = date_note(published, date_given=date_given, now=now)
    clean_text = text.strip()
    return ArticleData(
        key=identity_key(guid=guid, url=link, content="\x1f".join(hash_basis)),
        guid=clean_line(guid, max_length=2000) or None,
        url=link,
        title=clean_line(title) or "(untitled)",
        author=clean_line(author, max_length=200),
        description=clean_line(description, max_length=2000),
        text=clean_text,
        html=clean_html(html),
        image_url=clean_line(image, max_length=2000),
        language=clean_line(language, max_length=20),
        published_at=now if note else published,  # type: ignore[arg-type]
        date_note=note,
        full_text=full_text,
        content_hash=content_hash(*hash_basis),
    )
