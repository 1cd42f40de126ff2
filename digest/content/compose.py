"""Compose the digest one subscriber is due: a pure function of plain data.

``compose(articles, ...)`` takes the candidate articles (with their summaries
and story clusters), the subscriber's preferences and watermark, and the time,
and returns a :class:`Digest`.  Preview, sending and the tests all go through
this one function, so what an operator previews is what a subscriber gets.

Rules:

* only articles gathered after the subscriber's watermark (their last digest);
  a first digest covers one period (a day for daily, a week for weekly);
* a story already delivered (one of its articles was gathered before the
  watermark, in a section the subscriber reads) is not repeated when another
  source reports it later;
* only the subscriber's sections, in the configured order, at most
  ``max_items`` stories each, with a count of what was left out;
* within a section stories rank by coverage (how many sources reported them),
  source priority and recency; the best-written article leads a story and the
  others are listed as "also reported by";
* an optional "Top stories" block takes the most covered stories (reported by
  at least two sources) out of their sections and puts them first.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from digest.records import Candidate, Digest, DigestSection, Story

PERIODS = {"daily": timedelta(days=1), "weekly": timedelta(days=7)}
RECENCY_HALF_LIFE_HOURS = 12.0
MAX_PRIORITY = 1000  # source priorities rank stories up to this magnitude
_COVERAGE_STEP = 4 * MAX_PRIORITY + 2  # above any priority and recency term


@dataclass(frozen=True, slots=True)
class SectionPlan:
    """A configured section: its name and how many stories it shows (in config order)."""

    name: str
    max_items: int


@dataclass(frozen=True, slots=True)
class Preferences:
    """What one subscriber asked for."""

    sections: tuple[str, ...] | None = None  # None: every section
    frequency: str = "daily"
    watermark: datetime | None = None  # articles gathered up to here were delivered


def period(frequency: str) -> timedelta:
    return PERIODS.get(frequency, PERIODS["daily"])


def lead_quality(article: Candidate) -> tuple[float, ...]:
    """How well an article can lead its story: a summary, full text, substance, priority."""
    substance = min(article.words, 1200) / 1200
    return (
        1.0 if article.summary else 0.0,
        1.0 if article.full_text else 0.0,
        float(article.priority),
        round(substance, 2),
        -article.published.timestamp(),  # the first report, when all else is equal
        -article.id,
    )


def story_score(articles: Sequence[Candidate], *, now: datetime) -> float:
    """Rank of a story within its section: coverage first, then priority, then recency.

    The order is strict (lexicographic), packed into one number: one more source
    outweighs any source priority, and one step of priority outweighs any recency.
    Priorities beyond +-MAX_PRIORITY count as +-MAX_PRIORITY.
    """
    coverage = len({a.source for a in articles})
    priority = min(max(max(a.priority for a in articles), -MAX_PRIORITY), MAX_PRIORITY)
    newest = max(a.published for a in articles)
    age_hours = max((now - newest).total_seconds() / 3600, 0.0)
    recency = math.exp(-math.log(2) * age_hours / RECENCY_HALF_LIFE_HOURS)  # (0, 1]
    # priority + MAX_PRIORITY is 0 .. 2 * MAX_PRIORITY; steps of 2 leave room for recency
    return coverage * _COVERAGE_STEP + (priority + MAX_PRIORITY) * 2 + recency


def _build_story(articles: Iterable[Candidate], *, now: datetime) -> Story:
    members = sorted(articles, key=lead_quality, reverse=True)
    lead, rest = members[0], members[1:]
    # One line per other source: its best article.
    seen = {lead.source}
    also = []
    for article in rest:
        if article.source not in seen:
            seen.add(article.source)
            also.append(article)
    return Story(lead=lead, also=tuple(also), score=story_score(members, now=now))


def compose(
    articles: Iterable[Candidate],
    *,
    sections: Sequence[SectionPlan],
    preferences: Preferences,
    now: datetime,
    top_stories: int = 0,
) -> Digest:
    """The digest a subscriber with *preferences* is due at *now*."""
    first = preferences.watermark is None
    since = now - period(preferences.frequency) if first else preferences.watermark
    assert since is not None
    wanted = [s for s in sections if preferences.sections is None or s.name in preferences.sections]
    wanted_names = {s.name for s in wanted}
    readable = [a for a in articles if a.section in wanted_names and a.fetched <= now]
    # Stories the subscriber has already been sent (or passed over) stay out.
    delivered = set() if first else {a.story_key for a in readable if a.fetched <= since}
    fresh: defaultdict[int, list[Candidate]] = defaultdict(list)
    for article in readable:
        if article.fetched > since and article.story_key not in delivered:
            fresh[article.story_key].append(article)
    stories = [_build_story(members, now=now) for members in fresh.values()]
    stories.sort(key=lambda s: (s.score, s.lead.published.timestamp(), s.lead.id), reverse=True)

    top: list[Story] = []
    if top_stories:
        top = [s for s in stories if s.coverage >= 2][:top_stories]
    top_keys = {s.lead.story_key for s in top}
    by_section: defaultdict[str, list[Story]] = defaultdict(list)
    for story in stories:
        if story.lead.story_key not in top_keys:
            by_section[story.lead.section].append(story)
    digest_sections = []
    for plan in wanted:
        ranked = by_section.get(plan.name, [])
        if not ranked:
            continue
        digest_sections.append(
            DigestSection(
                name=plan.name,
                stories=tuple(ranked[: plan.max_items]),
                more=max(len(ranked) - plan.max_items, 0),
            )
        )
    return Digest(
        since=since,
        until=now,
        top=tuple(top),
        sections=tuple(digest_sections),
        first=first,
    )


__all__ = [
    "Candidate",
    "Digest",
    "DigestSection",
    "Preferences",
    "SectionPlan",
    "Story",
    "compose",
    "period",
]
