"""The rendered emails in a real browser: Debian's Chromium driven by Playwright.

No browser is ever downloaded: the test uses ``$DIGEST_TEST_CHROMIUM`` or
``/usr/bin/chromium``.  It is skipped only when neither exists and the variable
is unset; when the variable names a missing file the test fails.  A failing
test leaves a screenshot in ``tests/artifacts/`` (or ``$DIGEST_TEST_ARTIFACTS``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from digest.mail.render import RenderedEmail
from tests.test_render import PARIS, big_digest, make_digest, personal, renderer

pytestmark = pytest.mark.browser

CHROMIUM_ENV = "DIGEST_TEST_CHROMIUM"
DEFAULT_CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(
    os.environ.get("DIGEST_TEST_ARTIFACTS", Path(__file__).parent / "artifacts")
).resolve()
PHONE, DESKTOP = 375, 800

# For every element holding text: its colour, the first opaque background behind
# it, and the WCAG contrast ratio between them.
CONTRAST_JS = """
() => {
  const rgb = (s) => (s.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (el) => {
    for (; el; el = el.parentElement) {
      const c = rgb(getComputedStyle(el).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const out = [];
  for (const el of document.body.querySelectorAll("*")) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    const style = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    if (!own || style.display === "none" || box.width === 0 || style.opacity === "0") continue;
    if (el.closest('[style*="display:none"]')) continue;
    const a = lum(rgb(style.color)), b = lum(background(el));
    out.push({
      text: el.textContent.trim().slice(0, 40),
      ratio: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05),
      size: parseFloat(style.fontSize),
    });
  }
  return out;
}
"""


def chromium_path() -> str:
    configured = os.environ.get(CHROMIUM_ENV)
    if configured:
        if not Path(configured).is_file():
            pytest.fail(f"{CHROMIUM_ENV}={configured} does not exist (install Debian's chromium)")
        return configured
    if not Path(DEFAULT_CHROMIUM).is_file():
        pytest.skip(f"no Chromium at {DEFAULT_CHROMIUM} and {CHROMIUM_ENV} is unset")
    return DEFAULT_CHROMIUM


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = chromium_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable, headless=True, args=["--no-sandbox"]
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def digest_email() -> RenderedEmail:
    headlines = [
        ("World", "Barges move again on the lower Danube after weeks of low water"),
        ("World", "A title with an unbreakable word: " + "Donaudampfschifffahrt" * 3),
        ("Technology", "City council open-sources its building permit software"),
        ("Science", "Comet debris may bring a meteor outburst next week"),
    ]
    return renderer().digest(make_digest(headlines, more={"World": 3}), personal=personal())


@contextmanager
def page_at(browser: Any, width: int, html: str, name: str, scheme: str = "light") -> Iterator[Any]:
    """A page showing *html* at *width*; on failure, a full-page screenshot is kept."""
    context = browser.new_context(
        viewport={"width": width, "height": 900}, color_scheme=scheme, java_script_enabled=True
    )
    requests: list[str] = []
    context.on("request", lambda request: requests.append(request.url))
    page = context.new_page()
    page.set_content(html, wait_until="load")
    try:
        yield page
        assert [u for u in requests if re.match(r"https?:", u)] == [], "remote resources loaded"
    except BaseException:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shot = ARTIFACTS / f"{name}-{width}-{scheme}.png"
        page.screenshot(path=str(shot), full_page=True)
        print(f"screenshot saved: {shot}")
        raise
    finally:
        context.close()


def overflow(page: Any) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth"))


def test_phone_width_has_no_horizontal_scrolling(browser: Any, digest_email: RenderedEmail) -> None:
    with page_at(browser, PHONE, digest_email.html, "digest") as page:
        assert overflow(page) <= PHONE
        for link in page.locator("h3 a").all():
            box = link.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE
        summary = page.locator("p", has_text="Officials said on Monday").first
        assert float(summary.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) >= 15
        assert page.get_by_role("link", name="Unsubscribe").is_visible()


def test_desktop_width_shows_a_600px_column(browser: Any, digest_email: RenderedEmail) -> None:
    with page_at(browser, DESKTOP, digest_email.html, "digest") as page:
        assert overflow(page) <= DESKTOP
        card = page.locator(".card").first.bounding_box()
        assert card is not None and abs(card["width"] - 600) <= 2
        assert abs(card["x"] - (DESKTOP - 600) / 2) <= 2  # centred
        title = page.locator("h3 a").first.bounding_box()
        assert title is not None and card["x"] < title["x"] < card["x"] + card["width"]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_text_contrast_passes_wcag_aa(
    browser: Any, digest_email: RenderedEmail, scheme: str
) -> None:
    with page_at(browser, PHONE, digest_email.html, "digest-contrast", scheme) as page:
        found = page.evaluate(CONTRAST_JS)
        assert len(found) > 20
        poor = [f for f in found if f["ratio"] < 4.5]
        assert poor == []
        if scheme == "dark":
            background = page.evaluate("getComputedStyle(document.body).backgroundColor")
            assert background == "rgb(18, 20, 22)"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_confirmation_and_welcome_contrast_passes_wcag_aa(browser: Any, scheme: str) -> None:
    r = renderer()
    confirm = r.confirm(email="ana@example.net", name="Ana", confirm_url="https://n.example/c/t")
    welcome = r.welcome(
        email="ana@example.net",
        preferences_url="https://news.example.org/p/x",
        unsubscribe_url="https://news.example.org/u/x",
    )
    for name, email in (("confirm", confirm), ("welcome", welcome)):
        with page_at(browser, PHONE, email.html, f"{name}-contrast", scheme) as page:
            found = page.evaluate(CONTRAST_JS)
            assert any(f["text"].startswith(("Confirm my", "Choose sections")) for f in found)
            assert [f for f in found if f["ratio"] < 4.5] == []


def test_a_failing_check_leaves_a_screenshot(
    browser: Any, digest_email: RenderedEmail, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(f"{__name__}.ARTIFACTS", tmp_path / "artifacts")
    with (
        pytest.raises(AssertionError, match="deliberate"),
        page_at(browser, PHONE, digest_email.html, "deliberate"),
    ):
        raise AssertionError("deliberate")
    shot = tmp_path / "artifacts" / f"deliberate-{PHONE}-light.png"
    assert shot.read_bytes().startswith(b"\x89PNG")


def test_other_emails_fit_a_phone(browser: Any) -> None:
    r = renderer()
    confirm = r.confirm(
        email="ana@example.net", confirm_url="https://news.example.org/c/" + "t" * 90
    )
    welcome = r.welcome(
        email="ana@example.net",
        preferences_url="https://news.example.org/p/x",
        unsubscribe_url="https://news.example.org/u/x",
    )
    for name, email in (("confirm", confirm), ("welcome", welcome)):
        with page_at(browser, PHONE, email.html, name) as page:
            assert overflow(page) <= PHONE
            button = page.locator(".btn a").first
            assert button.is_visible()
            box = button.bounding_box()
            assert box is not None and box["height"] >= 40  # a comfortable tap target


def test_a_digest_at_the_size_budget_renders(browser: Any) -> None:
    big = renderer().digest(big_digest(200), personal=personal(), tz=PARIS)
    assert big.overflow > 0
    with page_at(browser, PHONE, big.html, "digest-200") as page:
        assert overflow(page) <= PHONE
        assert page.get_by_role("link", name="Read all stories on the web version →").is_visible()
