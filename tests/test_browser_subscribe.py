"""A real browser (Debian's headless Chromium) signs up, confirms, changes preferences, leaves.

Chromium comes from the system (``chromium`` package) or ``DIGEST_TEST_CHROMIUM``;
Playwright never downloads a browser here.  A failing run leaves a screenshot.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from digest.store import Store
from tests.test_subscribers_web import MailBox, serve

pytestmark = pytest.mark.browser

CHROMIUM_ENV = "DIGEST_TEST_CHROMIUM"


def chromium_path() -> str:
    configured = os.environ.get(CHROMIUM_ENV)
    if configured:
        if not Path(configured).is_file():
            pytest.fail(f"{CHROMIUM_ENV}={configured} names no file; install chromium or fix it")
        return configured
    found = shutil.which("chromium") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").is_file() else None
    )
    if found is None:
        pytest.skip(
            f"no chromium binary: install Debian's chromium package or set {CHROMIUM_ENV} "
            "(browsers are never downloaded)"
        )
    return found


@pytest.fixture
def browser() -> Iterator[Browser]:
    executable = chromium_path()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable, headless=True, args=["--no-sandbox"]
        )
        try:
            yield launched
        finally:
            launched.close()


@contextmanager
def open_page(browser: Browser, **context_options: Any) -> Iterator[Page]:
    context = browser.new_context(**context_options)
    opened = context.new_page()
    opened.set_default_timeout(10_000)
    try:
        yield opened
    finally:
        context.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    with open_page(browser, timezone_id="Asia/Tokyo", locale="en-GB") as opened:
        yield opened


@contextmanager
def screenshot_on_failure(page: Page, folder: Path) -> Iterator[None]:
    try:
        yield
    except BaseException as exc:
        shot = folder / "browser-failure.png"
        page.screenshot(path=str(shot), full_page=True)
        exc.add_note(f"screenshot of the page when it failed: {shot}")
        raise


@pytest.fixture
def mailbox() -> Iterator[MailBox]:
    with MailBox() as box:
        yield box


def test_a_person_subscribes_confirms_changes_preferences_and_leaves(
    page: Page, mailbox: MailBox, tmp_path: Path
) -> None:
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    with (
        Store(f"sqlite:///{tmp_path / 'browser.db'}") as store,
        serve(store, mailbox) as site,
        screenshot_on_failure(page, tmp_path),
    ):
        page.goto(f"{site.url}/subscribe")
        expect(page.get_by_role("heading", name="Subscribe to Test Digest")).to_be_visible()
        # The inline script (allowed by its CSP hash) filled in the browser's zone.
        expect(page.get_by_label("Time zone")).to_have_value("Asia/Tokyo")
        page.get_by_label("Email address").fill("ada@example.org")
        page.get_by_label("Name").fill("Ada")
        page.get_by_label("Technology").uncheck()
        page.get_by_role("radio", name="Once a week").check()
        page.get_by_label("Day of the week").select_option("fri")
        page.get_by_label("Send time").fill("08:15")
        page.get_by_role("button", name="Subscribe").click()
        expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()

        (confirmation,) = mailbox.wait(1)
        page.goto(confirmation.link("confirm"))
        page.get_by_role("button", name="Yes, subscribe me").click()
        expect(page.get_by_role("heading", name="You are subscribed")).to_be_visible()
        welcome = mailbox.wait(2)[1]

        page.get_by_role("link", name="Change what you receive and when").click()
        expect(page.get_by_role("heading", name="Your preferences")).to_be_visible()
        expect(page.get_by_label("Send time")).to_have_value("08:15")
        page.get_by_label("Send time").fill("06:45")
        page.get_by_label("Pause my digests for now").check()
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_text("Your digests are paused.")).to_be_visible()

        ada = site.audience.find("ada@example.org")
        assert ada is not None
        assert (ada.status, ada.name, ada.sections) == ("active", "Ada", ("World", "Science"))
        assert (ada.frequency, ada.weekday, ada.send_at, ada.timezone, ada.paused) == (
            "weekly",
            "fri",
            "06:45",
            "Asia/Tokyo",
            True,
        )

        page.goto(welcome.link("unsubscribe"))
        page.get_by_role("button", name="Unsubscribe").click()
        expect(page.get_by_role("heading", name="You are unsubscribed")).to_be_visible()
        assert site.audience.find("ada@example.org").status == "unsubscribed"  # type: ignore[union-attr]
    assert problems == []  # no CSP violation, no script error


def test_the_sign_up_works_without_javascript(
    browser: Browser, mailbox: MailBox, tmp_path: Path
) -> None:
    with (
        open_page(browser, java_script_enabled=False, timezone_id="Asia/Tokyo") as page,
        Store(f"sqlite:///{tmp_path / 'nojs.db'}") as store,
        serve(store, mailbox) as site,
        screenshot_on_failure(page, tmp_path),
    ):
        page.goto(f"{site.url}/subscribe")
        # No script ran: the zone is the newsletter's default, and can be typed.
        expect(page.get_by_label("Time zone")).to_have_value("UTC")
        page.get_by_label("Email address").fill("bo@example.net")
        page.get_by_label("Time zone").fill("Europe/Paris")
        page.get_by_label("World").uncheck()
        page.get_by_role("button", name="Subscribe").click()
        expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()

        (confirmation,) = mailbox.wait(1)
        page.goto(confirmation.link("confirm"))
        page.get_by_role("button", name="Yes, subscribe me").click()
        expect(page.get_by_role("heading", name="You are subscribed")).to_be_visible()
        bo = site.audience.find("bo@example.net")
        assert bo is not None
        assert (bo.status, bo.timezone, bo.sections) == (
            "active",
            "Europe/Paris",
            ("Science", "Technology"),
        )


# What a page must do on a phone: fit the screen without sideways scrolling, use
# text of a readable size, and offer controls that fit and are big enough to tap.
PHONE_CHECK = """() => {
  const width = document.documentElement.clientWidth;
  const problems = [];
  if (!document.querySelector('meta[name=viewport][content*="width=device-width"]'))
    problems.push("no viewport meta");
  if (document.documentElement.scrollWidth > width)
    problems.push(`scrolls sideways: ${document.documentElement.scrollWidth} > ${width}`);
  for (const el of document.querySelectorAll("h1, p, label, legend, a, input, select, button")) {
    const box = el.getBoundingClientRect();
    if (!box.width || !box.height || el.closest(".hp")) continue;
    const what = `${el.tagName} "${el.textContent.trim()}"`;
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (size < 14 && !["checkbox", "radio"].includes(el.type))
      problems.push(`${what}: ${size}px text`);
    if (box.left < 0 || box.right > width)
      problems.push(`${what} overflows: ${box.left}-${box.right}`);
    if (el.tagName === "BUTTON" && box.height < 40)
      problems.push(`${what} is ${box.height}px tall`);
  }
  return problems;
}"""


def test_every_page_is_readable_on_a_phone(
    browser: Browser, mailbox: MailBox, tmp_path: Path
) -> None:
    phone = {
        "viewport": {"width": 360, "height": 740},
        "device_scale_factor": 3,
        "is_mobile": True,
        "has_touch": True,
    }
    with (
        open_page(browser, **phone) as page,
        Store(f"sqlite:///{tmp_path / 'phone.db'}") as store,
        serve(store, mailbox) as site,
        screenshot_on_failure(page, tmp_path),
    ):
        pending = site.add("pending@example.org")
        active = site.add("active@example.org", confirmed=True)
        seen: list[str] = []

        def check(name: str) -> None:
            problems = page.evaluate(PHONE_CHECK)
            assert problems == [], f"the {name} page on a phone: {problems}"
            seen.append(name)

        page.goto(f"{site.url}/subscribe")
        check("subscribe")
        page.get_by_label("Email address").fill("not-an-address@example")
        page.get_by_label("Email address").evaluate("e => e.type = 'text'")  # past the browser
        page.get_by_role("button", name="Subscribe").click()
        expect(page.get_by_role("alert")).to_contain_text("not-an-address@example")
        check("subscribe with an error")
        page.get_by_label("Email address").fill("new@example.org")
        page.get_by_role("button", name="Subscribe").click()
        expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()
        check("check inbox")
        page.goto(site.link("confirm", pending))
        check("confirm")
        page.get_by_role("button", name="Yes, subscribe me").click()
        expect(page.get_by_role("heading", name="You are subscribed")).to_be_visible()
        check("confirmed")
        page.goto(site.link("preferences", active))
        check("preferences")
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_role("heading", name="Your preferences are saved")).to_be_visible()
        check("preferences saved")
        page.goto(site.link("unsubscribe", active))
        check("unsubscribe")
        page.get_by_role("button", name="Unsubscribe").click()
        expect(page.get_by_role("heading", name="You are unsubscribed")).to_be_visible()
        check("unsubscribed")
        page.goto(site.link("confirm", active).replace("/confirm/", "/unsubscribe/"))
        expect(
            page.get_by_role("heading", name="This link is meant for something else")
        ).to_be_visible()
        check("bad link")
    assert len(seen) == 10
