"""The archive of editions in the store, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from digest.records import EditionData
from digest.store import Store


def edition(key: str, subject: str = "Morning digest") -> EditionData:
    start = datetime(2026, 12, 1, 7, tzinfo=UTC)
    return EditionData(
        key=key,
        subject=subject,
        preheader="First story, second story",
        html="<html><body><p>Stories</p></body></html>",
        text="Stories\n",
        items=2,
        sections=("World", "Science"),
        article_ids=(3, 5),
        period_start=start,
        period_end=start + timedelta(days=1),
    )


def test_editions_are_stored_once_per_content_and_listed_newest_first(store: Store) -> None:
    now = datetime(2026, 12, 2, 7, tzinfo=UTC)
    first = store.archive(edition("a"), now=now)
    again = store.archive(edition("a", subject="changed"), now=now + timedelta(minutes=1))
    second = store.archive(edition("b", subject="Evening digest"), now=now + timedelta(hours=1))
    assert first == again != second
    listed = store.editions()
    assert [e.id for e in listed] == [second, first]
    assert listed[1].subject == "Morning digest"  # the first one stored stays
    stored = store.edition(first)
    assert stored is not None
    assert stored.sections == ("World", "Science")
    assert stored.created_at == now
    assert stored.period_end - stored.period_start == timedelta(days=1)
    assert store.edition(9999) is None
    assert [e.id for e in store.editions(before=second)] == [first]
    assert [e.id for e in store.editions(limit=1)] == [second]
