"""Summaries of news articles: extractive, the LEAD baseline, and the standfirst check.

``summarise`` returns whole sentences of the article (or the publisher's standfirst when
that is a real summary), never cut, within a budget of sentences and words.  Before any
sentence is considered, ``clean_sentences`` (:mod:`digest.content.junk`) removes what
real pages and feeds carry besides the story; the extractive scorer
(:mod:`digest.content.extractive`) then picks the sentences, or LEAD takes the first.
``is_teaser`` and the standfirst check decide whether a feed's description is a summary.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from digest.content.extractive import extract, fit
from digest.content.junk import clean_sentences, is_junk, strip_sentence
from digest.content.sentences import split_sentences
from digest.content.words import (
    STOPWORDS,
    TERMINATED,
    content_words,
    count_words,
    lower_words,
    stem,
)
from digest.text.boilerplate import is_boilerplate

__all__ = ["Summary", "clean_sentences", "count_words", "is_teaser", "lead", "summarise"]

METHODS = ("extractive", "lead")


@dataclass(frozen=True, slots=True)
class Summary:
    sentences: tuple[str, ...]  # whole sentences, in article order (or the standfirst)
    method: str  # "extractive", "lead" or "standfirst"

    @property
    def text(self) -> str:
        return " ".join(self.sentences)


def summarise(
    text: str,
    *,
    title: str = "",
    description: str = "",
    method: str = "extractive",
    sentences: int = 3,
    max_words: int = 90,
) -> Summary:
    """Summary of an article's plain text (paragraphs separated by blank lines).

    At most *sentences* sentences and *max_words* words, never cutting a sentence (a
    single sentence longer than *max_words* is returned whole rather than nothing).  When
    *description* is a real standfirst (see ``_usable_standfirst``) it is the summary,
    method "standfirst"; otherwise *method* "extractive" scores the sentences and "lead"
    takes the first ones.  An empty text gives an empty summary.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    _check_budget(sentences, max_words)
    if not text or not text.strip():
        return Summary((), method)
    standfirst = _usable_standfirst(description, title=title, text=text)
    if standfirst:
        return Summary(fit(standfirst, range(len(standfirst)), sentences, max_words), "standfirst")
    cleaned = clean_sentences(text, title=title)
    if method == "lead":
        return Summary(fit(cleaned, range(len(cleaned)), sentences, max_words), "lead")
    return Summary(extract(cleaned, title, sentences, max_words), "extractive")


def lead(text: str, *, sentences: int = 3, max_words: int | None = None) -> Summary:
    """The LEAD-N baseline: the first sentences of the text, after the same cleaning."""
    _check_budget(sentences, max_words)
    cleaned = clean_sentences(text)
    return Summary(fit(cleaned, range(len(cleaned)), sentences, max_words), "lead")


# --- standfirst ------------------------------------------------------------------------------

MIN_STANDFIRST_WORDS = 12
MIN_STANDFIRST_OVERLAP = 0.6  # share of its content words that must occur in the article
_TEASER_END = re.compile(
    r"(?:\u2026|\.\.\.?|\[\s*(?:\u2026|\.\.\.)\s*\]|\(more\W*\)|\b(?:read|learn|find out|see)"
    r" more\W*|\bcontinue reading\W*|\bkeep reading\W*|\bclick here\W*|\bread (?:the )?"
    r"(?:full|rest|whole)(?: \w+){0,3}\W*|\u00bb|>>)\s*$",
    re.I,
)
_TEASER_ANYWHERE = re.compile(
    r"\bappeared first on\b|^(?:find out|discover|learn|watch|listen|click|read|see|here's)\b",
    re.I,
)


def is_teaser(description: str) -> bool:
    """True for a feed or page description that is a teaser rather than a summary:
    truncated ("…", "...", "[…]", or cut after a word like "the"), a call to read or
    click on, a question, or a "The post … appeared first on …" footer."""
    line = " ".join(description.split())
    if not line:
        return False
    if _TEASER_END.search(line) or _TEASER_ANYWHERE.search(line):
        return True
    if line.rstrip("\"'\u201d\u2019)").endswith("?"):
        return True  # a question to make the reader click
    if TERMINATED.search(line):
        return False
    # Many standfirsts lack a final full stop; one that stops on "the" or "and" was cut.
    last = lower_words(line)[-1:] or [""]
    return last[0] in STOPWORDS


def _usable_standfirst(description: str, *, title: str, text: str) -> list[str]:
    """The standfirst's sentences when *description* is a real summary of *text*, else [].

    A real summary has at least MIN_STANDFIRST_WORDS words, is no teaser, no boilerplate,
    no pull quote and not the title again, and most of its content words occur in *text*.
    """
    line = " ".join(description.split())
    if count_words(line) < MIN_STANDFIRST_WORDS or is_teaser(line) or is_boilerplate(line):
        return []
    if line[0] in "\"'\u201c\u2018":
        return []  # a pull quote
    content = set(content_words(line))
    article_words = set(lower_words(text))
    if not content or _cut_short(line, article_words):
        return []
    article = {stem(word) for word in article_words}
    if len(content & article) < MIN_STANDFIRST_OVERLAP * len(content):
        return []  # not about this article (or a generic site description)
    sentences = [strip_sentence(sentence) for sentence in split_sentences(line)]
    title_words = set(lower_words(title))  # a sentence that repeats the title is junk here too
    if not all(sentences) or any(is_junk(s, title_words) for s in sentences):
        return []
    return sentences


def _cut_short(line: str, article_words: set[str]) -> bool:
    """True when a description without final punctuation was cut at a length limit: it
    stops inside a word ("…a strong candi") or inside brackets or quotes."""
    if TERMINATED.search(line):
        return False
    last = lower_words(line)[-1:]
    if last and last[0] not in article_words:
        return True
    return line.count("(") > line.count(")") or line.count("\u201c") > line.count("\u201d")


def _check_budget(sentences: int, max_words: int | None) -> None:
    if sentences < 1:
        raise ValueError(f"sentences must be at least 1, got {sentences}")
    if max_words is not None and max_words < 1:
        raise ValueError(f"max_words must be at least 1, got {max_words}")
