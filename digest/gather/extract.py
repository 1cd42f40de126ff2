"""Main text and metadata of an article page.

trafilatura finds the main content and most of the metadata; this module
decodes the page, reads the metadata trafilatura does not give precisely
enough (full publication timestamp, lead image, canonical URL, language),
and removes the boilerplate paragraphs that survive extraction: share bars,
newsletter and app promotions, related-story lists, cookie notices, photo
credits, advertisement markers and "read more" teasers.  Only whole short
paragraphs are removed, so a real sentence that merely contains such a word
stays.  Nothing here touches the network.
"""

from __future__ import annotations

import codecs
import logging
import re
from collections.abc import Iterator
from copy import deepcopy
from dataclasses import dataclass
from datetime import datetime

import lxml.etree
import lxml.html
import trafilatura
from trafilatura.htmlprocessing import convert_to_html
from trafilatura.xml import xmltotxt

from digest.gather.metadata import PageMeta, absolute, guessed_date, is_http
from digest.text.boilerplate import is_boilerplate
from digest.text.boilerplate import key as _key
from digest.text.sanitize import clean_html, clean_line

__all__ = ["Extracted", "extract_article"]

LOGGER = logging.getLogger(__name__)

MAX_DOCUMENT_CHARS = 20_000_000
MIN_ARTICLE_WORDS = 25  # fewer words than this after cleaning: not an article
MIN_LONGEST_PARAGRAPH_WORDS = 8


@dataclass(frozen=True, slots=True)
class Extracted:
    title: str  # "" when unknown; passed through clean_line
    author: str  # "" when unknown; clean_line
    published: datetime | None  # timezone-aware (UTC when the page gives no zone) or None
    image: str  # absolute lead image URL (og:image etc.), "" when none
    text: str  # plain main text; paragraphs separated by one blank line ("\n\n")
    html: str  # main content as sanitised HTML (clean_html), "" if unavailable
    canonical_url: str  # absolute <link rel=canonical> / og:url, "" when none
    description: str  # meta/og description, clean_line, "" when none
    language: str  # e.g. "en", "" when unknown


def extract_article(document: str | bytes, *, url: str = "") -> Extracted | None:
    """Main text and metadata of an article page; None when the page holds no article text."""
    if not isinstance(document, str | bytes) or len(document) > MAX_DOCUMENT_CHARS:
        return None
    text = _decode(document) if isinstance(document, bytes) else document
    if not _HTMLISH.search(text):
        return None
    try:
        data = text.replace("\x00", "").encode("utf-8", errors="replace")
        # a parser per call: lxml parsers must not be shared between threads
        parser = lxml.html.HTMLParser(
            encoding="utf-8", remove_comments=True, remove_pis=True, no_network=True
        )
        tree = lxml.html.document_fromstring(data, parser)
    except (lxml.etree.LxmlError, ValueError):
        return None
    page_url = url if is_http(url) else ""
    try:
        doc = trafilatura.bare_extraction(
            tree,
            url=page_url or None,
            with_metadata=True,
            include_comments=False,
            include_tables=True,
            include_images=False,
            include_links=False,
        )
    except Exception:  # trafilatura on hostile input: never let it escape
        LOGGER.debug("trafilatura failed on %s", url or "<page>", exc_info=True)
        return None
    if doc is None or isinstance(doc, dict) or doc.body is None:
        return None

    meta = PageMeta(tree)
    body = doc.body
    description = clean_line(doc.description or meta.first("description"))
    headline = _strip_headings(body, doc.title or "", description)
    title = _title(doc.title or meta.first("headline") or meta.og("title"), headline, doc.sitename)
    verdicts: dict[str, bool] = {}  # the page's lines are mostly its blocks' texts again
    _clean_body(body, verdicts)
    paragraphs = [
        line
        for line in _lines(xmltotxt(body, False))
        if line.startswith("|") or not _boilerplate(line, verdicts)  # "|": a table row
    ]
    if not _looks_like_article(paragraphs):
        return None

    base = absolute(page_url, meta.base_href) or page_url
    canonical = absolute(base, meta.canonical())
    return Extracted(
        title=title,
        author=clean_line((doc.author or meta.author()).replace("; ", ", ")),
        published=meta.published() or guessed_date(doc.date, text),
        image=absolute(base or canonical, meta.image()),
        text="\n\n".join(paragraphs),
        html=_to_html(body),
        canonical_url=canonical,
        description=description,
        language=meta.language(),
    )


# --- decoding --------------------------------------------------------------------------------

_HTMLISH = re.compile(r"<\s*(?:!doctype|html|head|body|meta|title|div|p|article|main)\b", re.I)
_DECLARED_CHARSET = re.compile(
    rb"<meta[^>]+?charset\s*=\s*[\"']?\s*([A-Za-z0-9._:-]+)"
    rb"|<\?xml[^>]+encoding\s*=\s*[\"']([A-Za-z0-9._:-]+)",
    re.I,
)
_WINDOWS_1252_ALIASES = frozenset({"iso8859-1", "ascii"})  # codecs.lookup() names


def _decode(data: bytes) -> str:
    """Decode page bytes: BOM, then a declared charset, then UTF-8 (bad bytes replaced)."""
    for bom, codec in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                       (codecs.BOM_UTF16_BE, "utf-16")):  # fmt: skip
        if data.startswith(bom):
            return data.decode(codec, errors="replace")
    match = _DECLARED_CHARSET.search(data[:8192])
    if match:
        label = (match.group(1) or match.group(2)).decode("ascii")
        try:
            name = codecs.lookup(label).name
        except LookupError:
            name = "utf-8"
        # As browsers do: Latin-1 labels mean windows-1252; UTF-16 without a BOM is a lie.
        name = "cp1252" if name in _WINDOWS_1252_ALIASES else name
        if not name.startswith(("utf-16", "utf-32", "utf-7", "utf_7")):
            try:
                return data.decode(name, errors="replace")
            except LookupError:  # a codec that is not a text encoding ("base64", "rot13")
                pass
    return data.decode("utf-8", errors="replace")


_WORD = re.compile(r"\w+")
_RELATED_HEADING = re.compile(
    r"^(?:related|more|read more|recommended|you (?:might|may) (?:also )?like|popular|most read"
    r"|trending|see also|further reading|latest|top stories|don'?t miss|tags|topics)\b",
    re.I,
)
_BLOCKS = ("p", "head", "item", "quote")
_SENTENCE_END = re.compile(r"[.!?\u2026][\"'\u201d\u2019)\]]*(?:\s|$)")
# Scripts written without spaces between words: count characters instead of words.
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\u0e00-\u0e7f]")
# Characters that betray a badly decoded page: replacement characters and controls but tab.
_JUNK = re.compile(r"[\x00-\x08\x0a-\x1f\ufffd]")


def _text(element: lxml.etree._Element) -> str:
    return " ".join(" ".join(element.itertext()).split())


def _strip_headings(body: lxml.etree._Element, title: str, description: str) -> str:
    """Remove the headline (and kicker, and a heading-styled standfirst) that lead the body.

    Returns the headline's text, "" when the body does not start with one.
    """
    leading = []
    for element in body:
        if element.tag != "head" and _text(element):
            break
        leading.append(element)
    headline = ""
    h1 = next((e for e in leading if e.tag == "head" and e.get("rend") == "h1"), None)
    if h1 is not None:
        headline = _text(h1)
        for element in leading[: leading.index(h1) + 1]:
            _remove(element)
    duplicates = {_key(title), _key(description)} - {""}
    for element in leading:
        is_heading = element.getparent() is body and element.tag == "head"
        if is_heading and _key(_text(element)) in duplicates:
            _remove(element)
    return headline


_TITLE_SEPARATOR = re.compile(r"\s+(?:[|\-\u2013\u2014\u00b7\u00bb:]|::)\s+")


def _title(title: str, headline: str, sitename: str | None) -> str:
    """The page title without its site-name part; the visible headline when the title holds it."""
    title, headline = clean_line(title), clean_line(headline)
    title_key, headline_key = _key(title), _key(headline)
    if headline_key and (
        not title_key or (headline_key in title_key and 2 * len(headline_key) >= len(title_key))
    ):
        return headline
    site_key = _key(sitename or "")
    separators = list(_TITLE_SEPARATOR.finditer(title))
    if site_key and separators:
        first, last = separators[0], separators[-1]
        if _key(title[last.end() :]) == site_key:
            return title[: last.start()]
        if _key(title[: first.start()]) == site_key:
            return title[first.end() :]
    return title


def _boilerplate(text: str, verdicts: dict[str, bool]) -> bool:
    """is_boilerplate(text), looked up in or added to *verdicts*."""
    verdict = verdicts.get(text)
    if verdict is None:
        verdict = verdicts[text] = is_boilerplate(text)
    return verdict


def _clean_body(body: lxml.etree._Element, verdicts: dict[str, bool]) -> None:
    """Remove boilerplate blocks from trafilatura's body (in place); *verdicts* remembers
    is_boilerplate() of the texts looked at."""
    for element in list(body.iter(*_BLOCKS)):
        if not _attached(element, body):
            continue
        text = _text(element)
        if len(text) < 600 and _boilerplate(text, verdicts):
            following = element.getnext()
            if (
                following is not None
                and following.tag in {"list", "p"}
                and element.tag in {"head", "p"}
                and _RELATED_HEADING.match(text)
                and (following.tag == "list" or _is_teaser(_text(following)))
            ):
                _remove(following)
            _remove(element)
    for element in list(body.iter("list", "quote", "table", "row")):
        if _attached(element, body) and not "".join(element.itertext()).strip():
            _remove(element)


def _is_teaser(text: str) -> bool:
    """Short lines that hold no sentence: headlines, a tag list."""
    return len(_WORD.findall(text)) <= 40 and not _SENTENCE_END.search(text)


def _attached(element: lxml.etree._Element, root: lxml.etree._Element) -> bool:
    return any(ancestor is root for ancestor in element.iterancestors())


def _remove(element: lxml.etree._Element) -> None:
    """Detach *element*, keeping the text that follows it."""
    parent = element.getparent()
    if parent is None:
        return
    if element.tail and element.tail.strip():
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)


def _lines(text: str) -> Iterator[str]:
    for line in text.splitlines():
        line = " ".join(line.split())
        if line:
            yield line


def _looks_like_article(paragraphs: list[str]) -> bool:
    if not paragraphs:
        return False
    words = [
        len(_WORD.findall(paragraph)) + len(_UNSPACED.findall(paragraph)) // 2
        for paragraph in paragraphs
    ]
    text = "".join(paragraphs)
    junk = len(_JUNK.findall(text))
    return (
        sum(words) >= MIN_ARTICLE_WORDS
        and max(words) >= MIN_LONGEST_PARAGRAPH_WORDS
        and junk <= len(text) // 10
    )


def _to_html(body: lxml.etree._Element) -> str:
    try:
        root = convert_to_html(deepcopy(body))
        for heading in root.iter("h1"):  # the page has one h1, the headline
            heading.tag = "h2"
        return clean_html(lxml.etree.tostring(root, encoding="unicode", method="html"))
    except (lxml.etree.LxmlError, ValueError, TypeError):
        return ""
