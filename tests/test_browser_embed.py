"""A real browser (Debian's Chromium) signs up through the README's snippet on another site.

The snippets are taken from README.md's "Embedding the sign-up form" as they
stand, and served by a second local HTTP server: from ``http://localhost:PORT``
(listed in ``embed_origins``) and from ``http://127.0.0.1:PORT`` (the same
server, another origin, not listed).  The newsletter's app runs on its own
port; the confirmation mail goes to a real SMTP server (aiosmtpd).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from digest.store import Store
from tests.support.httpd import LocalHTTPServer
from tests.test_browser_subscribe import browser, open_page, screenshot_on_failure
from tests.test_subscribers_web import MailBox, Site, serve

pytestmark = pytest.mark.browser

__all__ = ["browser"]  # the fixture, imported for the tests below

README = Path(__file__).resolve().parent.parent / "README.md"
PLACEHOLDER = "https://news.example.org"


def readme_snippets() -> list[str]:
    """The HTML blocks of README's "Embedding the sign-up form": the form, then fetch()."""
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Embedding the sign-up form\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```html\n(.*?)```", section, re.S)
    assert len(blocks) == 2 and all(PLACEHOLDER in block for block in blocks)
    return blocks


def blog_page(snippet: str, site: Site) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>A blog</title>'
        f"</head><body><h1>A blog post</h1>{snippet.replace(PLACEHOLDER, site.url)}</body></html>"
    )


@pytest.fixture
def mailbox() -> Iterator[MailBox]:
    with MailBox() as box:
        yield box


@pytest.fixture
def blog() -> Iterator[LocalHTTPServer]:
    with LocalHTTPServer() as server:
        yield server


@pytest.fixture
def site(tmp_path: Path, mailbox: MailBox, blog: LocalHTTPServer) -> Iterator[Site]:
    port = blog.base_url.rsplit(":", 1)[1]
    with (
        Store(f"sqlite:///{tmp_path / 'embed.db'}") as store,
        serve(store, mailbox, embed_origins=(f"http://localhost:{port}",)) as running,
    ):
        form, script = readme_snippets()
        blog.route("/post.html", blog_page(form, running))
        blog.route("/script.html", blog_page(script, running))
        yield running


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    with open_page(browser) as opened:
        yield opened


def listed(blog: LocalHTTPServer, path: str) -> str:
    return blog.url(path).replace("http://127.0.0.1:", "http://localhost:")


def test_the_pasted_form_signs_up_from_a_listed_origin_and_lands_on_check_inbox(
    page: Page, site: Site, blog: LocalHTTPServer, mailbox: MailBox, tmp_path: Path
) -> None:
    with screenshot_on_failure(page, tmp_path):
        page.goto(listed(blog, "/post.html"))
        # The honeypot is there, but not for people: off screen, out of the tab order
        # and of the accessibility tree.
        honeypot = page.locator("input[name=website]")
        expect(honeypot).to_have_count(1)
        expect(honeypot).not_to_be_in_viewport()
        expect(page.get_by_role("textbox", name="Leave this field empty")).to_have_count(0)
        page.get_by_label("Email address").fill("reader@example.net")
        page.get_by_label("Name (optional)").fill("Reader")
        page.get_by_label("Name (optional)").press("Tab")
        expect(page.get_by_role("button", name="Subscribe")).to_be_focused()
        page.get_by_role("button", name="Subscribe").click()
        expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()
        assert page.url == f"{site.url}/subscribe/check-inbox"
    (mail,) = mailbox.quiet(1)
    assert (mail.to, mail.subject) == ("reader@example.net", "Please confirm")
    assert mail.link("confirm").startswith(f"{site.url}/confirm/")
    reader = site.audience.find("reader@example.net")
    assert reader is not None and reader.name == "Reader" and reader.status == "pending"


def test_the_same_page_from_an_origin_not_listed_is_refused(
    page: Page, site: Site, blog: LocalHTTPServer, mailbox: MailBox, tmp_path: Path
) -> None:
    with screenshot_on_failure(page, tmp_path):
        page.goto(blog.url("/post.html"))  # 127.0.0.1: not the listed localhost
        page.get_by_label("Email address").fill("reader@example.net")
        with page.expect_response(f"{site.url}/subscribe") as answered:
            page.get_by_role("button", name="Subscribe").click()
        assert answered.value.status == 403
        expect(page.get_by_role("alert")).to_contain_text(
            "does not take sign-ups from the page you came from"
        )
        expect(page.get_by_label("Email address")).to_have_value("reader@example.net")
    assert site.audience.list() == []
    assert mailbox.quiet(0) == []


def test_the_fetch_variant_answers_on_the_page_from_a_listed_origin_only(
    page: Page, site: Site, blog: LocalHTTPServer, mailbox: MailBox, tmp_path: Path
) -> None:
    with screenshot_on_failure(page, tmp_path):
        page.goto(listed(blog, "/script.html"))
        page.get_by_label("Email address").fill("script@example.net")
        page.get_by_role("button", name="Subscribe").click()
        expect(page.get_by_role("status")).to_have_text(
            "Thank you! Please check your inbox to confirm."
        )
        assert page.url == listed(blog, "/script.html")  # stayed on the blog
        (mail,) = mailbox.wait(1)
        assert mail.to == "script@example.net"

        page.goto(blog.url("/script.html"))  # not listed: CORS hides any answer
        page.get_by_label("Email address").fill("other@example.net")
        page.get_by_role("button", name="Subscribe").click()
        expect(page.get_by_role("status")).to_have_text(
            "That did not work just now; please try again later."
        )
    assert [s.email for s in site.audience.list()] == ["script@example.net"]
    assert len(mailbox.quiet(1)) == 1
