"""The operator preview page of ``digest serve`` in headless Chromium (Debian's package).

Stored articles come from a folder source fetched for real; the page is served
by uvicorn.  A failing test leaves a screenshot in ``tests/artifacts/``.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from digest.cli.main import main
from digest.config import Settings
from digest.mail.render import Renderer
from digest.pipeline.audience import open_audience
from digest.store import Store
from tests.test_browser_render import ARTIFACTS, DESKTOP, PHONE, browser  # noqa: F401
from tests.test_web import ARTICLES, Site, inbox, running_site, site_config  # noqa: F401

pytestmark = pytest.mark.browser

TITLES = ("Comet seen over the Alps", "Coral reef recovers after heat wave")


@pytest.fixture
def preview_config(site_config: Settings, tmp_path: Path) -> Settings:  # noqa: F811
    overrides = tmp_path / "templates"
    (overrides / "email").mkdir(parents=True)
    settings = replace(site_config, newsletter=replace(site_config.newsletter, templates=overrides))
    # Playwright's sync API keeps an event loop on this thread: fetch on another one.
    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(main, ["--config", str(settings.path), "fetch"]).result() == 0
    return settings


@contextmanager
def operator_page(browser: Any, site: Site, width: int, name: str) -> Iterator[Any]:  # noqa: F811
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        # The operator's way in: the address with the token, once; a cookie from then on.
        page.goto(f"{site.url}/operator/preview?token={site.settings.web.operator_token}")
        assert "token=" not in page.url
        yield page
    except BaseException:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shot = ARTIFACTS / f"operator-preview-{name}-{width}.png"
        page.screenshot(path=str(shot), full_page=True)
        print(f"screenshot saved: {shot}")
        raise
    finally:
        context.close()


def email_frame(page: Any) -> Any:
    page.wait_for_selector("iframe")
    frame = page.frame_locator("iframe")
    frame.locator("body").wait_for()
    return frame


def test_the_operator_sees_desktop_phone_text_and_raw_views(
    browser: Any,  # noqa: F811
    preview_config: Settings,
) -> None:
    assert len(ARTICLES) == len(TITLES)
    with (
        running_site(preview_config) as site,
        operator_page(browser, site, 1200, "views") as page,
    ):
        page.goto(f"{site.url}/operator/preview")
        assert page.locator("h1").inner_text() == "Digest preview"
        assert "of 100.0 KB" in page.locator(".facts").inner_text()
        desktop = page.locator("iframe")
        assert desktop.get_attribute("width") == str(DESKTOP)
        frame = email_frame(page)
        for title in TITLES:
            assert frame.get_by_text(title, exact=True).count() >= 1

        page.get_by_role("link", name="Phone").click()
        page.wait_for_url("**view=phone**")
        assert page.locator("iframe").get_attribute("width") == str(PHONE)
        frame = email_frame(page)
        body = frame.locator("html")
        scroll = body.evaluate("e => e.scrollWidth")
        assert scroll <= PHONE, f"the email scrolls sideways at {PHONE} px: {scroll}"

        page.get_by_role("link", name="Plain text").click()
        page.wait_for_url("**view=text**")
        text = page.locator("#text").inner_text()
        for title in TITLES:
            assert title in text

        page.get_by_role("link", name="Raw message").click()
        page.wait_for_url("**view=raw**")
        raw = page.locator("#raw").inner_text()
        assert "MIME-Version: 1.0" in raw and "Content-Type: multipart/alternative" in raw


def test_the_preview_reloads_when_a_template_changes(
    browser: Any,  # noqa: F811
    preview_config: Settings,
) -> None:
    overrides = preview_config.newsletter.templates
    assert overrides is not None
    with (
        running_site(preview_config) as site,
        operator_page(browser, site, 1200, "reload") as page,
    ):
        page.goto(f"{site.url}/operator/preview?view=text")
        assert "Edited by the operator" not in page.locator("#text").inner_text()
        builtin = Path(site.app.state.renderer.folders[-1]) / "email" / "digest.txt.j2"
        edited = "Edited by the operator\n" + builtin.read_text(encoding="utf-8")
        (overrides / "email" / "digest.txt.j2").write_text(edited, encoding="utf-8")
        # The page polls the template stamp and reloads itself (a strict CSP forbids eval,
        # so the wait is on the locator).
        expect(page.locator("#text")).to_contain_text("Edited by the operator", timeout=15_000)


def test_the_operator_picks_a_subscriber(
    browser: Any,  # noqa: F811
    preview_config: Settings,
) -> None:
    with Store(preview_config.storage.url) as store:
        renderer = Renderer.from_settings(preview_config.newsletter)
        audience = open_audience(store, preview_config, renderer)
        now = datetime.now(UTC)
        audience.subscribe(
            "ann@example.org", name="Ann Reader", source="test", confirmed=True, now=now
        )
    with (
        running_site(preview_config) as site,
        operator_page(browser, site, 1200, "pick") as page,
    ):
        page.goto(f"{site.url}/operator/preview")
        expect(page.locator(".facts")).to_contain_text("preview@example.invalid")
        page.select_option("#subscriber", "ann@example.org")
        page.get_by_role("button", name="Show").click()
        page.wait_for_url("**subscriber=ann%40example.org**")
        expect(page.locator(".facts")).to_contain_text("Ann Reader <ann@example.org>")
        frame = email_frame(page)
        unsubscribe = frame.get_by_role("link", name="Unsubscribe").get_attribute("href")
        assert unsubscribe is not None and unsubscribe.startswith(f"{site.url}/unsubscribe/")
        for title in TITLES:
            assert frame.get_by_text(title, exact=True).count() >= 1
        page.get_by_role("link", name="Phone").click()  # the views keep the subscriber
        page.wait_for_url("**view=phone**")
        expect(page.locator(".facts")).to_contain_text("Ann Reader <ann@example.org>")


def test_a_failing_check_on_the_operator_page_leaves_a_screenshot(
    browser: Any,  # noqa: F811
    preview_config: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(f"{__name__}.ARTIFACTS", tmp_path / "artifacts")
    with (
        running_site(preview_config) as site,
        pytest.raises(AssertionError, match="deliberate"),
        operator_page(browser, site, 1200, "deliberate") as page,
    ):
        page.goto(f"{site.url}/operator/preview")
        raise AssertionError("deliberate")
    shot = tmp_path / "artifacts" / "operator-preview-deliberate-1200.png"
    assert shot.read_bytes().startswith(b"\x89PNG")
