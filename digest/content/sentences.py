"""Sentence segmentation for news text.

Paragraphs (separated by blank lines) are segmented independently, so a sentence never
crosses a paragraph break.  Within a paragraph, a fast pass cuts at the boundaries that
cannot be anything else (a full stop after an ordinary word or a number, followed by a
capital) and keeps together what cannot be a boundary ("Mr. Smith", "J. R. Hale",
"e.g. London", a quotation of several sentences before "she said"); only a piece that
still holds an undecided boundary ("U.S. Army", "Inc. He", "Calif. The") goes to pysbd's
rule-based segmenter, which needs no downloaded data.  pysbd is slow and superlinear in
the length of its input, so feeding it only those short pieces keeps segmentation fast
(about 1 ms for a 600-word article, against 15 ms for pysbd on the whole text).  A few
repairs follow pysbd where it is wrong (an ellipsis before a lower-case word,
punctuation-only pieces, "4 p.m. Aug. 9").

Text from pages and feeds also loses punctuation where a caption or label met the story,
so two more cuts are made: after a short unpunctuated line ("Share", "By Jane Doe")
before a line that starts a sentence, and where a lower-case word runs into a word that
only starts sentences ("...for privacy reasons The former MP said").  Chinese and
Japanese full-width stops end a sentence without a space.
"""

from __future__ import annotations

import bisect
import logging
import re
import threading

import pysbd

from digest.content.words import wordset

__all__ = ["ABBREVIATIONS", "TITLES", "paragraphs", "split_sentences"]

LOGGER = logging.getLogger(__name__)


# Words that, followed by a full stop, are usually abbreviations rather than the end of a
# sentence: titles, company suffixes, months and days, US state abbreviations (AP style),
# street words and Latin abbreviations.  Lower-cased, without the final full stop.
ABBREVIATIONS = wordset(
    """
    mr mrs ms mx dr prof sen rep gov gen lt col maj capt cpt sgt cpl pvt adm cmdr cdr
    brig supt insp det rev fr hon pres amb atty sr jr st mt ft messrs mme mlle esq
    inc ltd co corp plc llc bros dept univ assn est intl natl
    jan feb mar apr jun jul aug sep sept oct nov dec mon tue tues wed thu thur thurs fri
    sat sun
    ala ariz ark calif colo conn del fla ga ill ind kan kans ky la md mass mich minn miss
    mo mont neb nev okla ore pa tenn tex vt va wash wis wyo
    ave blvd rd hwy sq
    vs v etc al cf viz approx ca fig figs no nos vol vols ed eds pp op para ref
    """
)

# Titles before a name: followed by a capital they never end a sentence.
TITLES = wordset(
    """
    mr mrs ms mx dr prof sen rep gov gen lt col maj capt cpt sgt cpl pvt adm cmdr cdr brig
    supt insp det rev fr hon pres amb atty messrs mme mlle
    """
)

_PARAGRAPH_BREAK = re.compile(r"\n[^\S\n]*\n\s*")
_LINE_END_PUNCT = re.compile(r"[.!?:;,\u2026][\"'\u201d\u2019)\]]*$")
_LINE_START = re.compile(r"[\"'\u201c\u2018(\[]*[A-Z0-9]")
_FULL_WIDTH_END = re.compile(r"[\u3002\uff01\uff1f][\u300d\u300f\uff09)\"\u201d\u2019]*")
# "a court has heard.Shocking allegations": a full stop with no space before a capital
_GLUED = re.compile(r"\b([A-Za-z]{2,})([.!?])(?=[A-Z][a-z])")
_GLUED_HINT = re.compile(r"[.!?][A-Z][a-z]")  # in every _GLUED match; much cheaper to find
# A candidate boundary: terminal punctuation, closing quotes/brackets, space, and an
# upper-case letter or digit (possibly behind an opening quote or bracket).
_CANDIDATE = re.compile(
    r"([.!?\u2026]+)([\"'\u201d\u2019)\]]*)\s+(?=[\"'\u201c\u2018\u00ab(\[]*([^\W_]))"
)
_INITIAL = re.compile(r"[A-Z]")
# Abbreviations that never end a sentence when a capital follows
_NEVER_FINAL = frozenset({"e.g", "i.e", "viz", "cf", "vs", "v"})
# A word of two letters or more ("Washington", "NHS", "McCoy", "well-known") or a number
# with or without unit ("2014", "$5,000", "12.5st", "4am", "K2"), without inner full stops
# other than decimal points.
_WORD_OR_NUMBER = re.compile(
    r"[^\W\d_][^\W\d_'\u2019-]*[^\W\d_]"
    r"|[$\u00a3\u20ac]?[A-Za-z]?\d(?:[\d,%/-]|\.\d|[A-Za-z])*"
)
# Where an attributed quotation can end: '," she', '?\u201d he'.  The group is the mark.
_QUOTE_MARK = re.compile(r"[,!?]([\"'\u201d\u2019])(?=\s+[a-z])")
_ATTRIBUTED_QUOTE = re.compile(
    r"\u201c[^\u201c\u201d]{1,600}?[,!?]\u201d(?=\s+[a-z])"
    r"|(?:(?<=\s)|^)\"[^\"]{1,600}?[,!?]\"(?=\s+[a-z])"
    r"|\u2018[^\u2018]{1,600}?[,!?]\u2019(?=\s+[a-z])"
    r"|(?:(?<=\s)|^)'(?=[A-Z])(?:(?!\s'[A-Z]).){1,600}?[,!?]'(?=\s+[a-z])"
)
# Where each alternative of _ATTRIBUTED_QUOTE can start, and the mark it must end with
_QUOTE_OPENING = re.compile(r"[\u201c\u2018]|(?:(?<=\s)|^)(?:\"|'(?=[A-Z]))")
_QUOTE_CLOSING = {"\u201c": "\u201d", '"': '"', "\u2018": "\u2019", "'": "'"}
_QUOTE_LENGTH = (4, 603)  # shortest and longest _ATTRIBUTED_QUOTE match
_CLOSERS = "\"'\u201d\u2019)]"
_LEADING_OPENERS = "\"'\u201c\u2018([{"
_ELLIPSIS_END = re.compile(r"(?:\.\.|\u2026)[\"'\u201d\u2019)\]]*$")
_HAS_WORD = re.compile(r"\w")
_DATE_START = re.compile(r"(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\. \d{1,2}\b")
# Lines without end punctuation and at most this many words are headings, bylines,
# labels or captions when the next line starts a new sentence; longer ones are wrapped.
_MAX_LABEL_LINE_WORDS = 12
# A picture credit ending a line, after the caption it belongs to: "...below the pier.
# Source: AAP / Lukas Coch", "...the pier Photo: Harbour Trust/AAP", "...pier (AP Photo/Jane
# Doe)".  Such a line is judged by its last sentence, the credit, a label however long the
# caption before it: it ends a unit, so the credit is not glued to the next line's sentence.
_CREDIT_LINE_END = re.compile(
    r"(?:^|\s)(?i:photo(?:graph)?|picture|image|pic|source|credit|footage|illustration)s?"
    r"(?: credit)?\s*:\s*[A-Z][^.!?:]{0,80}$"
    r"|\((?:AP|AFP|Reuters|Getty(?: Images)?|PA|EPA|AAP|Bloomberg|Shutterstock|Alamy)"
    r"(?: Photo| Images)?(?:\s*/\s*[^)]{1,40})?\)$"
)

# Words that start sentences and (capitalised) hardly ever occur inside one.
_OPENERS = (
    "The|A|An|He|She|It|They|We|His|Her|Their|Its|This|These|Those|There|But|However"
    "|Meanwhile|Mr|Mrs|Ms|Dr|Pictured|In|On|After|When|While|Police|Officers|Now|Earlier"
    "|According"
)
_GLUE = re.compile(r"([A-Za-z0-9)\]'\u2019]+) (?=(?:" + _OPENERS + r") [a-z0-9'\u2018\"\u201c(])")
# What every _GLUE match contains.  _GLUE tries a word at every position, which is slow;
# this starts only at a space, so it rules most sentences out far more cheaply.
_GLUE_HINT = re.compile(r" (?:" + _OPENERS + r") [a-z0-9'\u2018\"\u201c(]")
# Lower-case words after which a capitalised opener is a title or a name, not a new
# sentence: function words, verbs of saying and naming, and nouns that take a letter.
_GLUE_KEEP = wordset(
    """
    a an the of in on at by for to with from and or nor but as that than if so like about
    into onto over under after before during without within between against via per is
    was are were be been being am has have had do does did will would shall should can
    could may might must not told tell tells said says say wrote writes read reads call
    called calls named name titled dubbed nicknamed show shows starred starring star
    watched watch joined join played plays play visit visited beat beats defeated face
    faces faced meet meets met including include includes saw see
    vitamin type grade plan category group class part section level league division
    formula hepatitis model series platform terminal gate block zone pool team row box
    """
)

_LOCAL = threading.local()


def _segmenter() -> pysbd.Segmenter:
    """pysbd's segmenter, one per thread (it keeps per-call state on the instance)."""
    segmenter: pysbd.Segmenter | None = getattr(_LOCAL, "segmenter", None)
    if segmenter is None:
        segmenter = pysbd.Segmenter(language="en", clean=False, char_span=False)
        _LOCAL.segmenter = segmenter
    return segmenter


def split_sentences(text: str, *, language: str = "en") -> list[str]:
    """Sentences of *text* (paragraphs separated by blank lines), in order, stripped.

    Never splits after abbreviations ("Mr.", "Dr.", "Sen.", "U.S.", "e.g.", "Inc."),
    initials ("J. R. Hale"), decimals ("3.5"), times ("6.00 a.m."), ellipses inside a
    sentence, or inside quotes that end in punctuation ('"We will win," he said.' is one
    sentence; 'He said: "It is over." Then he left.' is two).  Never crosses a paragraph
    break.  Only English rules exist; *language* is accepted for the interface's sake.
    """
    if not text or not text.strip():
        return []
    sentences: list[str] = []
    for paragraph in paragraphs(text):
        for block in _label_lines(paragraph):
            for piece in _full_width_pieces(block):
                sentences.extend(_split_block(piece))
    return sentences


def paragraphs(text: str) -> list[str]:
    """The paragraphs of *text*, in order: the pieces of the stripped text between blank
    lines (a blank line may hold spaces; indentation after it is dropped)."""
    return _PARAGRAPH_BREAK.split(text.strip())


def _full_width_pieces(block: str) -> list[str]:
    """Cut after the full-width stops of Chinese and Japanese (U+3002, U+FF01, U+FF1F),
    which end a sentence without a following space."""
    if block.isascii() or not _FULL_WIDTH_END.search(block):
        return [block]
    pieces = []
    start = 0
    for match in _FULL_WIDTH_END.finditer(block):
        pieces.append(block[start : match.end()])
        start = match.end()
    pieces.append(block[start:])
    return [piece for piece in pieces if piece.strip()]


def _label_lines(paragraph: str) -> list[str]:
    """Split a paragraph at single line breaks that end a short unpunctuated line.

    "Share\\nBy Jane Doe\\nThe minister resigned." is three units, but a hard-wrapped
    paragraph stays whole.  A longer line that ends in a picture credit ("A seal on the
    rocks. Source: AAP / Lukas Coch") is cut after too: it is judged by its last sentence.
    """
    if "\n" not in paragraph:
        return [paragraph]
    blocks: list[str] = []
    current: list[str] = []
    lines = [line.strip() for line in paragraph.split("\n")]
    lines = [line for line in lines if line]
    for index, line in enumerate(lines):
        current.append(line)
        following = lines[index + 1] if index + 1 < len(lines) else ""
        if (
            following
            and not _LINE_END_PUNCT.search(line)
            and (len(line.split()) <= _MAX_LABEL_LINE_WORDS or _ends_in_credit(line))
            and _LINE_START.match(following)
        ):
            blocks.append(" ".join(current))
            current = []
    if current:
        blocks.append(" ".join(current))
    return blocks


def _ends_in_credit(line: str) -> bool:
    if ":" not in line and not line.endswith(")"):
        return False  # every credit has one or the other: settled without the pattern
    return bool(_CREDIT_LINE_END.search(line))


def _split_block(block: str) -> list[str]:
    block = " ".join(block.split())  # runs of whitespace to one space, stripped
    if not block:
        return []
    if _GLUED_HINT.search(block):
        block = _GLUED.sub(_unglue, block)
    sentences: list[str] = []
    start = 0
    undecided = False  # the current piece holds a boundary only pysbd can decide
    quoted = _attributed_quotes(block)
    for match in _CANDIDATE.finditer(block):
        following = match.group(3)
        if not (following.isupper() or following.isdigit()):
            continue  # a lower-case word follows: "e.g. apples", "Is it over?" she asked
        if quoted and any(begin < match.start() < end for begin, end in quoted):
            continue  # inside '"We lost. It is over," she said.'
        verdict = _verdict(block, match)
        if verdict is None:
            undecided = True
        elif verdict:
            sentences.extend(_finish(block[start : match.end(2)], undecided))
            start, undecided = match.end(), False
    sentences.extend(_finish(block[start:], undecided))
    return sentences


def _attributed_quotes(block: str) -> list[tuple[int, int]]:
    """Spans of quotations of several sentences that end in a comma, "!" or "?" and are
    followed by a lower-case attribution: '"We lost. It is over," she said.'"""
    # Equivalent to [m.span() for m in _ATTRIBUTED_QUOTE.finditer(block)], which is slow:
    # its lazy scans of up to 600 characters run from every opening quotation mark.  Here
    # the pattern only runs from an opening mark with a matching end within reach.
    ends: dict[str, list[int]] = {}
    for mark in _QUOTE_MARK.finditer(block):
        ends.setdefault(mark.group(1), []).append(mark.end())
    if not ends:
        return []
    shortest, longest = _QUOTE_LENGTH
    spans: list[tuple[int, int]] = []
    resume = 0  # finditer goes on after the end of the last match
    for opening in _QUOTE_OPENING.finditer(block):
        start = opening.start()
        if start < resume:
            continue
        reachable = ends.get(_QUOTE_CLOSING[block[start]], ())
        index = bisect.bisect_left(reachable, start + shortest)
        if index == len(reachable) or reachable[index] > start + longest:
            continue
        match = _ATTRIBUTED_QUOTE.match(block, start)
        if match:
            spans.append(match.span())
            resume = match.end()
    return spans


def _finish(piece: str, undecided: bool) -> list[str]:
    piece = piece.strip()
    if not piece:
        return []
    pieces = _repair(_pysbd(piece)) if undecided else [piece]
    return [part for sentence in pieces for part in _split_glued(sentence)]


def _split_glued(sentence: str) -> list[str]:
    """Split where a caption or label was glued to the next sentence without punctuation.

    "...redacted for privacy reasons The former Labour MP, 86, claimed..." is two
    sentences: a lower-case word followed by a word that only starts sentences ("The",
    "He", "Police"...) and then a lower-case word.  Titles after a verb or preposition
    ("told The Times", "vitamin A") are not split.
    """
    if not _GLUE_HINT.search(sentence):
        return [sentence]  # no opener after a space: the common case, found cheaply
    parts: list[str] = []
    start = 0
    for match in _GLUE.finditer(sentence):
        before = match.group(1)
        if before[0].isupper() or before.lower() in _GLUE_KEEP:
            continue
        parts.append(sentence[start : match.end(1)])
        start = match.end()
    if not parts:
        return [sentence]
    parts.append(sentence[start:])
    return [part.strip() for part in parts if part.strip()]


def _unglue(match: re.Match[str]) -> str:
    word, mark = match.group(1), match.group(2)
    if word.lower() in ABBREVIATIONS:
        return match.group(0)
    return f"{word}{mark} "


def _verdict(block: str, match: re.Match[str]) -> bool | None:
    """Whether the candidate boundary *match* ends a sentence; None when unsure."""
    punct = match.group(1)
    if "." not in punct:
        return True  # "!" or "?" (or "?!") before a capital
    if punct != ".":
        return True  # an ellipsis before a capital
    space = block.rfind(" ", 0, match.start())
    token = block[space + 1 : match.start()].lstrip(_LEADING_OPENERS)
    if not token:
        return True  # a full stop standing alone: "By . Jane Doe . PUBLISHED: ..."
    if token[-1] in _CLOSERS:  # 'a "shocking" attack". The', "(pictured). Police"
        token = token.rstrip(_CLOSERS)
        if not token or token[-1] in "!?.…":
            return True
    lowered = token.lower()
    if lowered in TITLES or _INITIAL.fullmatch(token) or lowered in _NEVER_FINAL:
        return False  # "Mr. Smith", "J. R. Hale", "e.g. London"
    if lowered in ABBREVIATIONS:
        return None  # "Inc.", "Calif.", "St.": pysbd decides
    return True if _WORD_OR_NUMBER.fullmatch(token) else None  # "U.S." goes to pysbd


def _pysbd(piece: str) -> list[str]:
    try:
        segments = _segmenter().segment(piece)
    except Exception:  # pysbd on odd input (it is regex-heavy): keep the piece whole
        LOGGER.debug("pysbd failed on %r", piece[:80], exc_info=True)
        return [piece]
    return [segment.strip() for segment in segments if segment.strip()]


def _repair(segments: list[str]) -> list[str]:
    """Undo pysbd's mistakes: punctuation-only pieces, splits after an ellipsis or an
    abbreviation before a lower-case word, and between a time and a date ("4 p.m. Aug. 9")."""
    out: list[str] = []
    for segment in segments:
        if out and out[-1].endswith(("a.m.", "p.m.")) and _DATE_START.match(segment):
            out[-1] = f"{out[-1]} {segment}"  # "from 4 p.m. Aug. 9 to..."
        elif out and (
            not _HAS_WORD.search(segment) or (segment[0].islower() and _continues(out[-1]))
        ):
            joiner = "" if not _HAS_WORD.search(segment) and out[-1].endswith(".") else " "
            out[-1] = f"{out[-1]}{joiner}{segment}"
        else:
            out.append(segment)
    return out


def _continues(previous: str) -> bool:
    if _ELLIPSIS_END.search(previous):
        return True
    token = previous.rsplit(" ", 1)[-1].rstrip(".").lower()
    return token in ABBREVIATIONS or bool(re.fullmatch(r"(?:[a-z]\.)*[a-z]", token))
