"""Feed documents in every format, built from plain values for tests and benchmarks."""

from __future__ import annotations

import json
from dataclasses import dataclass
from html import escape


@dataclass(frozen=True)
class Item:
    title: str
    link: str
    guid: str | None = None
    date: str | None = None  # as the format writes it (RFC 822 for RSS, RFC 3339 for Atom/JSON)
    summary: str = ""
    content: str = ""  # full HTML content
    author: str = ""


def long_text(topic: str, paragraphs: int = 4) -> str:
    """Article-length HTML about *topic* (well over the teaser threshold)."""
    body = []
    for n in range(1, paragraphs + 1):
        body.append(
            f"<p>Paragraph {n} about {topic}. Officials described the situation in detail on "
            f"Tuesday, saying the measures would take effect over the coming weeks. Residents "
            f"said they had waited a long time for news about {topic}, and several local groups "
            f"welcomed the announcement while asking for more information about costs.</p>"
        )
    return "".join(body)


def rss20(items: list[Item], *, title: str = "Test RSS 2.0", extra_ns: str = "") -> str:
    entries = []
    for item in items:
        parts = [f"<title>{escape(item.title)}</title>", f"<link>{escape(item.link)}</link>"]
        if item.guid:
            parts.append(f'<guid isPermaLink="false">{escape(item.guid)}</guid>')
        if item.date:
            parts.append(f"<pubDate>{item.date}</pubDate>")
        if item.summary:
            parts.append(f"<description>{escape(item.summary)}</description>")
        if item.content:
            parts.append(f"<content:encoded><![CDATA[{item.content}]]></content:encoded>")
        if item.author:
            parts.append(f"<dc:creator>{escape(item.author)}</dc:creator>")
        entries.append("<item>" + "".join(parts) + "</item>")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        f'xmlns:dc="http://purl.org/dc/elements/1.1/"{extra_ns}><channel>'
        f"<title>{escape(title)}</title><link>http://example.org/</link>"
        "<description>test</description>" + "".join(entries) + "</channel></rss>"
    )


def rss091(items: list[Item]) -> str:
    entries = "".join(
        f"<item><title>{escape(i.title)}</title><link>{escape(i.link)}</link>"
        f"<description>{escape(i.summary or i.content)}</description></item>"
        for i in items
    )
    return (
        '<?xml version="1.0" encoding="ISO-8859-1"?>\n'
        '<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" '
        '"http://my.netscape.com/publish/formats/rss-0.91.dtd">\n'
        '<rss version="0.91"><channel><title>Test RSS 0.91</title>'
        "<link>http://example.org/</link><description>old</description><language>en</language>"
        + entries
        + "</channel></rss>"
    )


def rss10(items: list[Item]) -> str:
    seq = "".join(f'<rdf:li rdf:resource="{escape(i.link)}"/>' for i in items)
    entries = "".join(
        f'<item rdf:about="{escape(i.link)}"><title>{escape(i.title)}</title>'
        f"<link>{escape(i.link)}</link><description>{escape(i.summary or i.content)}</description>"
        + (f"<dc:date>{i.date}</dc:date>" if i.date else "")
        + "</item>"
        for i in items
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        '<channel rdf:about="http://example.org/"><title>Test RSS 1.0</title>'
        "<link>http://example.org/</link><description>rdf</description>"
        f"<items><rdf:Seq>{seq}</rdf:Seq></items></channel>" + entries + "</rdf:RDF>"
    )


def atom(items: list[Item]) -> str:
    entries = []
    for i in items:
        parts = [
            f"<title>{escape(i.title)}</title>",
            f'<link rel="alternate" href="{escape(i.link)}"/>',
            f"<id>{escape(i.guid or i.link)}</id>",
        ]
        if i.date:
            parts.append(f"<updated>{i.date}</updated><published>{i.date}</published>")
        if i.summary:
            parts.append(f'<summary type="html">{escape(i.summary)}</summary>')
        if i.content:
            parts.append(f'<content type="html">{escape(i.content)}</content>')
        if i.author:
            parts.append(f"<author><name>{escape(i.author)}</name></author>")
        entries.append("<entry>" + "".join(parts) + "</entry>")
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom"><title>Test Atom</title>'
        "<id>urn:test:atom</id><updated>2026-11-20T10:00:00Z</updated>"
        + "".join(entries)
        + "</feed>"
    )


def json_feed(items: list[Item]) -> str:
    document = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Test JSON Feed",
        "home_page_url": "http://example.org/",
        "items": [
            {
                "id": i.guid or i.link,
                "url": i.link,
                "title": i.title,
                **({"date_published": i.date} if i.date else {}),
                **({"summary": i.summary} if i.summary else {}),
                **({"content_html": i.content} if i.content else {}),
                **({"authors": [{"name": i.author}]} if i.author else {}),
            }
            for i in items
        ],
    }
    return json.dumps(document)


def article_page(title: str, topic: str, *, author: str = "", published: str = "") -> str:
    """A whole article page with site chrome around the story."""
    meta = ""
    if author:
        meta += f'<meta name="author" content="{escape(author)}">'
    if published:
        meta += f'<meta property="article:published_time" content="{published}">'
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}'
        f'</title><meta property="og:type" content="article">'
        f'<meta property="og:title" content="{escape(title)}">{meta}</head><body>'
        '<header><nav><a href="/">Home</a> <a href="/world/">World</a> '
        '<a href="/login">Sign in</a></nav></header>'
        f"<main><article><h1>{escape(title)}</h1>{long_text(topic, 5)}</article></main>"
        "<footer><p>Copyright Example News</p></footer></body></html>"
    )
