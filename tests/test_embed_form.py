"""The sign-up form pasted into another site's page: ``[web] embed_origins``, over real HTTP.

The app runs in uvicorn and mails a real SMTP server (aiosmtpd); the requests
carry the ``Origin`` / ``Referer`` a browser would send from the embedding
page.  A real browser posting the README's snippet is in
``test_browser_embed.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from digest.store import Store
from tests.test_subscribers_web import SECTIONS, MailBox, RateLimit, Site, serve

BLOG = "https://blog.example.org"
CHECK_INBOX = "/subscribe/check-inbox"
JSON = {"Accept": "application/json"}


@pytest.fixture
def mailbox() -> Iterator[MailBox]:
    with MailBox() as box:
        yield box


@pytest.fixture
def site(store: Store, mailbox: MailBox) -> Iterator[Site]:
    with serve(store, mailbox, embed_origins=(BLOG, "http://localhost:8000")) as running:
        yield running


def embed(
    site: Site, email: str, *, origin: str | None = BLOG, headers: Any = None, **fields: str
) -> httpx.Response:
    """A POST as the pasted form sends it: no cookie, no CSRF field, the page's Origin."""
    sent = {"Origin": origin} if origin is not None else {}
    return httpx.post(
        f"{site.url}/subscribe",
        data={"email": email, "website": "", **fields},
        headers={**sent, **(headers or {})},
        timeout=10,
    )


def comparable(response: httpx.Response) -> tuple[int, str, dict[str, str]]:
    return (
        response.status_code,
        response.text,
        {k: v for k, v in response.headers.items() if k != "date"},
    )


def test_a_post_from_a_listed_origin_is_taken_without_csrf_and_redirects(
    site: Site, mailbox: MailBox
) -> None:
    answer = embed(site, "ada@example.org", name="Ada")
    assert answer.status_code == 303
    assert answer.headers["location"] == f"{site.url}{CHECK_INBOX}"
    assert answer.headers["access-control-allow-origin"] == BLOG
    assert answer.headers["vary"] == "Origin"
    page = httpx.get(answer.headers["location"], timeout=10)
    assert page.status_code == 200 and "Check your inbox" in page.text

    (mail,) = mailbox.quiet(1)
    assert (mail.to, mail.subject) == ("ada@example.org", "Please confirm")
    ada = site.audience.find("ada@example.org")
    assert ada is not None and ada.status == "pending" and ada.name == "Ada"
    # No section boxes on the pasted form: every section, the newsletter's schedule.
    assert ada.sections is None
    assert (ada.frequency, ada.send_at, ada.timezone) == ("daily", "07:00", "UTC")
    (consent,) = site.audience.consents(ada.id)
    assert (consent.action, consent.source) == ("subscribe", f"embed:{BLOG}")


def test_the_referer_stands_in_for_a_missing_origin(site: Site, mailbox: MailBox) -> None:
    answer = embed(site, "bo@example.org", origin=None, headers={"Referer": f"{BLOG}/2026/hi"})
    assert answer.status_code == 303
    assert answer.headers["access-control-allow-origin"] == BLOG
    assert mailbox.quiet(1)[0].to == "bo@example.org"


def test_a_script_asking_for_json_gets_the_same_json_for_new_and_known_addresses(
    site: Site, mailbox: MailBox
) -> None:
    site.add("active@example.org", confirmed=True)
    site.add("pending@example.org")
    answers = {
        email: comparable(embed(site, email, headers=JSON))
        for email in ("new@example.org", "active@example.org", "pending@example.org")
    }
    status, body, headers = answers["new@example.org"]
    assert status == 200 and headers["content-type"] == "application/json"
    assert httpx.Response(200, content=body).json()["status"] == "check_inbox"
    assert headers["access-control-allow-origin"] == BLOG and headers["vary"] == "Origin"
    assert "set-cookie" not in headers
    assert answers["active@example.org"] == answers["new@example.org"]
    assert answers["pending@example.org"] == answers["new@example.org"]
    assert [m.to for m in mailbox.quiet(1)] == ["new@example.org"]


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "https://blog.example.org.evil.example"},
        {"Origin": "http://blog.example.org"},  # another scheme is another origin
        {"Origin": "null"},  # a sandboxed page, or Referrer-Policy: no-referrer
        {"Referer": "https://evil.example/blog.example.org"},
        {},  # neither header, and no CSRF field
    ],
    ids=["other site", "suffix", "http", "null", "other referer", "none"],
)
def test_any_other_origin_is_refused_and_nothing_happens(
    site: Site, mailbox: MailBox, headers: dict[str, str]
) -> None:
    answer = embed(site, "ada@example.org", origin=None, headers=headers)
    assert answer.status_code == 403
    assert "access-control-allow-origin" not in answer.headers
    assert 'value="ada@example.org"' in answer.text  # the own form, with what was typed
    assert site.audience.list() == []
    assert mailbox.quiet(0) == []


def test_a_foreign_page_is_told_where_to_sign_up(site: Site) -> None:
    answer = embed(site, "ada@example.org", origin="https://evil.example")
    assert "does not take sign-ups from the page you came from (https://evil.example)" in (
        answer.text
    )


def test_a_filled_honeypot_is_answered_as_accepted_and_nothing_is_stored_or_sent(
    site: Site, mailbox: MailBox
) -> None:
    for headers in ({}, JSON):
        bot = embed(site, "bot@example.org", website="http://spam.example", headers=headers)
        person = embed(site, f"person{len(headers)}@example.org", headers=headers)
        assert comparable(bot) == comparable(person)
    assert sorted(s.email for s in site.audience.list()) == [
        "person0@example.org",
        "person1@example.org",
    ]
    assert sorted(m.to for m in mailbox.quiet(2)) == ["person0@example.org", "person1@example.org"]


def test_the_preflight_is_answered_for_listed_origins_only(site: Site) -> None:
    asked = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "accept"}
    ok = httpx.options(f"{site.url}/subscribe", headers={"Origin": BLOG, **asked}, timeout=10)
    assert ok.status_code == 204
    assert ok.headers["access-control-allow-origin"] == BLOG
    assert ok.headers["access-control-allow-methods"] == "POST"
    assert "accept" in ok.headers["access-control-allow-headers"].lower()
    assert ok.headers["vary"] == "Origin"
    for origin in ("https://evil.example", "null"):
        refused = httpx.options(
            f"{site.url}/subscribe", headers={"Origin": origin, **asked}, timeout=10
        )
        assert refused.status_code == 403
        assert "access-control-allow-origin" not in refused.headers
    wrong_method = httpx.options(
        f"{site.url}/subscribe",
        headers={"Origin": BLOG, "Access-Control-Request-Method": "DELETE"},
        timeout=10,
    )
    assert wrong_method.status_code == 403


def test_a_listed_origin_with_a_default_port_or_capitals_matches(
    store: Store, mailbox: MailBox
) -> None:
    with serve(store, mailbox, embed_origins=("HTTPS://Blog.Example.org:443",)) as site:
        answer = embed(site, "ada@example.org", headers=JSON)
    assert answer.status_code == 200
    assert answer.headers["access-control-allow-origin"] == BLOG


def test_mistakes_come_back_as_json_per_field_or_on_the_own_form(
    site: Site, mailbox: MailBox
) -> None:
    answer = embed(site, "ada@example", timezone="Mars/Base", headers=JSON)
    assert answer.status_code == 400
    assert answer.headers["access-control-allow-origin"] == BLOG
    result = answer.json()
    assert result["status"] == "invalid"
    assert set(result["errors"]) == {"email", "timezone"}
    assert "the part after the @-sign is not valid" in result["errors"]["email"]
    page = embed(site, "ada@example")
    assert page.status_code == 400
    assert 'id="email-error"' in page.text and 'value="ada@example"' in page.text
    assert site.audience.list() == []
    assert mailbox.quiet(0) == []


def test_the_limits_per_client_and_per_address_hold_for_embedded_sign_ups(
    store: Store, mailbox: MailBox
) -> None:
    with serve(
        store,
        mailbox,
        embed_origins=(BLOG,),
        ip_limit=RateLimit(3, timedelta(hours=1)),
        address_limit=RateLimit(1, timedelta(hours=1)),
    ) as site:
        first = embed(site, "ada@example.org", headers=JSON)
        site.clock.advance(minutes=11)  # past the resend pause
        again = embed(site, "ada@example.org", headers=JSON)  # over the address's limit
        assert comparable(again) == comparable(first)
        assert embed(site, "bo@example.org", headers=JSON).status_code == 200
        refused = embed(site, "cy@example.org", headers=JSON)
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) > 0
        assert refused.headers["access-control-allow-origin"] == BLOG
        body = refused.json()
        assert body["status"] == "too_many" and "from your network" in body["message"]
        assert body["retry_after"] == int(refused.headers["retry-after"])
        html = embed(site, "cy@example.org")
        assert html.status_code == 429 and 'value="cy@example.org"' in html.text
    assert sorted(m.to for m in mailbox.quiet(2)) == ["ada@example.org", "bo@example.org"]
    assert site.audience.find("cy@example.org") is None


def test_the_own_form_still_needs_its_csrf_value_when_no_origin_is_listed(
    store: Store, mailbox: MailBox
) -> None:
    with serve(store, mailbox) as site:  # embed_origins empty: the default
        answer = embed(site, "ada@example.org", origin=site.url)
        assert answer.status_code == 403 and "This form had expired" in answer.text
        assert embed(site, "ada@example.org").status_code == 403
    assert site.audience.list() == []


def test_every_section_is_the_embedded_default_but_a_ticked_one_is_kept(
    site: Site, mailbox: MailBox
) -> None:
    answer = embed(site, "ada@example.org", sections="Science", headers=JSON)
    assert answer.status_code == 200
    ada = site.audience.find("ada@example.org")
    assert ada is not None and ada.sections == ("Science",)
    assert set(SECTIONS) > {"Science"}
    mailbox.quiet(1)
