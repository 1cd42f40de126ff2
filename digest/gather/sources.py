"""Gather new articles from every configured source, concurrently.

Each source is fetched, parsed, completed (full text for teaser-only entries)
and stored on its own, under its own deadline: a broken, slow or hostile
source is recorded with its error and retried later with exponential
backoff, and never stops the others.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from digest.config import FetchSettings, Settings, SourceSettings
from digest.errors import DigestError, FetchError, FetchTimeout, ParseError
from digest.gather.extract import extract_article
from digest.gather.feeds import FeedEntry, looks_like_html, parse_feed
from digest.gather.fetcher import PAGE_ACCEPT, Fetcher, HTTPStatusError, Response
from digest.gather.folder import read_folder
from digest.gather.normalize import build_article
from digest.gather.pages import inspect_page
from digest.gather.text import html_to_text
from digest.gather.urls import canonical_url, content_hash, identity_key
from digest.records import ArticleData, SaveResult, SourceState
from digest.store import FetchRecord, Store

log = logging.getLogger(__name__)

TEASER_WORDS = 150  # entries with less text than this are teasers (unless full_text = "never")
_TEASER_ENDINGS = ("…", "...", "[…]", "[...]", "read more", "continue reading", "read the full")


@dataclass(slots=True)
class SourceReport:
    """What gathering did with one source."""

    name: str
    section: str
    kind: str
    url: str
    # ok, not_modified, error, gone, disabled, backoff
    status: str
    new: int = 0
    updated: int = 0
    error: str | None = None
    http_status: int | None = None
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)
    retry_at: datetime | None = None

    @property
    def succeeded(self) -> bool:
        return self.status in {"ok", "not_modified"}


@dataclass(slots=True)
class _Outcome:
    items: list[ArticleData]
    response: Response | None = None
    kind: str | None = None
    url: str | None = None  # a new URL to fetch from now on
    warnings: list[str] = field(default_factory=list)


def backoff_delay(
    failures: int, settings: FetchSettings, retry_after: float | None = None
) -> float:
    """Seconds to wait before retrying a source that has failed *failures* times in a row."""
    delay = min(settings.retry_base * 2 ** max(failures - 1, 0), settings.retry_max)
    if retry_after is not None:
        delay = min(max(delay, retry_after), settings.retry_max)
    return delay


def is_teaser(text: str) -> bool:
    """True when *text* is a teaser rather than an article's whole text."""
    words = len(text.split())
    if words == 0:
        return True
    ending = text.rstrip().lower()[-40:]
    return words < TEASER_WORDS or any(ending.endswith(marker) for marker in _TEASER_ENDINGS)


class Gatherer:
    """One gathering run over the configured sources."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        *,
        now: datetime | None = None,
        on_report: Callable[[SourceReport], None] | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.fetch = settings.fetch
        self.now = now or datetime.now(UTC)
        self.on_report = on_report
        self.configured = {source.name: source for source in settings.sources}

    async def run(
        self, names: Sequence[str] | None = None, *, force: bool = False
    ) -> list[SourceReport]:
        await self.store.call(self.store.sync_sources, self.settings.sources, now=self.now)
        wanted = list(names) if names else list(self.configured)
        states = {state.name: state for state in await self.store.call(self.store.sources, wanted)}
        reports: list[SourceReport] = []
        due: list[SourceState] = []
        for name in wanted:
            state = states[name]
            skipped = self._skip(state, force=force)
            if skipped:
                reports.append(skipped)
                self._announce(skipped)
            else:
                due.append(state)
        async with Fetcher(self.fetch) as fetcher:
            reports.extend(await asyncio.gather(*(self._source(fetcher, state) for state in due)))
        order = {name: i for i, name in enumerate(wanted)}
        reports.sort(key=lambda report: order[report.name])
        return reports

    def _announce(self, report: SourceReport) -> None:
        if self.on_report:
            self.on_report(report)

    def _report(self, state: SourceState, status: str, **kwargs: object) -> SourceReport:
        fields: dict[str, object] = {"kind": state.kind, "url": state.url, **kwargs}
        return SourceReport(name=state.name, section=state.section, status=status, **fields)  # type: ignore[arg-type]

    def _skip(self, state: SourceState, *, force: bool) -> SourceReport | None:
        if force:
            return None
        if not state.enabled:
            return self._report(
                state,
                "disabled",
                error=state.last_error or "disabled",
                http_status=state.last_http_status,
            )
        if state.next_fetch_at and state.next_fetch_at > self.now:
            return self._report(
                state, "backoff", error=state.last_error, retry_at=state.next_fetch_at
            )
        return None

    async def _source(self, fetcher: Fetcher, state: SourceState) -> SourceReport:
        started = time.monotonic()
        config = self.configured[state.name]
        try:
            async with asyncio.timeout(self.fetch.deadline):
                outcome = await self._collect(fetcher, state, config)
        except DigestError as exc:
            # First: a request's own timeout (FetchTimeout) is a TimeoutError too, and must
            # keep its message rather than be reported as the source's deadline.
            report = await self._failed(state, exc)
        except TimeoutError:
            report = await self._failed(
                state,
                FetchTimeout(f"did not finish within {self.fetch.deadline:g} s ([fetch] deadline)"),
            )
        except Exception as exc:
            log.exception("source %r failed unexpectedly", state.name)
            report = await self._failed(
                state, DigestError(f"unexpected {type(exc).__name__}: {exc}")
            )
        else:
            report = await self._succeeded(state, outcome)
        report.seconds = time.monotonic() - started
        self._announce(report)
        return report

    async def _succeeded(self, state: SourceState, outcome: _Outcome) -> SourceReport:
        response = outcome.response
        not_modified = response is not None and response.not_modified
        status = "not_modified" if not_modified else "ok"
        result = await self.store.call(
            self._save,
            state.id,
            outcome.items,
            FetchRecord(
                status=status,
                at=self.now,
                url=outcome.url,
                kind=outcome.kind,
                etag=response.etag if response else None,
                last_modified=response.last_modified if response else None,
                http_status=response.status if response else None,
            ),
        )
        return self._report(
            state,
            status,
            new=result.new,
            updated=result.updated,
            http_status=response.status if response else None,
            warnings=outcome.warnings,
            kind=outcome.kind or state.kind,
            url=outcome.url or state.url,
        )

    def _save(
        self, source_id: int, items: Sequence[ArticleData], record: FetchRecord
    ) -> SaveResult:
        """Store a successful fetch's articles and its outcome in one transaction."""
        with self.store.session() as session:
            result = self.store.save_articles(source_id, items, now=self.now, session=session)
            self.store.record_fetch(source_id, record, session=session)
        return result

    async def _failed(self, state: SourceState, exc: DigestError) -> SourceReport:
        status_code = exc.status if isinstance(exc, FetchError) else None
        gone = status_code == 410
        retry_after = exc.retry_after if isinstance(exc, HTTPStatusError) else None
        delay = backoff_delay(state.failures + 1, self.fetch, retry_after)
        retry_at = None if gone else self.now + timedelta(seconds=delay)
        message = str(exc)
        if gone:
            message += " (410 Gone: source disabled; change its url in the config to enable it)"
        await self.store.call(
            self.store.record_fetch,
            state.id,
            FetchRecord(
                status="gone" if gone else "error",
                at=self.now,
                http_status=status_code,
                error=message,
                next_fetch_at=retry_at,
            ),
        )
        return self._report(
            state,
            "gone" if gone else "error",
            error=message,
            http_status=status_code,
            retry_at=retry_at,
        )

    # -- collecting -----------------------------------------------------------

    async def _collect(
        self, fetcher: Fetcher, state: SourceState, config: SourceSettings
    ) -> _Outcome:
        if state.kind == "folder":
            items, problems = await asyncio.to_thread(read_folder, Path(state.url), now=self.now)
            return _Outcome(items=items, warnings=[p.message for p in problems])
        conditional = state.kind != "auto" and state.last_status in {"ok", "not_modified"}
        response = await fetcher.get(
            state.url,
            etag=state.etag if conditional else None,
            last_modified=state.last_modified if conditional else None,
        )
        moved = response.moved_to
        if response.not_modified:
            return _Outcome(items=[], response=response, url=moved)
        if state.kind in {"auto", "feed"} and not looks_like_html(response.body):
            try:
                feed = parse_feed(
                    response.body, url=response.url, content_type=response.content_type
                )
            except ParseError as exc:
                raise ParseError(f"{response.url}: {exc}") from exc
            items = await self._entries(fetcher, state, config, feed.entries, base=response.url)
            return _Outcome(items=items, response=response, kind="feed", url=moved)
        if state.kind == "feed":
            raise ParseError(f'{response.url}: an HTML page, not a feed (set kind = "page"?)')
        return await self._page(fetcher, state, config, response)

    async def _page(
        self, fetcher: Fetcher, state: SourceState, config: SourceSettings, response: Response
    ) -> _Outcome:
        shape = inspect_page(response.body, url=response.url)
        if shape.feeds and state.kind == "auto":
            feed_url = shape.feeds[0]
            feed_response = await fetcher.get(feed_url)
            try:
                feed = parse_feed(
                    feed_response.body,
                    url=feed_response.url,
                    content_type=feed_response.content_type,
                )
            except ParseError as exc:
                raise ParseError(f"{feed_url} (advertised by the page): {exc}") from exc
            items = await self._entries(
                fetcher, state, config, feed.entries, base=feed_response.url
            )
            # From now on the source is its feed; the config URL is remembered apart.
            return _Outcome(items=items, response=feed_response, kind="feed", url=feed_response.url)
        if shape.is_article or not shape.article_links:
            item = await asyncio.to_thread(self._page_article, response)
            if item is None:
                raise ParseError(
                    f"{response.url}: no feed, no article links and no article text on the page"
                )
            return _Outcome(items=[item], response=response, kind="page", url=response.moved_to)
        links = list(shape.article_links)
        keys = {identity_key(guid=None, url=link, content=""): link for link in links}
        known = await self.store.call(self.store.known, state.id, keys)
        fresh = [link for key, link in keys.items() if key not in known][
            : self.fetch.max_new_articles
        ]
        pages = await asyncio.gather(*(self._fetch_page(fetcher, link) for link in fresh))
        articles: list[ArticleData] = []
        warnings: list[str] = []
        for link, (page, problem) in zip(fresh, pages, strict=True):
            item = await asyncio.to_thread(self._page_article, page, link=link) if page else None
            if item:
                articles.append(item)
            else:
                warnings.append(problem or f"{link}: no article text found")
        return _Outcome(
            items=articles, response=response, kind="page", url=response.moved_to, warnings=warnings
        )

    def _page_article(self, response: Response, *, link: str | None = None) -> ArticleData | None:
        extracted = extract_article(response.body, url=response.url)
        if extracted is None or not extracted.text.strip():
            return None
        url = link or extracted.canonical_url or response.url
        return build_article(
            guid=None,
            url=link or response.url,
            title=extracted.title,
            author=extracted.author,
            description=extracted.description,
            text=extracted.text,
            html=extracted.html,
            image=extracted.image,
            language=extracted.language,
            published=extracted.published,
            date_given=extracted.published is not None,
            full_text=True,
            now=self.now,
            hash_basis=(extracted.title, url, extracted.text),
        )

    async def _fetch_page(self, fetcher: Fetcher, url: str) -> tuple[Response | None, str | None]:
        try:
            return await fetcher.get(url, accept=PAGE_ACCEPT), None
        except DigestError as exc:
            return None, f"{url}: {exc}"

    async def _entries(
        self,
        fetcher: Fetcher,
        state: SourceState,
        config: SourceSettings,
        entries: Sequence[FeedEntry],
        *,
        base: str,
    ) -> list[ArticleData]:
        prepared = [_Entry.of(entry, base=base) for entry in entries]
        known = await self.store.call(self.store.known, state.id, [p.key for p in prepared])
        # Updates to known entries are kept, and only the newest new ones.
        new = [p for p in prepared if p.key not in known]
        new.sort(key=lambda p: p.entry.published or _EPOCH, reverse=True)
        keep_new = {p.key for p in new[: self.fetch.max_new_articles]}
        chosen = [
            p
            for p in prepared
            if p.key in keep_new or (p.key in known and known[p.key][0] != p.content_hash)
        ]
        return list(
            await asyncio.gather(
                *(
                    self._complete(fetcher, config, p, fetch_page=p.key in keep_new, base=base)
                    for p in chosen
                )
            )
        )

    async def _complete(
        self,
        fetcher: Fetcher,
        config: SourceSettings,
        prepared: _Entry,
        *,
        fetch_page: bool,
        base: str,
    ) -> ArticleData:
        """The entry as an article; a teaser is completed from its page when allowed."""
        entry, text = prepared.entry, prepared.text
        teaser = is_teaser(text)
        want_page = config.full_text == "always" or (config.full_text == "auto" and teaser)
        author, image, published = entry.author, entry.image, entry.published
        description = prepared.description
        page_text = page_html = ""
        if want_page and fetch_page and prepared.link:
            page, _problem = await self._fetch_page(fetcher, prepared.link)
            extracted = (
                await asyncio.to_thread(extract_article, page.body, url=page.url) if page else None
            )
            if extracted and len(extracted.text.split()) > len(text.split()):
                page_text, page_html = extracted.text, extracted.html
                author = author or extracted.author
                image = image or extracted.image
                if published is None and not entry.date_given:
                    published = extracted.published
                description = description or text
        return build_article(
            guid=entry.guid,
            url=prepared.link,
            title=entry.title,
            author=author,
            description=description,
            text=page_text or text,
            html=page_html or prepared.body_html,
            image=canonical_url(image, base=base) if image else "",
            published=published,
            date_given=entry.date_given or published is not None,
            full_text=bool(page_text) or not teaser,
            now=self.now,
            hash_basis=prepared.basis,
        )


_EPOCH = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class _Entry:
    """A feed entry with what gathering derives from it before touching the store."""

    entry: FeedEntry
    link: str
    body_html: str
    text: str
    description: str
    basis: tuple[str, ...]  # what the feed said: decides whether a refetch is an update
    key: str
    content_hash: str

    @classmethod
    def of(cls, entry: FeedEntry, *, base: str) -> _Entry:
        link = canonical_url(entry.link, base=base) if entry.link else ""
        body_html = entry.content_html or entry.summary_html
        basis = (entry.title, link, entry.guid or "", body_html, entry.author, entry.image)
        return cls(
            entry=entry,
            link=link,
            body_html=body_html,
            text=html_to_text(body_html),
            description=html_to_text(entry.summary_html) if entry.content_html else "",
            basis=basis,
            key=identity_key(guid=entry.guid, url=link, content="\x1f".join(basis)),
            content_hash=content_hash(*basis),
        )


async def gather_sources(
    store: Store,
    settings: Settings,
    *,
    names: Sequence[str] | None = None,
    force: bool = False,
    now: datetime | None = None,
    on_report: Callable[[SourceReport], None] | None = None,
) -> list[SourceReport]:
    """Gather every configured source (or only *names*) once, and store what is new."""
    gatherer = Gatherer(store, settings, now=now, on_report=on_report)
    return await gatherer.run(names, force=force)
