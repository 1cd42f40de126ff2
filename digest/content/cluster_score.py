"""How likely two articles report the same event: the story clusterer's score, 0 to 1.

The blend: a weighted cosine over the content words (title and opening counting most),
overlap of distinctive numbers, and a little overlap of names and of titles; name and
number overlap only count when both articles have some.  Articles more than two days
apart lose a little score per day, because the same topic reported a week later is
usually a new event (the next match, the next rate decision).  The weights were chosen
with a small grid search on the labelled pairs in ``tests/fixtures/story_pairs.jsonl``
(excluding its held-out pairs); ``bench/clustering.py`` reports how they do.
"""

from __future__ import annotations

import math

from digest.content.cluster_features import Features

__all__ = ["score_pair"]

# Blend of the signals.  Name and number overlap only count when both articles
# have some; otherwise their weight goes to the cosine.
_W_COSINE = 0.50
_W_NAMES = 0.05
_W_NUMBERS = 0.40
_W_TITLE = 0.05
# Applied when both have names and figures but share none of either.
_NOTHING_SHARED = 0.7

# Time: no penalty within this many days, then the score shrinks linearly per day
# down to a floor.
_GRACE_DAYS = 2.0
_DECAY_PER_DAY = 0.1
_DECAY_FLOOR = 0.5
_MIN_NUMBERS = 2


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum([a[term] * b[term] for term in a.keys() & b.keys()])


def _overlap(
    a: dict[str, float], total_a: float, b: dict[str, float], total_b: float, minimum: int
) -> float | None:
    """Weighted overlap of two small sets; None when either has fewer than *minimum* items.

    The geometric mean of containment (shared weight over the smaller set) and the
    Dice coefficient: a short brief that repeats a few numbers of a long report
    still scores well, while one shared item between two long lists does not count
    like a full match.
    """
    if len(a) < minimum or len(b) < minimum:
        return None
    shared = sum([min(a[key], b[key]) for key in a.keys() & b.keys()])
    if shared == 0.0:
        return 0.0
    containment = shared / min(total_a, total_b)
    dice = 2.0 * shared / (total_a + total_b)
    return math.sqrt(containment * dice)


def _time_factor(a: Features, b: Features) -> float:
    days = abs(a.stamp - b.stamp) / 86_400.0
    if days <= _GRACE_DAYS:
        return 1.0
    return max(_DECAY_FLOOR, 1.0 - _DECAY_PER_DAY * (days - _GRACE_DAYS))


def score_pair(a: Features, b: Features) -> float:
    if a.key > b.key:  # the same arithmetic in the same order whichever comes first
        a, b = b, a
    cosine = _cosine(a.terms, b.terms)
    total = _W_COSINE * cosine
    spare = 0.0
    names = _overlap(a.names, a.names_total, b.names, b.names_total, 1)
    numbers = _overlap(a.numbers, a.numbers_total, b.numbers, b.numbers_total, _MIN_NUMBERS)
    for weight, value in ((_W_NAMES, names), (_W_NUMBERS, numbers)):
        if value is None:
            spare += weight
        else:
            total += weight * value
    if a.title and b.title:
        total += _W_TITLE * _cosine(a.title, b.title)
    else:
        spare += _W_TITLE
    total += spare * cosine
    if names == 0.0 and numbers == 0.0:
        # Both name people, places and figures, and none of them match: the same
        # kind of story about a different event (another storm, another match).
        total *= _NOTHING_SHARED
    return max(0.0, min(1.0, total * _time_factor(a, b)))
