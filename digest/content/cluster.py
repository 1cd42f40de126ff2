"""Group articles that report the same event into stories.

Several sources often cover one happening in different words: a wire report, a
broadcaster's piece with quotes from bystanders, a two-line brief.  This module
scores how likely two articles are to describe the same event and groups a batch
of articles into stories.  It uses only the standard library.

The score (:func:`similarity`) blends signals computed from the title and the
opening of the text, where news puts the facts that identify an event:

* a weighted cosine over content words (lightly stemmed, stop words dropped,
  words common in all news down-weighted), with the title and the first 75
  words counting most and distinctive numbers counting extra;
* overlap of distinctive numbers: tolls, scores, amounts and percentages are
  what most often tell one earthquake, match or rate decision from the next;
* a little overlap of names (words capitalised mid-sentence) and of titles.

Articles more than two days apart lose a little score per day, because the same
topic reported a week later is usually a new event (the next match, the next
rate decision).  The weights and the threshold were chosen with a small grid
search on the labelled pairs in ``tests/fixtures/story_pairs.jsonl`` (excluding
its held-out pairs); ``bench/clustering.py`` reports how they do.

:func:`cluster` joins articles greedily, strongest pair first, but a group only
absorbs another when the average similarity across the two stays near the
threshold and most pairs across them are related, so a chain A~B~C does not
pull in a C that has nothing in common with A.  For large batches, candidate
pairs come from an inverted index over terms shared by few docs, so the cost
grows with the number of plausible pairs rather than with the square of the
batch.
"""

from __future__ import annotations

import math
import re
import unicodedata
import zlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

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

# Where words come from and how much they count.
_TITLE_WEIGHT = 1.0
_LEAD_WORDS = 75  # the first words of the text count fully
_BODY_WORDS = 250  # up to here at a reduced weight
_MAX_WORDS = 600  # later words are ignored
_BODY_WEIGHT = 0.6
_TAIL_WEIGHT = 0.3
_NUMBER_BOOST = 1.6
_MIN_NUMBERS = 2
_COMMON_WEIGHT = 0.35
_ROUND_WEIGHT = 0.5
_TWO_DIGIT_WEIGHT = 0.7

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


# --------------------------------------------------------------------------------------
# Vocabulary


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


_STOPWORDS = _word_set(
    """
    a about above across after again against ago all almost along already also although
    always am among an and another any anyone anything are around as at away back be
    became because become been before began being below between both but by came can
    cannot could did do does doing done down during each either else enough even ever
    every few for from further get gets getting given go going gone got had has have
    having he her here hers herself him himself his how however i if in inside instead
    into is it its itself just least less like likely made make makes many may me might
    mine more most much must my myself near nearly neither never no nor not nothing now
    of off often on once one only onto or other others our ours ourselves out over own
    per perhaps quite rather really same she should since so some something still such
    than that the their theirs them themselves then there these they this those though
    through thus to too toward towards under until up upon us very via was we were what
    whatever when where whether which while who whom whose why will with within without
    would yet you your yours yourself
    mr mrs ms dr prof st
    said say says saying told tell tells according added asked
    monday tuesday wednesday thursday friday saturday sunday today tonight yesterday
    tomorrow morning afternoon evening night week weeks weekend day days month months
    year years time times
    two three four five six seven eight nine ten
    cent percent
    """
)

# Words too common in news to say much about which event an article reports.
_COMMON = _word_set(
    """
    new old first last next later early late former latest recent end start began begin
    people person man men woman women child children family families resident residents
    official officials authority authorities government minister ministry company
    companies firm group groups team spokesman spokeswoman spokesperson statement
    report reports reported news agency chief head leader president director member
    members city town country region national local public state world area areas
    part place home homes number numbers including include includes least more most
    percent million billion thousand hundred dozen dozens several many some other
    big large small high low long short good bad well better best major main key
    expect expected expects plan plans planned make take took taken give gave given
    come came help need needs want wants use used work working show shows shown
    see seen think thought keep kept put set run ran way ways thing things lot
    case cases issue issues problem problems point points level levels
    told says added called call calls hour hours minute minutes second
    """
)

_MONTHS = _word_set(
    "january february march april may june july august september october november december"
)

_UNITS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
}
_TEENS = {
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
_TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
# Spelled-out numbers from eleven to ninety-nine, as broadcasters write them.
_SPELLED = re.compile(
    r"\b(?:(?P<tens>" + "|".join(_TENS) + r")(?:[- ](?P<unit>" + "|".join(_UNITS) + r"))?"
    r"|(?P<teen>" + "|".join(_TEENS) + r"))\b",
    re.IGNORECASE,
)


def _spelled_to_digits(match: re.Match[str]) -> str:
    if match.group("teen"):
        value = _TEENS[match.group("teen").lower()]
    else:
        value = _TENS[match.group("tens").lower()]
        if match.group("unit"):
            value += _UNITS[match.group("unit").lower()]
    return str(value) if value > 10 else match.group()


# Before each token, the separator since the previous one (to spot sentence starts);
# then a score or range like 2-1 or 54-46, a number like 2,300 or 42.5, or a word.
_TOKEN = re.compile(
    r"(?P<gap>\W*)"
    r"(?:(?P<score>(?<![\d.,])\d{1,3}-\d{1,3}(?![\d.,]*\d))"
    r"|(?P<num>\d+(?:,\d{3})*(?:\.\d+)?)"
    r"|(?P<word>[^\W\d_]+(?:['\u2019][^\W\d_]+)*))"
)
_QUOTES = "\"'()[]\u2018\u2019\u201c\u201d"
_DASHES = "-\u2013\u2014"
_POSSESSIVE = ("'s", "\u2019s", "'S", "\u2019S")

# Only the opening of a long text is read.
_MAX_CHARS = 12 * _MAX_WORDS

# Per-word caches; the vocabulary of news is large but bounded.
_CACHE_LIMIT = 200_000
_FOLDED: dict[str, str] = {}
_STEMS: dict[str, str] = {}

# (term, is_number, starts_a_sentence, capitalised)
_Token = tuple[str, bool, bool, bool]


@lru_cache(maxsize=1024)
def _starts_sentence(gap: str) -> bool:
    """Whether the word after *gap* (the characters since the last word) starts a sentence."""
    if "\n" in gap:
        return True
    mark = gap.rstrip(" \t")
    if not mark:
        return False
    core = mark.rstrip(_QUOTES)
    if core != mark:  # the gap ends with quotes or brackets
        if not core:
            return False  # a closing quote right after a word: the Rovers' win
        if core[-1].isspace():
            return True  # an opening quote: said "Shares fell
        return core[-1] in ".!?:;"  # win." Then
    if mark[-1] in _DASHES:  # a spaced dash after a dateline: GIURGIU - Shipping
        return len(mark) > 1 and mark[-2].isspace()
    return mark[-1] in ".!?:;"


def _fold(word: str) -> str:
    """Strip accents, so that Ekström and Ekstrom are one name."""
    folded = _FOLDED.get(word)
    if folded is None:
        decomposed = unicodedata.normalize("NFKD", word)
        folded = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
        if len(_FOLDED) > _CACHE_LIMIT:
            _FOLDED.clear()
        _FOLDED[word] = folded
    return folded


def _stem(word: str) -> str:
    """A light suffix stripper: enough to join plurals and simple verb forms."""
    stem = _STEMS.get(word)
    if stem is not None:
        return stem
    stem = word
    if len(stem) > 4 and stem.endswith("ies"):
        stem = stem[:-3] + "y"
    else:
        if len(stem) > 5 and stem.endswith("ing"):
            stem = stem[:-3]
        elif len(stem) > 4 and stem.endswith("ed"):
            stem = stem[:-2]
        elif len(stem) > 3 and stem.endswith("s") and not stem.endswith(("ss", "us", "is")):
            stem = stem[:-1]
        if len(stem) > 4 and stem.endswith("e"):
            stem = stem[:-1]
    if len(_STEMS) > _CACHE_LIMIT:
        _STEMS.clear()
    _STEMS[word] = stem
    return stem


def _number_key(raw: str) -> str:
    value = raw.replace(",", "")
    if "." in value:
        value = value.rstrip("0").rstrip(".")
    return value


def _number_weight(key: str) -> float:
    """Small integers say nothing, years and round figures a little, precise figures most."""
    if "-" in key:
        return 1.0
    value = float(key)
    if value.is_integer():
        if value <= 10:
            return 0.0
        if value < 100:  # two-digit counts often coincide by chance
            return _TWO_DIGIT_WEIGHT
        if 1900 <= value <= 2100:
            return 0.6
        if value % 100 == 0:  # round figures recur across unrelated stories
            return _ROUND_WEIGHT
    return 1.0


def _tokens(text: str, limit: int) -> list[_Token]:
    """Up to *limit* tokens of *text*."""
    text = text[:_MAX_CHARS]
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    text = _SPELLED.sub(_spelled_to_digits, text)
    tokens: list[_Token] = []
    for match in _TOKEN.finditer(text):
        gap = match.group("gap")
        initial = not tokens or (gap != " " and bool(gap) and _starts_sentence(gap))
        word = match.group("word")
        if word is not None:
            if word.endswith(_POSSESSIVE):  # Peru's is Peru
                word = word[:-2]
            if not word.isascii():
                word = _fold(word)
            tokens.append((word.lower(), False, initial, word[0].isupper()))
        elif match.group("score") is not None:
            tokens.append((match.group("score"), True, initial, False))
        else:
            tokens.append((_number_key(match.group("num")), True, initial, False))
        if len(tokens) >= limit:
            break
    return tokens


@dataclass(frozen=True, slots=True)
class _Features:
    key: int  # a stable content hash, to make scoring order-independent
    terms: dict[str, float]  # unit-length weighted term vector
    title: dict[str, float]  # unit-length title term vector
    names: dict[str, float]  # name -> weight
    names_total: float
    numbers: dict[str, float]  # distinctive number -> weight
    numbers_total: float
    stamp: float  # POSIX timestamp of publication


def _normalise(vector: dict[str, float]) -> dict[str, float]:
    norm = math.sqrt(sum(value * value for value in vector.values()))
    if norm == 0.0:
        return {}
    return {term: value / norm for term, value in vector.items()}


def _features(title: str, text: str, published: datetime) -> _Features:
    title_tokens = _tokens(title, 60)
    body_tokens = _tokens(text, _MAX_WORDS)

    # Names: words capitalised in the middle of a sentence of the body.  A word at
    # the start of a sentence, or in a title (often Title Case or capitals), counts
    # as a name only when the body also uses it capitalised mid-sentence.
    names = {
        term
        for term, is_number, initial, capital in body_tokens
        if capital
        and not initial
        and not is_number
        and len(term) > 1
        and term not in _STOPWORDS
        and term not in _MONTHS
    }

    weights: dict[str, float] = defaultdict(float)
    title_weights: dict[str, float] = defaultdict(float)
    name_weights: dict[str, float] = {}
    number_weights: dict[str, float] = {}

    def add(tokens: Sequence[_Token], position_weight: float, *, in_title: bool) -> None:
        for word, is_number, _initial, capital in tokens:
            if is_number:
                base = _number_weight(word)
                if base == 0.0:
                    continue
                term = "#" + word
                weight = base * _NUMBER_BOOST
                number_weights[word] = max(number_weights.get(word, 0.0), base)
            else:
                if word in _STOPWORDS or len(word) < 2:
                    continue
                # One key per word whether or not it is capitalised here, so that
                # "Water Board" and "water" still meet.
                term = _stem(word)
                if capital and word in names:
                    weight = 1.0
                    name_weights[word] = max(name_weights.get(word, 0.0), position_weight)
                elif word in _COMMON or term in _COMMON or word in _MONTHS:
                    weight = _COMMON_WEIGHT
                else:
                    weight = 1.0
            weights[term] += weight * position_weight
            if in_title:
                title_weights[term] += weight

    add(title_tokens, _TITLE_WEIGHT, in_title=True)
    add(body_tokens[:_LEAD_WORDS], 1.0, in_title=False)
    add(body_tokens[_LEAD_WORDS:_BODY_WORDS], _BODY_WEIGHT, in_title=False)
    add(body_tokens[_BODY_WORDS:], _TAIL_WEIGHT, in_title=False)

    # Damp repetition: the fifth mention of a word matters less than the first.
    damped = {term: math.sqrt(value) for term, value in weights.items() if value > 0.0}
    key = zlib.crc32(f"{title}\x00{text}".encode("utf-8", "surrogatepass"))
    return _Features(
        key=key,
        terms=_normalise(damped),
        title=_normalise(dict(title_weights)),
        names=name_weights,
        names_total=sum(name_weights.values()),
        numbers=number_weights,
        numbers_total=sum(number_weights.values()),
        stamp=published.timestamp(),
    )


@lru_cache(maxsize=4096)
def _cached_features(title: str, text: str, published: datetime) -> _Features:
    return _features(title, text, published)


def _doc_features(doc: Doc) -> _Features:
    return _cached_features(doc.title, doc.text, doc.published)


# --------------------------------------------------------------------------------------
# Scoring


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


def _time_factor(a: _Features, b: _Features) -> float:
    days = abs(a.stamp - b.stamp) / 86_400.0
    if days <= _GRACE_DAYS:
        return 1.0
    return max(_DECAY_FLOOR, 1.0 - _DECAY_PER_DAY * (days - _GRACE_DAYS))


def _score(a: _Features, b: _Features) -> float:
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


def similarity(a: Doc, b: Doc) -> float:
    """How likely *a* and *b* report the same event, from 0 to 1; symmetric."""
    return _score(_doc_features(a), _doc_features(b))


# --------------------------------------------------------------------------------------
# Clustering


def _candidate_pairs(features: Sequence[_Features], window: float) -> list[tuple[int, int]]:
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
    features: Sequence[_Features],
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
                score = _score(features[i], features[j])
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
    features: Sequence[_Features],
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
                score = _score(features[i], features[j])
                if score >= threshold and abs(features[i].stamp - features[j].stamp) <= seconds:
                    edges.append((score, i, j))
    else:
        for i, j in _candidate_pairs(features, seconds):
            score = _score(features[i], features[j])
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
