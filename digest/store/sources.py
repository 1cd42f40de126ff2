"""The sources' rows: syncing them with the config, and recording each fetch's outcome.

Every method takes an optional ``session``: given, it runs inside the caller's
transaction and commits nothing; absent, it runs in a transaction of its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digest.config import SourceSettings
from digest.records import SourceState
from digest.store.base import Transactions
from digest.store.models import Article, Source


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


class SourceQueries(Transactions):
    """Reading and writing the ``sources`` table."""

    def sync_sources(
        self, sources: Sequence[SourceSettings], *, now: datetime, session: Session | None = None
    ) -> None:
        """Create or update a row for every configured source.

        A source whose configured URL changed starts afresh (no validators, no
        backoff, enabled again); one that only moved section keeps its state.
        Rows of sources no longer configured are kept, with their articles.
        """
        with self.transaction(session) as session:
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

    def sources(
        self, names: Iterable[str] | None = None, *, session: Session | None = None
    ) -> list[SourceState]:
        with self.transaction(session) as session:
            counts = dict(
                session.execute(
                    select(Article.source_id, func.count()).group_by(Article.source_id)
                ).all()
            )
            query = select(Source).order_by(Source.id)
            if names is not None:
                query = query.where(Source.name.in_(list(names)))
            return [_state(row, counts.get(row.id, 0)) for row in session.scalars(query)]

    def record_fetch(
        self, source_id: int, record: FetchRecord, *, session: Session | None = None
    ) -> None:
        with self.transaction(session) as session:
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
        created_at=source.created_at,
    )
