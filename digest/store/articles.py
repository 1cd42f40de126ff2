"""The articles' rows: saving what gathering found, summaries, stories, and what composition reads.

Every method takes an optional ``session``: given, it runs inside the caller's
transaction and commits nothing; absent, it runs in a transaction of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from digest.records import ArticleData, Candidate, SaveResult, StoredArticle, StoryDoc, SummaryJob
from digest.store.base import Transactions
from digest.store.models import Article, Source


class ArticleQueries(Transactions):
    """Reading and writing the ``articles`` table."""

    def known(
        self, source_id: int, keys: Iterable[str], *, session: Session | None = None
    ) -> dict[str, tuple[str, bool]]:
        """Map each key already stored for the source to (content hash, full text?)."""
        wanted = list(dict.fromkeys(keys))
        found: dict[str, tuple[str, bool]] = {}
        with self.transaction(session) as session:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                query = select(Article.key, Article.content_hash, Article.full_text).where(
                    Article.source_id == source_id, Article.key.in_(chunk)
                )
                for key, content_hash, full_text in session.execute(query):
                    found[key] = (content_hash, full_text)
        return found

    def save_articles(
        self,
        source_id: int,
        items: Sequence[ArticleData],
        *,
        now: datetime,
        session: Session | None = None,
    ) -> SaveResult:
        """Insert new articles and update changed ones in place; return the counts."""
        unique = list({item.key: item for item in items}.values())
        new = updated = 0
        with self.transaction(session) as session:
            existing: dict[str, Article] = {}
            keys = [item.key for item in unique]
            for start in range(0, len(keys), 500):
                query = select(Article).where(
                    Article.source_id == source_id, Article.key.in_(keys[start : start + 500])
                )
                existing.update((row.key, row) for row in session.scalars(query))
            for item in unique:
                row = existing.get(item.key)
                if row is None:
                    session.add(_new_article(source_id, item, now))
                    new += 1
                elif row.content_hash != item.content_hash:
                    _update_article(row, item, now)
                    updated += 1
        return SaveResult(new=new, updated=updated)

    def articles(
        self,
        *,
        since: datetime | None = None,
        section: str | None = None,
        sources: Sequence[str] | None = None,
        limit: int | None = None,
        session: Session | None = None,
    ) -> list[StoredArticle]:
        """Stored articles, newest first, optionally only those fetched since *since*."""
        query = (
            select(Article, Source.name, Source.section)
            .join(Source, Article.source_id == Source.id)
            .order_by(Article.published_at.desc(), Article.id.desc())
        )
        if since is not None:
            query = query.where(Article.fetched_at >= since)
        if section is not None:
            query = query.where(Source.section == section)
        if sources is not None:
            query = query.where(Source.name.in_(list(sources)))
        if limit is not None:
            query = query.limit(limit)
        with self.transaction(session) as session:
            return [
                StoredArticle(
                    id=article.id,
                    source=source_name,
                    section=section_name,
                    title=article.title,
                    url=article.url,
                    author=article.author,
                    published=article.published_at,
                    date_note=article.date_note,
                    fetched=article.fetched_at,
                    words=article.words,
                    full_text=article.full_text,
                    text=article.text,
                    summary=tuple(article.summary or ()),
                    summary_method=article.summary_method,
                    story_id=article.story_id,
                )
                for article, source_name, section_name in session.execute(query)
            ]

    def summary_jobs(
        self, *, since: datetime, expected: Callable[[str], str], session: Session | None = None
    ) -> list[SummaryJob]:
        """Articles fetched since *since* whose summary is missing or out of date.

        *expected* maps an article's content hash to the summary hash it should
        have (it folds in the summary settings), so a changed article or a changed
        method is summarised again, and nothing else is.
        """
        with self.transaction(session) as session:
            query = select(Article.id, Article.content_hash, Article.summary_hash).where(
                Article.fetched_at >= since
            )
            wanted = {
                row_id: expected(content)
                for row_id, content, current in session.execute(query)
                if current != expected(content)
            }
            jobs = []
            ids = sorted(wanted)
            for start in range(0, len(ids), 500):
                query_texts = select(
                    Article.id, Article.title, Article.text, Article.description
                ).where(Article.id.in_(ids[start : start + 500]))
                for row_id, title, body, description in session.execute(query_texts):
                    jobs.append(
                        SummaryJob(
                            id=row_id,
                            title=title,
                            text=body,
                            description=description,
                            summary_hash=wanted[row_id],
                        )
                    )
        return sorted(jobs, key=lambda job: job.id)

    def save_summary(
        self,
        article_id: int,
        sentences: Sequence[str],
        *,
        method: str,
        summary_hash: str | None,
        session: Session | None = None,
    ) -> None:
        """Store an article's summary; a *summary_hash* of None marks it for another try."""
        with self.transaction(session) as session:
            session.execute(
                update(Article)
                .where(Article.id == article_id)
                .values(summary=list(sentences), summary_method=method, summary_hash=summary_hash)
            )

    def story_docs(self, *, since: datetime, session: Session | None = None) -> list[StoryDoc]:
        """Articles published or fetched since *since*, for story clustering."""
        query = (
            select(Article, Source.name)
            .join(Source, Article.source_id == Source.id)
            .where((Article.published_at >= since) | (Article.fetched_at >= since))
            .order_by(Article.id)
        )
        with self.transaction(session) as session:
            return [
                StoryDoc(
                    id=article.id,
                    title=article.title,
                    text=article.text,
                    published=article.published_at,
                    source=name,
                    story_id=article.story_id,
                )
                for article, name in session.execute(query)
            ]

    def candidates(
        self,
        *,
        since: datetime,
        priorities: Mapping[str, int] | None = None,
        session: Session | None = None,
    ) -> list[Candidate]:
        """Articles gathered since *since*, as composition takes them."""
        priorities = priorities or {}
        query = (
            select(
                Article.id,
                Source.name,
                Source.section,
                Article.title,
                Article.url,
                Article.published_at,
                Article.fetched_at,
                Article.summary,
                Article.author,
                Article.words,
                Article.full_text,
                Article.story_id,
            )
            .join(Source, Article.source_id == Source.id)
            .where(Article.fetched_at >= since)
            .order_by(Article.id)
        )
        with self.transaction(session) as session:
            return [
                Candidate(
                    id=row.id,
                    source=row.name,
                    section=row.section,
                    title=row.title,
                    url=row.url,
                    published=row.published_at,
                    fetched=row.fetched_at,
                    summary=tuple(row.summary or ()),
                    author=row.author,
                    words=row.words,
                    full_text=row.full_text,
                    story=row.story_id,
                    priority=priorities.get(row.name, 0),
                )
                for row in session.execute(query)
            ]

    def save_stories(self, stories: dict[int, int], *, session: Session | None = None) -> int:
        """Set each article's story id; return how many changed."""
        changed = 0
        with self.transaction(session) as session:
            by_story: dict[int, list[int]] = {}
            for article_id, story_id in stories.items():
                by_story.setdefault(story_id, []).append(article_id)
            for story_id, article_ids in by_story.items():
                for start in range(0, len(article_ids), 500):
                    result = session.execute(
                        update(Article)
                        .where(
                            Article.id.in_(article_ids[start : start + 500]),
                            (Article.story_id != story_id) | Article.story_id.is_(None),
                        )
                        .values(story_id=story_id)
                    )
                    changed += result.rowcount or 0  # type: ignore[attr-defined]
        return changed


def _new_article(source_id: int, item: ArticleData, now: datetime) -> Article:
    return Article(
        source_id=source_id,
        key=item.key,
        guid=item.guid,
        url=item.url,
        title=item.title,
        author=item.author,
        description=item.description,
        text=item.text,
        html=item.html,
        image_url=item.image_url,
        language=item.language,
        words=item.words,
        full_text=item.full_text,
        published_at=item.published_at,
        date_note=item.date_note,
        fetched_at=now,
        updated_at=now,
        content_hash=item.content_hash,
    )


def _update_article(row: Article, item: ArticleData, now: datetime) -> None:
    """Apply a changed entry to its stored row, keeping what the update lacks.

    A teaser-only update does not throw away full text fetched earlier, and a
    date the source never gave stays the one first recorded.
    """
    row.title = item.title or row.title
    row.author = item.author or row.author
    row.description = item.description or row.description
    row.url = item.url or row.url
    row.image_url = item.image_url or row.image_url
    row.language = item.language or row.language
    if item.full_text or not row.full_text:
        row.text = item.text
        row.html = item.html
        row.words = item.words
        row.full_text = item.full_text
    if item.date_note is None:
        row.published_at = item.published_at
        row.date_note = None
    row.content_hash = item.content_hash
    row.updated_at = now
