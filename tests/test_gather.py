"""Gathering against a real local HTTP server and real databases."""

from __future__ import annotations

import asyncio
import gzip
import json
import re
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from digest.config import Settings
from digest.gather.feeds import parse_feed
from digest.gather.sources import SourceReport, gather_sources
from digest.records import StoredArticle
from digest.store import Store
from tests.conftest import ConfigWriter
from tests.support.feeds import Item, article_page, atom, json_feed, long_text, rss091, rss10, rss20
from tests.support.httpd import LocalHTTPServer

RSS = "application/rss+xml"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def run(store: Store, settings: Settings, **kwargs: object) -> dict[str, SourceReport]:
    reports = asyncio.run(gather_sources(store, settings, **kwargs))  # type: ignore[arg-type]
    return {report.name: report for report in reports}


def stored(store: Store, source: str | None = None) -> list[StoredArticle]:
    rows = store.articles(sources=[source] if source else None)
    return sorted(rows, key=lambda row: row.id)


def full_items(server: LocalHTTPServer, count: int = 2) -> list[Item]:
    return [
        Item(
            title=f"Story {n}",
            link=server.url(f"/story-{n}"),
            guid=f"urn:story:{n}",
            date="Tue, 24 Nov 2026 08:00:00 GMT",
            content=long_text(f"story {n}"),
            author="Ada Writer",
        )
        for n in range(1, count + 1)
    ]


# -- formats ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "content_type"),
    [
        (rss20, RSS),
        (atom, "application/atom+xml"),
        (json_feed, "application/feed+json"),
    ],
    ids=["rss2.0", "atom", "jsonfeed"],
)
def test_each_feed_format_is_gathered(
    httpd: LocalHTTPServer, store: Store, make_config: ConfigWriter, build, content_type: str
) -> None:
    items = full_items(httpd)
    if build is not rss20:
        items = [Item(**{**item.__dict__, "date": "2026-11-24T08:00:00Z"}) for item in items]
    httpd.route("/feed", build(items), content_type=content_type)
    settings = make_config(sources=[("Feed", httpd.url("/feed"), "News")])
    reports = run(store, settings, now=NOW)
    assert reports["Feed"].status == "ok", reports["Feed"].error
    assert reports["Feed"].new == 2
    rows = stored(store)
    assert [row.title for row in sorted(rows, key=lambda r: r.title)] == ["Story 1", "Story 2"]
    first = next(row for row in rows if row.title == "Story 1")
    assert first.published == datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    assert first.author == "Ada Writer"
    assert first.full_text and first.words > 150
    assert "Paragraph 4 about story 1" in first.text


def rss092(items: list[Item]) -> str:
    """RSS 0.92: the 0.91 document without its DTD, under the later version number."""
    document = rss091(items).replace('version="0.91"', 'version="0.92"')
    return re.sub(r"<!DOCTYPE[^>]*>\n", "", document)


@pytest.mark.parametrize("build", [rss091, rss092, rss10], ids=["rss0.91", "rss0.92", "rss1.0"])
def test_old_rss_versions(
    httpd: LocalHTTPServer, store: Store, make_config: ConfigWriter, build
) -> None:
    items = [
        Item(title="Old style", link=httpd.url("/old-style-story"), summary=long_text("old", 3)),
        Item(title="Second", link=httpd.url("/second-old-story"), summary=long_text("second", 3)),
    ]
    httpd.route("/feed.xml", build(items), content_type="text/xml")
    settings = make_config(sources=[("Old", httpd.url("/feed.xml"), "News")])
    assert run(store, settings, now=NOW)["Old"].new == 2
    assert {row.title for row in stored(store)} == {"Old style", "Second"}


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        (rss091, "rss091n"),
        (rss092, "rss092"),
        (rss10, "rss10"),
        (rss20, "rss20"),
        (atom, "atom10"),
        (json_feed, "json1.1"),
    ],
    ids=["rss0.91", "rss0.92", "rss1.0", "rss2.0", "atom", "jsonfeed"],
)
def test_each_format_is_recognised_as_itself(build, expected: str) -> None:
    item = Item(title="T", link="http://127.0.0.1/t", guid="g", date="2026-11-24T08:00:00Z",
                content="<p>x</p>")  # fmt: skip
    feed = parse_feed(build([item]).encode("utf-8"), url="http://127.0.0.1/feed")
    assert feed.format == expected
    assert [entry.title for entry in feed.entries] == ["T"]


# -- pages and folders -------------------------------------------------------------------


def test_page_that_advertises_a_feed_becomes_that_feed(
    httpd: LocalHTTPServer, store: Store, make_config: ConfigWriter
) -> None:
    httpd.route("/feeds/all.xml", rss20(full_items(httpd)), content_type=RSS)
    httpd.route(
        "/blog",
        '<html><head><link rel="alternate" type="application/rss+xml" href="/feeds/all.xml">'
        "</head><body><p>Hello</p></body></html>",
    )
    settings = make_config(sources=[("Blog", httpd.url("/blog"), "News")])
    report = run(store, settings, now=NOW)["Blog"]
    assert (report.status, report.new, report.kind) == ("ok", 2, "feed")
    [state] = store.sources()
    assert state.url == httpd.url("/feeds/all.xml")
    assert state.config_url == httpd.url("/blog")


def test_listing_page_without_feed_follows_same_site_article_links(
    httpd: LocalHTTPServer, store: Store, make_config: ConfigWriter
) -> None:
    for slug in ("first-big-story-today", "second-big-story-today"):
        httpd.route(f"/news/{slug}", article_page(slug.replace("-", " ").title(), slug))
    httpd.route(
        "/news/",
        "<html><body><nav><a href='/about/who-we-are-today'>About us</a></nav>"
        "<main><a href='/news/first-big-story-today'>First big story today</a>"
        "<a href='/news/second-big-story-today?utm_source=home'>Second big story</a>"
        "<a href='https://elsewhere.example/news/off-site-story-here'>Off site</a>"
        "<a href='/tag/politics'>Politics</a></main></body></html>",
    )
    settings = make_config(sources=[("Listing", httpd.url("/news/"), "News")])
    report = run(store, settings, now=NOW)["Listing"]
    assert (report.status, report.new, report.kind) == ("ok", 2, "page")
    rows = stored(store)
    assert {row.url for row in rows} == {
        httpd.url("/news/first-big-story-today"),
        httpd.url("/news/second-big-story-today"),
    }
    assert all("Copyright" not in row.text and "Sign in" not in row.text for row in rows)
    assert not httpd.requests_for("/about/who-we-are-today")
    # A second visit fetches only the listing: the articles are known.
    again = run(store, settings, now=NOW + timedelta(hours=1))["Listing"]
    assert again.new == 0
    assert len(httpd.requests_for("/news/first-big-story-today")) == 1


def test_article_page_without_feed_is_one_article(
    httpd: LocalHTTPServer, store: Store, make_config: ConfigWriter
) -> None:
    httpd.route(
        "/story",
        article_page("A single story", "the single story", author="Jo Reporter",
                     published="2026-11-23T09:30:00+01:00"),
    )  # fmt: skip
    settings = make_config(sources=[("Single", httpd.url("/story"), "News")])
    assert run(store, settings, now=NOW)["Single"].new == 1
    [row] = stored(store)
    assert row.title == "A single story"
    assert row.published == datetime(2026, 11, 23, 8, 30, tzinfo=UTC)
    assert row.date_note is None


def test_folder_source(store: Store, make_config: ConfigWriter, tmp_path: Path) -> None:
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "one.md").write_text(
        "---\ntitle: Front matter title\nauthor: Mo Author\nurl: https://example.org/one\n---\n"
        "# Heading\n\nFirst **bold** paragraph with a [link](https://example.org).\n\nSecond.\n",
        encoding="utf-8",
    )
    (folder / "two.txt").write_text("Plain title\nBy Kim Writer\n\nBody one.\n\nBody two.\n")
    (folder / "three.html").write_text(article_page("Html title", "html"), encoding="utf-8")
    (folder / "README.md").write_text("# Not an article\n")
    (folder / "notes.pdf").write_bytes(b"%PDF")
    settings = make_config(sources=[("Folder", str(folder), "News")])
    report = run(store, settings, now=NOW)["Folder"]
    assert (report.status, report.new, report.kind) == ("ok", 3, "folder")
    rows = {row.title: row for row in stored(store)}
    assert set(rows) == {"Front matter title", "Plain title", "Html title"}
    assert rows["Front matter title"].author == "Mo Author"
    assert rows["Front matter title"].text.startswith("First bold paragraph with a link.")
    assert rows["Front matter title"].url == "https://example.org/one"
    assert rows["Plain title"].author == "Kim Writer"
    assert rows["Plain title"].text == "Body one.\n\nBody two."
    # Reading the folder again stores nothing twice; an edited file is updated in place.
    assert run(store, settings, now=NOW)["Folder"].new == 0
    (folder / "two.txt").write_text("Plain title\n\nBody one, corrected.\n")
    again = run(store, settings, now=NOW)["Folder"]
    assert (again.new, again.updated) == (0, 1)
    assert {row.title: row for row in stored(store)}["Plain title"].text == "Body one, corrected."


def test_missing_folder_is_an_error_for_that_source_only(
    store: Store, make_config: ConfigWriter, tmp_path: Path
) -> None:
    good = tmp_path / "good"
    good.mkdir()
    (good / "a.txt").write_text("Title\n\nText.\n")
    settings = make_config(
        sources=[("Gone", str(tmp_path / "nope"), "News"), ("Good", str(good), "News")]
    )
    reports = run(store, settings, now=NOW)
    assert reports["Gone"].status == "error"
    assert "no such folder" in (reports["Gone"].error or "")
    assert reports["Good"].new == 1


# -- full text ----------------------------------------------------------------------------


def test_teaser_only_feed_gets_full_text_from_the_article_page(
    httpd: LocalHTTPServer, store: Store, make_config: ConfigWriter
) -> None:
    httpd.route("/articles/teased-story", article_page("Teased story", "the teased story",
                                                        author="Page Author"))  # fmt: skip
    items = [
        Item(
            title="Teased story",
            link=httpd.url("/articles/teased-story"),
            guid="t1",
            date="Tue, 24 Nov 2026 08:00:00 GMT",
            summary="Officials said on Tuesday that … Read more",
        )
    ]
    httpd.route("/teasers", rss20(items), content_type=RSS)
    settings = make_config(sources=[("Teasers", httpd.url("/teasers"), "News")])
    assert run(store, settings, now=NOW)["Teasers"].new == 1
    [row] = stored(store)
    assert row.full_text
    assert "Paragraph 5 about the teased story" in row.text
    assert "Read more" not in row.text
    assert row.author == "Page Author"
    # The entry is known now: a second fetch neither stores nor fetches the page again.
    assert run(store, settings, now=NOW)["Teasers"].new == 0
    assert len(httpd.requests_for("/articles/teased-story")) == 1


def test_teaser_takes_author_date_and_lead_image_from_the_page(
    httpd: LocalHTTPServer, store: Store, make_config: ConfigWriter
) -> None:
    page = article_page("Dated story", "the dated story", author="Sam Page",
                        published="2026-11-23T09:30:00+01:00")  # fmt: skip
    page = page.replace("</head>", '<meta property="og:image" content="/img/lead.jpg"></head>')
    httpd.route("/articles/dated-story", page)
    items = [Item(title="Dated story", link=httpd.url("/articles/dated-story"), summary="Tease…")]
    httpd.route("/teasers", rss20(items), content_type=RSS)
    settings = make_config(sources=[("Teasers", httpd.url("/teasers"), "News")])
    assert run(store, settings, now=NOW)["Teasers"].new == 1
    [row] = stored(store)
    assert row.full_text and "Paragraph 5 about the dated story" in row.text
    assert row.author == "Sam Page"
    assert (row.published, row.date_note) == (datetime(2026, 11, 23, 8, 30, tzinfo=UTC), None)
    with store.session() as session:
        from digest.store.models import Article

        image = session.query(Article).one().image_url
    assert image == httpd.url("/img/lead.jpg")


def test_full_text_never_keeps_the_teaser(
    httpd: LocalHTTPServer, store: Store, make_config: ConfigWriter
) -> None:
    httpd.route("/articles/teased-story", article_page("Teased", "teased"))
    items = [Item(title="Teased", link=httpd.url("/articles/teased-story"), summary="Short…")]
    httpd.route("/teasers", rss20(items), content_type=RSS)
    settings = make_config(
        sources=[("Teasers", httpd.url("/teasers"), "News", 'full_text = "never"')]
    )
    run(store, settings, now=NOW)
    [row] = stored(store)
    assert (row.text, row.full_text) == ("Short…", False)
    assert not httpd.requests_for("/articles/teased-story")


# -- HTTP behaviour -----------------------------------------------------------------------


def test_conditional_get_and_304(
    httpd: LocalHTTPServer, store: Store, make_config: ConfigWriter
) -> None:
    httpd.route(
        "/feed",
        rss20(full_items(httpd)),
        content_type=RSS,
        etag='"v1"',
        last_modified="Tue, 24 Nov 2026 08:00:00 GMT",
    )
    settings = make_config(sources=[("Feed", httpd.url("/feed"), "News")])
    assert run(store, settings, now=NOW)["Feed"].new == 2
    second = run(store, settings, now=NOW + timedelta(hours=1))["Feed"]
    assert (second.status, second.new, second.http_status) == ("not_modified", 0, 304)
    first_hit, second_hit = httpd.requests_for("/feed")
    assert "if-none-match" not in first_hit.headers
    assert second_hit.headers["if-none-match"] == '"v1"'
    assert second_hit.headers["if-modified-since"] == "Tue, 24 Nov 2026 08:00:00 GMT"
    assert second_hit.headers["user-agent"].startswith("digest/")
    [state] = store.sources()
    assert (state.last_status, state.etag) == ("not_modified", '"v1"')


def test_gzip_response(httpd: LocalHTTPServer, store: Store, make_config: ConfigWriter) -> None:
    httpd.route("/feed", rss20(full_items(httpd, 3)), content_type=RSS, gzip=True)
    settings = make_config(sources=[("Gz", httpd.url("/feed"), "News")])
    assert run(store, settings, now=NOW)["Gz"].new == 3
    assert "gzip" in httpd.requests_for("/feed")[0].headers["accept-encoding"]


def test_permanent_redirect_updates_the_stored_url(
    httpd: LocalHTTPServer, store: Store, make_config: ConfigWriter
) -> None:
    httpd.redirect("/old", "/older", status=301)
    httpd.redirect("/older", "/new", status=308)
    httpd.route("/new", rss20(full_items(httpd)), content_type=RSS)
    settings = make_config(sources=[("Moved", httpd.url("/old"), "News")])
    assert run(store, settings, now=NOW)["Moved"].new == 2
    [state] = store.sources()
    assert state.url == httpd.url("/new")
    run(store, settings, now=NOW)
    assert len(httpd.requests_for("/old")) == 1  # the second fetch went straight to /new


def test_temporary_redirect_keeps_the_url(
    httpd: LocalHTTPServer, store: Store, make_config: ConfigWriter
) -> None:
    httpd.redirect("/feed", "/today", status=302)
    httpd.route("/today", rss20(full_items(httpd)), content_type=RSS)
    settings = make_config(sources=[("Temp", httpd.url("/feed"), "News")])
    assert run(store, settings, now=NOW)["Temp"].new == 2
    assert store.sources()[0].url == httpd.url("/feed")


def test_more_than_five_redirects_fail(
    httpd: LocalHTTPServer, store: Store, make_config: ConfigWriter
) -> None:
    for n in range(7):
        httpd.redirect(f"/r{n}", f"/r{n + 1}", status=302)
    httpd.route("/r7", rss20(full_items(httpd)), content_type=RSS)
    settings = make_config(sources=[("Loop", httpd.url("/r0"), "News")])
    report = run(store, settings, now=NOW)["Loop"]
    assert report.status == "error"
    assert "too many redirects" in (report.error or "")
    assert not httpd.requests_for("/r6")


def test_five_redirects_are_followed_and_a_sixth_is_not(
    httpd: LocalHTTPServer, store: Store, make_config: ConfigWriter
) -> None:
    for n in range(5):
        httpd.redirect(f"/five{n}", f"/five{n + 1}", status=302)
        httpd.redirect(f"/six{n}", f"/six{n + 1}", status=302)
    httpd.redirect("/six5", "/six6", status=302)
    httpd.route("/five5", rss20(full_items(httpd)), content_type=RSS)
    httpd.route("/six6", rss20(full_items(httpd)), content_type=RSS)
    settings = make_config(
        sources=[("Five", httpd.url("/five0"), "News"), ("Six", httpd.url("/six0"), "News")]
    )
    reports = run(store, settings, now=NOW)
    assert (reports["Five"].status, reports["Five"].new) == ("ok", 2)
    assert reports["Six"].status == "error"
    assert "too many redirects" in (reports["Six"].error or "")
    assert not httpd.requests_for("/six6")


def test_server_error_backs_off_exponentially_and_others_still_run(
    httpd: LocalHTTPServer, store: Store, make_config: ConfigWriter
) -> None:
    httpd.route("/broken", "oops", status=500)
    httpd.route("/fine", rss20(full_items(httpd)), content_type=RSS)
    settings = make_config(
        sources=[("Broken", httpd.url("/broken"), "News"), ("Fine", httpd.url("/fine"), "News")]
    )
    reports = run(store, settings, now=NOW)
    assert reports["Fine"].new == 2
    broken = reports["Broken"]
    assert (broken.status, broken.http_status) == ("error", 500)
    assert "HTTP 500" in (broken.error or "")
    state = store.sources(["Broken"])[0]
    assert state.failures == 1
    assert state.last_error and "HTTP 500" in state.last_error
    assert state.next_fetch_at == NOW + timedelta(seconds=60)
    # Before the retry time the source is skipped; after it, it is tried and backs off longer.
    skipped = run(store, settings, now=NOW + timedelta(seconds=30))["Broken"]
    assert skipped.status == "backoff"
    assert len(httpd.requests_for("/broken")) == 1
    later = NOW + timedelta(seconds=61)
    assert run(store, settings, now=later)["Broken"].status == "error"
    state = store.sources(["Broken"])[0]
    assert (state.failures, state.next_fetch_at) == (2, later + timedelta(seconds=120))
    # Once it works again the failure count resets.
    httpd.route("/broken", rss20(full_items(httpd, 1)), content_type=RSS)
    assert run(store, settings, now=later, force=True)["Broken"].status == "ok"
    state = store.sources(["Broken"])[0]
    assert (state.failures, state.last_error, state.next_fetch_at) == (0, None, None)


def test_410_gone_disables_the_source(
    httpd: LocalHTTPServer, store: Store, make_config: ConfigWriter
) -> None:
    httpd.route("/gone", "gone", status=410)
    settings = make_config(sources=[("Gone", httpd.url("/gone"), "News")])
    assert run(store, settings, now=NOW)["Gone"].status == "gone"
    assert store.sources()[0].enabled is False
    later = run(store, settings, now=NOW + timedelta(days=30))["Gone"]
    assert later.status == "disabled"
    assert len(httpd.requests_for("/gone")) == 1


def test_per_request_timeout_fails_only_the_slow_source(
    httpd: LocalHTTPServer, store: Store, make_config: ConfigWriter
) -> None:
    httpd.route("/stuck", rss20(full_items(httpd)), content_type=RSS, delay=3.0)
    httpd.route("/quick", rss20(full_items(httpd)), content_type=RSS)
    settings = make_config(
        sources=[("Stuck", httpd.url("/stuck"), "News"), ("Quick", httpd.url("/quick"), "News")],
        fetch="timeout = 0.3\ndeadline = 10",
    )
    started = time.monotonic()
    reports = run(store, settings, now=NOW)
    assert time.monotonic() - started < 2
    assert reports["Quick"].new == 2
    stuck = reports["Stuck"]
    assert stuck.status == "error"
    assert "within 0.3 s ([fetch] timeout)" in (stuck.error or ""), stuck.error
    assert store.sources(["Stuck"])[0].failures == 1


def test_slow_source_hits_its_deadline_while_the_others_finish(
    httpd: LocalHTTPServer, store: Store, make_config: ConfigWriter
) -> None:
    httpd.route("/slow", rss20(full_items(httpd)), content_type=RSS, delay=3.0)
    httpd.route("/quick", rss20(full_items(httpd)), content_type=RSS)
    settings = make_config(
        sources=[("Slow", httpd.url("/slow"), "News"), ("Quick", httpd.url("/quick"), "News")],
        fetch="timeout = 10\ndeadline = 0.5",
    )
    started = time.monotonic()
    reports = run(store, settings, now=NOW)
    assert time.monotonic() - started < 2.5
    assert reports["Quick"].new == 2
    assert reports["Slow"].status == "error"
    assert "deadline" in (reports["Slow"].error or "")


def test_oversized_response_is_refused(
    httpd: LocalHTTPServer, store: Store, make_config: ConfigWriter
) -> None:
    httpd.route("/big", rss20(full_items(httpd, 40)), content_type=RSS)
    settings = make_config(sources=[("Big", httpd.url("/big"), "News")], fetch="max_bytes = 20000")
    report = run(store, settings, now=NOW)["Big"]
    assert report.status == "error"
    assert "larger than" in (report.error or "") or "announces" in (report.error or "")
    assert stored(store) == []


def test_gzip_bomb_is_capped_after_decompression(
    httpd: LocalHTTPServer, store: Store, make_config: ConfigWriter
) -> None:
    bomb = gzip.compress(b"<rss>" + b" " * 50_000_000)
    assert len(bomb) < 100_000
    httpd.route("/bomb", bomb, content_type=RSS, headers={"Content-Encoding": "gzip"})
    settings = make_config(
        sources=[("Bomb", httpd.url("/bomb"), "News")], fetch="max_bytes = 1000000"
    )
    report = run(store, settings, now=NOW)["Bomb"]
    assert report.status == "error"
    assert "larger than 1,000,000 bytes" in (report.error or "")


def test_malformed_xml_is_an_error_with_a_reason(
    httpd: LocalHTTPServer, store: Store, make_config: ConfigWriter
) -> None:
    httpd.route("/bad", "<<<this is not xml at all & never was", content_type="text/xml")
    settings = make_config(sources=[("Bad", httpd.url("/bad"), "News")])
    report = run(store, settings, now=NOW)["Bad"]
    assert report.status == "error"
    assert "not an RSS, Atom or JSON feed" in (report.error or "")


def test_entity_expansion_bomb_and_external_entities_do_nothing(
    httpd: LocalHTTPServer, store: Store, make_config: ConfigWriter, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    levels = ['<!ENTITY lol0 "lollollollollollollollollollol">']
    levels += [f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10)]
    doctype = "<!DOCTYPE rss [" + "".join(levels) + f'<!ENTITY xxe SYSTEM "file://{secret}">]>'
    body = (
        f'<?xml version="1.0"?>{doctype}<rss version="2.0"><channel><title>Bomb</title>'
        f"<item><title>Boom &lol9;</title><link>{httpd.url('/boom')}</link>"
        "<description>&xxe; text</description></item></channel></rss>"
    )
    httpd.route("/lol", body, content_type=RSS)
    settings = make_config(sources=[("Lol", httpd.url("/lol"), "News")])
    started = time.monotonic()
    report = run(store, settings, now=NOW)["Lol"]
    assert time.monotonic() - started < 5
    # The feed is still read (the entry is there), but no entity was expanded or loaded.
    assert (report.status, report.new) == ("ok", 1), report.error
    [row] = stored(store)
    assert row.title.startswith("Boom")
    assert "lollollol" not in row.title and len(row.title) < 200
    assert "TOP-SECRET" not in row.text and "TOP-SECRET" not in row.title


def test_json_that_is_not_a_feed(
    httpd: LocalHTTPServer, store: Store, make_config: ConfigWriter
) -> None:
    httpd.route("/api", json.dumps({"hello": "world"}), content_type="application/json")
    settings = make_config(sources=[("Api", httpd.url("/api"), "News")])
    report = run(store, settings, now=NOW)["Api"]
    assert report.status == "error"
    assert "not a JSON Feed" in (report.error or "")


def test_connection_refused_names_the_host(store: Store, make_config: ConfigWriter) -> None:
    settings = make_config(sources=[("Nobody", "http://127.0.0.1:9/feed", "News")])
    report = run(store, settings, now=NOW)["Nobody"]
    assert report.status == "error"
    assert "127.0.0.1:9" in (report.error or "")


# -- identity, updates, dates, hostile text -------------------------------------------------


def test_duplicates_and_updated_entries(
    httpd: LocalHTTPServer, store: Store, make_config: ConfigWriter
) -> None:
    items = full_items(httpd)
    httpd.route("/feed", rss20([*items, items[0]]), content_type=RSS)  # a feed repeating itself
    settings = make_config(sources=[("Feed", httpd.url("/feed"), "News")])
    assert run(store, settings, now=NOW)["Feed"].new == 2
    assert run(store, settings, now=NOW)["Feed"].new == 0
    assert len(stored(store)) == 2
    first_id = stored(store)[0].id
    changed = [Item(**{**items[0].__dict__, "title": "Story 1 (corrected)"}), items[1]]
    httpd.route("/feed", rss20(changed), content_type=RSS)
    report = run(store, settings, now=NOW + timedelta(hours=1))["Feed"]
    assert (report.new, report.updated) == (0, 1)
    rows = stored(store)
    assert len(rows) == 2
    assert rows[0].id == first_id and rows[0].title == "Story 1 (corrected)"
    assert rows[0].fetched == NOW  # first seen, not last updated


def test_tracking_parameters_do_not_make_new_articles(
    httpd: LocalHTTPServer, store: Store, make_config: ConfigWriter
) -> None:
    def feed(query: str) -> str:
        link = httpd.url(f"/a-story?id=7&{query}#comments")
        return rss20([Item(title="Tracked", link=link, content=long_text("t"))])

    httpd.route("/feed", feed("utm_source=rss&utm_medium=feed&fbclid=abc"), content_type=RSS)
    settings = make_config(sources=[("Feed", httpd.url("/feed"), "News")])
    assert run(store, settings, now=NOW)["Feed"].new == 1
    assert stored(store)[0].url == httpd.url("/a-story?id=7")
    httpd.route("/feed", feed("utm_source=newsletter&gclid=zz"), content_type=RSS)
    assert run(store, settings, now=NOW)["Feed"].new == 0
    assert len(stored(store)) == 1


def test_entries_without_guid_or_link_are_known_by_their_content(
    httpd: LocalHTTPServer, store: Store, make_config: ConfigWriter
) -> None:
    def feed(*texts: str) -> str:
        items = "".join(
            f"<item><title>Note {n}</title><description>{text}</description></item>"
            for n, text in enumerate(texts)
        )
        return (
            '<?xml version="1.0"?><rss version="2.0"><channel><title>Notes</title>'
            f"<link>http://127.0.0.1/</link><description>d</description>{items}</channel></rss>"
        )

    httpd.route("/notes", feed("The ferry is late.", "The bridge is open."), content_type=RSS)
    settings = make_config(sources=[("Notes", httpd.url("/notes"), "News")])
    assert run(store, settings, now=NOW)["Notes"].new == 2
    assert run(store, settings, now=NOW)["Notes"].new == 0
    assert {row.url for row in stored(store)} == {""}
    # Known by content: different content is a different article.
    httpd.route("/notes", feed("The ferry is late.", "The bridge is shut."), content_type=RSS)
    report = run(store, settings, now=NOW)["Notes"]
    assert (report.new, report.updated) == (1, 0)
    assert len(stored(store)) == 3


def test_the_guid_wins_over_the_link(
    httpd: LocalHTTPServer, store: Store, make_config: ConfigWriter
) -> None:
    first = Item(title="Moved", link=httpd.url("/old-place"), guid="urn:moved",
                 content=long_text("moved"))  # fmt: skip
    httpd.route("/feed", rss20([first]), content_type=RSS)
    settings = make_config(sources=[("Feed", httpd.url("/feed"), "News")])
    assert run(store, settings, now=NOW)["Feed"].new == 1
    moved = Item(**{**first.__dict__, "link": httpd.url("/new-place?utm_source=x")})
    httpd.route("/feed", rss20([moved]), content_type=RSS)
    report = run(store, settings, now=NOW)["Feed"]
    assert (report.new, report.updated) == (0, 1)
    [row] = stored(store)
    assert (row.url, row.title) == (httpd.url("/new-place"), "Moved")


def test_missing_unparsable_and_future_dates_fall_back_to_fetch_time(
    httpd: LocalHTTPServer, store: Store, make_config: ConfigWriter
) -> None:
    items = [
        Item(title="No date", link=httpd.url("/no-date"), content=long_text("a")),
        Item(title="Bad date", link=httpd.url("/bad-date"), date="yesterday-ish",
             content=long_text("b")),
        Item(title="Future", link=httpd.url("/future"), date="Fri, 01 Jan 2100 00:00:00 GMT",
             content=long_text("c")),
        Item(title="Good", link=httpd.url("/good"), date="Mon, 23 Nov 2026 10:00:00 +0200",
             content=long_text("d")),
    ]  # fmt: skip
    httpd.route("/feed", rss20(items), content_type=RSS)
    settings = make_config(sources=[("Dates", httpd.url("/feed"), "News")])
    run(store, settings, now=NOW)
    rows = {row.title: row for row in stored(store)}
    assert (rows["No date"].published, rows["No date"].date_note) == (NOW, "missing")
    assert (rows["Bad date"].published, rows["Bad date"].date_note) == (NOW, "invalid")
    assert (rows["Future"].published, rows["Future"].date_note) == (NOW, "future")
    good = rows["Good"]
    assert (good.published, good.date_note) == (datetime(2026, 11, 23, 8, 0, tzinfo=UTC), None)
    assert all(row.published.tzinfo is not None for row in rows.values())


def test_header_injection_in_titles_and_authors_is_neutralised(
    httpd: LocalHTTPServer, store: Store, make_config: ConfigWriter
) -> None:
    title = "Hello\r\nBcc: victim@example.org\u2028X-Evil: 1\x00end"
    items = [
        Item(title=title, link=httpd.url("/inject"), content=long_text("x"),
             author="Eve\nCc: a@b.c")
    ]  # fmt: skip
    httpd.route("/feed", json_feed(items), content_type="application/feed+json")
    settings = make_config(sources=[("Inject", httpd.url("/feed"), "News")])
    run(store, settings, now=NOW)
    [row] = stored(store)
    for value in (row.title, row.author):
        assert not any(c in value for c in "\r\n\x00\u2028\u2029")
    assert row.title == "Hello Bcc: victim@example.org X-Evil: 1 end"


def test_feed_html_is_sanitised_before_storage(
    httpd: LocalHTTPServer, store: Store, make_config: ConfigWriter
) -> None:
    content = (
        long_text("clean")
        + '<script>alert(1)</script><img src="x" onerror="alert(2)">'
        + '<a href="javascript:alert(3)">bad link</a><iframe src="http://evil/"></iframe>'
    )
    httpd.route("/feed", rss20([Item(title="T", link=httpd.url("/t"), content=content)]),
                content_type=RSS)  # fmt: skip
    settings = make_config(sources=[("Html", httpd.url("/feed"), "News")])
    run(store, settings, now=NOW)
    with store.session() as session:
        from digest.store.models import Article

        html = session.query(Article).one().html
    assert "<script" not in html and "onerror" not in html
    assert "javascript:" not in html and "<iframe" not in html
    assert "Paragraph 1 about clean" in html


def test_many_sources_with_one_broken_everything_else_stored(
    httpd: LocalHTTPServer, store: Store, make_config: ConfigWriter
) -> None:
    sources = []
    for n in range(8):
        httpd.route(f"/f{n}", rss20(full_items(httpd, 2)), content_type=RSS)
        sources.append((f"S{n}", httpd.url(f"/f{n}"), "News"))
    httpd.route("/f3", "<<broken", content_type="text/xml")
    reports = run(store, make_config(sources=sources), now=NOW)
    assert reports["S3"].status == "error"
    assert sum(r.new for r in reports.values()) == 14


def test_concurrency_is_bounded_per_host(
    httpd: LocalHTTPServer, store: Store, make_config: ConfigWriter
) -> None:
    sources = []
    for n in range(6):
        httpd.route(f"/f{n}", rss20(full_items(httpd, 1)), content_type=RSS, delay=0.2)
        sources.append((f"S{n}", httpd.url(f"/f{n}"), "News"))
    settings = make_config(sources=sources, fetch="per_host = 2\nconcurrency = 10")
    reports = run(store, settings, now=NOW)
    assert all(r.status == "ok" for r in reports.values())
    assert httpd.max_in_flight == 2


def test_concurrency_is_bounded_globally(store: Store, make_config: ConfigWriter) -> None:
    servers = [LocalHTTPServer().start() for _ in range(5)]
    try:
        sources = []
        for n, server in enumerate(servers):
            server.route("/feed", rss20(full_items(server, 1)), content_type=RSS, delay=0.2)
            sources.append((f"S{n}", server.url("/feed"), "News"))
        settings = make_config(sources=sources, fetch="per_host = 5\nconcurrency = 2")
        started = time.monotonic()
        reports = run(store, settings, now=NOW)
        elapsed = time.monotonic() - started
        assert all(r.status == "ok" for r in reports.values())
        # Five 0.2 s answers, two at a time, need three rounds: never less than 0.6 s
        # (all five at once would take 0.2 s).
        assert elapsed >= 0.55
    finally:
        for server in servers:
            server.stop()


def test_retry_after_is_honoured(
    httpd: LocalHTTPServer, store: Store, make_config: ConfigWriter
) -> None:
    httpd.route("/busy", "busy", status=503, headers={"Retry-After": "3600"})
    settings = make_config(sources=[("Busy", httpd.url("/busy"), "News")])
    report = run(store, settings, now=NOW)["Busy"]
    assert (report.status, report.http_status) == ("error", 503)
    assert store.sources()[0].next_fetch_at == NOW + timedelta(seconds=3600)


# -- the benchmark ----------------------------------------------------------------------


def test_gather_benchmark_runs(tmp_path: Path) -> None:
    script = Path(__file__).resolve().parent.parent / "bench" / "gather.py"
    result = subprocess.run(
        [sys.executable, str(script), "--feeds", "6", "--hosts", "2", "--delay", "0.05",
         "--repeat", "1"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "gather 6 feeds on 2 hosts, 50 ms per response" in out
    assert re.search(r"^sequential loop .* \d+\.\d\d +\d+\.\d$", out, re.MULTILINE), out
    assert re.search(r"^digest gather .* \d+\.\d\d +\d+\.\d$", out, re.MULTILINE), out
    assert re.search(r"^speed-up: \d+\.\dx$", out, re.MULTILINE), out


def test_gathering_never_waits_on_the_database_in_the_event_loop(
    httpd: LocalHTTPServer, store: Store, make_config: ConfigWriter
) -> None:
    import threading

    from sqlalchemy import event

    threads: set[str] = set()
    event.listen(
        store.engine,
        "before_cursor_execute",
        lambda *_args: threads.add(threading.current_thread().name),
    )
    httpd.route("/feed", rss20(full_items(httpd)), content_type=RSS)
    httpd.route("/broken", "not a feed <", content_type="text/html")
    settings = make_config(
        sources=[("Feed", httpd.url("/feed"), "News"), ("Broken", httpd.url("/broken"), "News")]
    )
    reports = run(store, settings, now=NOW)
    assert reports["Feed"].status == "ok" and reports["Broken"].status == "error"
    assert threads and all(name.startswith("digest-store") for name in threads), threads


# -- photo captions at the top of plain text ------------------------------------------------

CAPTION = "Colin Faraday sits in front of a microphone at the harbour office."
LEAD = (
    "The harbour council of Port Wenlow has approved a two-year pilot of tidal turbines "
    "beside the old pier, ending a decade of argument over the site."
)


@pytest.mark.parametrize(
    "credit", ["Photograph: Jane Doe/AAP", "Source: AAP", "Image: Reuters/Getty Images"]
)
def test_a_caption_opening_a_text_file_or_a_flattened_feed_entry_stays_out_of_its_summary(
    httpd: LocalHTTPServer, store: Store, make_config: ConfigWriter, tmp_path: Path, credit: str
) -> None:
    from digest.pipeline.articles import refresh

    body = [LEAD, long_text("the tidal pilot", 3)]
    folder = tmp_path / "articles"
    folder.mkdir()
    plain = re.sub(r"</p>", "\n\n", re.sub(r"<p>", "", body[1]))
    # A folder's .txt: the caption, its credit as the next paragraph, then the story.
    (folder / "pilot.txt").write_text(
        f"Harbour council backs tidal pilot\n\n{CAPTION}\n\n{credit}\n\n{LEAD}\n\n{plain}",
        encoding="utf-8",
    )
    # A feed entry whose HTML opens with the photo: caption and credit in one <figcaption>.
    figure = f"<figure><img src='/p.jpg'><figcaption>{CAPTION} {credit}</figcaption></figure>"
    item = Item(
        title="Harbour council backs tidal pilot",
        link=httpd.url("/pilot"),
        guid="urn:pilot",
        date="Tue, 24 Nov 2026 08:00:00 GMT",
        content=f"{figure}<p>{LEAD}</p>{body[1]}",
    )
    httpd.route("/feed.xml", rss20([item]), content_type=RSS)
    settings = make_config(
        sources=[("Folder", str(folder), "News"), ("Feed", httpd.url("/feed.xml"), "News")]
    )
    result = asyncio.run(refresh(store, settings, now=NOW))
    assert {r.name: r.status for r in result.reports} == {"Folder": "ok", "Feed": "ok"}
    articles = {row.source: row for row in store.articles()}
    for source in ("Folder", "Feed"):
        article = articles[source]
        assert CAPTION in article.text  # the text is kept as it came ...
        assert article.summary and article.summary[0] == LEAD  # ... the summary leaves it out
        assert not any("microphone" in s or credit in s for s in article.summary), article.summary
