"""Tests of digest.gather.extract: main text and metadata of article pages.

The fixture pages under tests/fixtures/pages/ are written for these tests (fictional
content).  news_article.html puts every kind of boilerplate inside the article body,
where trafilatura alone keeps it, so that the post-cleaning is what is being tested.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import random
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from digest.gather.extract import Extracted, _title, extract_article
from digest.text.boilerplate import is_boilerplate
from tests.support.feeds import article_page, long_text

PAGES = Path(__file__).parent / "fixtures" / "pages"
NEWS_URL = "https://herald.example/news/2024/05/14/harbour-council-backs-tidal-pilot?ref=rss"


def page(name: str) -> bytes:
    return (PAGES / name).read_bytes()


@pytest.fixture(scope="module")
def news() -> Extracted:
    result = extract_article(page("news_article.html"), url=NEWS_URL)
    assert result is not None
    return result


@pytest.fixture(scope="module")
def jsonld() -> Extracted:
    result = extract_article(
        page("jsonld_article.html"), url="https://railnotes.example/2023/10/night-trains-return"
    )
    assert result is not None
    return result


@pytest.fixture(scope="module")
def blog() -> Extracted:
    # <base href> points elsewhere than the page's own folder
    result = extract_article(page("blog_post.html"), url="https://workbench.example/p/2023/radio")
    assert result is not None
    return result


# --- the news page: boilerplate out, article in ----------------------------------------------

NEWS_PARAGRAPHS = [
    "Port Wenlow's harbour council has approved a two-year pilot",
    "Councillors voted nine to two in favour on Monday evening",
    "The start-up behind the scheme, Kelpwater Energy, said",
    '"We have argued about this pier for a decade," said councillor Ruth Abernethy',
    "Opponents warned that the turbines could disturb a colony of grey seals",
    "Kelpwater Energy has agreed to fund a survey by the regional wildlife trust",
    "The harbour master, Colin Faraday, said shipping would not be affected",
    "The pilot will be reviewed after twelve months",
    "Photo agencies and amateur photographers have been asked not to fly drones",
]

NEWS_BOILERPLATE = {
    "navigation": ["Home", "Business", "Opinion"],
    "cookie notice": ["We use cookies", "Accept all cookies", "Manage preferences"],
    "share bar": ["Share this article", "Share", "Tweet", "Copy link", "Facebook"],
    "newsletter": ["Sign up for our newsletter", "Sign up now", "delivered to your inbox",
                   "straight to your inbox"],
    "app promotion": ["Download our app", "Get the app"],
    "subscription": ["Subscribe to the Herald"],
    "listen": ["Listen to this article"],
    "podcast": ["Harbour Talk podcast"],
    "related stories": ["Related stories", "What next for the old ferry pier?",
                        "Seal colony count reaches record high", "Read more:",
                        "Council budget gap widens", "More from The Northgate Herald",
                        "Wenlow Rovers", "You might also like"],
    "captions and credits": ["Photo: Dana Whitcombe", "Getty Images", "Source: AAP",
                             "(Reuters)", "Shutterstock", "A prototype turbine blade"],
    "advertisement": ["Advertisement", "ADVERTISEMENT", "Skip advertisement"],
    "teaser": ["Continue reading"],
    "footer": ["All rights reserved", "Privacy policy"],
    "headline and kicker": ["Harbour council backs tidal energy pilot", "Environment"],
}  # fmt: skip


@pytest.mark.parametrize("kind", sorted(NEWS_BOILERPLATE))
def test_news_page_text_has_no_boilerplate(news: Extracted, kind: str) -> None:
    paragraphs = news.text.split("\n\n")
    for snippet in NEWS_BOILERPLATE[kind]:
        if " " in snippet or not snippet.isalpha():
            assert snippet not in news.text, f"{kind}: {snippet!r} left in the text"
        else:  # a one-word label: no paragraph may be just that word
            assert snippet not in {p.strip(" .") for p in paragraphs}, f"{kind}: {snippet!r}"


def test_news_page_html_has_no_boilerplate(news: Extracted) -> None:
    for snippet in ("Sign up", "Accept all cookies", "Getty Images", "Advertisement", "Tweet"):
        assert snippet not in news.html


def test_news_page_keeps_every_real_paragraph_in_order(news: Extracted) -> None:
    paragraphs = news.text.split("\n\n")
    assert len(paragraphs) == len(NEWS_PARAGRAPHS)
    for paragraph, start in zip(paragraphs, NEWS_PARAGRAPHS, strict=True):
        assert paragraph.startswith(start)


def test_sentences_that_merely_mention_boilerplate_words_stay(news: Extracted) -> None:
    assert "The company said it would download the data from each turbine" in news.text
    assert "decided to share the risk with people" in news.text
    assert "Photo agencies and amateur photographers" in news.text


def test_news_page_text_format(news: Extracted) -> None:
    assert news.text == news.text.strip()
    assert "\n\n\n" not in news.text
    assert all(p and p == p.strip() and "\n" not in p for p in news.text.split("\n\n"))


def test_news_page_html_is_sanitised_paragraphs(news: Extracted) -> None:
    assert news.html.startswith("<p>Port Wenlow's harbour council")
    assert news.html.count("<p>") == len(NEWS_PARAGRAPHS)
    for forbidden in ("<script", "<form", "<nav", "<h1", "dataLayer", "<html", "<body"):
        assert forbidden not in news.html


def test_news_page_metadata(news: Extracted) -> None:
    assert news.title == "Harbour council backs tidal energy pilot"  # site name stripped
    assert news.author == "Marta Ellison"
    assert news.published == datetime(2024, 5, 14, 6, 30, tzinfo=UTC)
    assert news.published is not None
    assert news.published.utcoffset() == timedelta(hours=1)  # the page's own zone kept
    assert news.description.startswith("Councillors in Port Wenlow voted 9-2")
    assert news.language == "en"


def test_relative_image_and_canonical_urls_become_absolute(news: Extracted) -> None:
    assert news.image == "https://herald.example/media/2024/05/tidal-turbine-lead.jpg"
    assert news.canonical_url == (
        "https://herald.example/news/2024/05/14/harbour-council-backs-tidal-pilot"
    )


def test_str_and_bytes_input_give_the_same_result(news: Extracted) -> None:
    as_text = extract_article(page("news_article.html").decode("utf-8"), url=NEWS_URL)
    assert as_text == news


def test_extraction_is_deterministic(news: Extracted) -> None:
    assert extract_article(page("news_article.html"), url=NEWS_URL) == news


def test_without_url_relative_links_are_dropped_not_guessed() -> None:
    result = extract_article(page("news_article.html"))
    assert result is not None
    assert result.image == ""
    assert result.canonical_url == ""
    assert result.title == "Harbour council backs tidal energy pilot"


@pytest.mark.parametrize(
    ("title", "headline", "site", "expected"),
    [
        ("Tides turn \u2013 again | The Herald", "", "The Herald", "Tides turn \u2013 again"),
        ("The Herald :: Tides turn", "", "the herald", "Tides turn"),
        ("Tides turn | Weekly roundup", "", "The Herald", "Tides turn | Weekly roundup"),
        ("Opinion | Tides turn again?", "Tides turn again?", "Herald", "Tides turn again?"),
        ("Short social title", "A much longer visible headline on the page", None,
         "Short social title"),
        ("", "Visible headline", None, "Visible headline"),
    ],
)  # fmt: skip
def test_title_loses_site_name_and_prefers_the_visible_headline(
    title: str, headline: str, site: str | None, expected: str
) -> None:
    assert _title(title, headline, site) == expected


# --- JSON-LD, <time>, <base> -------------------------------------------------------------------


def test_json_ld_metadata(jsonld: Extracted) -> None:
    assert jsonld.title == "Night trains return to the valley line"
    assert jsonld.author == "Tomas Reyes, Ingrid Sølvberg"
    # a timestamp without a zone is taken as UTC
    assert jsonld.published == datetime(2023, 10, 2, 21, 15, tzinfo=UTC)
    assert jsonld.published is not None and jsonld.published.tzinfo is not None
    assert jsonld.image == "https://railnotes.example/2023/10/images/sleeper-carriage.jpg"
    assert jsonld.canonical_url == "https://railnotes.example/2023/10/night-trains-return"
    assert jsonld.description == (
        "Sleeper services between Aberhaven and Lisk resume after a nine-year gap."
    )
    assert jsonld.language == "en"


def test_json_ld_page_text(jsonld: Extracted) -> None:
    paragraphs = jsonld.text.split("\n\n")
    assert [p.split()[0] for p in paragraphs] == ["The", "The", "Fares", "Local"]
    assert "Night trains return" not in jsonld.text  # the headline is the title, not the text


def test_time_element_base_href_and_image_src(blog: Extracted) -> None:
    assert blog.published == datetime(2023, 11, 2, 8, 15, tzinfo=timezone(timedelta(hours=1)))
    assert blog.image == "https://workbench.example/blog/img/radio-chassis.jpg"
    assert blog.author == "Lena Hofer"
    assert blog.title == "Repairing a 1970s radio, part 2"
    assert blog.language == "de"


def test_structure_survives_in_html_and_text(blog: Extracted) -> None:
    assert "<h2>Finding the fault</h2>" in blog.html
    assert "<h2>Parts used</h2>" in blog.html  # a section h1 is demoted, not flattened
    assert "<li>Replaced two electrolytic capacitors that had bulged</li>" in blog.html
    assert "Finding the fault\n\nWith the set switched off" in blog.text
    assert "javascript:" not in blog.html
    assert "onclick" not in blog.html
    assert "trackPageview" not in blog.text + blog.html


# --- encodings ----------------------------------------------------------------------------------


def test_windows_1252_declared_in_meta() -> None:
    result = extract_article(page("windows1252.html"), url="http://lisk.example/cafe")
    assert result is not None
    assert result.title == "Café de la Gare reopens"
    assert "Lisk\u2019s station square since 1954" in result.text
    assert "cost €40,000" in result.text
    assert "the “old zinc bar” had been kept — polished" in result.text
    assert "crêpes" in result.text and "Naïve" in result.text and "£1.80" in result.text
    assert "\ufffd" not in result.text
    assert result.description == "The “Café de la Gare” reopens after a €40,000 renovation."
    assert result.language == "fr"


def test_latin1_label_is_read_as_windows_1252() -> None:
    data = page("windows1252.html").replace(b"charset=windows-1252", b"charset=ISO-8859-1")
    result = extract_article(data)
    assert result is not None
    assert "Lisk\u2019s station square" in result.text  # byte 0x92 is a quote, not a C1 control


@pytest.mark.parametrize("label", [b"utf-16", b"UTF-7", b"base64", b"x-no-such-charset"])
def test_impossible_charset_labels_fall_back_to_utf8(news: Extracted, label: bytes) -> None:
    data = page("news_article.html").replace(
        b'<meta charset="utf-8">', b'<meta charset="%s">' % label
    )
    assert data != page("news_article.html")
    result = extract_article(data, url=NEWS_URL)
    assert result is not None
    assert result.text == news.text


def test_undeclared_non_utf8_bytes_are_replaced_not_fatal() -> None:
    data = page("windows1252.html").replace(b"; charset=windows-1252", b"")
    result = extract_article(data)
    assert result is not None
    assert "\ufffd" in result.text  # decoded as UTF-8 with replacement
    assert "station square since 1954" in result.text


# --- pages without an article ----------------------------------------------------------------


def test_login_page_is_not_an_article() -> None:
    assert extract_article(page("login.html"), url="https://intranet.example/login") is None


@pytest.mark.parametrize(
    "document",
    [
        b"",
        "",
        b"   \n\t",
        b"\x00" * 64,
        b"\xff\xfe\xfd not html at all",
        "plain words without any markup at all, however long they go on and on",
        "<html><head><title>Nothing</title></head><body></body></html>",
        "<html><body><p>Too short to be an article.</p></body></html>",
        b"<html><body>" + random.Random(7).randbytes(4000) + b"</body></html>",
        random.Random(11).randbytes(4000),
        "<p>" + "\ufffd" * 400 + "</p>",
    ],
    ids=lambda value: repr(value[:24]),
)
def test_garbage_gives_none(document: str | bytes) -> None:
    assert extract_article(document, url="http://[broken") is None


# --- the paragraph classifier -------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "Share", "Share this article", "Tweet", "Copy link", "Facebook Twitter Email",
        "Sign up now", "Sign up for our newsletter", "Download our apps", "Get the app",
        "Subscribe to the Morning Briefing", "Listen to this article", "Listen to Newsbeat live",
        "Related: Ten towns to visit this summer", "Read more: Budget gap widens",
        "More from Sport", "You might also like", "We use cookies to improve your experience.",
        "Accept all cookies", "Photo: Jane Doe / Reuters", "Image: Getty Images",
        "Source: AAP / Supplied", "(Reuters)", "AFP via Getty Images", "(AP Photo/Evan Vucci)",
        "Advertisement", "ADVERTISEMENT", "Skip advertisement", "Continue reading",
        "Read more", "Home \u203a News \u203a Environment",
        "© 2024 Example Media. All rights reserved.",
        "Updated: 14 May 2024, 09:01 AM", "Follow us on Instagram and TikTok",
        "Story continues below advertisement",
    ],
)  # fmt: skip
def test_boilerplate_lines(line: str) -> None:
    assert is_boilerplate(line)


@pytest.mark.parametrize(
    "line",
    [
        "The company said it would download the data from each turbine every week.",
        "She told Reuters the deal was close.",
        "Investors who share the concern sold the stock on Tuesday.",
        "The photo, taken in 1962, shows the pier before the fire.",
        "Regulators said websites must make it as easy to refuse cookies as to accept them.",
        "Subscribers to the service rose by 12% last year, the company said.",
        "Listeners to the station's morning show called in to complain.",
        "More than 400 homes will be powered by the turbines.",
        "Advertising revenue fell sharply in the first quarter.",
        "Read the room, the coach told his players before the final.",
        "Related companies in the group reported similar losses.",
        "Copyright infringement cases rose in 2023.",
        "10 p.m.",
    ],
)
def test_real_sentences_are_not_boilerplate(line: str) -> None:
    assert not is_boilerplate(line)


def _undated_article(footer: str) -> str:
    paragraphs = "".join(
        f"<p>Paragraph {n} of a report on the harbour crane strike, which entered its "
        f"second week on Monday as talks between the union and port operators stalled "
        f"again over shift patterns and pay.</p>"
        for n in range(1, 7)
    )
    return (
        "<html><head><title>Crane strike enters second week</title></head><body>"
        f"<article><h1>Crane strike enters second week</h1>{paragraphs}</article>"
        f"<footer><p>{footer}</p></footer></body></html>"
    )


@pytest.mark.parametrize(
    "footer", ["&copy; 2024 Example News", "Copyright 2019-2024 Example News", "(c) 2024 Example"]
)
def test_copyright_year_is_not_a_publication_date(footer: str) -> None:
    extracted = extract_article(_undated_article(footer), url="https://news.example/strike")
    assert extracted is not None
    assert extracted.published is None


def test_a_dated_page_keeps_its_date_despite_a_copyright_line() -> None:
    page_text = _undated_article("&copy; 2024 Example News").replace(
        "</head>",
        '<meta property="article:published_time" content="2024-03-05T08:00:00Z"></head>',
    )
    extracted = extract_article(page_text, url="https://news.example/strike")
    assert extracted is not None
    assert extracted.published == datetime(2024, 3, 5, 8, 0, tzinfo=UTC)


# --- the benchmark -----------------------------------------------------------------------------

BENCH = Path(__file__).resolve().parent.parent / "bench" / "extraction.py"


def _bench(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(BENCH), *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_extraction_benchmark_scores_both_extractors(tmp_path: Path) -> None:
    """bench/extraction.py on a two-page data set in the shared format (the real one is
    ../shared/eval/extraction-dev): gzip'd pages named by sha256, and ground-truth.json."""
    data = tmp_path / "data"
    data.mkdir()
    truth = {}
    for topic in ("the river crossing", "the night market"):
        html = article_page(topic.title(), topic).encode("utf-8")
        key = hashlib.sha256(html).hexdigest()
        (data / f"{key}.html.gz").write_bytes(gzip.compress(html))
        body = re.sub(r"<[^>]+>", "\n", long_text(topic, 5))
        truth[key] = {"url": f"https://news.example/{key[:8]}", "articleBody": body}
    (data / "ground-truth.json").write_text(json.dumps(truth), encoding="utf-8")

    result = _bench("--data", str(data), "--repeat", "1", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"2 pages from {data}" in result.stdout
    scores = {}
    for name in ("digest extract_article", "plain trafilatura"):
        row = re.search(rf"^{name} +([\d.]+) +([\d.]+) +([\d.]+) +([\d.]+)$", result.stdout,
                        re.MULTILINE)  # fmt: skip
        assert row, result.stdout
        scores[name] = [float(value) for value in row.groups()]
    precision, recall, f1, _speed = scores["digest extract_article"]
    assert precision > 0.9 and recall > 0.9 and f1 > 0.9, result.stdout
    assert re.search(r"^F1 ratio \(ours / plain\): \d+\.\d{4}$", result.stdout, re.MULTILINE)


def test_extraction_benchmark_without_data_says_so(tmp_path: Path) -> None:
    result = _bench("--data", str(tmp_path / "none"), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("error: no extraction data at ")


# --- the boilerplate pre-checks (a speed-up) must not change what is_boilerplate finds ------

from re import _constants as _sre  # noqa: E402  (the parsed form of a pattern)
from re import _parser as _sre_parser  # noqa: E402
from typing import Any  # noqa: E402

from digest.text import boilerplate as _boilerplate  # noqa: E402
from digest.text.boilerplate import _Rule  # noqa: E402

# Letters IGNORECASE matches with "i", "s" and "k" although str.lower() does not give those.
_TRAPS = {"i": "\u0131\u0130", "s": "\u017f", "k": "\u212a"}
_FILLER = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,:;!?'\"/|()-@_"
_FILLER += "\u00a9\u00bb\u203a\u2019\u201c\u201d\u2013\u00e9\u00df\u4e2d\u0131\u017f\u212a"
_CATEGORIES = {
    _sre.CATEGORY_DIGIT: re.compile(r"\d"),
    _sre.CATEGORY_NOT_DIGIT: re.compile(r"\D"),
    _sre.CATEGORY_SPACE: re.compile(r"\s"),
    _sre.CATEGORY_NOT_SPACE: re.compile(r"\S"),
    _sre.CATEGORY_WORD: re.compile(r"\w"),
    _sre.CATEGORY_NOT_WORD: re.compile(r"\W"),
}


def _in_class(char: str, items: list[tuple[Any, Any]]) -> bool:
    negate = found = False
    for op, value in items:
        if op is _sre.NEGATE:
            negate = True
        elif op is _sre.LITERAL:
            found |= char == chr(value)
        elif op is _sre.RANGE:
            low, high = value
            found |= low <= ord(char) <= high
        elif op is _sre.CATEGORY:
            found |= bool(_CATEGORIES[value].fullmatch(char))
        else:
            raise AssertionError(f"unexpected {op} in a character class")
    return found != negate


def _random_match(pattern: re.Pattern[str], rng: random.Random) -> str:
    """A random string built from *pattern*'s parse tree, in random case with the letters
    IGNORECASE equates thrown in; it may miss (assertions and \\b are not honoured)."""
    out: list[str] = []

    def letter(char: str, fold: bool) -> str:
        if not fold or not char.isalpha():
            return char
        choice = rng.random()
        if choice < 0.1 and char.lower() in _TRAPS:
            return rng.choice(_TRAPS[char.lower()])
        return char.upper() if choice < 0.4 else char.lower()

    def emit(items: Any, fold: bool) -> None:
        for op, value in items:
            if op is _sre.LITERAL:
                out.append(letter(chr(value), fold))
            elif op is _sre.NOT_LITERAL:
                out.append(rng.choice([c for c in _FILLER if c.lower() != chr(value)]))
            elif op is _sre.ANY:
                out.append(" " if rng.random() < 0.3 else rng.choice(_FILLER))
            elif op is _sre.IN:
                literals = [chr(v) for o, v in value if o is _sre.LITERAL]
                pool = [c for c in _FILLER + "".join(literals) if _in_class(c, value)]
                out.append(letter(rng.choice(pool), fold))
            elif op is _sre.BRANCH:
                emit(rng.choice(value[1]), fold)
            elif op is _sre.SUBPATTERN:
                _group, add, remove, sub = value
                emit(sub, (fold or bool(add & re.I)) and not remove & re.I)
            elif op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT):
                low, high, sub = value
                for _ in range(rng.randint(low, min(high, low + 3))):
                    emit(sub, fold)
            elif op is _sre.AT and value is _sre.AT_BOUNDARY:
                if out and re.match(r"\w", out[-1]) and rng.random() < 0.5:
                    out.append(" ")  # more often a word boundary where one is needed
            elif op not in (_sre.AT, _sre.ASSERT, _sre.ASSERT_NOT):
                raise AssertionError(f"unexpected {op} in {pattern.pattern!r}")

    emit(_sre_parser.parse(pattern.pattern, pattern.flags), bool(pattern.flags & re.I))
    return "".join(out)


def _slow_is_boilerplate(paragraph: str) -> bool:
    """is_boilerplate as first written: every pattern, no pre-checks, no shortcuts."""
    line = " ".join(paragraph.split())
    if not line:
        return True
    key = _boilerplate._NON_WORD.sub(" ", line.casefold()).strip()
    if not key:
        return True
    if key in _boilerplate._LABELS:
        return True
    words = key.split()
    if (
        len(words) <= 12
        and set(words) <= _boilerplate._SHARE_WORDS
        and _boilerplate._SHARE_KEYS & set(words)
    ):
        return True
    if len(words) <= 20 and _boilerplate._MENU.match(line):
        return True
    count = len(_boilerplate._WORD.findall(line))
    return any(count <= rule.words and rule.pattern.search(line) for rule in _boilerplate._PATTERNS)


# The generator does not honour look-aheads: matches of the dateline patterns, by hand.
_DATELINES = [
    f"{day} {month} {year}{time}"
    for day in ("14", "Mon 3", "Tuesday, 12th", "Tue\u017fday 1st")
    for month in ("May", "June", "DEC.", "Ma\u0131")
    for year in ("2019", "1998", "2024,")
    for time in ("", " 09:01 GMT", " at 10:00 am", " 5 hours ago", " - Updated")
]


def _passes_prechecks(rule: _Rule, text: str) -> bool:
    lowered = text.lower()
    return (not rule.starts or lowered.startswith(rule.starts)) and (
        not rule.needs or any(needed in lowered for needed in rule.needs)
    )


@pytest.mark.parametrize(
    "index", range(len(_boilerplate._PATTERNS)), ids=lambda index: f"rule-{index}"
)
def test_boilerplate_precheck_holds_on_every_match_of_its_pattern(index: int) -> None:
    rule = _boilerplate._PATTERNS[index]
    rng = random.Random(index)
    matched = 0
    for sample in [_random_match(rule.pattern, rng) for _ in range(300)] + _DATELINES:
        found = rule.pattern.search(sample)
        if not found:
            continue
        matched += 1
        if not _boilerplate.CASE_TRAPS.search(sample):
            # what the pre-check sees holds on the match alone, whatever surrounds it
            assert _passes_prechecks(rule, found.group(0)), (sample, rule)
        for text in (sample, f"{sample} and then some", f"Also {sample}"):
            assert is_boilerplate(text) is _slow_is_boilerplate(text), text
    assert matched >= 20, f"the generator rarely matches {rule.pattern.pattern!r}"


def test_boilerplate_prechecks_are_lower_case_with_no_letter_beyond_ascii() -> None:
    for rule in _boilerplate._PATTERNS:
        for literal in rule.starts + rule.needs:
            assert literal and literal == literal.lower()
            assert all(c.isascii() or not c.isalpha() for c in literal), literal
            assert not _boilerplate.CASE_TRAPS.search(literal)


def test_the_case_traps_are_every_letter_ignorecase_or_lower_ties_to_ascii() -> None:
    """Beyond these, a pattern's ASCII letter matches exactly the characters that
    str.lower() turns into it, one for one, so the pre-checks can work on lower()."""
    ascii_letter = re.compile("[a-z]", re.IGNORECASE)
    tied = {
        char
        for char in map(chr, range(0x80, sys.maxunicode + 1))
        if ascii_letter.fullmatch(char) or re.search("[a-z]", char.lower())
    }
    assert tied == set("\u0130\u0131\u017f\u212a")
    assert all(_boilerplate.CASE_TRAPS.fullmatch(char) for char in tied)


def test_plain_symbols_separate_words_as_spaces_do() -> None:
    for symbol in _boilerplate._PLAIN_SYMBOLS:
        assert not symbol.isascii()
        assert re.fullmatch(r"\W", symbol), symbol
        assert symbol.lower() == symbol
        assert _boilerplate._NON_WORD.fullmatch(symbol.casefold()), symbol
        assert not _boilerplate.CASE_TRAPS.search(symbol)


def test_no_label_or_share_bar_is_longer_than_the_widget_limit() -> None:
    assert (
        max(len(label.split()) for label in _boilerplate._LABELS) <= _boilerplate.MAX_WIDGET_WORDS
    )
    assert _boilerplate.MAX_WIDGET_WORDS >= 12


@pytest.mark.parametrize(
    "line",
    [
        "Cl\u0131ck here to see the full gallery",  # dotless i
        "CL\u0130CK HERE for more",  # dotted capital I
        "Click here for more",
        "\u017fign up for our newsletter to get updates",  # long s
        "Sign up for our newsletter to get updates",
        "Follow us on Twitter",
        "Photo: Jane Doe / Reuters",
        "Photo: Jane Doe / Reuters \u2013 Getty Images",
        "Photo_credit: Jane Doe / Reuters",
        "\u212aeep reading",  # Kelvin sign
        "Keep reading",
        "Continue\u00a0reading",
        "Share \u2022 Tweet \u2022 Email",
        "Home \u203a News \u203a Environment",
        "Related \u00bb Ten towns to visit this summer",
        "Published: 14 May 2024, 09:01 \u2013 updated",
        "The council\u2019s vote was nine to two, said the council\u2019s leader.",
        "\u201cWe are delighted,\u201d said the chief executive of Kelpwater Energy.",
        "Stra\u00dfe und Br\u00fccke: die Stadt baut neu",
        "\u00a9 2024 Example Media. All rights reserved.",
        "A\u0345B share",
        "snake_case share tweet",
        "___",
        "\u4e2d\u6587 \u00b7 share",
    ],
)
def test_boilerplate_shortcuts_agree_with_the_full_patterns(line: str) -> None:
    assert is_boilerplate(line) is _slow_is_boilerplate(line)


def test_precheck_falls_back_for_letters_that_ignorecase_equates() -> None:
    assert is_boilerplate("Cl\u0131ck here to see the full gallery")
    assert is_boilerplate("\u212aeep reading the rest")
    assert is_boilerplate("\u017fign up for our newsletter to get the latest updates")
