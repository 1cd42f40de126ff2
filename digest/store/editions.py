"""The archive of editions: the public copy of each sent digest, stored once per content.

Every method takes an optional ``session``: given, it runs inside the caller's
transaction and commits nothing; absent, it runs in a transaction of its own.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from digest.records import EditionData, StoredEdition
from digest.store.base import Transactions
from digest.store.models import Edition


class EditionQueries(Transactions):
    """Reading and writing the ``editions`` table."""

    def archive(
        self, edition: EditionData, *, now: datetime, session: Session | None = None
    ) -> int:
        """Store *edition* unless one with its key is stored already; return its id."""
        with self.transaction(session) as session:
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

    def editions(
        self, *, limit: int = 50, before: int | None = None, session: Session | None = None
    ) -> list[StoredEdition]:
        """The newest editions first (with ids below *before*, to page back)."""
        query = select(Edition).order_by(Edition.id.desc()).limit(limit)
        if before is not None:
            query = query.where(Edition.id < before)
        with self.transaction(session) as session:
            return [_edition(row) for row in session.scalars(query)]

    def edition(self, edition_id: int, *, session: Session | None = None) -> StoredEdition | None:
        with self.transaction(session) as session:
            row = session.get(Edition, edition_id)
            return _edition(row) if row is not None else None


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
