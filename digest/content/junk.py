"""Sentence cleaning: what real pages and feeds carry besides the story, found and removed.

:func:`clean_sentences` splits an article into sentences and drops captions and image
credits, bylines and datelines (a "LONDON (Reuters) -" or "(CNN) --" prefix is stripped
by :func:`strip_sentence`), share bars, newsletter, app, subscription and podcast
promotions, transcript markers, "read more" links, advertisement labels, table rows,
lines that repeat the title, headings, fragments and shouting (:func:`is_junk`).
``digest.text.boilerplate.is_boilerplate`` (the page-level filter) is applied to each
sentence and to short paragraphs as well.
"""

from __future__ import annotations

import re
import string
from collections.abc import Sequence
from dataclasses import dataclass

from digest.content.sentences import paragraphs, split_sentences
from digest.content.words import TERMINATED, count_words, lower_words, wordset
from digest.text.boilerplate import CASE_TRAPS, is_boilerplate

__all__ = ["clean_sentences", "is_junk", "strip_sentence"]


def clean_sentences(text: str, *, title: str = "") -> list[str]:
    """The sentences of *text* with page and feed boilerplate removed or stripped off.

    Headings (a paragraph that is one short unfinished line) are dropped too, unless the
    text holds nothing else.  A caption before its credit is dropped with the credit.  A
    plain text (a folder's ``.txt``, a page flattened to text) that opens with a photo's
    caption and credit as a short paragraph of their own ("X sits in front of a
    microphone. Photograph: …"), or with the credit as the next paragraph, loses that
    paragraph whole, as the HTML path loses the ``<figcaption>``: plain text has only
    its layout to tell a caption by.
    """
    if not text or not text.strip():
        return []
    title_words = set(lower_words(title))
    out: list[str] = []
    headings: list[str] = []
    previous: list[str] = []  # what the paragraph before added to *out*
    for paragraph in paragraphs(text):
        if count_words(paragraph) <= _MAX_WIDGET_WORDS and is_boilerplate(paragraph):
            if previous and len(previous) == len(out) and _opens_with_caption(previous, paragraph):
                out.clear()  # the opening paragraph was the caption of the credit below it
            _drop_teaser(out, paragraph)
            previous = []
            continue  # a short paragraph that is a widget, promotion or credit as a whole
        previous = _clean_paragraph(paragraph, title_words, out, headings)
        out.extend(previous)
    return out or headings


def _clean_paragraph(
    paragraph: str, title_words: set[str], out: list[str], headings: list[str]
) -> list[str]:
    """The sentences of *paragraph* worth keeping (*out*: those kept before it); its
    heading, if it is one, goes to *headings*."""
    units = split_sentences(paragraph)
    kept: list[str] = []
    for index, unit in enumerate(units):
        sentence = strip_sentence(unit)
        if not sentence:
            continue
        if _CREDIT.search(sentence):
            # The caption the credit belongs to; a paragraph that opens the text and is
            # one caption and its credit may hold a longer one.
            whole = not out and len(kept) == 1 and index == len(units) - 1
            limit = _MAX_CAPTION_PARAGRAPH_WORDS if whole else _MAX_CAPTION_WORDS
            if kept and count_words(kept[-1]) <= limit:
                kept.pop()
            continue
        if is_junk(sentence, title_words):
            _drop_teaser(kept or out, sentence)
            continue
        if not TERMINATED.search(sentence):
            if index + 1 < len(units):
                continue  # a caption or label glued to the next sentence
            if len(units) == 1 and count_words(sentence) <= _MAX_HEADING_WORDS:
                headings.append(sentence)
                continue
            if count_words(sentence) <= _MAX_LABEL_WORDS and _is_last_line(unit, paragraph):
                continue  # "By Jane Doe | 3 March 2026", "4 min read" below the story
        kept.append(sentence)
    return kept


def _opens_with_caption(opening: Sequence[str], paragraph: str) -> bool:
    """Whether the text's first paragraph (its sentences *opening*) is the caption of the
    photo whose credit is the next *paragraph* ("Photograph: …", "Source: AAP",
    "(AAP Image/…)"): a few sentences of a few words."""
    line = " ".join(paragraph.split())
    return (
        bool(_CREDIT.search(line) or _CREDIT_LABEL.match(line))
        and len(opening) <= _MAX_CAPTION_SENTENCES
        and sum(count_words(sentence) for sentence in opening) <= _MAX_CAPTION_PARAGRAPH_WORDS
    )


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
# A credit line on its own: "Photo: Getty Images", "Source: AAP / Lukas Coch", "(Reuters)",
# "Photograph: J. Scott Doe/AP" (initials), "(AAP Image/Lukas Coch)"
_CREDIT = re.compile(
    r"^(?:(?i:photo(?:graph)?|picture|image|pic|source|credit|footage|illustration)s?"
    r"(?: credit)?\s*:\s*(?=[A-Z])(?:\b[A-Z]\.|[^.!?]){1,80}"
    r"|\((?:AP|AFP|Reuters|Getty(?: Images)?|PA|EPA|AAP"
    r"|Bloomberg|Shutterstock|Alamy)(?: Photo| Images?)?(?:\s*/\s*[^)]{1,40})?\))\.?$"
)
# A paragraph that is a credit as a whole starts so: "Photograph: …", "Picture by …"
_CREDIT_LABEL = re.compile(
    r"(?i:(?:photo(?:graph)?|picture|image|pic|source|credit|footage|illustration|composite)s?"
    r"(?: credit)?\s*:|(?:photo(?:graph)?|picture|image)s?\s+(?:by|courtesy)\b)"
)
_MAX_CAPTION_WORDS = 30
# A caption that opens a text, as a paragraph of its own, may be this long
_MAX_CAPTION_SENTENCES = 3
_MAX_CAPTION_PARAGRAPH_WORDS = 60
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
            r"(?: Photo| Images?)?(?:\s*/\s*[^)]{1,40})?\)\.?$"
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
_SPEECH = wordset(
    """
    said says say told tells added adds explained wrote writes read reads stated asked warned
    claimed insisted continued admitted revealed tweeted posted concluded noted argued
    replied announced declared confirmed commented
    """
)
_CAPITALISED = re.compile(r"[A-Z0-9\"'\u201c\u2018(\u00a3$]")
_LOWER_OK = wordset("a an the of and or for in on at to by with from & vs")


def strip_sentence(sentence: str) -> str:
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


def is_junk(sentence: str, title_words: set[str]) -> bool:
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
    return _near_duplicate(set(lower_words(sentence)), title_words) or _is_title_and_site(
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
            set(lower_words(title)), title_words
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
