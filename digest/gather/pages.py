"""Web pages without a feed: find their feed, or read them as a listing or an article."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import lxml.html
from lxml import etree

from digest.gather.urls import canonical_url, site

FEED_LINK_TYPES = {
    "application/rss+xml": 0,
    "application/atom+xml": 0,
    "application/feed+json": 1,
    "application/json": 2,
    "application/rdf+xml": 1,
}
ARTICLE_TYPES = frozenset(
    {"article", "newsarticle", "blogposting", "reportagenewsarticle", "analysisnewsarticle",
     "opinionnewsarticle", "reviewnewsarticle", "backgroundnewsarticle", "liveblogposting"}
)  # fmt: skip
# Paths that lead to indexes, accounts and legal pages, never to an article.
_NOT_ARTICLE = re.compile(
    r"/(tags?|topics?|category|categories|section|sections|authors?|profile|search|login|"
    r"log-in|signin|sign-in|signup|sign-up|register|subscribe|subscription|account|about|"
    r"contact|privacy|terms|cookies?|feed|rss|newsletters?|page/\d+|archive|help|jobs|"
    r"careers|advertise|shop|store|podcasts?|video|videos|live|weather)(/|$)",
    re.IGNORECASE,
)
_SLUG_WORDS = re.compile(r"[a-z0-9]+(?:[-_][a-z0-9]+){2,}", re.IGNORECASE)
_LONG_NUMBER = re.compile(r"\d{4,}")
_CHROME = frozenset({"nav", "header", "footer", "aside", "form", "menu"})


@dataclass(frozen=True, slots=True)
class PageShape:
    feeds: tuple[str, ...]  # feed URLs the page advertises, best first
    article_links: tuple[str, ...]  # same-site links that look like articles, in page order
    is_article: bool  # the page declares itself an article (og:type, JSON-LD)


def _parse(document: bytes) -> etree._Element | None:
    try:
        return lxml.html.document_fromstring(document)
    except (etree.ParserError, ValueError):
        return None


def _declared_article(root: etree._Element) -> bool:
    for meta in root.iter("meta"):
        kind = (meta.get("property") or meta.get("name") or "").lower()
        if kind == "og:type" and (meta.get("content") or "").strip().lower() == "article":
            return True
    for script in root.iter("script"):
        if (script.get("type") or "").lower() != "application/ld+json" or not script.text:
            continue
        try:
            data = json.loads(script.text)
        except ValueError:
            continue
        stack = [data]
        while stack:
            node = stack.pop()
            if isinstance(node, list):
                stack.extend(node)
            elif isinstance(node, dict):
                kinds = node.get("@type")
                kinds = kinds if isinstance(kinds, list) else [kinds]
                if any(isinstance(k, str) and k.lower() in ARTICLE_TYPES for k in kinds):
                    return True
                stack.extend(v for k, v in node.items() if k == "@graph")
    return False


def _in_chrome(element: etree._Element) -> bool:
    for ancestor in element.iterancestors():
        tag = ancestor.tag if isinstance(ancestor.tag, str) else ""
        if tag in _CHROME:
            return True
        role = (ancestor.get("role") or "").lower()
        if role in {"navigation", "banner", "contentinfo", "search"}:
            return True
    return False


def looks_like_article_url(url: str) -> bool:
    """A URL whose path has the shape of an article: a slug, an id or a dated path."""
    parts = urlsplit(url)
    path = parts.path
    if path in {"", "/"} or _NOT_ARTICLE.search(path):
        return False
    last = path.rstrip("/").rsplit("/", 1)[-1]
    return bool(
        _SLUG_WORDS.fullmatch(last.rsplit(".", 1)[0])
        or _LONG_NUMBER.search(path)
        or last.endswith((".html", ".htm"))
    )


def inspect_page(document: bytes, *, url: str, max_links: int = 50) -> PageShape:
    """What a page offers: advertised feeds, article links on the same site, article markup."""
    root = _parse(document)
    if root is None:
        return PageShape(feeds=(), article_links=(), is_article=False)
    base = url
    for element in root.iter("base"):
        if element.get("href"):
            base = canonical_url(element.get("href", ""), base=url)
            break
    feeds: list[tuple[int, int, str]] = []
    for index, link in enumerate(root.iter("link")):
        rel = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").split(";")[0].strip().lower()
        href = (link.get("href") or "").strip()
        if "alternate" in rel and kind in FEED_LINK_TYPES and href:
            absolute = canonical_url(href, base=base)
            if urlsplit(absolute).scheme in {"http", "https"}:
                feeds.append((FEED_LINK_TYPES[kind], index, absolute))
    here = canonical_url(url)
    home = site(url)
    links: dict[str, None] = {}
    for anchor in root.iter("a"):
        href = (anchor.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:", "mailto:")) or _in_chrome(anchor):
            continue
        absolute = canonical_url(href, base=base)
        if (
            urlsplit(absolute).scheme in {"http", "https"}
            and site(absolute) == home
            and absolute != here
            and looks_like_article_url(absolute)
        ):
            links.setdefault(absolute, None)
            if len(links) >= max_links:
                break
    return PageShape(
        feeds=tuple(dict.fromkeys(url for _, _, url in sorted(feeds))),
        article_links=tuple(links),
        is_article=_declared_article(root),
    )
