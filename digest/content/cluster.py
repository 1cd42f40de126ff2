"""Group articles that report the same event into stories.

Several sources often cover one happening in different words: a wire report, a
broadcaster's piece with quotes from bystanders, a two-line brief.  What is read of
each article is :mod:`digest.content.cluster_features`'s; how alike two are,
:func:`similarity`, is :mod:`digest.content.cluster_score`'s.  It uses only the
standard library.

:func:`cluster` joins articles greedily, strongest pair first, but a group only
absorbs another when the average similarity across the two stays near the
threshold and most pairs across them are related, so a chain A~B~C does not
pull in a C that has nothing in common with A.  For large batches, candidate
pairs come from an inverted index over terms shared by few docs, so the cost
grows with the number of plausible pairs rather than with the square of the
batch.  The threshold was chosen with the weights of the score (see there).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from digest.content.cluster_features import Features, features_of
from digest.content.cluster_score import score_pair

__all__ = ["DEFAULT_THRESHOLD", "Doc", "cluster", "similarity"]

DEFAULT_THRESHOLD: float = 0.33
"""Score at or above which two articles are taken to report the same event."""

# Share of the threshold that the average similarity between two groups must reach
# for them to merge (the guard against chaining).
_COHESION = 0.8
# Below this share of the threshold two docs count as unrelated; a merge fails when
# more than a quarter of the pairs across the two groups are unrelated.
_RELATED = 0.3
# The average is taken over at most this many members of each group.
_LINK_SAMPLE = 24

# All pairs are scored below this many documents; above it, an inverted index
# proposes the candidates.
_EXHAUSTIVE_BELOW = 300
# A term in more than this share of a large batch proposes few candidates...
_MAX_DF_SHARE = 0.05
_MIN_MAX_DF = 40
# ...but pairs each doc with this many of the next docs in time that use it.
_FREQUENT_REACH = 3
# Candidates must share at least this many rare terms.
_MIN_SHARED = 2


@dataclass(frozen=True, slots=True)
class Doc:
    """One article to cluster."""

    id: int
    title: str
    text: str  # plain text, may be long; a summary may stand in when the text is short
    published: datetime  # timezone-aware
    source: str


def _doc_features(doc: Doc) -> Features:
    return features_of(doc.title, doc.text, doc.published)


def similarity(a: Doc, b: Doc) -> float:
    """How likely *a* and *b* report the same event, from 0 to 1; symmetric."""
    return score_pair(_doc_features(a), _doc_features(b))


# --------------------------------------------------------------------------------------
# Clustering


def _candidate_pairs(features: Sequence[Features], window: float) -> list[tuple[int, int]]:
    """Index pairs (i < j) worth scoring: close in time and, if the batch is large,
    sharing rare terms."""
    count = len(features)
    if count < _EXHAUSTIVE_BELOW:
        return [
            (i, j)
            for i in range(count)
            for j in range(i + 1, count)
            if abs(features[i].stamp - features[j].stamp) <= window
        ]
    postings: dict[str, list[int]] = defaultdict(list)
    for index, feature in enumerate(features):
        for term in feature.terms:
            postings[term].append(index)
    max_df = max(_MIN_MAX_DF, int(_MAX_DF_SHARE * count))
    shared: dict[tuple[int, int], int] = defaultdict(int)
    for members in postings.values():
        if len(members) < 2:
            continue
        members.sort(key=lambda index: features[index].stamp)
        # A common term pairs each doc only with its next few docs in time, which is
        # enough to chain together a story that dozens of outlets carry.
        reach = len(members) if len(members) <= max_df else _FREQUENT_REACH + 1
        for position, i in enumerate(members):
            stamp = features[i].stamp
            for j in members[position + 1 : position + reach]:
                if features[j].stamp - stamp > window:
                    break
                shared[(i, j) if i < j else (j, i)] += 1
    return sorted(pair for pair, hits in shared.items() if hits >= _MIN_SHARED)


def _spread(members: list[int]) -> list[int]:
    """At most _LINK_SAMPLE members, evenly spread, to bound the cost of big groups."""
    if len(members) <= _LINK_SAMPLE:
        return members
    step = len(members) / _LINK_SAMPLE
    return [members[int(k * step)] for k in range(_LINK_SAMPLE)]


def _link(
    features: Sequence[Features],
    edges: list[tuple[float, int, int]],
    threshold: float,
    window: float,
) -> list[list[int]]:
    """Merge groups strongest edge first, while the average link stays cohesive."""
    known: dict[tuple[int, int], float] = {(i, j): score for score, i, j in edges}
    group_of = list(range(len(features)))
    members: dict[int, list[int]] = {index: [index] for index in range(len(features))}
    cohesion = threshold * _COHESION
    floor = threshold * _RELATED

    def pair_score(i: int, j: int) -> float:
        key = (i, j) if i < j else (j, i)
        score = known.get(key)
        if score is None:
            if abs(features[i].stamp - features[j].stamp) > window:
                score = 0.0
            else:
                score = score_pair(features[i], features[j])
            known[key] = score
        return score

    edges.sort(key=lambda edge: (-edge[0], edge[1], edge[2]))
    for _score_value, i, j in edges:
        left, right = group_of[i], group_of[j]
        if left == right:
            continue
        left_members, right_members = members[left], members[right]
        if len(left_members) > 1 or len(right_members) > 1:
            lefts, rights = _spread(left_members), _spread(right_members)
            cross = [pair_score(x, y) for x in lefts for y in rights]
            unrelated = sum(1 for score in cross if score < floor)
            if sum(cross) < cohesion * len(cross) or unrelated * 4 > len(cross):
                continue
        if len(left_members) < len(right_members):
            left, right = right, left
            left_members, right_members = right_members, left_members
        left_members.extend(right_members)
        for index in right_members:
            group_of[index] = left
        del members[right]
    return [sorted(group) for group in members.values()]


def _cluster_features(
    features: Sequence[Features],
    *,
    threshold: float,
    window: timedelta,
    exhaustive: bool = False,
) -> list[list[int]]:
    """Cluster by position in *features*; the groups hold indexes, in any order."""
    seconds = window.total_seconds()
    edges: list[tuple[float, int, int]] = []
    if exhaustive:  # the naive way, kept as a baseline for the benchmark
        count = len(features)
        for i in range(count):
            for j in range(i + 1, count):
                score = score_pair(features[i], features[j])
                if score >= threshold and abs(features[i].stamp - features[j].stamp) <= seconds:
                    edges.append((score, i, j))
    else:
        for i, j in _candidate_pairs(features, seconds):
            score = score_pair(features[i], features[j])
            if score >= threshold:
                edges.append((score, i, j))
    return _link(features, edges, threshold, seconds)


def cluster(
    docs: Sequence[Doc],
    *,
    threshold: float = DEFAULT_THRESHOLD,
    window: timedelta = timedelta(days=3),
) -> list[list[int]]:
    """Groups of doc ids, each group one story; every id appears exactly once.

    Groups are ordered by their earliest published member (ties by input order),
    ids inside a group in input order.  Docs further apart in time than *window*
    are never joined directly; they can still meet in one story through docs in
    between, when most of that story relates to each of them.  Docs from the same
    source may be joined (a corrected republish) like any others.
    """
    features = [_doc_features(doc) for doc in docs]
    groups = _cluster_features(features, threshold=threshold, window=window)
    groups.sort(key=lambda group: (min(features[index].stamp for index in group), group[0]))
    return [[docs[index].id for index in group] for group in groups]
