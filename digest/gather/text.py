"""Turn article markup (HTML fragments, Markdown) into plain text and safe HTML."""

from __future__ import annotations

import html as html_module
import re

import lxml.html
from lxml import etree

_BLOCKS = frozenset(
    {
        "p", "div", "section", "article", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4",
        "h5", "h6", "blockquote", "pre", "table", "tr", "figure", "figcaption", "hr",
        "header", "footer", "dd", "dt", "main",
    }
)  # fmt: skip
_SKIP = frozenset({"script", "style", "noscript", "template", "iframe", "svg", "head"})
_INLINE_SPACE = re.compile(r"[ \t\f\v\u00a0]+")
_MANY_BREAKS = re.compile(r"\n{3,}")


def normalise_paragraphs(text: str) -> str:
    """Collapse white space inside lines and keep one blank line between paragraphs."""
    lines = [_INLINE_SPACE.sub(" ", line).strip() for line in text.replace("\r", "\n").split("\n")]
    paragraphs: list[str] = []
    current: list[str] = []
    for line in lines:
        if line:
            current.append(line)
        elif current:
            paragraphs.append(" ".join(current))
            current = []
    if current:
        paragraphs.append(" ".join(current))
    return "\n\n".join(paragraphs)


def html_to_text(fragment: str) -> str:
    """The readable text of an HTML fragment, one paragraph per block element."""
    if not fragment or not fragment.strip():
        return ""
    if "<" not in fragment:
        return normalise_paragraphs(html_module.unescape(fragment))
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (etree.ParserError, ValueError):
        return normalise_paragraphs(re.sub(r"<[^>]*>", " ", fragment))
    out: list[str] = []

    def walk(element: etree._Element) -> None:
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag in _SKIP:
            if element.tail:
                out.append(element.tail)
            return
        block = tag in _BLOCKS
        if block:
            out.append("\n\n")
        if element.text and tag:
            out.append(element.text)
        for child in element:
            walk(child)
        if block:
            out.append("\n\n")
        if element.tail:
            out.append(element.tail)

    walk(root)
    joined = "".join(out)
    # Within a paragraph a single newline is just a space; blank lines separate.
    joined = re.sub(r"(?<!\n)\n(?!\n)", " ", joined)
    return _MANY_BREAKS.sub("\n\n", normalise_paragraphs(joined))


_MD_LINK = re.compile(r"!?\[([^\]]*)\]\(([^)\s]*)(?:\s+\"[^\"]*\")?\)")
_MD_EMPHASIS = re.compile(r"(\*\*|__|\*|_|`)(?=\S)(.+?)(?<=\S)\1")
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+")
_MD_QUOTE = re.compile(r"^\s{0,3}>\s?")
_MD_BULLET = re.compile(r"^\s{0,3}(?:[-*+]|\d+[.)])\s+")


def markdown_to_text(markdown: str) -> str:
    """Plain text of simple Markdown: links keep their text, markers go."""
    lines = []
    for line in markdown.replace("\r\n", "\n").split("\n"):
        line = _MD_HEADING.sub("", line)
        line = _MD_QUOTE.sub("", line)
        line = _MD_BULLET.sub("", line)
        line = _MD_LINK.sub(lambda m: m.group(1), line)
        line = _MD_EMPHASIS.sub(lambda m: m.group(2), line)
        lines.append(line)
    return normalise_paragraphs("\n".join(lines))


def paragraphs_to_html(text: str) -> str:
    """Plain paragraphs as escaped ``<p>`` elements."""
    return "\n".join(
        f"<p>{html_module.escape(paragraph)}</p>" for paragraph in text.split("\n\n") if paragraph
    )
