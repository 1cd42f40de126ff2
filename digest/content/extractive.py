"""The extractive scorer: which sentences of an article make its summary.

Built for news and pure Python: a position prior (news puts the point first), a
sentence-length prior, centrality (how much of the article's recurring vocabulary a
sentence carries), overlap with the title, penalties for reported speech, questions
and fragments, and a redundancy check between chosen sentences.  :func:`fit` takes
sentences in order of preference while they fit the budget and returns them in
article order.  bench/summaries.py measures it against LEAD-3 and LexRank on
CNN/DailyMail articles.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from digest.content.words import TERMINATED, content_words, count_words

__all__ = ["WEIGHTS", "extract", "fit"]


@dataclass(frozen=True, slots=True)
class _Weights:
    """The scorer's weights and thresholds (set on the dev set; see bench/summaries.py)."""

    position: float = 1.0  # weight of the position prior 1 / (1 + index / position_scale)
    position_scale: float = 2.0
    centrality: float = 0.5  # share of the article's recurring vocabulary, 0..1
    title: float = 0.15  # share of the title's content words in the sentence
    short: float = 0.04  # penalty per word under short_words
    short_words: int = 10
    long: float = 0.01  # penalty per word over long_words
    long_words: int = 35
    quote: float = 0.25  # reported speech: quoted, or in the first person
    question: float = 0.5
    fragment: float = 0.5  # no final punctuation, or starts in lower case: a piece
    redundancy: float = 0.5  # overlap with a chosen sentence above which a sentence is skipped


WEIGHTS = _Weights()
_FIRST_PERSON = re.compile(r"\b(?:I|[Ww]e|[Mm]y|[Oo]ur|me|us)\b(?!\.)|\bI['\u2019](?:m|ve|d|ll)\b")
_LOWER_START = re.compile(r"[a-z][a-z]*(?:\W|$)")  # "to her page", not "iPhone" or "eBay"
_QUOTED = re.compile(r"[\"\u201c\u201d\u2018']|\u2019(?!\w)")


def extract(sentences: list[str], title: str, count: int, max_words: int | None) -> tuple[str, ...]:
    """The best of *sentences* for a summary of at most *count* sentences and *max_words*
    words, in article order (see :func:`fit`)."""
    if len(sentences) <= 1:
        return tuple(sentences)
    w = WEIGHTS
    bags = [set(content_words(s)) for s in sentences]
    freq = Counter(word for bag in bags for word in bag)
    title_bag = set(content_words(title))
    centrality = [sum(freq[word] - 1 for word in bag) / (len(bag) + 4) for bag in bags]
    top = max(centrality) or 1.0
    scores: list[float] = []
    for index, sentence in enumerate(sentences):
        length = count_words(sentence)
        score = w.position / (1 + index / w.position_scale) + w.centrality * centrality[index] / top
        if title_bag:
            score += w.title * len(bags[index] & title_bag) / len(title_bag)
        score -= w.short * max(0, w.short_words - length) + w.long * max(0, length - w.long_words)
        if _is_quotation(sentence):
            score -= w.quote
        if sentence.rstrip("\"'\u201d\u2019)").endswith("?"):
            score -= w.question
        if not TERMINATED.search(sentence) or _LOWER_START.match(sentence):
            score -= w.fragment
        scores.append(score)
    order = sorted(range(len(sentences)), key=lambda i: (-scores[i], i))
    if max_words is not None:  # the best sentence that fits goes first
        order.sort(key=lambda i: count_words(sentences[i]) > max_words)
    return fit(sentences, order, count, max_words, bags)


def _is_quotation(sentence: str) -> bool:
    """True for reported speech: a sentence that opens with a quotation mark, closes a
    quotation it did not open (the end of a quoted passage), is mostly quoted, or speaks
    in the first person (a quotation whose marks were left in another sentence)."""
    if sentence[0] in "\"'\u201c\u2018" or _FIRST_PERSON.search(sentence):
        return True
    marks = [m.start() for m in _QUOTED.finditer(sentence)]
    if len(marks) % 2 and marks[-1] >= len(sentence) - 2:
        return True
    quoted = sum(end - start for start, end in zip(marks[::2], marks[1::2], strict=False))
    return quoted > 0.6 * len(sentence)


def fit(
    sentences: Sequence[str],
    order: Sequence[int] | range,
    count: int,
    max_words: int | None,
    bags: Sequence[set[str]] | None = None,
) -> tuple[str, ...]:
    """Take sentences in *order* while they fit the budget; return them in article order.

    A sentence that would take the total over *max_words* is skipped (a later, shorter
    one may fit); if the first one alone is over, it is returned alone, whole.  With
    *bags*, a sentence that mostly repeats a chosen one is skipped too.
    """
    chosen: list[int] = []
    used = 0
    for index in order:
        if len(chosen) >= count:
            break
        length = count_words(sentences[index])
        if max_words is not None and used + length > max_words:
            if not chosen:
                return (sentences[index],)
            continue
        if bags is not None and any(_overlap(bags[index], bags[c]) for c in chosen):
            continue
        chosen.append(index)
        used += length
    return tuple(sentences[i] for i in sorted(chosen))


def _overlap(bag: set[str], other: set[str]) -> bool:
    if not bag or not other:
        return False
    return len(bag & other) > WEIGHTS.redundancy * min(len(bag), len(other))
