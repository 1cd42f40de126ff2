"""Composition: a pure function from articles, preferences, watermark and time to a digest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from digest.content.compose import Preferences, SectionPlan, compose
from digest.records import Candidate

NOW = datetime(2026, 11, 25, 7, 0, tzinfo=UTC)
SECTIONS = (SectionPlan("World", 3), SectionPlan("Tech", 2), SectionPlan("Science", 2))


def art(
    id: int,
    *,
    section: str = "World",
    source: str = "Wire",
    hours_ago: float = 2,
    story: int | None = None,
    priority: int = 0,
    words: int = 500,
    summary: tuple[str, ...] = ("A summary.",),
    full_text: bool = True,
) -> Candidate:
    when = NOW - timedelta(hours=hours_ago)
    return Candidate(
        id=id,
        source=source,
        section=section,
        title=f"Article {id}",
        url=f"https://example.org/{id}",
        published=when,
        fetched=when,
        summary=summary,
        words=words,
        story=story,
        priority=priority,
        full_text=full_text,
    )


def ids(digest) -> list[int]:
    return [story.lead.id for story in digest.stories]


def test_only_articles_gathered_after_the_watermark() -> None:
    articles = [art(1, hours_ago=30), art(2, hours_ago=10), art(3, hours_ago=1)]
    prefs = Preferences(watermark=NOW - timedelta(hours=12))
    digest = compose(articles, sections=SECTIONS, preferences=prefs, now=NOW)
    assert sorted(ids(digest)) == [2, 3]
    assert digest.since == NOW - timedelta(hours=12) and not digest.first


def test_first_digest_covers_one_period() -> None:
    articles = [art(1, hours_ago=30), art(2, hours_ago=20), art(3, hours_ago=24 * 6)]
    daily = compose(articles, sections=SECTIONS, preferences=Preferences(), now=NOW)
    assert ids(daily) == [2] and daily.first
    weekly = compose(
        articles, sections=SECTIONS, preferences=Preferences(frequency="weekly"), now=NOW
    )
    assert sorted(ids(weekly)) == [1, 2, 3]


def test_articles_gathered_after_now_wait_for_the_next_digest() -> None:
    future = art(9, hours_ago=-1)
    digest = compose([future, art(1)], sections=SECTIONS, preferences=Preferences(), now=NOW)
    assert ids(digest) == [1]


def test_only_chosen_sections_in_configured_order() -> None:
    articles = [
        art(1, section="Science"),
        art(2, section="World"),
        art(3, section="Tech"),
    ]
    prefs = Preferences(sections=("Science", "World"))
    digest = compose(articles, sections=SECTIONS, preferences=prefs, now=NOW)
    assert [s.name for s in digest.sections] == ["World", "Science"]
    assert 3 not in digest.article_ids


def test_max_items_caps_each_section_and_counts_the_rest() -> None:
    articles = [art(n, section="Tech", hours_ago=n) for n in range(1, 6)]
    digest = compose(articles, sections=SECTIONS, preferences=Preferences(), now=NOW)
    [tech] = digest.sections
    assert [s.lead.id for s in tech.stories] == [1, 2]  # the most recent
    assert tech.more == 3 and digest.left_out == 3


def test_a_story_from_several_sources_appears_once_and_ranks_first() -> None:
    articles = [
        art(1, source="A", hours_ago=1),
        art(2, source="B", hours_ago=5, story=2),
        art(3, source="C", hours_ago=4, story=2, words=900),
        art(4, source="D", hours_ago=3, story=2, summary=()),
    ]
    digest = compose(articles, sections=SECTIONS, preferences=Preferences(), now=NOW)
    [world] = digest.sections
    first = world.stories[0]
    assert first.lead.id == 3  # has a summary, the most substance
    assert [a.source for a in first.also] == ["B", "D"]
    assert first.coverage == 3
    assert [s.lead.id for s in world.stories] == [3, 1]
    assert sorted(digest.article_ids) == [1, 2, 3, 4]


def test_source_priority_breaks_ties_before_recency() -> None:
    articles = [art(1, source="Blog", hours_ago=1), art(2, source="Paper", hours_ago=6, priority=2)]
    digest = compose(articles, sections=SECTIONS, preferences=Preferences(), now=NOW)
    assert ids(digest) == [2, 1]


def test_a_story_already_delivered_is_not_repeated_when_another_source_reports_it() -> None:
    watermark = NOW - timedelta(hours=12)
    articles = [
        art(1, source="A", hours_ago=20),  # delivered in the last digest
        art(2, source="B", hours_ago=2, story=1),  # same story, reported later
        art(3, source="C", hours_ago=2),
    ]
    digest = compose(
        articles, sections=SECTIONS, preferences=Preferences(watermark=watermark), now=NOW
    )
    assert ids(digest) == [3]


def test_top_stories_take_the_most_covered_out_of_their_sections() -> None:
    articles = [
        art(1, source="A", section="Tech", story=1),
        art(2, source="B", section="Tech", story=1),
        art(3, source="A", section="World", story=3),
        art(4, source="B", section="World", story=3),
        art(5, source="C", section="World", story=3),
        art(6, source="A", section="World"),
        art(7, source="A", section="Science"),
    ]
    digest = compose(articles, sections=SECTIONS, preferences=Preferences(), now=NOW, top_stories=1)
    assert [s.lead.story_key for s in digest.top] == [3]
    world = next(s for s in digest.sections if s.name == "World")
    assert [s.lead.id for s in world.stories] == [6]
    assert len(digest.article_ids) == len(set(digest.article_ids)) == 7
    # Without the block every story stays in its section.
    plain = compose(articles, sections=SECTIONS, preferences=Preferences(), now=NOW)
    assert plain.top == () and len(plain.stories) == 4


def test_nothing_new_is_an_empty_digest() -> None:
    prefs = Preferences(watermark=NOW - timedelta(hours=1))
    digest = compose([art(1, hours_ago=5)], sections=SECTIONS, preferences=prefs, now=NOW)
    assert digest.empty and digest.sections == () and digest.stories == ()


def test_composition_is_deterministic_whatever_the_input_order() -> None:
    articles = [art(n, source=f"S{n % 3}", hours_ago=n % 4, story=(n // 2) or None)
                for n in range(1, 12)]  # fmt: skip
    one = compose(articles, sections=SECTIONS, preferences=Preferences(), now=NOW, top_stories=2)
    two = compose(
        list(reversed(articles)), sections=SECTIONS, preferences=Preferences(), now=NOW,
        top_stories=2,
    )  # fmt: skip
    assert one == two


def test_coverage_outranks_any_source_priority() -> None:
    articles = [
        art(1, source="Favourite", hours_ago=1, priority=5),  # one source, high priority
        art(2, source="A", hours_ago=9, story=2),
        art(3, source="B", hours_ago=9, story=2),  # two sources, no priority
        art(4, source="Low", hours_ago=1, priority=-2000),  # beyond the clamp: still last
    ]
    digest = compose(articles, sections=SECTIONS, preferences=Preferences(), now=NOW)
    assert ids(digest) == [2, 1, 4]
    scores = [story.score for story in digest.stories]
    assert scores == sorted(scores, reverse=True)


def test_priority_outranks_recency_within_equal_coverage() -> None:
    articles = [
        art(1, source="Blog", hours_ago=0),
        art(2, source="Paper", hours_ago=70, priority=1),
    ]
    digest = compose(
        articles, sections=SECTIONS, preferences=Preferences(frequency="weekly"), now=NOW
    )
    assert ids(digest) == [2, 1]


def test_consecutive_digests_neither_repeat_nor_miss_an_article() -> None:
    articles = [art(n, source=f"S{n}", hours_ago=n * 1.5) for n in range(1, 30)]
    watermark = NOW - timedelta(hours=48)
    seen: list[int] = []
    for step in range(6, -1, -1):  # a digest every six hours up to NOW
        now = NOW - timedelta(hours=6 * step)
        sections = (SectionPlan("World", 100),)
        digest = compose(
            articles, sections=sections, preferences=Preferences(watermark=watermark), now=now
        )
        assert digest.since == watermark and digest.until == now
        seen += digest.article_ids
        watermark = digest.until  # what sending records as the new watermark
    in_period = [a.id for a in articles if a.fetched > NOW - timedelta(hours=48)]
    assert sorted(seen) == sorted(in_period)  # every article exactly once


def test_an_article_gathered_exactly_at_the_watermark_was_already_delivered() -> None:
    at_watermark = art(1, hours_ago=6)
    prefs = Preferences(watermark=at_watermark.fetched)
    assert compose([at_watermark], sections=SECTIONS, preferences=prefs, now=NOW).empty
    earlier = Preferences(watermark=at_watermark.fetched - timedelta(seconds=1))
    assert ids(compose([at_watermark], sections=SECTIONS, preferences=earlier, now=NOW)) == [1]


def test_top_stories_come_only_from_the_chosen_sections() -> None:
    articles = [
        art(1, source="A", section="Tech", story=1),
        art(2, source="B", section="Tech", story=1),
        art(3, source="C", section="Tech", story=1),
        art(4, source="A", section="World", story=4),
        art(5, source="B", section="World", story=4),
        art(6, source="A", section="World"),
    ]
    prefs = Preferences(sections=("World",))
    digest = compose(articles, sections=SECTIONS, preferences=prefs, now=NOW, top_stories=3)
    assert [s.lead.story_key for s in digest.top] == [4]  # the Tech story is not theirs
    assert [s.name for s in digest.sections] == ["World"]
    assert sorted(digest.article_ids) == [4, 5, 6]


def test_top_stories_need_several_sources_and_do_not_count_against_max_items() -> None:
    articles = [art(n, section="Tech", hours_ago=n) for n in range(1, 4)]
    digest = compose(articles, sections=SECTIONS, preferences=Preferences(), now=NOW, top_stories=2)
    assert digest.top == ()  # nothing is reported by two sources
    shared = [
        art(10, source="A", section="Tech", story=10),
        art(11, source="B", section="Tech", story=10),
    ]
    digest = compose(
        articles + shared, sections=SECTIONS, preferences=Preferences(), now=NOW, top_stories=2
    )
    assert [s.lead.story_key for s in digest.top] == [10]
    [tech] = digest.sections
    assert [s.lead.id for s in tech.stories] == [1, 2] and tech.more == 1


def test_compose_is_a_pure_function_of_its_arguments() -> None:
    articles = [
        art(n, source=f"S{n % 2}", hours_ago=n, story=1 if n < 3 else None) for n in range(1, 6)
    ]
    snapshot = list(articles)
    prefs = Preferences(watermark=NOW - timedelta(hours=4))
    one = compose(iter(articles), sections=SECTIONS, preferences=prefs, now=NOW, top_stories=1)
    two = compose(tuple(articles), sections=SECTIONS, preferences=prefs, now=NOW, top_stories=1)
    assert one == two and articles == snapshot
    # The clock is an argument: the same call later in real time gives the same digest,
    # and another *now* gives another one.
    later = compose(articles, sections=SECTIONS, preferences=prefs, now=NOW + timedelta(hours=2))
    assert later.until == NOW + timedelta(hours=2) and later != one
