"""Extractive summaries of news articles, the LEAD baseline, and the standfirst check.

``summarise`` returns whole sentences of the article (or the publisher's standfirst when
that is a real summary), never cut, within a budget of sentences and words.  Before any
sentence is considered, ``clean_sentences`` removes what real pages and feeds carry
besides the story: captions and image credits, bylines and datelines (a "LONDON
(Reuters) -" or "(CNN) --" prefix is stripped), share bars, newsletter, app,
subscription and podcast promotions, transcript markers, "read more" links,
advertisement labels, table rows, lines that repeat the title, headings, fragments and
shouting.  ``digest.text.boilerplate.is_boilerplate`` (the page-level filter) is applied to each
sentence and to short paragraphs as well.

The extractive scorer is built for news and is pure Python: a position prior (news puts
the point first), a sentence-length prior, centrality (how much of the article's
recurring vocabulary a sentence carries), overlap with the title, penalties for reported
speech, questions and fragments, and a redundancy check between chosen sentences.
Chosen sentences are returned in article order.  bench/summaries.py measures it against
LEAD-3 and LexRank on CNN/DailyMail articles.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from digest.content.sentences import split_sentences
from digest.text.boilerplate import CASE_TRAPS, is_boilerplate

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
        return Summary(_fit(standfirst, range(len(standfirst)), sentences, max_words), "standfirst")
    cleaned = clean_sentences(text, title=title)
    if method == "lead":
        return Summary(_fit(cleaned, range(len(cleaned)), sentences, max_words), "lead")
    return Summary(_extract(cleaned, title, sentences, max_words), "extractive")


def lead(text: str, *, sentences: int = 3, max_words: int | None = None) -> Summary:
    """The LEAD-N baseline: the first sentences of the text, after the same cleaning."""
    _check_budget(sentences, max_words)
    cleaned = clean_sentences(text)
    return Summary(_fit(cleaned, range(len(cleaned)), sentences, max_words), "lead")


def clean_sentences(text: str, *, title: str = "") -> list[str]:
    """The sentences of *text* with page and feed boilerplate removed or stripped off.

    Headings (a paragraph that is one short unfinished line) are dropped too, unless the
    text holds nothing else.
    """
    if not text or not text.strip():
        return []
    title_words = set(_words(title))
    out: list[str] = []
    headings: list[str] = []
    for paragraph in _PARAGRAPHS.split(text.strip()):
        if count_words(paragraph) <= _MAX_WIDGET_WORDS and is_boilerplate(paragraph):
            _drop_teaser(out, paragraph)
            continue  # a short paragraph that is a widget, promotion or credit as a whole
        units = split_sentences(paragraph)
        kept: list[str] = []
        for index, unit in enumerate(units):
            sentence = _strip(unit)
            if not sentence:
                continue
            if _CREDIT.search(sentence):
                if kept and count_words(kept[-1]) <= _MAX_CAPTION_WORDS:
                    kept.pop()  # the caption the credit belongs to
                continue
            if _is_junk(sentence, title_words):
                _drop_teaser(kept or out, sentence)
                continue
            if not _TERMINATED.search(sentence):
                if index + 1 < len(units):
                    continue  # a caption or label glued to the next sentence
                if len(units) == 1 and count_words(sentence) <= _MAX_HEADING_WORDS:
                    headings.append(sentence)
                    continue
                if count_words(sentence) <= _MAX_LABEL_WORDS and _is_last_line(unit, paragraph):
                    continue  # "By Jane Doe | 3 March 2026", "4 min read" below the story
            kept.append(sentence)
        out.extend(kept)
    return out or headings


def _is_last_line(unit: str, paragraph: str) -> bool:
    """Whether *unit* (a sentence of *paragraph*) is the whole of its last line."""
    if "\n" not in paragraph:
        return False
    return unit == " ".join(paragraph.rstrip().rsplit("\n", 1)[1].split())


def _drop_teaser(sentences: list[str], dropped: str) -> None:
    """Remove the last of *sentences* when it is a short question leading into the
    promotion *dropped* ("Want more stories like this?" before "Sign up for our
    newsletter.")."""
    if (
        sentences
        and sentences[-1].endswith("?")
        and count_words(sentences[-1]) <= _MAX_TEASER_WORDS
        and _PROMOTION.search(dropped)
    ):
        sentences.pop()


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
    if _TERMINATED.search(line):
        return False
    # Many standfirsts lack a final full stop; one that stops on "the" or "and" was cut.
    last = _words(line)[-1:] or [""]
    return last[0] in STOPWORDS


# --- cleaning --------------------------------------------------------------------------------


def _wordset(words: str) -> frozenset[str]:
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


_PARAGRAPHS = re.compile(r"\n[^\S\n]*\n\s*")
_TERMINATED = re.compile(r"[.!?\u2026\u3002\uff01\uff1f][\"'\u201d\u2019)\]\u300d\u300f\uff09]*$")
_AGENCIES = (
    r"CNN|CNN Money|CNNMoney|Reuters|AP|AFP|UPI|PA|AAP|dpa|DPA|EFE|ANSA|Xinhua|Kyodo|IANS|PTI"
    r"|Bloomberg|BBC|The Hollywood Reporter|Variety|Mashable|EW|TIME|CBS News|NBC News"
)
_DATEISH = (
    r"(?:\d{1,4}(?:[:.]\d\d)?(?:st|nd|rd|th)?|[ap]\.?m\.?|(?:jan|feb|mar|apr|may|jun|jul|aug"
    r"|sep|oct|nov|dec|mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?|gmt|utc|bst|cet|cest|[ecmp][sd]t"
    r"|on|at|updated|published|\|)"
)
_LEADING = [
    # "(CNN)", "(CNN) --", "Boston (CNN)", "LONDON (Reuters) -", "NEW YORK, March 3 (AP) -"
    re.compile(
        r"^(?:(?:[A-Z][A-Za-z.'\u2019-]*[ ,]+){0,3}(?:[A-Z][a-z]{2,8}\.? \d{1,2},? ?)?"
        rf"\((?:{_AGENCIES})\)|(?:[A-Z][A-Z.'\u2019-]+[ ,]+){{0,3}}"
        r"(?:[A-Z][a-z]{2,8}\.? \d{1,2},? ?)?"
        r"\([A-Z][\w.&'\u2019-]*(?: [A-Z][\w.&'\u2019-]*){0,3}\))"
        r"\s*(?:--|[-\u2013\u2014:|])?\s*(?=\S)"
    ),
    # "WASHINGTON --", "LONDON, March 3 -"
    re.compile(
        r"^[A-Z][A-Z.'\u2019-]+(?:[ ,]+[A-Z][A-Z.'\u2019-]+){0,3}(?:, [A-Z][a-z]{2,8}\.? \d{1,2})?"
        r"\s*(?:--|[-\u2013\u2014])\s+(?=[A-Z\"'\u201c\u2018])"
    ),
    # "PUBLISHED: 12:01 EST, 3 March 2014 | . UPDATED: 12:45 EST, 3 March 2014 . A man..."
    re.compile(
        r"^(?i:published|updated|posted|last updated|last modified|first published)\s*"
        rf"(?::|on|at)?\s*(?i:{_DATEISH}[\s,.:/-]*)+(?=[A-Z\"'\u201c\u2018])"
    ),
    # widget labels glued to the sentence: "Share The minister...", "Advertisement The..."
    re.compile(
        r"^(?i:share(?: this (?:article|story|page))?|listen to this (?:article|story)"
        r"(?:\s*[-\u2013:]?\s*\d+\s*min(?:ute)?s?)?|advertisement|transcript|read more)"
        r"\s*:?\s+(?=[A-Z\"'\u201c\u2018])"
    ),
    # transcript speaker labels: "SPEAKER 1:", "JOHN SMITH (voice-over):", "STEVE INSKEEP,
    # HOST:", "A MARTINEZ, BYLINE:", "UNIDENTIFIED PERSON #1:"
    re.compile(
        r"^(?:SPEAKER\s*\d*|(?:[A-Z] )?[A-Z][A-Z.'\u2019-]+(?: [A-Z][A-Z.'\u2019-]+){0,3}"
        r"(?:, [A-Z][A-Z.'\u2019-]+(?: [A-Z][A-Z.'\u2019-]+){0,2})?(?: ?#\d{1,2})?)"
        r"(?: \([\w -]{1,20}\))?\s*:\s*"
    ),
]
_BULLET = re.compile(r"^(?:[-*\u2022\u2023\u25aa\u25cf\u2013\u2014>]|\d{1,2}[.)](?= [A-Z]))\s+")
_INLINE = re.compile(
    r"\s*\((?:not )?(?:pictured|picture|file|file photo|stock image|stock photo|above|below"
    r"|left|right|centre|center|inset|top|bottom|far left|far right)(?:,? (?:left|right|above"
    r"|below|centre|center|top|bottom|in \d{4}))?\)"
    r"|\s*\[[A-Z][A-Z0-9 ,'\u2019-]*\]"
    r"|\s*\((?:MUSIC|APPLAUSE|LAUGHTER|CROSSTALK|INAUDIBLE|BEGIN VIDEO|END VIDEO)[^)]{0,40}\)"
)
# A credit line on its own: "Photo: Getty Images", "Source: AAP / Lukas Coch", "(Reuters)"
_CREDIT = re.compile(
    r"^(?:(?i:photo(?:graph)?|picture|image|pic|source|credit|footage|illustration)s?"
    r"(?: credit)?\s*:\s*[A-Z][^.!?]{0,80}|\((?:AP|AFP|Reuters|Getty(?: Images)?|PA|EPA|AAP"
    r"|Bloomberg|Shutterstock|Alamy)(?: Photo| Images)?(?:\s*/\s*[^)]{1,40})?\))\.?$"
)
_MAX_CAPTION_WORDS = 30
# A call to sign up, subscribe, download or follow, and the question that may lead into it
_PROMOTION = re.compile(
    r"(?i:\b(?:sign(?:ing)? up|subscri(?:be|ber|ption)s?|newsletters?|podcasts?|download"
    r"|follow us|register|inbox)\b)"
)
_MAX_TEASER_WORDS = 8
_MAX_WIDGET_WORDS = 25
_MAX_HEADING_WORDS = 15
# An unpunctuated line of at most this many words that ends a paragraph of several
# sentences is a byline, date or reading time, not a sentence cut off
_MAX_LABEL_WORDS = 12
# "Harbour council backs tidal energy pilot - The Wenlow Herald": the title and the site
_SITE_SEPARATOR = re.compile(r" (?:-{1,2}|\||\u2013|\u2014|\u00b7|::) ")
_MAX_SITE_WORDS = 5


@dataclass(frozen=True, slots=True)
class _JunkRule:
    """A junk pattern and the lower-case words one of which any match of it contains.

    Searching a sentence for a few literal words is far cheaper than running a
    case-insensitive pattern over it, so the pattern only runs when a word occurs.  An
    empty *keywords* means always run (the pattern is anchored at the start and cheap).
    """

    pattern: re.Pattern[str]
    keywords: tuple[str, ...] = ()


_JUNK_RULES = (
    # captions and credits
    _JunkRule(
        re.compile(
            r"(?i:\b(?:photo(?:graph)?|picture|image|pic|source|credit|footage|illustration)"
            r"s?(?: credit)?)\s*:\s*[A-Z][^.!?]{0,80}\.?$"
        ),
        (":",),
    ),
    _JunkRule(re.compile(r"(?i:\bimage (?:copyright|caption|source)\b)"), ("image ",)),
    _JunkRule(
        re.compile(
            r"\((?:AP|AFP|Reuters|Getty(?: Images)?|PA|EPA|AAP|Bloomberg|Shutterstock|Alamy)"
            r"(?: Photo| Images)?(?:\s*/\s*[^)]{1,40})?\)\.?$"
        ),
        ("(",),
    ),
    # page furniture and promotions
    _JunkRule(
        re.compile(
            r"(?i:\b(?:click|tap|scroll|swipe)\b.{0,40}\b(?:photos?|gallery|above|below|video"
            r"|here|images?|through)\b)"
        ),
        ("click", "tap", "scroll", "swipe"),
    ),
    _JunkRule(
        re.compile(r"(?i:\b(?:video|gallery|photos?|pictures?|images?) (?:above|below)\b)"),
        (" above", " below"),
    ),
    _JunkRule(
        re.compile(r"(?i:\b(?:at|on) the (?:top|bottom) of (?:this|the) (?:story|article|page)\b)"),
        ("the top of ", "the bottom of "),
    ),
    _JunkRule(
        re.compile(
            r"(?i:^(?:share (?:this|on|via|with|by)\b|listen\b|sign up|sign in|log in|subscribe"
            r"|download (?:our|the|now|it|free|this)\b|read more|more:|related:|watch:"
            r"|transcript\b|speaker \d))"
        )
    ),
    _JunkRule(
        re.compile(
            r"(?i:\b(?:newsletters?|podcasts?|inbox)\b.{0,80}\b(?:sign up|subscribe|listen"
            r"|download|delivered|wherever)\b)"
        ),
        ("newsletter", "podcast", "inbox"),
    ),
    _JunkRule(
        re.compile(
            r"(?i:\b(?:sign up|subscribe|listen|download|delivered)\b.{0,80}\b(?:newsletters?"
            r"|podcasts?|inbox|apps?)\b)"
        ),
        ("sign up", "subscribe", "listen", "download", "delivered"),
    ),
    # "Don't miss out - subscribe to the Herald today.", "To keep reading, subscribe now.":
    # "subscribe" as a call, not "2 million people subscribe to its premium tier"
    _JunkRule(
        re.compile(r"(?i:(?:^|\s[-\u2013\u2014]|[:!,]|\bplease)\s*subscribe\b)"),
        ("subscribe",),
    ),
    # "This is a transcript of the Harbour Weekly podcast.", "This is a rush transcript."
    _JunkRule(
        re.compile(
            r"(?i:^(?:(?:this|the following|what follows|below) is (?:an?|the) (?:[\w-]+ ){0,3}"
            r"transcript|this transcript)\b)"
        ),
        ("transcript",),
    ),
    _JunkRule(
        re.compile(
            r"(?i:^(?:become a (?:subscriber|member)|support (?:our|us|independent)"
            r"|already a (?:subscriber|member)|get (?:unlimited|full|digital) access"
            r"|start your (?:free )?trial|you(?:'ve| have) (?:read|reached)|follow us"
            r"|like us on|we(?:'ll| will) send you|this (?:article|story) (?:was|has been)"
            r" (?:amended|updated|corrected)|your browser does not|please enable))"
        )
    ),
    _JunkRule(
        re.compile(
            r"(?i:\b(?:originally (?:published|appeared) (?:on|in|at)|appeared first on)\b)"
        ),
        ("originally ", "appeared first on"),
    ),
    # datelines
    _JunkRule(
        re.compile(
            r"(?i:^(?:published|updated|posted|last updated|last modified|first published)\b"
            r".{0,40}\b(?:\d{1,2}[:.]\d\d|(?:19|20)\d\d)\b)"
        )
    ),
)
_ASCII_LOWER = string.ascii_lowercase.encode()

_NAME = r"(?:[A-Z][\w.'\u2019-]*|and|&|de|van|von|der|da|la|le|bin|al)"
_ROLE = (
    r"(?:[A-Z][\w.'\u2019&-]*|and|of|the|for|in|at|on|&|editor|correspondent|reporter|writer"
    r"|staff|columnist|contributor|chief|political|senior|deputy|news|business|sports?|science"
    r"|health|technology|foreign|affairs|associate|digital|home|economics|environment)"
)
# "By Jane Doe", "By Jane Doe, political editor, in Port Wenlow", "By Jane Doe | Herald"
_BYLINE = re.compile(
    rf"^By\s+{_NAME}(?:\s+{_NAME}){{0,6}}"
    rf"(?:\s*(?:[,|/\u2013\u2014-]|\bfor\b|\bin\b)\s*{_ROLE}(?:\s+{_ROLE})*)*\s*[,.]?$"
)
# "Controversy: Lord Janner...", the caption style of some publishers
_CAPTION_LABEL = re.compile(r"^([A-Z][\w'\u2019-]*(?: [\w'\u2019-]+){0,3}): (?=[A-Z])")
_SPEECH = _wordset(
    """
    said says say told tells added adds explained wrote writes read reads stated asked warned
    claimed insisted continued admitted revealed tweeted posted concluded noted argued
    replied announced declared confirmed commented
    """
)
_CAPITALISED = re.compile(r"[A-Z0-9\"'\u201c\u2018(\u00a3$]")
_LOWER_OK = _wordset("a an the of and or for in on at to by with from & vs")


def _strip(sentence: str) -> str:
    """The sentence without a dateline, label or speaker prefix, picture references or
    stage directions."""
    previous = None
    while previous != sentence:
        previous = sentence
        sentence = _BULLET.sub("", sentence, count=1)
        for pattern in _LEADING:
            sentence = pattern.sub("", sentence, count=1)
    if "(" in sentence or "[" in sentence:
        sentence = _INLINE.sub("", sentence)
    return sentence.strip()


def _is_junk(sentence: str, title_words: set[str]) -> bool:
    words = sentence.split()
    count = count_words(sentence)
    if sentence.startswith("|") or sentence.endswith("|") or sentence.count(" | ") >= 2:
        return True  # a table row
    if count < 4 or (sentence.endswith(" .") and count <= 15):
        return True  # fragments, and "By . Jane Doe . PUBLISHED: ... ." blocks
    if _is_shouting(sentence):
        return True
    if len(words) <= 14 and _BYLINE.match(sentence):
        return True
    if len(words) <= 12 and _is_heading(words):
        return True
    if _matches_junk(sentence) or is_boilerplate(sentence):
        return True
    label = _CAPTION_LABEL.match(sentence)
    if label and not _SPEECH.intersection(label.group(1).lower().split()):
        return True  # "Controversy: Lord Janner, who...", "Pictured: The..."
    if not title_words:
        return False
    return _near_duplicate(set(_words(sentence)), title_words) or _is_title_and_site(
        sentence, title_words
    )


def _is_title_and_site(sentence: str, title_words: set[str]) -> bool:
    """The title and a short site name, either way round, after " - ", " | " or " — "."""
    separators = list(_SITE_SEPARATOR.finditer(sentence))
    if not separators:
        return False
    first, last = separators[0], separators[-1]
    for title, site in (
        (sentence[: last.start()], sentence[last.end() :]),
        (sentence[first.end() :], sentence[: first.start()]),
    ):
        if count_words(site) <= _MAX_SITE_WORDS and _near_duplicate(
            set(_words(title)), title_words
        ):
            return True
    return False


def _is_shouting(sentence: str) -> bool:
    """Whether more than 70% of the sentence's letters (at least 8) are capitals.

    A sentence of which 30% or more of the characters are ASCII lower-case letters cannot
    be; counting those with ``bytes.translate`` (no Python loop) settles almost every
    sentence before the exact count, which looks at each character.
    """
    data = sentence.encode("utf-8", "ignore")  # a-z are single bytes in UTF-8, only they
    lower = len(data) - len(data.translate(None, _ASCII_LOWER))
    if 10 * lower >= 3 * len(sentence):
        return False
    letters = [c for c in sentence if c.isalpha()]
    return len(letters) >= 8 and sum(c.isupper() for c in letters) > 0.7 * len(letters)


def _matches_junk(sentence: str) -> bool:
    """Whether a caption, credit, promotion or dateline pattern occurs in *sentence*."""
    lowered = None
    if sentence.isascii() or not CASE_TRAPS.search(sentence):
        lowered = sentence.lower()
    for rule in _JUNK_RULES:
        if rule.keywords and lowered is not None:
            for keyword in rule.keywords:  # a loop, not any(): this runs for every sentence
                if keyword in lowered:
                    break
            else:
                continue  # none of its words: the pattern cannot match
        if rule.pattern.search(sentence):
            return True
    return False


def _is_heading(words: Sequence[str]) -> bool:
    """A Title Case line ("Daily Mail Reporter", "Council Backs Tidal Pilot")."""
    return all(_CAPITALISED.match(word) or word.lower() in _LOWER_OK for word in words)


def _near_duplicate(words: set[str], other: set[str]) -> bool:
    if not words or not other:
        return False
    return len(words & other) >= 0.8 * max(len(words), len(other))


# --- the extractive scorer -------------------------------------------------------------------

_WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*")
STOPWORDS = _wordset(
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


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("\u2019", "'"))


def _stem(word: str) -> str:
    """A light stemmer: enough to match "vote", "votes" and "voted", "injury" and "injuries"."""
    if word.endswith("'s"):
        word = word[:-2]
    if len(word) > 4 and word.endswith(("ies", "ied")):
        return word[:-3] + "y"
    if len(word) > 5 and word.endswith("ing"):
        word = word[:-3]
    elif len(word) > 4 and word.endswith("ed"):
        word = word[:-2]
    elif len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    return word


def _content_words(text: str) -> list[str]:
    return [_stem(w) for w in _words(text) if w not in STOPWORDS and (len(w) > 2 or w.isdigit())]


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


def _extract(
    sentences: list[str], title: str, count: int, max_words: int | None
) -> tuple[str, ...]:
    if len(sentences) <= 1:
        return tuple(sentences)
    w = WEIGHTS
    bags = [set(_content_words(s)) for s in sentences]
    freq = Counter(word for bag in bags for word in bag)
    title_bag = set(_content_words(title))
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
        if not _TERMINATED.search(sentence) or _LOWER_START.match(sentence):
            score -= w.fragment
        scores.append(score)
    order = sorted(range(len(sentences)), key=lambda i: (-scores[i], i))
    if max_words is not None:  # the best sentence that fits goes first
        order.sort(key=lambda i: count_words(sentences[i]) > max_words)
    return _fit(sentences, order, count, max_words, bags)


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


def _fit(
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
    content = set(_content_words(line))
    article_words = set(_words(text))
    if not content or _cut_short(line, article_words):
        return []
    article = {_stem(word) for word in article_words}
    if len(content & article) < MIN_STANDFIRST_OVERLAP * len(content):
        return []  # not about this article (or a generic site description)
    sentences = [_strip(sentence) for sentence in split_sentences(line)]
    title_words = set(_words(title))  # a sentence that repeats the title is junk here too
    if not all(sentences) or any(_is_junk(s, title_words) for s in sentences):
        return []
    return sentences


def _cut_short(line: str, article_words: set[str]) -> bool:
    """True when a description without final punctuation was cut at a length limit: it
    stops inside a word ("…a strong candi") or inside brackets or quotes."""
    if _TERMINATED.search(line):
        return False
    last = _words(line)[-1:]
    if last and last[0] not in article_words:
        return True
    return line.count("(") > line.count(")") or line.count("\u201c") > line.count("\u201d")


def _check_budget(sentences: int, max_words: int | None) -> None:
    if sentences < 1:
        raise ValueError(f"sentences must be at least 1, got {sentences}")
    if max_words is not None and max_words < 1:
        raise ValueError(f"max_words must be at least 1, got {max_words}")
