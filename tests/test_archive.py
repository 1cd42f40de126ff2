"""The archive of editions in the store, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from digest.pipeline.editions import edition_key, public_renderer, publish
from digest.records import EditionData
from digest.store import Store
from tests.test_render import BASE, big_digest, make_digest, personal, renderer


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


def test_publishing_archives_one_public_copy_per_content_with_every_story(store: Store) -> None:
    mail_renderer = renderer()
    big = big_digest(200)
    email = mail_renderer.digest(big, personal=personal())
    assert email.overflow > 0  # the email had to leave stories out ...
    archive = public_renderer(mail_renderer)
    now = datetime(2026, 12, 2, 7, tzinfo=UTC)
    url = publish(store, archive, big, now=now)
    assert url.startswith(f"{BASE}/archive/")
    stored = store.edition(int(url.rsplit("/", 1)[1]))
    assert stored is not None
    assert stored.items == len(big.stories)  # ... the web version has them all
    for story in big.stories:
        assert story.lead.title in stored.html
    assert "ana@example.net" not in stored.html + stored.text  # nobody's address or links
    assert "/unsubscribe/" not in stored.html and "/preferences/" not in stored.html

    # the same stories again (another subscriber, another run): the same edition
    assert publish(store, archive, big, now=now + timedelta(hours=1)) == url
    small = make_digest([("World", "Only one story today")])
    assert edition_key(small) != edition_key(big)
    other = publish(store, archive, small, now=now)
    assert other != url
    assert [e.id for e in store.editions()] == [int(other.rsplit("/", 1)[1]), stored.id]
