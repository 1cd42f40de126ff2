"""The articles' use cases: gather the sources, summarise what is new, regroup stories.

:func:`refresh` is what ``digest fetch`` (and later the scheduler's gather job)
runs; :func:`summarise_batch` is what ``digest summarize`` runs, storing nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from digest.config import Settings, SummarySettings
from digest.content.cluster import DEFAULT_THRESHOLD, Doc, cluster
from digest.content.summarise import Summary, summarise
from digest.gather.sources import SourceReport, gather_sources
from digest.gather.urls import content_hash
from digest.store import Store

# Articles are summarised and clustered while they are this recent.
RECENT = timedelta(days=14)
# Summaries are stored this many at a time, so an interrupted run keeps its work.
SUMMARY_BATCH = 64


@dataclass(frozen=True, slots=True)
class RefreshResult:
    reports: list[SourceReport]
    summarised: int
    fallbacks: int  # LLM summaries that fell back to the extractive method
    shared: int  # recent stories that several articles report


def summary_hash(settings: SummarySettings, article_hash: str) -> str:
    """The key a summary is cached under: the article's content and the summary settings."""
    llm = settings.llm
    model = f"{llm.base_url}|{llm.model}" if settings.method == "llm" and llm else ""
    return content_hash(
        article_hash, settings.method, str(settings.sentences), str(settings.max_words), model
    )


def summarise_text(
    settings: SummarySettings, *, title: str, text: str, description: str = ""
) -> Summary:
    """The non-LLM summary the configured settings give (the LLM's fallback too)."""
    method = "lead" if settings.method == "lead" else "extractive"
    return summarise(
        text,
        title=title,
        description=description,
        method=method,
        sentences=settings.sentences,
        max_words=settings.max_words,
    )


@dataclass(frozen=True, slots=True)
class SummaryInput:
    key: str  # what an LLM summary is cached under
    title: str
    text: str
    description: str = ""


@dataclass(frozen=True, slots=True)
class SummaryOutput:
    sentences: tuple[str, ...]
    method: str  # "extractive", "lead", "standfirst" or "llm"
    error: str | None = None  # why the LLM's summary was not used


async def summarise_batch(
    config: SummarySettings, items: Sequence[SummaryInput]
) -> list[SummaryOutput]:
    """Summarise *items* with the configured method, one output per item, in order.

    The ``llm`` method sends the articles to the endpoint (a few at a time) and
    falls back to the extractive summary for any that fail; the others run the
    extractive or lead summariser in a worker thread.
    """
    if not items:
        return []
    if config.method != "llm" or config.llm is None:
        outputs = []
        for item in items:
            summary = await asyncio.to_thread(
                summarise_text,
                config,
                title=item.title,
                text=item.text,
                description=item.description,
            )
            outputs.append(SummaryOutput(summary.sentences, summary.method))
        return outputs

    from digest.content.llm import LLMJob, LLMSettings, summarise_many
    from digest.pipeline.chat import LLMSummariser

    llm = config.llm
    llm_settings = LLMSettings(
        base_url=llm.base_url,
        model=llm.model,
        api_key=llm.api_key,
        timeout=llm.timeout,
        concurrency=llm.concurrency,
        max_input_words=llm.max_input_words,
    )
    jobs = [
        LLMJob(
            key=f"{index}:{item.key}",  # unique per item; repeats are cheap anyway
            title=item.title,
            text=item.text,
            sentences=config.sentences,
            max_words=config.max_words,
        )
        for index, item in enumerate(items)
    ]
    by_key = {job.key: item for job, item in zip(jobs, items, strict=True)}

    def fallback(job: LLMJob) -> list[str]:
        item = by_key[job.key]
        summary = summarise_text(
            config, title=item.title, text=item.text, description=item.description
        )
        return list(summary.sentences)

    async with LLMSummariser(llm_settings) as summariser:
        results = await summarise_many(summariser, jobs, fallback=fallback)
    return [SummaryOutput(r.sentences, r.method, r.error) for r in results]


async def summarise_pending(
    store: Store, settings: Settings, *, now: datetime | None = None
) -> tuple[int, int]:
    """Summarise every recent article whose summary is missing or stale.

    Returns (summarised, fell back from the LLM to the extractive method).
    """
    now = now or datetime.now(UTC)
    config = settings.summary
    jobs = await store.call(
        store.summary_jobs,
        since=now - RECENT,
        expected=lambda article_hash: summary_hash(config, article_hash),
    )
    fallbacks = 0
    for start in range(0, len(jobs), SUMMARY_BATCH):
        batch = jobs[start : start + SUMMARY_BATCH]
        inputs = [
            SummaryInput(
                key=job.summary_hash, title=job.title, text=job.text, description=job.description
            )
            for job in batch
        ]
        outputs = await summarise_batch(config, inputs)
        for job, output in zip(batch, outputs, strict=True):
            fell_back = config.method == "llm" and output.method != "llm"
            fallbacks += fell_back
            # A fallback summary is stored without its key, so the next run asks the LLM again.
            await store.call(
                store.save_summary,
                job.id,
                output.sentences,
                method=output.method,
                summary_hash=None if fell_back else job.summary_hash,
            )
    return len(jobs), fallbacks


def regroup_stories(store: Store, settings: Settings, *, now: datetime | None = None) -> int:
    """Cluster recent articles into stories and store each article's story id.

    Returns how many stories several articles report.
    """
    now = now or datetime.now(UTC)
    window = timedelta(hours=settings.stories.window_hours)
    docs = store.story_docs(since=now - RECENT)
    if not docs:
        return 0
    threshold = settings.stories.similarity or DEFAULT_THRESHOLD
    groups = cluster(
        [
            Doc(id=d.id, title=d.title, text=d.text, published=d.published, source=d.source)
            for d in docs
        ],
        threshold=threshold,
        window=window,
    )
    stories = {article_id: min(group) for group in groups for article_id in group}
    store.save_stories(stories)
    return sum(1 for group in groups if len(group) > 1)


async def refresh(
    store: Store,
    settings: Settings,
    *,
    names: Sequence[str] | None = None,
    force: bool = False,
    now: datetime | None = None,
    on_report: Callable[[SourceReport], None] | None = None,
) -> RefreshResult:
    """Gather the sources, then summarise and regroup what is new."""
    reports = await gather_sources(
        store, settings, names=names, force=force, now=now, on_report=on_report
    )
    summarised, fallbacks = await summarise_pending(store, settings, now=now)
    shared = await store.call(regroup_stories, store, settings, now=now)
    return RefreshResult(reports=reports, summarised=summarised, fallbacks=fallbacks, shared=shared)
