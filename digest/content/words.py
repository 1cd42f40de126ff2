"""Word units: counting, tokenising, stemming, stop words, the end of a sentence.

:func:`count_words` is the unit of every word budget (unspaced scripts count by
characters); :func:`lower_words` and :func:`content_words` give the bags of words the
extractive scorer and the standfirst check compare; :func:`light_stem` is the suffix
stripper of those and of the story clusterer.
"""

from __future__ import annotations

import re

__all__ = [
    "STOPWORDS",
    "TERMINATED",
    "content_words",
    "count_words",
    "light_stem",
    "lower_words",
    "stem",
    "wordset",
]


def wordset(words: str) -> frozenset[str]:
    """The white-space separated words of *words*, as a set (for word lists in the source)."""
    return frozenset(words.split())


# Scripts written without spaces between words (Japanese, Chinese, Thai)
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\u0e00-\u0e7f]")
_CHARACTERS_PER_WORD = 2  # roughly, for the scripts above
_LETTERS = re.compile(r"[^\W_]+")


def count_words(text: str) -> int:
    """Words in *text*, the unit of the word budget; unspaced scripts count by characters."""
    if text.isascii():
        return len(text.split())
    unspaced = len(_UNSPACED.findall(text))
    if not unspaced:
        return len(text.split())
    spaced = _LETTERS.findall(_UNSPACED.sub(" ", text))  # "iPhone" among kana and kanji
    return len(spaced) + max(1, unspaced // _CHARACTERS_PER_WORD)


# A sentence that ends in terminal punctuation (and maybe closing quotes or brackets)
TERMINATED = re.compile(r"[.!?\u2026\u3002\uff01\uff1f][\"'\u201d\u2019)\]\u300d\u300f\uff09]*$")
_WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*")
STOPWORDS = wordset(
    """
    a about above after again against all almost also although always am among an and another
    any are around as at away back be became because become been before being below between
    both but by came can cannot could did do does doing done down during each either else even
    ever every few for from further get gets getting got had has have having he her here hers
    herself him himself his how however i if in into is it its itself just last least less
    like made make many may me might more most much must my myself near never new next no nor
    not now of off often on once one only onto or other others our ours ourselves out over own
    per perhaps put quite rather really said same say says see seen several she should since
    so some still such than that the their theirs them themselves then there these they this
    those though through thus to too took under until up upon us very was way we well went
    were what when where whether which while who whom whose why will with within without would
    yet you your yours yourself told tell according added including us mr mrs ms dr
    s t don't didn't doesn't isn't wasn't can't won't it's he's she's that's there's i'm
    we're they're i've we've they've i'd you're
    """
)


def lower_words(text: str) -> list[str]:
    """The lower-case words of *text* (letters and digits; "don't" is one word)."""
    return _WORD.findall(text.lower().replace("\u2019", "'"))


def light_stem(word: str, *, y_endings: tuple[str, ...], keep_e_up_to: int) -> str:
    """A light suffix stripper: enough to join plurals and simple verb forms ("votes",
    "voting" and "voted"; "injury" and "injuries").

    The summariser and the story clusterer were tuned with two variants of it: which
    endings become "y" (*y_endings*: "ies", and maybe "ied"), and up to which length a
    word keeps a final "e" once the other suffixes are gone (*keep_e_up_to*).
    """
    if len(word) > 4 and word.endswith(y_endings):
        return word[:-3] + "y"
    if len(word) > 5 and word.endswith("ing"):
        word = word[:-3]
    elif len(word) > 4 and word.endswith("ed"):
        word = word[:-2]
    elif len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if len(word) > keep_e_up_to and word.endswith("e"):
        word = word[:-1]
    return word


def stem(word: str) -> str:
    """The summariser's stem of a lower-case *word*: "vote", "votes" and "voted" are "vot"."""
    return light_stem(word.removesuffix("'s"), y_endings=("ies", "ied"), keep_e_up_to=3)


def content_words(text: str) -> list[str]:
    """The stems of *text*'s words that carry content: no stop words, no short words."""
    return [
        stem(w) for w in lower_words(text) if w not in STOPWORDS and (len(w) > 2 or w.isdigit())
    ]
