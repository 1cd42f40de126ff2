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

import pytest
from playwright.sync_api import Page, expect, sync_playwright

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
def page() -> Iterator[Page]:
    executable = chromium_path()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=["--no-sandbox"]
        )
        context = browser.new_context(timezone_id="Asia/Tokyo", locale="en-GB")
        opened = context.new_page()
        opened.set_default_timeout(10_000)
        try:
            yield opened
        finally:
            context.close()
            browser.close()


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
