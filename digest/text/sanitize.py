"""Make untrusted text and HTML safe to store and display.

HTML from feeds and pages passes through an allow-list sanitiser (nh3, a
binding to the Rust crate ammonia).  Single-line fields such as titles and
author names lose every control and line-separator character, so that
nothing downstream can smuggle a second mail header through them.
"""

from __future__ import annotations

import html as html_module
import re
import unicodedata

import nh3

ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "cite", "code", "dd", "del", "dl", "dt",
        "em", "figcaption", "figure", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img",
        "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "small", "strong", "sub",
        "sup", "table", "tbody", "td", "tfoot", "th", "thead", "time", "tr", "u", "ul",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "abbr": {"title"},
    "time": {"datetime"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})

# Cc: controls (NUL, CR, LF, TAB, ...), Cf: format characters (zero-width
# joiners, bidi overrides), Zl/Zp: U+2028 LINE SEPARATOR, U+2029 PARAGRAPH SEPARATOR.
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})
_SPACES = re.compile(r"\s+")
_TAG = re.compile(r"<[^>]*>")


def clean_html(fragment: str) -> str:
    """Return *fragment* reduced to an allow-list of tags, attributes and URL schemes."""
    if not fragment:
        return ""
    return nh3.clean(
        fragment,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    ).strip()


def clean_line(value: str | None, *, max_length: int = 500) -> str:
    """Return *value* as one safe line of plain text.

    Control characters, line and paragraph separators and invisible format
    characters become spaces (or vanish), runs of white space collapse to one
    space, and the result is cut at *max_length* characters.
    """
    if not value:
        return ""
    out = []
    for char in value:
        category = unicodedata.category(char)
        if category in _UNSAFE_CATEGORIES:
            # A format character such as U+200B joins words; a control splits them.
            out.append(" " if category in {"Cc", "Zl", "Zp"} else "")
        else:
            out.append(char)
    line = _SPACES.sub(" ", "".join(out)).strip()
    if len(line) > max_length:
        line = line[: max_length - 1].rstrip() + "…"
    return line


def html_to_line(fragment: str | None, *, max_length: int = 500) -> str:
    """Return the text of an HTML snippet (a feed title may hold markup) as one safe line."""
    if not fragment:
        return ""
    return clean_line(html_module.unescape(_TAG.sub(" ", fragment)), max_length=max_length)
