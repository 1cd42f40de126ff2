"""What the sign-up form answers: the hourly confirmation cap, the same answer for every
address (in content and in time), and every mistake at once.

The cap is tried on the whole site (``digest.web.app.create_web_app`` from a
config file, in uvicorn) with a real SMTP server (aiosmtpd) counting what
arrives; the rest on the audience's app (``subscribers.web``), also in uvicorn.
"""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from digest.config import Settings
from digest.store import Store
from digest.web.app import create_web_app
from subscribers.models import Consent, Subscriber
from subscribers.service import Audience
from tests.conftest import ConfigWriter
from tests.support.smtpd import Received, SMTPServer, free_port
from tests.test_subscribers_web import (
    AUDIENCE,
    CSRF,
    NOW,
    LiveServer,
    MailBox,
    RateLimit,
    Site,
    serve,
    sign_up,
)

SECRET = "a-test-secret-that-is-long-enough-0123456789"


@pytest.fixture
def smtpd() -> Iterator[SMTPServer]:
    with SMTPServer() as server:
        yield server


@pytest.fixture
def mailbox() -> Iterator[MailBox]:
    with MailBox() as box:
        yield box


def capped_config(make_config: ConfigWriter, db_url: str, smtpd: SMTPServer) -> Settings:
    extra = (
        f'[smtp]\nhost = "127.0.0.1"\nport = {smtpd.port}\nsecurity = "none"\ntimeout = 5\n'
        "[web]\nmax_confirmations_per_hour = 2\n"
    )
    written = make_config(sections=("World", "Science"), db_url=db_url, extra=extra)
    return replace(written, secret_key=SECRET)


@contextmanager
def whole_site(settings: Settings) -> Iterator[httpx.Client]:
    """The site of ``digest serve`` on a free port (a new one each time: a restart)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = replace(settings, newsletter=replace(settings.newsletter, base_url=url))
    with (
        Store(settings.storage.url) as store,
        LiveServer(create_web_app(store, settings), port),
        httpx.Client(base_url=url, timeout=10) as client,
    ):
        yield client


def post_form(client: httpx.Client, email: str, **fields: str) -> httpx.Response:
    found = CSRF.search(client.get("/subscribe").text)
    assert found
    data = {"csrf_token": found.group(1), "email": email, "sections": "World", **fields}
    return client.post("/subscribe", data=data)


def wait_for(smtpd: SMTPServer, count: int, grace: float = 0.3) -> list[Received]:
    deadline = time.monotonic() + 10
    while len(smtpd.received) < count and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(grace)
    assert len(smtpd.received) == count, smtpd.received
    return list(smtpd.received)


def rows(db_url: str) -> tuple[int, int]:
    """How many subscribers and consent records the database holds."""
    with Store(db_url) as store, store.session() as session:
        return (
            session.scalar(select(func.count()).select_from(Subscriber)) or 0,
            session.scalar(select(func.count()).select_from(Consent)) or 0,
        )


# -- the hourly cap on confirmation mails -------------------------------------------


def test_past_the_cap_sign_ups_get_429_and_nothing_is_stored_even_after_a_restart(
    make_config: ConfigWriter, db_url: str, smtpd: SMTPServer
) -> None:
    settings = capped_config(make_config, db_url, smtpd)
    with whole_site(settings) as client:
        for email in ("ada@example.org", "bo@example.org"):
            assert post_form(client, email).status_code == 200
        received = wait_for(smtpd, 2)
        assert sorted(r.rcpt_tos[0] for r in received) == ["ada@example.org", "bo@example.org"]
        before = rows(db_url)
        assert before == (2, 2)

        refused = post_form(client, "cy@example.org", name="Cy", timezone="Europe/Oslo")
        assert refused.status_code == 429
        assert 0 < int(refused.headers["retry-after"]) <= 3600
        assert "so many people are signing up that confirmation emails are paused" in (refused.text)
        assert "Please try again in 60 minutes" in refused.text
        # The form again, with what was typed.
        for kept in ('value="cy@example.org"', 'value="Cy"', 'value="Europe/Oslo"'):
            assert kept in refused.text
        # An address already subscribed gets the same answer: the cap tells nothing.
        again = post_form(client, "ada@example.org", name="Cy", timezone="Europe/Oslo")
        assert again.status_code == 429
        assert CSRF.sub("", again.text).replace("ada@", "cy@") == CSRF.sub("", refused.text)
        assert rows(db_url) == before

    # Another process, or the same after a restart: the count is in the database.
    with whole_site(settings) as client:
        assert post_form(client, "dee@example.org").status_code == 429
    assert rows(db_url) == before
    wait_for(smtpd, 2)


def test_the_wait_is_until_the_slot_that_brings_the_count_under_the_cap(
    store: Store,
) -> None:
    audience = Audience(store.sessions, AUDIENCE)
    for minutes, email in ((0, "a@example.org"), (10, "b@example.org"), (20, "c@example.org")):
        audience.subscribe(email, source="test", now=NOW + timedelta(minutes=minutes))
    at = NOW + timedelta(minutes=30)
    assert audience.confirmation_wait(at, 4) == 0.0
    # Three sent: under a cap of 3, one more fits when the first ages out (at 60);
    # under 2, when the second does (at 70); under 1, when all three have (at 80).
    assert audience.confirmation_wait(at, 3) == 30 * 60
    assert audience.confirmation_wait(at, 2) == 40 * 60
    assert audience.confirmation_wait(at, 1) == 50 * 60
    # Past the hour the oldest no longer counts.
    assert audience.confirmation_wait(NOW + timedelta(minutes=61), 3) == 0.0
    assert audience.confirmation_wait(NOW + timedelta(minutes=61), 2) == 9 * 60
    # An active address signing up again asks for no mail and writes nothing.
    audience.subscribe("d@example.org", source="test", now=at, confirmed=True)
    audience.subscribe("d@example.org", source="test", now=at)
    assert audience.confirmation_wait(at, 4) == 0.0


# -- the same answer for a new and a known address ------------------------------------


def _normalised(response: httpx.Response) -> tuple[int, str, dict[str, str]]:
    headers = {k: v for k, v in response.headers.items() if k != "date"}
    return response.status_code, CSRF.sub("", response.text), headers


def test_new_and_known_addresses_get_the_same_answer_no_sooner_than_the_answer_time(
    tmp_path: Path, mailbox: MailBox
) -> None:
    """Interleaved sign-ups of new and already active addresses: same bytes, same time.

    Each answer must take at least ``signup_answer_time`` (deterministic); the
    medians are compared with a generous bound only, as this machine is noisy.
    """
    answer_time = timedelta(milliseconds=100)
    rounds = 30
    with (
        Store(f"sqlite:///{tmp_path / 'timing.db'}") as store,
        serve(store, mailbox, signup_answer_time=answer_time) as site,
        site.client() as client,
    ):
        for n in range(rounds):
            site.add(f"known{n}@example.org", confirmed=True)
        sign_up(client, "warm-up@example.org")
        took: dict[str, list[float]] = {"new": [], "known": []}
        answers: dict[str, set[tuple[int, str, tuple[tuple[str, str], ...]]]] = {
            "new": set(),
            "known": set(),
        }
        for n in range(rounds):
            for kind in ("new", "known") if n % 2 else ("known", "new"):
                started = time.perf_counter()
                answer = sign_up(client, f"{kind}{n}@example.org")
                took[kind].append(time.perf_counter() - started)
                status, text, headers = _normalised(answer)
                answers[kind].add((status, text, tuple(sorted(headers.items()))))
        mailbox.quiet(rounds + 1)
    assert answers["new"] == answers["known"] and len(answers["new"]) == 1
    # sign_up() also GETs the form; the POST alone cannot be quicker than the answer time.
    assert min(min(took["new"]), min(took["known"])) >= answer_time.total_seconds()
    new, known = statistics.median(took["new"]), statistics.median(took["known"])
    print(f"median sign-up round trip: new {new * 1000:.1f} ms, known {known * 1000:.1f} ms")
    assert abs(new - known) < 0.025


def test_an_answer_waits_for_the_answer_time_on_every_accepted_path(
    store: Store, mailbox: MailBox
) -> None:
    answer_time = timedelta(milliseconds=300)
    with (
        serve(
            store,
            mailbox,
            signup_answer_time=answer_time,
            address_limit=RateLimit(1, timedelta(hours=1)),
        ) as site,
        site.client() as client,
    ):
        for form in (
            {"email": "ada@example.org"},  # new
            {"email": "ada@example.org"},  # asked too often: no work at all
            {"email": "bot@example.org", "website": "http://spam.example"},  # honeypot
        ):
            found = CSRF.search(client.get("/subscribe").text)
            assert found
            data = {"csrf_token": found.group(1), "sections": "World", **form}
            started = time.perf_counter()
            answer = client.post("/subscribe", data=data)
            assert answer.status_code == 200
            assert time.perf_counter() - started >= answer_time.total_seconds()
        mailbox.quiet(1)


# -- every mistake at once -----------------------------------------------------------


def test_the_form_shows_every_mistake_at_once_next_to_its_field(site: Site) -> None:
    with site.client() as client:
        answer = sign_up(
            client,
            "ada@example",
            name="Ada\x00",
            sections=[],
            send_at="25:99",
            timezone="Mars/Base",
            weekday="someday",
        )
    assert answer.status_code == 400
    page = answer.text
    expected = {
        "email": "ada@example: the part after the @-sign is not valid",
        "name": "name: has a control character",
        "sections": "choose at least one",
        "send_at": "send time: expected a 24-hour time",
        "timezone": "time zone: expected an IANA time zone name",
        "weekday": "weekday: expected one of mon",
    }
    for field, message in expected.items():
        shown = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', page)
        assert shown, f"no error next to {field}"
        assert message in shown.group(1).replace("&#34;", '"').replace("&#39;", "'")
        assert f'aria-describedby="{field}-error"' in page or (
            f'aria-describedby="{field}-error ' in page
        )
    assert "6 fields need a change" in page
    # What was typed is kept.
    for kept in ('value="ada@example"', 'value="25:99"', 'value="Mars/Base"'):
        assert kept in page
    assert "frequency-error" not in page
    assert site.audience.list() == []
    site.mailbox.quiet(0, grace=0.1)


@pytest.fixture
def site(tmp_path: Path, mailbox: MailBox) -> Iterator[Site]:
    with Store(f"sqlite:///{tmp_path / 'web.db'}") as store, serve(store, mailbox) as running:
        yield running


def test_the_preferences_form_shows_every_mistake_at_once_too(site: Site) -> None:
    ada = site.add("ada@example.org", confirmed=True)
    url = site.link("preferences", ada)
    with site.client() as client:
        form = client.get(url)
        found = CSRF.search(form.text)
        assert found
        answer = client.post(
            url,
            data={
                "csrf_token": found.group(1),
                "sections": "Atlantis",
                "frequency": "hourly",
                "send_at": "7pm",
                "timezone": "Europe/Paris",
            },
        )
    assert answer.status_code == 400
    assert "Please correct the fields marked below: Sections, How often, Send time." in (
        answer.text
    )
    for field in ("sections", "frequency", "send_at"):
        assert f'id="{field}-error"' in answer.text
    assert 'id="timezone-error"' not in answer.text
    assert 'value="7pm"' in answer.text
    after = site.audience.find("ada@example.org")
    assert after is not None and after.send_at == ada.send_at
