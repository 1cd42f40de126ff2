"""Rendering: golden plain text, HTML structure, size budget, caching, escaping, overrides."""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from lxml import html as lxml_html

from digest.errors import DigestError, RenderError
from digest.mail.render import HTML_SIZE_LIMIT, Personal, RenderedEmail, Renderer, reading_minutes
from digest.records import Candidate, Digest, DigestSection, Story

GOLDEN = Path(__file__).parent / "fixtures" / "golden"
REGENERATE = os.environ.get("DIGEST_REGENERATE_GOLDEN") == "1"
NOW = datetime(2025, 6, 3, 5, 30, tzinfo=UTC)
PARIS = ZoneInfo("Europe/Paris")
BASE = "https://news.example.org"
POSTAL = "Example Media Ltd\n1 Harbour Street\nSpringfield 12345"

HEADLINES = [
    ("World", "Barges move again on the lower Danube after weeks of low water"),
    ("World", "Andean towns vote on rationing glacier water through the dry season"),
    ("World", "Mongolian herders get winter storm warnings by text message"),
    ("Technology", "City council open-sources its building permit software"),
    ("Technology", "Rail operator restores QR tickets after a day-long outage"),
    ("Technology", "Chipmaker delays its new fabrication plant by a year"),
    ("Science", "Comet debris may bring a meteor outburst next week"),
    ("Science", "Drought-tolerant wheat holds its yield in a three-year trial"),
]
SUMMARY = (
    "Officials said on Monday that the change takes effect at once and will be reviewed "
    "after one season.",
    "Local groups welcomed the decision but asked for clearer rules on how it is enforced.",
)


# --- building digests from plain data --------------------------------------------------------


def article(
    id: int,
    section: str,
    title: str,
    *,
    source: str = "Daily Planet",
    hours_ago: float = 2,
    words: int = 640,
    summary: Sequence[str] = SUMMARY,
    url: str | None = None,
) -> Candidate:
    return Candidate(
        id=id,
        source=source,
        section=section,
        title=title,
        url=url if url is not None else f"{BASE}/{section.lower()}/{id}?ref=feed&page=1",
        published=NOW - timedelta(hours=hours_ago),
        fetched=NOW - timedelta(minutes=30),
        summary=tuple(summary),
        words=words,
    )


def make_digest(
    headlines: Sequence[tuple[str, str]] = HEADLINES,
    *,
    top: int = 1,
    more: dict[str, int] | None = None,
    also_every: int = 2,
) -> Digest:
    """A digest with the headlines in their sections; the first *top* are top stories."""
    stories: dict[str, list[Story]] = {}
    top_stories: list[Story] = []
    for n, (section, title) in enumerate(headlines):
        lead = article(n + 1, section, title, hours_ago=1 + n * 1.5, words=300 + 170 * n)
        also: tuple[Candidate, ...] = ()
        if n % also_every == 0:
            also = (
                article(1000 + n, section, title, source="River Times"),
                article(2000 + n, section, title, source="Euro Wire"),
            )[: 1 + n % 2 + (1 if n < top else 0)]
        story = Story(lead=lead, also=also, score=100.0 - n)
        if n < top:
            top_stories.append(story)
        else:
            stories.setdefault(section, []).append(story)
    sections = tuple(
        DigestSection(name=name, stories=tuple(items), more=(more or {}).get(name, 0))
        for name, items in stories.items()
    )
    return Digest(
        since=NOW - timedelta(days=1), until=NOW, top=tuple(top_stories), sections=sections
    )


def big_digest(count: int = 200) -> Digest:
    sections = ("World", "Technology", "Science", "Business")
    headlines = [
        (sections[n % 4], f"Story {n}: a headline of ordinary length about event number {n}")
        for n in range(count)
    ]
    return make_digest(headlines, top=3, also_every=3)


def personal(who: str = "ana", name: str = "Ana") -> Personal:
    return Personal(
        email=f"{who}@example.net",
        name=name,
        unsubscribe_url=f"{BASE}/unsubscribe/UNSUB-{who}-token",
        preferences_url=f"{BASE}/preferences/PREFS-{who}-token",
        web_url=f"{BASE}/archive/7?for={who}",
    )


def renderer(templates: Path | None = None, **options: object) -> Renderer:
    return Renderer(
        title="Morning Brief",
        base_url=BASE,
        postal_address=POSTAL,
        templates=templates,
        timezone=PARIS,
        **options,  # type: ignore[arg-type]
    )


def parse(rendered: RenderedEmail) -> lxml_html.HtmlElement:
    return lxml_html.document_fromstring(rendered.html)


def hrefs(doc: lxml_html.HtmlElement) -> dict[str, list[str]]:
    """Link text (whitespace collapsed) -> the addresses it links to."""
    found: dict[str, list[str]] = {}
    for a in doc.iter("a"):
        found.setdefault(" ".join(a.text_content().split()), []).append(a.get("href", ""))
    return found


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    text = normalise(text)
    if REGENERATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"{path} is missing: run with DIGEST_REGENERATE_GOLDEN=1 to create it"
    assert text == path.read_text(encoding="utf-8"), (
        f"{name} differs from its golden file; if the change is intended, "
        "rerun with DIGEST_REGENERATE_GOLDEN=1 and review the diff"
    )


def normalise(text: str) -> str:
    """Hide what may change between runs: message ids, boundaries, dates of sending."""
    text = re.sub(r"<[0-9a-f]{32}@[^>]+>", "<MESSAGE-ID>", text)
    text = re.sub(r"=_[0-9a-f]{24}", "=_BOUNDARY", text)
    return text


# --- plain text ------------------------------------------------------------------------------


def test_plain_text_matches_golden_file() -> None:
    digest = make_digest(more={"World": 4})
    rendered = renderer().digest(digest, personal=personal(), tz=PARIS)
    check_golden("digest.txt", rendered.text)


def test_plain_text_reads_like_a_newsletter() -> None:
    rendered = renderer().digest(make_digest(more={"World": 4}), personal=personal(), tz=PARIS)
    lines = rendered.text.splitlines()
    assert all(len(line) <= 72 or "://" in line for line in lines)
    assert "TOP STORIES" in lines and "WORLD" in lines and "SCIENCE" in lines
    # Every article link is a numbered reference listed once at the end.
    refs = re.findall(r"^\[(\d+)\] (https://\S+)$", rendered.text, re.MULTILINE)
    assert [int(n) for n, _url in refs] == list(range(1, len(refs) + 1))
    for n, url in refs:
        assert f"[{n}]" in rendered.text.split("\nLINKS\n")[0]
        assert url.startswith(BASE)
    assert "4 more in World on the web version:" in rendered.text
    assert "Unsubscribe:      https://news.example.org/unsubscribe/UNSUB-ana-token" in lines
    assert "Springfield 12345" in lines
    assert "<p" not in rendered.text and "&amp;" not in rendered.text


def test_confirm_and_welcome_match_golden_files() -> None:
    r = renderer()
    confirm = r.confirm(email="ana@example.net", name="Ana", confirm_url=f"{BASE}/confirm/TOKEN")
    welcome = r.welcome(
        email="ana@example.net",
        name="Ana",
        preferences_url=f"{BASE}/preferences/P",
        unsubscribe_url=f"{BASE}/unsubscribe/U",
        sections=["World", "Science"],
        frequency="weekly",
        weekday="mon",
        send_at="07:00",
        timezone="Europe/Paris",
    )
    check_golden("confirm.txt", confirm.text)
    check_golden("welcome.txt", welcome.text)


# --- HTML structure --------------------------------------------------------------------------


def test_every_story_is_linked_with_its_parts() -> None:
    digest = make_digest(more={"World": 4})
    rendered = renderer().digest(digest, personal=personal(), tz=PARIS)
    doc = parse(rendered)
    links = hrefs(doc)
    text = " ".join(doc.text_content().split())
    for story in digest.stories:
        assert links[story.lead.title] == [story.lead.url]
        assert " ".join(story.lead.summary) in text
        minutes = reading_minutes(story.lead.words)
        assert f"{story.lead.source} · " in text and f"{minutes} min read" in text
        for other in story.also:
            assert other.url in links[other.source]
    also = [p for p in doc.iter("p") if p.text_content().startswith("Also reported by")]
    assert len(also) == sum(1 for s in digest.stories if s.also)
    assert links["4 more in World →"] == [f"{BASE}/archive/7?for=ana"]
    assert "Top stories" in text and "Technology" in text
    # Times are in the subscriber's zone: the first story was published 04:30 UTC.
    assert "06:30" in text
    assert "Tuesday, 3 June 2025" in text


def test_footer_links_are_personal_and_postal_address_is_shown() -> None:
    rendered = renderer().digest(make_digest(), personal=personal(), tz=PARIS)
    doc = parse(rendered)
    links = hrefs(doc)
    assert links["Unsubscribe"] == [f"{BASE}/unsubscribe/UNSUB-ana-token"]
    assert links["Preferences"] == [f"{BASE}/preferences/PREFS-ana-token"]
    assert links["View in browser"] == [f"{BASE}/archive/7?for=ana"]
    text = doc.text_content()
    assert "ana@example.net subscribed to Morning Brief" in " ".join(text.split())
    for line in POSTAL.splitlines():
        assert line in text
    assert "Hi Ana," in text
    # The header: the newsletter's title and the edition's date (subscriber's zone).
    (title,) = doc.iter("h1")
    assert title.text_content().strip() == "Morning Brief"
    (date,) = (t for t in doc.iter("time") if t.get("datetime") == "2025-06-03")
    assert date.text_content() == "Tuesday, 3 June 2025"


def test_html_is_self_contained_and_accessible() -> None:
    rendered = renderer().digest(make_digest(), personal=personal(), tz=PARIS)
    doc = parse(rendered)
    assert doc.get("lang") == "en"
    assert not list(doc.iter("script")) and "<script" not in rendered.html.lower()
    metas = {m.get("name"): m.get("content") for m in doc.iter("meta")}
    assert metas["color-scheme"] == "light dark"
    assert metas["viewport"].startswith("width=device-width")
    styles = " ".join(s.text_content() for s in doc.iter("style"))
    assert "prefers-color-scheme: dark" in styles
    assert "@import" not in styles and not re.search(r"url\(", styles)
    assert not list(doc.iter("link")), "no stylesheets or fonts to fetch"
    for element in doc.iter():
        for attribute in ("src", "srcset", "background", "poster", "data"):
            assert element.get(attribute) is None, f"<{element.tag} {attribute}> loads something"
        assert "url(" not in (element.get("style") or "")
        if element.tag == "img":
            assert element.get("alt") is not None
    for a in doc.iter("a"):
        assert a.get("href", "").startswith("https://")
    # No address anywhere but in links, Outlook's conditional comments included.
    links = {a.get("href") for a in doc.iter("a")}
    found = {html.unescape(u) for u in re.findall(r"(?:https?:)?//[^\s\"'<>)]+", rendered.html)}
    assert found - links <= {"http://www.w3.org/1999/xhtml"}, "only links may name addresses"
    assert "max-width:600px" in rendered.html
    assert "-apple-system" in rendered.html and "fonts.googleapis" not in rendered.html
    # The preheader: the first stories' titles in one hidden line at the top of the body.
    preheader = doc.body[0]
    assert "display:none" in preheader.get("style", "")
    assert preheader.text_content().startswith(rendered.preheader)
    assert rendered.preheader.startswith(
        "Barges move again on the lower Danube after weeks of low water · Andean towns"
    )
    assert rendered.subject == (
        "Morning Brief: Barges move again on the lower Danube after weeks of low water and 7 more"
    )
    assert rendered.items == 8 and rendered.overflow == 0
    assert rendered.size == len(rendered.html.encode("utf-8"))


def test_hostile_text_is_escaped() -> None:
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    digest = Digest(
        since=NOW - timedelta(days=1),
        until=NOW,
        top=(),
        sections=(
            DigestSection(
                name="World <b>",
                stories=(
                    Story(
                        lead=article(
                            1, "World <b>", f"Title {hostile}", summary=(f"Summary {hostile}",)
                        ),
                        also=(article(2, "World", "x", source=f"Src {hostile}"),),
                    ),
                    Story(lead=article(3, "World", "Bad link", url="javascript:alert(1)")),
                ),
            ),
        ),
    )
    who = Personal(
        email="e@example.net",
        name='<img src="x">Eve',
        unsubscribe_url=f"{BASE}/unsubscribe/a?b=1&c=2",
        preferences_url=f"{BASE}/p",
        web_url=f"{BASE}/w",
    )
    rendered = renderer().digest(digest, personal=who, tz=PARIS)
    doc = parse(rendered)
    assert not list(doc.iter("script")) and not list(doc.iter("img")) and not list(doc.iter("b"))
    text = doc.text_content()
    assert f"Title {hostile}" in text and f"Summary {hostile}" in text
    assert '<img src="x">Eve' in text
    assert "&lt;script&gt;" in rendered.html
    assert hrefs(doc)["Unsubscribe"] == [f"{BASE}/unsubscribe/a?b=1&c=2"]
    assert "javascript:" not in rendered.html and "javascript:" not in rendered.text
    assert "Bad link" in text and "Bad link" not in hrefs(doc)
    # The plain text is plain: titles appear as they are, nothing is escaped.
    assert f"Title {hostile}"[:30] in rendered.text


def test_personal_links_must_be_http_or_mailto() -> None:
    who = Personal(
        email="a@example.net",
        unsubscribe_url="javascript:alert(1)",
        preferences_url=f"{BASE}/p",
        web_url=f"{BASE}/w",
    )
    with pytest.raises(RenderError, match="unsubscribe_url"):
        renderer().digest(make_digest(), personal=who)


def test_empty_digest_says_nothing_new() -> None:
    empty = Digest(since=NOW - timedelta(days=1), until=NOW, top=(), sections=())
    rendered = renderer().digest(empty, personal=personal(name=""), tz=PARIS)
    assert rendered.subject == "Morning Brief: nothing new"
    assert "Nothing new since Mon 2 Jun, 07:30." in rendered.text
    assert "Hi " not in rendered.text and rendered.items == 0


# --- size budget -----------------------------------------------------------------------------


def test_a_digest_of_200_stories_stays_under_budget_with_whole_stories() -> None:
    digest = big_digest(200)
    r = renderer()
    rendered = r.digest(digest, personal=personal(), tz=PARIS)
    assert rendered.size < HTML_SIZE_LIMIT
    assert len(rendered.html.encode("utf-8")) == rendered.size
    assert rendered.overflow > 0
    assert rendered.items + rendered.overflow == len(digest.stories)
    assert r.compiles <= 8, "the fit searches; it does not compile once per story"
    doc = parse(rendered)
    links = hrefs(doc)
    text = " ".join(doc.text_content().split())
    kept = [s for s in digest.stories if s.lead.title in links]
    assert len(kept) == rendered.items
    for story in kept:  # never half a story
        assert links[story.lead.title] == [story.lead.url]
        assert " ".join(story.lead.summary) in text
    for section in digest.sections:  # stories leave from the end of their sections
        shown = [s.lead.title in links for s in section.stories]
        assert shown == sorted(shown, reverse=True)
        dropped = shown.count(False)
        if dropped:
            assert links[f"{dropped} more in {section.name} →"]
    assert all(s.lead.title in links for s in digest.top)
    assert f"{rendered.overflow} more stories are only on the web version" in text
    assert links["Read all stories on the web version →"] == [f"{BASE}/archive/7?for=ana"]
    # The plain text carries the same stories.
    assert f"{rendered.overflow} more stories are only on the web version" in " ".join(
        rendered.text.split()
    )


def test_lowest_ranked_stories_go_first() -> None:
    digest = big_digest(60)
    small = renderer(size_limit=30_000)
    rendered = small.digest(digest, personal=personal(), tz=PARIS)
    assert 0 < rendered.overflow < 57 and rendered.size <= 30_000
    links = hrefs(parse(rendered))
    kept = [s.score for s in digest.stories[3:] if s.lead.title in links]
    gone = [s.score for s in digest.stories[3:] if s.lead.title not in links]
    assert min(kept) >= max(gone)


def test_long_personal_values_still_fit() -> None:
    digest = big_digest(200)
    long_url = f"{BASE}/unsubscribe/{'x' * 2000}"
    who = Personal("a@example.net", long_url, f"{BASE}/p", f"{BASE}/w/{'y' * 1500}")
    rendered = renderer().digest(digest, personal=who, tz=PARIS)
    assert rendered.size < HTML_SIZE_LIMIT
    assert long_url in rendered.html


# --- caching and personalisation -------------------------------------------------------------


def test_subscribers_with_the_same_content_share_one_compile() -> None:
    r = renderer()
    digest = make_digest()
    first = r.digest(digest, personal=personal("ana"), tz=PARIS)
    second = r.digest(make_digest(), personal=personal("bob", "Bob"), tz=PARIS)
    assert r.compiles == 1
    assert first.subject == second.subject
    r.digest(digest, personal=personal("cy", ""), tz=PARIS)  # no name: another variant
    r.digest(digest, personal=personal("dee", ""), tz=PARIS)
    assert r.compiles == 2
    r.digest(digest, personal=personal("eve"), tz=ZoneInfo("Asia/Tokyo"))  # other zone
    assert r.compiles == 3
    fewer = make_digest(HEADLINES[:4])
    r.digest(fewer, personal=personal("fay"), tz=PARIS)  # other sections
    assert r.compiles == 4
    uncached = renderer(cache_size=0)
    for who in ("ana", "bob"):
        uncached.digest(digest, personal=personal(who), tz=PARIS)
    assert uncached.compiles == 2


def test_personal_values_never_leak_between_subscribers() -> None:
    r = renderer()
    digest = make_digest()
    ana = r.digest(digest, personal=personal("ana", "Ana"), tz=PARIS)
    bob = r.digest(digest, personal=personal("bob", "Bob"), tz=PARIS)
    ana_again = r.digest(digest, personal=personal("ana", "Ana"), tz=PARIS)
    assert ana == ana_again
    for part in (bob.html, bob.text):
        for trace in ("ana@example.net", "UNSUB-ana", "PREFS-ana", "for=ana", "Hi Ana"):
            assert trace not in part
        assert "UNSUB-bob-token" in part and "PREFS-bob-token" in part
        assert "Bob" in part and "bob@example.net" in part
    assert "@@dg" not in ana.html + ana.text + bob.html + bob.text


def test_date_follows_the_subscribers_time_zone() -> None:
    late = Digest(
        since=NOW,
        until=datetime(2025, 6, 3, 22, 30, tzinfo=UTC),
        top=(),
        sections=make_digest().sections,
    )
    r = renderer()
    paris = r.digest(late, personal=personal(), tz=PARIS)
    new_york = r.digest(late, personal=personal(), tz=ZoneInfo("America/New_York"))
    assert r.compiles == 2
    assert "Wednesday, 4 June 2025" in paris.text and "since Tue 3 Jun, 07:30." in paris.text
    assert "Tuesday, 3 June 2025" in new_york.text and "since Tue 3 Jun, 01:30." in new_york.text
    assert "Tuesday, 3 June 2025" in parse(new_york).text_content()


# --- templates: escaping rules, overrides, errors --------------------------------------------


def test_autoescape_is_chosen_by_file_name() -> None:
    env = renderer().env
    assert callable(env.autoescape)
    assert env.autoescape("email/digest.mjml.j2") is True
    assert env.autoescape("web/confirm.html") is True
    assert env.autoescape("email/digest.txt.j2") is False


def test_no_template_marks_markup_safe() -> None:
    """Only ``article_html`` (which sanitises) may mark markup safe; templates never do."""
    folder = renderer().folders[-1]
    templates = sorted(folder.glob("*/*.j2")) + sorted(folder.glob("*/*.html"))
    assert len(templates) > 10
    unsafe = re.compile(r"\|\s*safe\b|autoescape\s+false|Markup", re.IGNORECASE)
    offenders = [
        f"{path.relative_to(folder)}:{n}"
        for path in templates
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if unsafe.search(line)
    ]
    assert offenders == []


def test_page_renders_web_templates_escaped() -> None:
    page = renderer().page("confirm", newsletter="<b>News</b>", action="/confirm/abc")
    assert "&lt;b&gt;News&lt;/b&gt;" in page and "<b>News" not in page
    assert 'action="/confirm/abc"' in page


def test_article_html_filter_sanitises(tmp_path: Path) -> None:
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "article.html").write_text("{{ body | article_html }}|{{ body }}")
    out = renderer(tmp_path).page("article", body='<p onclick="x()">Hi<script>x()</script></p>')
    safe, escaped = out.split("|")
    assert safe == "<p>Hi</p>"
    assert escaped.startswith("&lt;p onclick")


def test_operator_override_wins(tmp_path: Path) -> None:
    (tmp_path / "email").mkdir()
    builtin = Path(__file__).parents[1] / "templates" / "email" / "_story.mjml.j2"
    source = builtin.read_text(encoding="utf-8").replace("Also reported by", "Also covered by")
    (tmp_path / "email" / "_story.mjml.j2").write_text(source, encoding="utf-8")
    (tmp_path / "email" / "digest.txt.j2").write_text("Operator text for {{ recipient.email }}\n")
    rendered = renderer(tmp_path).digest(make_digest(), personal=personal(), tz=PARIS)
    assert "Also covered by" in rendered.html and "Also reported by" not in rendered.html
    assert rendered.text == "Operator text for ana@example.net\n"
    assert "Also reported by" in renderer().digest(make_digest(), personal=personal()).html


def test_broken_override_names_template_and_line(tmp_path: Path) -> None:
    (tmp_path / "email").mkdir()
    broken = tmp_path / "email" / "digest.txt.j2"
    broken.write_text("{{ newsletter.title }}\n\n{% for s in top %}\n{{ s.title }\n{% endfor %}\n")
    with pytest.raises(RenderError) as caught:
        renderer(tmp_path).digest(make_digest(), personal=personal())
    message = str(caught.value)
    assert message.startswith(f"{broken}:4: ")
    assert "\n" not in message
    assert isinstance(caught.value, DigestError) and isinstance(caught.value, ValueError)


def test_undefined_variable_is_an_error_naming_the_line(tmp_path: Path) -> None:
    (tmp_path / "email").mkdir()
    template = tmp_path / "email" / "confirm.txt.j2"
    template.write_text("Hello\n{{ recipient.email }}\n{{ confirm_link }}\n")
    with pytest.raises(RenderError) as caught:
        renderer(tmp_path).confirm(email="a@example.net", confirm_url=f"{BASE}/confirm/t")
    assert str(caught.value) == f"{template}:3: 'confirm_link' is undefined"


def test_undefined_attribute_in_a_partial_names_the_partial(tmp_path: Path) -> None:
    (tmp_path / "email").mkdir()
    partial = tmp_path / "email" / "_story.mjml.j2"
    builtin = Path(__file__).parents[1] / "templates" / "email" / "_story.mjml.j2"
    lines = builtin.read_text(encoding="utf-8").splitlines()
    at = next(n for n, line in enumerate(lines) if "{{ s.summary }}" in line)
    lines[at] = lines[at].replace("s.summary", "s.summmary")
    partial.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(RenderError, match=rf"^{re.escape(str(partial))}:{at + 1}: .*summmary"):
        renderer(tmp_path).digest(make_digest(), personal=personal())


def test_invalid_mjml_names_the_template(tmp_path: Path) -> None:
    (tmp_path / "email").mkdir()
    template = tmp_path / "email" / "confirm.mjml.j2"
    template.write_text(
        "<mjml>\n  <mj-body>\n    <mj-section>\n      <mj-column>\n"
        "        <mj-text>{{ confirm_url }}</mj-text>\n    </mj-section>\n  </mj-body>\n</mjml>\n"
    )
    with pytest.raises(RenderError) as caught:
        renderer(tmp_path).confirm(email="a@example.net", confirm_url=f"{BASE}/confirm/t")
    message = str(caught.value)
    assert str(template) in message and "invalid MJML" in message
    assert re.search(r":\d+: invalid MJML|line \d+ of its output", message)
    assert "\n" not in message


def test_a_stray_closing_tag_is_blamed_on_the_template_that_has_it(tmp_path: Path) -> None:
    # MRML reports this where the layout's wrapper ends; the stray tag is in digest.mjml.j2.
    (tmp_path / "email").mkdir()
    template = tmp_path / "email" / "digest.mjml.j2"
    builtin = Path(__file__).parents[1] / "templates" / "email" / "digest.mjml.j2"
    source = builtin.read_text(encoding="utf-8")
    stray = source.replace("{% endif %}\n{% endblock %}", "{% endif %}\n</mj-text>\n{% endblock %}")
    assert stray != source
    template.write_text(stray, encoding="utf-8")
    with pytest.raises(RenderError) as caught:
        renderer(tmp_path).digest(make_digest(), personal=personal())
    message = str(caught.value)
    assert message.startswith(f"{template}: invalid MJML"), message
    assert "('</mj-text>')" in message and "mj-text" in message
    assert "_layout" not in message and "\n" not in message


def test_missing_template_is_a_render_error(tmp_path: Path) -> None:
    (tmp_path / "email").mkdir()
    (tmp_path / "email" / "welcome.txt.j2").write_text('{% include "email/nope.txt.j2" %}')
    with pytest.raises(RenderError, match=r"email/nope\.txt\.j2 not found"):
        renderer(tmp_path).welcome(
            email="a@example.net", preferences_url=f"{BASE}/p", unsubscribe_url=f"{BASE}/u"
        )


def test_reload_drops_compiled_digests_when_a_template_changes(tmp_path: Path) -> None:
    (tmp_path / "email").mkdir()
    text = tmp_path / "email" / "digest.txt.j2"
    text.write_text("one\n")
    r = renderer(tmp_path, reload=True)
    assert r.digest(make_digest(), personal=personal()).text == "one\n"
    text.write_text("two\n")
    os.utime(text, ns=(1, 10**18))
    assert r.digest(make_digest(), personal=personal()).text == "two\n"


# --- the other emails ------------------------------------------------------------------------


def test_confirmation_mail_has_the_button_and_says_when_it_expires() -> None:
    rendered = renderer().confirm(
        email="ana@example.net", name="Ana", confirm_url=f"{BASE}/confirm/TOKEN?x=1&y=2"
    )
    doc = parse(rendered)
    links = hrefs(doc)
    assert links["Confirm my subscription"] == [f"{BASE}/confirm/TOKEN?x=1&y=2"]
    text = " ".join(doc.text_content().split())
    assert "expires in 7 days" in text and "ignore this email" in text
    assert "expires in 7 days" in rendered.text and f"{BASE}/confirm/TOKEN?x=1&y=2" in rendered.text
    assert rendered.subject == "Confirm your subscription to Morning Brief"
    assert not list(doc.iter("script")) and not list(doc.iter("link"))


def test_welcome_mail_says_what_and_when_with_links() -> None:
    rendered = renderer().welcome(
        email="ana@example.net",
        preferences_url=f"{BASE}/preferences/P",
        unsubscribe_url=f"{BASE}/unsubscribe/U",
        frequency="daily",
        send_at="07:00",
        timezone="Europe/Paris",
    )
    links = hrefs(parse(rendered))
    assert links["Preferences"] == [f"{BASE}/preferences/P"]
    assert links["Unsubscribe"] == [f"{BASE}/unsubscribe/U"]
    text = " ".join(rendered.text.split())
    assert "every day at 07:00 (Europe/Paris time)" in text
    assert "You get every section." in text
    assert rendered.subject == "Welcome to Morning Brief"


def test_reading_time() -> None:
    assert [reading_minutes(w) for w in (0, 1, 230, 231, 1200)] == [0, 1, 1, 2, 6]


# --- the benchmark ---------------------------------------------------------------------------


def test_render_benchmark_prints_both_ways_measured_in_one_run() -> None:
    bench = Path(__file__).parents[1] / "bench" / "render.py"
    small = ["--subscribers", "40", "--variants", "2", "--stories", "5"]
    small += ["--naive-sample", "4", "--messages", "10", "--repeats", "1"]
    done = subprocess.run(
        [sys.executable, str(bench), *small], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    naive = [line.split() for line in lines if line.startswith("naive: Jinja + MJML per")]
    ours = [line.split() for line in lines if line.startswith("digest: once per content")]
    assert len(naive) == len(ours) == 1, done.stdout
    # columns: label ... renders/s, seconds per run, ratio against the naive way
    assert naive[0][-1] == "1.0" and float(naive[0][-3].replace(",", "")) > 0
    assert float(ours[0][-3].replace(",", "")) > 0
    assert float(ours[0][-1]) > 1.0, "rendering once per content beats the naive way"
