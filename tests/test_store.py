"""The store on SQLite and PostgreSQL: migrations, sources, articles."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from digest.config import SourceSettings
from digest.errors import StorageError
from digest.gather.normalize import build_article
from digest.store import FetchRecord, Store
from subscribers.db import Base

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def source(name: str = "Feed", url: str = "http://example.org/feed", section: str = "News"):
    return SourceSettings(name=name, url=url, section=section, kind="auto", full_text="auto")


def article(guid: str, title: str = "Title", *, text_: str = "Some text.", when=NOW):
    return build_article(
        guid=guid,
        url=f"http://example.org/{guid}",
        title=title,
        text=text_,
        published=when,
        date_given=True,
        full_text=True,
        now=NOW,
        hash_basis=(title, text_),
    )


def test_migrations_create_every_table_and_match_the_models(store: Store) -> None:
    tables = set(inspect(store.engine).get_table_names())
    assert {"sources", "articles", "subscribers", "alembic_version"} <= tables
    with store.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []


def test_opening_again_applies_nothing(db_url: str) -> None:
    with Store(db_url) as first:
        assert first.migrated is True
    with Store(db_url) as second:
        assert second.migrated is False


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path) -> None:
    with Store(f"sqlite:///{tmp_path / 'x.db'}") as store, store.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_unreachable_database_is_a_one_line_storage_error() -> None:
    with pytest.raises(StorageError) as caught:
        Store("postgresql://nobody:secret@127.0.0.1:9/none")
    message = str(caught.value)
    assert "127.0.0.1:9" in message and "secret" not in message and "\n" not in message


def test_datetimes_come_back_aware_and_in_utc(store: Store) -> None:
    store.sync_sources([source()], now=NOW)
    [state] = store.sources()
    paris = timezone(timedelta(hours=1))
    when = datetime(2026, 11, 24, 9, 30, tzinfo=paris)
    store.save_articles(state.id, [article("a", when=when)], now=NOW)
    [row] = store.articles()
    assert row.published == datetime(2026, 11, 24, 8, 30, tzinfo=UTC)
    assert row.published.tzinfo is not None and row.fetched == NOW


def test_sync_sources_keeps_state_unless_the_url_changes(store: Store) -> None:
    store.sync_sources([source()], now=NOW)
    [state] = store.sources()
    store.record_fetch(
        state.id,
        FetchRecord(status="error", at=NOW, error="boom", next_fetch_at=NOW + timedelta(hours=1)),
    )
    store.sync_sources([source(section="Other")], now=NOW)
    [state] = store.sources()
    assert (state.section, state.failures, state.last_error) == ("Other", 1, "boom")
    store.sync_sources([source(url="http://example.org/new")], now=NOW)
    [state] = store.sources()
    assert state.url == "http://example.org/new"
    assert (state.failures, state.last_error, state.next_fetch_at) == (0, None, None)


def test_record_fetch_keeps_validators_moves_urls_and_disables_gone_sources(
    store: Store,
) -> None:
    store.sync_sources([source()], now=NOW)
    [state] = store.sources()
    moved = "http://example.org/moved-feed"
    store.record_fetch(
        state.id,
        FetchRecord(status="ok", at=NOW, url=moved, kind="feed", etag='"e1"',
                    last_modified="Tue, 24 Nov 2026 08:00:00 GMT", http_status=200),
    )  # fmt: skip
    later = NOW + timedelta(hours=1)
    store.record_fetch(state.id, FetchRecord(status="not_modified", at=later, http_status=304))
    [state] = store.sources()
    assert (state.url, state.config_url, state.kind) == (moved, "http://example.org/feed", "feed")
    assert (state.etag, state.last_modified) == ('"e1"', "Tue, 24 Nov 2026 08:00:00 GMT")
    assert (state.last_status, state.last_http_status, state.last_success_at) == (
        "not_modified", 304, later
    )  # fmt: skip
    retry = later + timedelta(minutes=5)
    store.record_fetch(
        state.id,
        FetchRecord(
            status="error", at=later, http_status=500, error="HTTP 500", next_fetch_at=retry
        ),
    )
    [state] = store.sources()
    assert (state.failures, state.last_error, state.next_fetch_at) == (1, "HTTP 500", retry)
    assert state.enabled is True
    store.record_fetch(
        state.id, FetchRecord(status="gone", at=later, http_status=410, error="HTTP 410 Gone")
    )
    [state] = store.sources()
    assert (state.enabled, state.failures, state.last_http_status) == (False, 2, 410)


def test_save_articles_inserts_once_and_updates_in_place(store: Store) -> None:
    store.sync_sources([source()], now=NOW)
    [state] = store.sources()
    first = store.save_articles(state.id, [article("a"), article("b"), article("a")], now=NOW)
    assert (first.new, first.updated) == (2, 0)
    same = store.save_articles(state.id, [article("a"), article("b")], now=NOW)
    assert (same.new, same.updated) == (0, 0)
    later = NOW + timedelta(hours=2)
    changed = store.save_articles(state.id, [article("a", "New title")], now=later)
    assert (changed.new, changed.updated) == (0, 1)
    rows = {row.url.rsplit("/", 1)[1]: row for row in store.articles()}
    assert rows["a"].title == "New title" and rows["a"].fetched == NOW
    assert store.sources()[0].articles == 2


def test_a_teaser_update_keeps_full_text_fetched_before(store: Store) -> None:
    store.sync_sources([source()], now=NOW)
    [state] = store.sources()
    store.save_articles(state.id, [article("a", text_="The whole long article.")], now=NOW)
    teaser = replace(article("a", "Retitled", text_="Teaser…"), full_text=False)
    store.save_articles(state.id, [teaser], now=NOW)
    [row] = store.articles()
    assert (row.title, row.text, row.full_text) == ("Retitled", "The whole long article.", True)


def test_articles_filters(store: Store) -> None:
    store.sync_sources(
        [source("A", section="World"), source("B", "http://example.org/b", "Tech")], now=NOW
    )
    a, b = store.sources()
    store.save_articles(a.id, [article("old")], now=NOW - timedelta(days=2))
    store.save_articles(a.id, [article("new")], now=NOW)
    store.save_articles(b.id, [article("tech")], now=NOW)
    assert {r.url[-3:] for r in store.articles(since=NOW - timedelta(hours=1))} == {"new", "ech"}
    assert [r.section for r in store.articles(section="Tech")] == ["Tech"]
    assert len(store.articles(sources=["A"])) == 2
    assert len(store.articles(limit=1)) == 1


# -- the seams: the caller's transaction, and the async face ------------------------------


def test_writes_join_the_callers_transaction_and_roll_back_with_it(store: Store) -> None:
    store.sync_sources([source()], now=NOW)
    (state,) = store.sources()

    class Abandon(Exception):
        pass

    with pytest.raises(Abandon), store.session() as session:
        store.save_articles(state.id, [article("a")], now=NOW, session=session)
        store.record_fetch(state.id, FetchRecord(status="ok", at=NOW, etag='"v1"'), session=session)
        # Inside the transaction the caller sees its own writes ...
        assert store.known(state.id, [article("a").key], session=session)
        raise Abandon
    # ... and after its rollback neither the article nor the fetch record is there.
    assert store.articles() == []
    (after,) = store.sources()
    assert (after.etag, after.last_status) == (None, "new")

    with store.session() as session:
        store.save_articles(state.id, [article("a")], now=NOW, session=session)
        store.record_fetch(state.id, FetchRecord(status="ok", at=NOW, etag='"v1"'), session=session)
    assert [row.title for row in store.articles()] == ["Title"]
    assert store.sources()[0].etag == '"v1"'


def test_a_query_without_a_session_commits_on_its_own(store: Store, db_url: str) -> None:
    store.sync_sources([source()], now=NOW)
    with Store(db_url) as other:  # another connection sees it: it was committed
        assert [state.name for state in other.sources()] == ["Feed"]


def test_async_callers_run_queries_on_the_store_worker_not_the_event_loop(store: Store) -> None:
    import threading

    from sqlalchemy import event

    threads: list[str] = []

    def record(*_args: object) -> None:
        threads.append(threading.current_thread().name)

    event.listen(store.engine, "before_cursor_execute", record)

    async def main() -> tuple[str, list[str]]:
        loop_thread = threading.current_thread().name
        await store.call(store.sync_sources, [source()], now=NOW)
        states = await store.call(store.sources)
        return loop_thread, [state.name for state in states]

    loop_thread, names = asyncio.run(main())
    assert names == ["Feed"]
    assert threads, "no statement was seen: the listener proves nothing"
    assert loop_thread not in threads
    assert {name.split("_")[0] for name in threads} == {"digest-store"}
