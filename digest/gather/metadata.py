"""An article page's metadata as the page itself declares it.

Meta tags, JSON-LD, ``<time>`` and ``<link>``: the full publication timestamp,
the lead image, the canonical URL, the author and the language, which
trafilatura does not give precisely enough.  Used by :mod:`digest.gather.extract`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import lxml.etree
import lxml.html

_ARTICLE_TYPE = re.compile(r"(?:Article|BlogPosting|Posting|Report|WebPage)$")


class PageMeta:
    """Metadata read from the page's own tree: meta tags, JSON-LD, <time>, <link>."""

    def __init__(self, tree: lxml.html.HtmlElement) -> None:
        self.tree = tree
        self.meta: dict[str, str] = {}
        for element in tree.iterfind(".//meta"):
            key = element.get("property") or element.get("name") or element.get("itemprop") or ""
            content = (element.get("content") or "").strip()
            if key and content:
                self.meta.setdefault(key.strip().lower(), content)
        self.ld = list(_json_ld_objects(tree))
        self.base_href = next((b.get("href", "") for b in tree.iterfind(".//base")), "")

    def og(self, name: str) -> str:
        return self.meta.get(f"og:{name}") or self.meta.get(f"twitter:{name}") or ""

    def first(self, key: str) -> str:
        """A JSON-LD property of the article object, else a meta tag of that name."""
        for obj in self.ld:
            value = obj.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()
        return self.meta.get(key) or self.og(key)

    def author(self) -> str:
        for obj in self.ld:
            names = [name for name in _names(obj.get("author")) if name]
            if names:
                return ", ".join(dict.fromkeys(names))
        value = self.meta.get("author") or self.meta.get("article:author") or ""
        return "" if is_http(value) else value

    def image(self) -> str:
        for key in ("og:image", "og:image:url", "og:image:secure_url", "twitter:image",
                    "twitter:image:src", "image", "thumbnailurl"):  # fmt: skip
            if self.meta.get(key):
                return self.meta[key]
        for obj in self.ld:
            for key in ("image", "thumbnailUrl"):
                found = _first_url(obj.get(key))
                if found:
                    return found
        link = self.tree.find(".//link[@rel='image_src']")
        return link.get("href", "") if link is not None else ""

    def canonical(self) -> str:
        for link in self.tree.iterfind(".//link[@rel]"):
            if "canonical" in link.get("rel", "").lower().split() and link.get("href"):
                return str(link.get("href"))
        if self.meta.get("og:url"):
            return self.meta["og:url"]
        for obj in self.ld:
            found = _first_url(obj.get("mainEntityOfPage")) or _first_url(obj.get("url"))
            if found:
                return found
        return ""

    def published(self) -> datetime | None:
        for value in self._dates():
            parsed = _parse_datetime(value if isinstance(value, str) else None)
            if parsed is not None:
                return parsed
        return None

    def _dates(self) -> Iterator[object]:
        """Publication date candidates, best first, made as they are needed: the first
        that parses wins, and most pages give one in their metadata."""
        for obj in self.ld:
            yield obj.get("datePublished")
        for key in ("article:published_time", "og:published_time", "datepublished",
                    "publishdate", "publish-date", "pubdate", "date", "dc.date", "dc.date.issued",
                    "dcterms.created", "sailthru.date", "parsely-pub-date", "article.published",
                    "datecreated"):  # fmt: skip
            yield self.meta.get(key)
        if next(self.tree.iter("time"), None) is None:
            return  # no <time> element: no need to search the tree four times
        for xpath in ("//time[@itemprop='datePublished']", "//time[@pubdate]",
                      "//article//time[@datetime]", "//main//time[@datetime]"):  # fmt: skip
            for element in self.tree.xpath(xpath):
                yield element.get("datetime") or element.text_content()

    def language(self) -> str:
        root_lang = self.tree.get("lang") or self.tree.get(
            "{http://www.w3.org/XML/1998/namespace}lang"
        )
        for value in (root_lang, self.meta.get("content-language"), self.meta.get("og:locale"),
                      self.first("inLanguage")):  # fmt: skip
            match = re.match(r"\s*([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]+)*\s*$", value or "")
            if match:
                return match.group(1).lower()
        return ""


def _json_ld_objects(tree: lxml.html.HtmlElement) -> Iterator[dict[str, Any]]:
    """The article-like objects of the page's JSON-LD blocks, articles first."""
    found: list[dict[str, Any]] = []
    for script in tree.iterfind(".//script[@type]"):
        if script.get("type", "").strip().lower() != "application/ld+json" or not script.text:
            continue
        try:
            data = json.loads(script.text, strict=False)
        except ValueError:
            continue
        stack = [data]
        while stack and len(found) < 50:
            item = stack.pop(0)
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                stack.extend(v for k, v in item.items() if k in {"@graph", "mainEntity"})
                kinds = item.get("@type")
                kinds = kinds if isinstance(kinds, list) else [kinds]
                if any(isinstance(kind, str) and _ARTICLE_TYPE.search(kind) for kind in kinds):
                    found.append(item)
    found.sort(key=lambda obj: "WebPage" in str(obj.get("@type")))
    yield from found


def _names(value: object) -> Iterator[str]:
    if isinstance(value, str):
        if not is_http(value):
            yield value.strip()
    elif isinstance(value, dict):
        yield from _names(value.get("name"))
    elif isinstance(value, list):
        for item in value[:10]:
            yield from _names(item)


def _first_url(value: object) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, dict):
        return _first_url(value.get("url") or value.get("contentUrl") or value.get("@id"))
    if isinstance(value, list) and value:
        return _first_url(value[0])
    return ""


def _parse_datetime(value: str | None) -> datetime | None:
    """An ISO 8601 or RFC 2822 timestamp as an aware datetime (UTC when no zone is given)."""
    value = (value or "").strip()
    if not value:
        return None
    iso = re.sub(r"\s*([+-]\d\d):?(\d\d)$", r"\1:\2", value) if ":" in value else value
    try:
        parsed = datetime.fromisoformat(iso.replace(" ", "T", 1).replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
    if not 1990 <= parsed.year <= 2100:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


_COPYRIGHT_YEAR = r"(?:©|&copy;|&#169;|\(c\)|copyright)\s*(?:\d{{4}}\s*[-\u2013]\s*)?{year}\b"


def guessed_date(value: str | None, page: str) -> datetime | None:
    """trafilatura's date guess, unless it is only the year of a copyright notice.

    With no date in the page's metadata trafilatura falls back to a year it finds in
    the text, and "© 2024" then dates an article to 1 January 2024.
    """
    parsed = _parse_datetime(value)
    if parsed is None or (parsed.month, parsed.day, parsed.hour, parsed.minute) != (1, 1, 0, 0):
        return parsed
    if re.search(_COPYRIGHT_YEAR.format(year=parsed.year), page, re.IGNORECASE):
        return None
    return parsed


_URL_UNSAFE = re.compile(r"[\s\x00-\x1f\x7f]")


def is_http(value: str) -> bool:
    try:
        return value.startswith(("http://", "https://")) and bool(urlsplit(value).hostname)
    except ValueError:  # e.g. a malformed IPv6 host
        return False


def absolute(base: str, value: str) -> str:
    value = (value or "").strip()
    if not value:
        return ""
    if value.startswith("//") and not base:
        value = "https:" + value
    try:
        absolute = urljoin(base, value) if base else value
    except ValueError:
        return ""
    return absolute if is_http(absolute) and not _URL_UNSAFE.search(absolute) else ""
