"""What the story clusterer reads of an article: weighted terms, names, numbers, a time.

Signals come from the title and the opening of the text, where news puts the facts that
identify an event: content words (lightly stemmed, stop words dropped, words common in
all news down-weighted), with the title and the first 75 words counting most and
distinctive numbers counting extra; distinctive numbers on their own (tolls, scores,
amounts and percentages are what most often tell one earthquake, match or rate decision
from the next); and names (words capitalised mid-sentence).  :func:`features_of` gives
them for one article, cached; :mod:`digest.content.cluster_score` compares two.
"""

from __future__ import annotations

import math
import re
import unicodedata
import zlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from digest.content.words import light_stem, wordset

__all__ = ["Features", "features_of"]

# Where words come from and how much they count.
_TITLE_WEIGHT = 1.0
_LEAD_WORDS = 75  # the first words of the text count fully
_BODY_WORDS = 250  # up to here at a reduced weight
_MAX_WORDS = 600  # later words are ignored
_BODY_WEIGHT = 0.6
_TAIL_WEIGHT = 0.3
_NUMBER_BOOST = 1.6
_COMMON_WEIGHT = 0.35
_ROUND_WEIGHT = 0.5
_TWO_DIGIT_WEIGHT = 0.7


# --------------------------------------------------------------------------------------
# Vocabulary


_STOPWORDS = wordset(
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
_COMMON = wordset(
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

_MONTHS = wordset(
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
    """The clusterer's variant of :func:`light_stem`, cached per word."""
    stem = _STEMS.get(word)
    if stem is None:
        stem = light_stem(word, y_endings=("ies",), keep_e_up_to=4)
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
class Features:
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


def _features(title: str, text: str, published: datetime) -> Features:
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
    return Features(
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
def features_of(title: str, text: str, published: datetime) -> Features:
    return _features(title, text, published)
