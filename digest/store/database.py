"""The database: open it, migrate it, and read and write sources and articles.

SQLite (the embedded default) runs in WAL mode with foreign keys on;
``postgresql://`` URLs use psycopg 3.  Migrations (Alembic, shipped inside the
package) are applied when the store opens; on PostgreSQL an advisory lock makes
concurrent starts of several processes safe.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from digest.config import SourceSettings
from digest.errors import StorageError
from digest.records import (
    ArticleData,
    Candidate,
    EditionData,
    SaveResult,
    SourceState,
    StoredArticle,
    StoredEdition,
    StoryDoc,
    SummaryJob,
)
from digest.store.engine import create_db_engine, display_url, migrate
from digest.store.models import Article, Edition, Source


def _state(source: Source, articles: int = 0) -> SourceState:
    return SourceState(
        id=source.id,
        name=source.name,
        config_url=source.config_url,
        url=source.url,
        kind=source.kind,
        section=source.section,
        enabled=source.enabled,
        etag=source.etag,
        last_modified=source.last_modified,
        last_status=source.last_status,
        last_http_status=source.last_http_status,
        last_error=source.last_error,
        failures=source.failures,
        next_fetch_at=source.next_fetch_at,
        last_fetched_at=source.last_fetched_at,
        last_success_at=source.last_success_at,
        articles=articles,
    )


@dataclass(frozen=True, slots=True)
class FetchRecord:
    """What one fetch of a source found, to be written to its row."""

    status: str  # ok, not_modified, error, gone
    at: datetime
    url: str | None = None  # a new URL to fetch from now on (permanent redirect, feed found)
    kind: str | None = None  # the detected kind, once known
    etag: str | None = None
    last_modified: str | None = None
    http_status: int | None = None
    error: str | None = None
    next_fetch_at: datetime | None = None


class Store:
    """The application's database."""

    def __init__(self, url: str, *, apply_migrations: bool = True) -> None:
        self.url = url
        try:
            self.engine = create_db_engine(url)
            if apply_migrations:
                self.migrated = migrate(self.engine)
        except (SQLAlchemyError, OSError) as exc:
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            raise StorageError(
                f"{display_url(url)}: cannot open the database: {reason} "
                "(is the server running and the URL in [storage] url right? try `digest check`)"
            ) from exc
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def sessions(self) -> sessionmaker[Session]:
        """The session factory, for code that manages its own transactions (subscribers)."""
        return self._sessions

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions() as session, session.begin():
            yield session

    # -- sources -----------------------------------------------------------

    def sync_sources(self, sources: Sequence[SourceSettings], *, now: datetime) -> None:
        """Create or update a row for every configured source.

        A source whose configured URL changed starts afresh (no validators, no
        backoff, enabled again); one that only moved section keeps its state.
        Rows of sources no longer configured are kept, with their articles.
        """
        with self.session() as session:
            rows = {row.name: row for row in session.scalars(select(Source))}
            for src in sources:
                row = rows.get(src.name)
                if row is None:
                    session.add(
                        Source(
                            name=src.name,
                            config_url=src.url,
                            url=src.url,
                            kind=src.kind,
                            section=src.section,
                            enabled=True,
                            last_status="new",
                            failures=0,
                            created_at=now,
                        )
                    )
                    continue
                row.section = src.section
                if row.config_url != src.url or (src.kind != "auto" and row.kind != src.kind):
                    row.config_url = row.url = src.url
                    row.kind = src.kind
                    row.etag = row.last_modified = None
                    row.enabled = True
                    row.failures = 0
                    row.next_fetch_at = None
                    row.last_status = "new"
                    row.last_error = None

    def sources(self, names: Iterable[str] | None = None) -> list[SourceState]:
        with self.session() as session:
            counts = dict(
                session.execute(
                    select(Article.source_id, func.count()).group_by(Article.source_id)
                ).all()
            )
            query = select(Source).order_by(Source.id)
            if names is not None:
                query = query.where(Source.name.in_(list(names)))
            return [_state(row, counts.get(row.id, 0)) for row in session.scalars(query)]

    def record_fetch(self, source_id: int, record: FetchRecord) -> None:
        with self.session() as session:
            row = session.get_one(Source, source_id)
            row.last_fetched_at = record.at
            row.last_status = record.status
            row.last_http_status = record.http_status
            if record.url:
                row.url = record.url
            if record.kind:
                row.kind = record.kind
            if record.status in {"ok", "not_modified"}:
                row.last_error = None
                row.failures = 0
                row.last_success_at = record.at
                row.next_fetch_at = None
                if record.status == "ok":
                    row.etag = record.etag
                    row.last_modified = record.last_modified
            else:
                row.last_error = record.error
                row.failures += 1
                row.next_fetch_at = record.next_fetch_at
                if record.status == "gone":
                    row.enabled = False

    # -- articles ----------------------------------------------------------

    def known(self, source_id: int, keys: Iterable[str]) -> dict[str, tuple[str, bool]]:
        """Map each key already stored for the source to (content hash, full text?)."""
        wanted = list(dict.fromkeys(keys))
        found: dict[str, tuple[str, bool]] = {}
        with self.session() as session:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                query = select(Article.key, Article.content_hash, Article.full_text).where(
                    Article.source_id == source_id, Article.key.in_(chunk)
                )
                for key, content_hash, full_text in session.execute(query):
                    found[key] = (content_hash, full_text)
        return found

    def save_articles(
        self, source_id: int, items: Sequence[ArticleData], *, now: datetime
    ) -> SaveResult:
        """Insert new articles and update changed ones in place; return the counts."""
        unique = list({item.key: item for item in items}.values())
        new = updated = 0
        with self.session() as session:
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
        with self.session() as session:
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

    # -- summaries and stories ------------------------------------------------------

    def summary_jobs(self, *, since: datetime, expected: Callable[[str], str]) -> list[SummaryJob]:
        """Articles fetched since *since* whose summary is missing or out of date.

        *expected* maps an article's content hash to the summary hash it should
        have (it folds in the summary settings), so a changed article or a changed
        method is summarised again, and nothing else is.
        """
        with self.session() as session:
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
    ) -> None:
        """Store an article's summary; a *summary_hash* of None marks it for another try."""
        with self.session() as session:
            session.execute(
                update(Article)
                .where(Article.id == article_id)
                .values(summary=list(sentences), summary_method=method, summary_hash=summary_hash)
            )

    def story_docs(self, *, since: datetime) -> list[StoryDoc]:
        """Articles published or fetched since *since*, for story clustering."""
        query = (
            select(Article, Source.name)
            .join(Source, Article.source_id == Source.id)
            .where((Article.published_at >= since) | (Article.fetched_at >= since))
            .order_by(Article.id)
        )
        with self.session() as session:
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
        self, *, since: datetime, priorities: Mapping[str, int] | None = None
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
        with self.session() as session:
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

    def save_stories(self, stories: dict[int, int]) -> int:
        """Set each article's story id; return how many changed."""
        changed = 0
        with self.session() as session:
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

    # -- the archive of editions ------------------------------------------------------

    def archive(self, edition: EditionData, *, now: datetime) -> int:
        """Store *edition* unless one with its key is stored already; return its id."""
        with self.session() as session:
            existing = session.scalar(select(Edition.id).where(Edition.key == edition.key))
            if existing is not None:
                return existing
            row = Edition(
                key=edition.key,
                created_at=now,
                subject=edition.subject,
                preheader=edition.preheader,
                html=edition.html,
                text=edition.text,
                items=edition.items,
                sections=list(edition.sections),
                article_ids=list(edition.article_ids),
                period_start=edition.period_start,
                period_end=edition.period_end,
            )
            session.add(row)
            session.flush()
            return row.id

    def editions(self, *, limit: int = 50, before: int | None = None) -> list[StoredEdition]:
        """The newest editions first (with ids below *before*, to page back)."""
        query = select(Edition).order_by(Edition.id.desc()).limit(limit)
        if before is not None:
            query = query.where(Edition.id < before)
        with self.session() as session:
            return [_edition(row) for row in session.scalars(query)]

    def edition(self, edition_id: int) -> StoredEdition | None:
        with self.session() as session:
            row = session.get(Edition, edition_id)
            return _edition(row) if row is not None else None


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


def _edition(row: Edition) -> StoredEdition:
    return StoredEdition(
        id=row.id,
        created_at=row.created_at,
        subject=row.subject,
        preheader=row.preheader,
        html=row.html,
        text=row.text,
        items=row.items,
        sections=tuple(row.sections),
        period_start=row.period_start,
        period_end=row.period_end,
    )
