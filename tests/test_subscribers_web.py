"""The audience's web pages, served by uvicorn, with mail received by a real SMTP server."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.headerregistry import Address
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import aiosmtplib
import httpx
import jinja2
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy.orm import sessionmaker

from digest.store import Store
from subscribers.service import Audience
from subscribers.tokens import TokenSigner
from subscribers.views import AudienceSettings, SubscriberView
from subscribers.web import (
    InsecureSecret,
    RateLimit,
    TokenBucket,
    WebSettings,
    check_secret,
    create_app,
)
from tests.support.smtpd import free_port
from tests.support.web import CSRF, LiveServer, csrf_of

REPO = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
SECRET = "test secret that is long enough"
SECTIONS = ("World", "Science", "Technology")
AUDIENCE = AudienceSettings(sections=SECTIONS, text_version="signup-2026-11")
TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(REPO / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)


def render(name: str, context: Mapping[str, Any]) -> str:
    return TEMPLATES.get_template(name).render(context)


class Clock:
    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Mail:
    to: str
    subject: str
    body: str

    def link(self, purpose: str) -> str:
        found = re.search(rf"^{purpose}: (\S+)", self.body, re.MULTILINE)
        assert found, f"no {purpose} link in:\n{self.body}"
        return found.group(1)


class MailBox:
    """A real SMTP server (aiosmtpd) on a free loopback port that keeps what it receives."""

    def __init__(self) -> None:
        self.port = free_port()
        self.mails: list[Mail] = []
        self._arrived = threading.Condition()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        mail = Mail(
            to=", ".join(envelope.rcpt_tos),
            subject=str(message["Subject"]),
            body=message.get_content(),
        )
        with self._arrived:
            self.mails.append(mail)
            self._arrived.notify_all()
        return "250 Message accepted"

    def wait(self, count: int, timeout: float = 10.0) -> list[Mail]:
        with self._arrived:
            if not self._arrived.wait_for(lambda: len(self.mails) >= count, timeout):
                raise AssertionError(f"expected {count} mails, got {self.mails}")
            return list(self.mails)

    def quiet(self, count: int, grace: float = 0.3) -> list[Mail]:
        """Exactly ``count`` mails, and no more after a short grace time."""
        self.wait(count)
        time.sleep(grace)
        assert len(self.mails) == count, self.mails
        return list(self.mails)

    def __enter__(self) -> MailBox:
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()


def mail_sender(port: int) -> Callable[[str, SubscriberView, Mapping[str, str]], Any]:
    """The ``send_mail`` a test app gets: a plain message through aiosmtplib."""

    async def send_mail(kind: str, subscriber: SubscriberView, links: Mapping[str, str]) -> None:
        message = EmailMessage()
        message["From"] = Address("Test Digest", addr_spec="digest@example.org")
        message["To"] = Address(subscriber.name, addr_spec=subscriber.email)
        message["Subject"] = {"confirm": "Please confirm", "welcome": "Welcome"}[kind]
        message.set_content("\n".join(f"{name}: {url}" for name, url in links.items()) + "\n")
        await aiosmtplib.send(message, hostname="127.0.0.1", port=port, timeout=10)

    return send_mail


@dataclass
class Site:
    url: str
    audience: Audience
    mailbox: MailBox
    clock: Clock
    signer: TokenSigner = field(default_factory=lambda: TokenSigner(SECRET))

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, follow_redirects=False, timeout=10)

    def link(self, purpose: Any, subscriber: SubscriberView, **options: Any) -> str:
        token = self.signer.issue(
            purpose, subscriber.public_id, stamp=subscriber.token_stamp, now=self.clock(), **options
        )
        return f"{self.url}/{purpose}/{token}"

    def add(self, email: str, **options: Any) -> SubscriberView:
        """A subscriber put in place directly (``confirmed`` makes it active)."""
        outcome = self.audience.subscribe(email, source="test", now=self.clock(), **options)
        assert outcome.subscriber is not None
        return outcome.subscriber


@contextmanager
def serve(
    store: Store, mailbox: MailBox, *, mail_port: int | None = None, **overrides: Any
) -> Iterator[Site]:
    """The app on a free port; mail goes to *mailbox*, or to *mail_port* if given."""
    port = free_port()
    clock = Clock()
    settings = WebSettings(
        base_url=f"http://127.0.0.1:{port}",
        secret=SECRET,
        audience=AUDIENCE,
        newsletter="Test Digest",
        ip_limit=RateLimit(1000, timedelta(hours=1)),
        address_limit=RateLimit(3, timedelta(hours=1)),
    )
    settings = replace(settings, **overrides)
    sessions = sessionmaker(store.engine, expire_on_commit=False)
    app = create_app(
        sessions=sessions,
        settings=settings,
        render=render,
        send_mail=mail_sender(mail_port or mailbox.port),
        clock=clock,
    )
    with LiveServer(app, port):
        yield Site(
            url=settings.base_url,
            audience=Audience(sessions, settings.audience),
            mailbox=mailbox,
            clock=clock,
        )


@pytest.fixture
def mailbox() -> Iterator[MailBox]:
    with MailBox() as box:
        yield box


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    with Store(f"sqlite:///{tmp_path / 'web.db'}") as opened:
        yield opened


@pytest.fixture
def site(sqlite_store: Store, mailbox: MailBox) -> Iterator[Site]:
    with serve(sqlite_store, mailbox) as running:
        yield running


def sign_up(client: httpx.Client, email: str, **fields: Any) -> httpx.Response:
    token = csrf_of(client.get("/subscribe"))
    form = {
        "csrf_token": token,
        "email": email,
        "sections": ["World", "Science"],
        "frequency": "daily",
        "weekday": "mon",
        "send_at": "07:30",
        "timezone": "Europe/Paris",
        "website": "",
        **fields,
    }
    return client.post("/subscribe", data=form)


# -- the whole flow ----------------------------------------------------------


def test_sign_up_confirm_change_preferences_and_unsubscribe(db_url: str, mailbox: MailBox) -> None:
    with Store(db_url) as store, serve(store, mailbox) as site, site.client() as client:
        form = client.get("/subscribe")
        assert form.status_code == 200
        assert '<html lang="en">' in form.text
        assert 'name="website"' in form.text and "data-detect" in form.text
        answer = sign_up(client, "Ada@Example.org", name="Ada")
        assert answer.status_code == 200 and "Check your inbox" in answer.text

        (mail,) = mailbox.wait(1)
        assert (mail.to, mail.subject) == ("Ada@example.org", "Please confirm")
        confirm_url = mail.link("confirm")
        assert confirm_url.startswith(site.url + "/confirm/")
        assert "Ada" not in confirm_url and "example" not in confirm_url.split("/confirm/")[1]

        page = client.get(confirm_url)  # a link scanner's visit changes nothing
        assert page.status_code == 200 and "Yes, subscribe me" in page.text
        ada = site.audience.find("ada@example.org")
        assert ada is not None and ada.status == "pending"
        assert (ada.sections, ada.send_at, ada.timezone) == (
            ("World", "Science"),
            "07:30",
            "Europe/Paris",
        )

        done = client.post(confirm_url)
        assert done.status_code == 200 and "You are subscribed" in done.text
        assert (
            "Your next digest is due on Thursday 26 November at 07:30 (Europe/Paris)" in done.text
        )
        welcome = mailbox.wait(2)[1]
        assert welcome.subject == "Welcome"
        assert client.post(confirm_url).text.count("already subscribed") == 1
        mailbox.quiet(2)  # a second click sends no second welcome

        preferences_url = welcome.link("preferences")
        prefs = client.get(preferences_url)
        assert prefs.status_code == 200 and "Ada@example.org" in prefs.text
        saved = client.post(
            preferences_url,
            data={
                "csrf_token": csrf_of(prefs),
                "sections": ["Technology"],
                "frequency": "weekly",
                "weekday": "fri",
                "send_at": "18:00",
                "timezone": "America/New_York",
            },
        )
        assert saved.status_code == 200 and "Your preferences are saved" in saved.text
        assert "Friday 27 November at 18:00 (America/New_York)" in saved.text
        ada = site.audience.find("ada@example.org")
        assert ada is not None
        assert (ada.sections, ada.frequency, ada.weekday) == (("Technology",), "weekly", "fri")
        assert ada.next_due_at == datetime(2026, 11, 27, 23, 0, tzinfo=UTC)

        unsubscribe_url = welcome.link("unsubscribe")
        assert "Unsubscribe from Test Digest?" in client.get(unsubscribe_url).text
        assert site.audience.find("ada@example.org").status == "active"  # type: ignore[union-attr]
        left = client.post(unsubscribe_url)
        assert left.status_code == 200 and "You are unsubscribed" in left.text
        assert site.audience.find("ada@example.org").status == "unsubscribed"  # type: ignore[union-attr]
        actions = [(c.action, c.source) for c in site.audience.consents(ada.id)]
        assert actions == [
            ("subscribe", "form:/subscribe"),
            ("confirm", "confirm link"),
            ("preferences", "form:/preferences"),
            ("unsubscribe", "form:/unsubscribe"),
        ]
        consent = site.audience.consents(ada.id)[0]
        assert (consent.ip, consent.text_version) == ("127.0.0.1", "signup-2026-11")
        assert consent.user_agent and consent.user_agent.startswith("python-httpx")


def test_pages_carry_security_headers_and_hash_their_inline_code(site: Site) -> None:
    with site.client() as client:
        page = client.get("/subscribe")
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["x-content-type-options"] == "nosniff"
    policy_ = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy_ and "frame-ancestors 'none'" in policy_
    script = re.search(r"<script>(.*?)</script>", page.text, re.DOTALL)
    assert script is not None
    digest = base64.b64encode(hashlib.sha256(script.group(1).encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in policy_
    assert "unsafe-inline" not in policy_
    cookie = page.headers["set-cookie"]
    assert "httponly" in cookie.lower() and "samesite=strict" in cookie.lower()


def test_health_and_the_home_page(site: Site) -> None:
    with site.client() as client:
        health = client.get("/healthz")
        assert (health.status_code, health.text) == (200, "ok\n")
        assert client.get("/").headers["location"] == "/subscribe"
        assert client.get("/nothing-here").status_code == 404


# -- no enumeration ----------------------------------------------------------


def _comparable(response: httpx.Response) -> tuple[int, str, dict[str, str]]:
    headers = {k: v for k, v in response.headers.items() if k not in ("date",)}
    return response.status_code, CSRF.sub("", response.text), headers


def test_the_answer_is_the_same_for_new_pending_active_and_unsubscribed(site: Site) -> None:
    site.add("pending@example.org")
    site.add("active@example.org", confirmed=True)
    left = site.add("left@example.org", confirmed=True)
    site.audience.unsubscribe(left.id, now=site.clock(), source="test")
    site.add("bounced@example.org", confirmed=True)
    site.audience.mark_undeliverable("bounced@example.org", "bounced", now=site.clock())
    site.audience.forget(site.add("forgot@example.org", confirmed=True).email, now=site.clock())
    with site.client() as client:
        answers = {
            email: _comparable(sign_up(client, email))
            for email in (
                "new@example.org",
                "pending@example.org",
                "active@example.org",
                "left@example.org",
                "bounced@example.org",
                "forgot@example.org",
            )
        }
    first = answers["new@example.org"]
    assert first[0] == 200 and "set-cookie" not in first[2]
    assert all(answer == first for answer in answers.values())
    # The new and the returning addresses get a confirmation; the active one nothing
    # new, and the pending one was sent one moments ago.
    mails = site.mailbox.quiet(4)
    assert sorted(m.to for m in mails) == [
        "bounced@example.org",
        "forgot@example.org",
        "left@example.org",
        "new@example.org",
    ]
    for returning in ("left@example.org", "bounced@example.org", "forgot@example.org"):
        person = site.audience.find(returning)
        assert person is not None and person.status == "pending"  # until they confirm
        assert site.audience.is_suppressed(returning)


def test_a_bad_address_shows_the_form_again_with_what_is_wrong(site: Site) -> None:
    with site.client() as client:
        answer = sign_up(client, "ada@example", name="Ada <b>")
    assert answer.status_code == 400
    assert "ada@example: the part after the @-sign is not valid" in answer.text
    assert 'value="Ada &lt;b&gt;"' in answer.text  # kept, and escaped
    assert site.audience.list() == []


def test_a_bad_preference_shows_the_form_again(site: Site) -> None:
    with site.client() as client:
        answer = sign_up(client, "ada@example.org", timezone="Mars/Base")
        assert answer.status_code == 400
        assert "time zone: expected an IANA time zone name" in answer.text
        nothing = sign_up(client, "ada@example.org", sections=[])
        assert "choose at least one" in nothing.text
    assert site.audience.list() == []


# -- CSRF, honeypot, rate limits ---------------------------------------------


def test_a_post_without_the_matching_csrf_token_is_refused(site: Site) -> None:
    with site.client() as client, site.client() as other:
        token = csrf_of(client.get("/subscribe"))
        other_token = csrf_of(other.get("/subscribe"))
        form = {"email": "ada@example.org", "sections": ["World"], "timezone": "UTC"}
        no_token = client.post("/subscribe", data=form)
        wrong = client.post("/subscribe", data={**form, "csrf_token": other_token})
        no_cookie = httpx.post(f"{site.url}/subscribe", data={**form, "csrf_token": token})
    for answer in (no_token, wrong, no_cookie):
        assert answer.status_code == 403
        assert "This form had expired" in answer.text
    assert site.audience.list() == []
    site.mailbox.quiet(0, grace=0.1)


def test_a_filled_honeypot_looks_like_success_and_does_nothing(site: Site) -> None:
    with site.client() as client:
        bot = sign_up(client, "bot@example.org", website="http://spam.example")
        person = sign_up(client, "person@example.org")
    assert _comparable(bot) == _comparable(person)
    assert [s.email for s in site.audience.list()] == ["person@example.org"]
    site.mailbox.quiet(1)


def test_too_many_sign_ups_from_one_client_are_refused_for_a_while(
    sqlite_store: Store, mailbox: MailBox
) -> None:
    with serve(sqlite_store, mailbox, ip_limit=RateLimit(3, timedelta(hours=1))) as site:
        with site.client() as client:
            for n in range(3):
                assert sign_up(client, f"p{n}@example.org").status_code == 200
            refused = sign_up(client, "p3@example.org")
            assert refused.status_code == 429
            assert refused.headers["retry-after"] == "1200"
            assert "Please try again in 20 minutes" in refused.text
            site.clock.advance(minutes=20)
            assert sign_up(client, "p3@example.org").status_code == 200
        assert len(site.audience.list()) == 4


def test_one_address_gets_few_mails_however_often_it_is_entered(
    sqlite_store: Store, mailbox: MailBox
) -> None:
    limit = RateLimit(2, timedelta(hours=1))
    with serve(sqlite_store, mailbox, address_limit=limit) as site, site.client() as client:
        answers = []
        for _ in range(3):
            answers.append(_comparable(sign_up(client, "ada@example.org")))
            site.clock.advance(minutes=11)  # past the resend pause each time
    assert answers[0] == answers[1] == answers[2]
    # 2 an hour, refilled evenly: the third try comes too soon and sends nothing.
    assert len(mailbox.quiet(2)) == 2


def test_a_confirmation_mail_that_could_not_be_sent_is_sent_at_the_next_sign_up(
    sqlite_store: Store, mailbox: MailBox
) -> None:
    closed = free_port()  # nothing listens there: the SMTP connection is refused
    with serve(sqlite_store, mailbox, mail_port=closed) as site, site.client() as client:
        assert sign_up(client, "ada@example.org").status_code == 200
        # The mail is sent after the answer; once it has failed, the resend pause is lifted.
        deadline = time.monotonic() + 10
        while True:
            again = site.audience.subscribe(
                "ada@example.org", source="test", now=site.clock() + timedelta(minutes=1)
            )
            if again.action == "resent" or time.monotonic() > deadline:
                break
            time.sleep(0.05)
    assert again.action == "resent"
    assert mailbox.quiet(0) == []


def test_the_token_bucket_refills_evenly() -> None:
    bucket = TokenBucket(RateLimit(2, timedelta(minutes=10)))
    assert bucket.take("a", 0.0) == 0.0
    assert bucket.take("a", 0.0) == 0.0
    assert bucket.take("a", 0.0) == pytest.approx(300.0)
    assert bucket.take("b", 0.0) == 0.0
    assert bucket.take("a", 300.0) == 0.0


# -- tokens ------------------------------------------------------------------


def _tamper(url: str) -> str:
    head, _, token = url.rpartition("/")
    index = len(token) // 3
    return f"{head}/{token[:index]}{'A' if token[index] != 'A' else 'B'}{token[index + 1 :]}"


@pytest.mark.parametrize("purpose", ["confirm", "unsubscribe", "preferences"])
def test_every_kind_of_bad_link_gets_a_friendly_page_and_changes_nothing(
    site: Site, purpose: str
) -> None:
    person = site.add("ada@example.org", confirmed=purpose != "confirm")
    good = site.link(purpose, person)
    other = "unsubscribe" if purpose != "unsubscribe" else "confirm"
    cases = {
        "tampered": (_tamper(good), 400, "This link does not work"),
        "truncated": (good[:-10], 400, "This link does not work"),
        "wrong purpose": (
            site.link(other, person).replace(f"/{other}/", f"/{purpose}/"),
            400,
            "This link is meant for something else",
        ),
        "expired": (
            site.link(purpose, person, lifetime=timedelta(seconds=1)),
            410,
            "This link has expired",
        ),
    }
    site.clock.advance(seconds=2)
    with site.client() as client:
        for name, (url, status, heading) in cases.items():
            for method in ("GET", "POST"):
                answer = client.request(method, url, data={"List-Unsubscribe": "One-Click"})
                assert (answer.status_code, name) == (status, name)
                assert heading in answer.text and "Nothing has been changed" in answer.text
    after = site.audience.find("ada@example.org")
    assert after is not None and after.status == person.status
    assert len(site.audience.consents(person.id)) == 1


def test_links_from_before_a_new_subscription_are_revoked(site: Site) -> None:
    ada = site.add("ada@example.org", confirmed=True)
    old_unsubscribe = site.link("unsubscribe", ada)
    old_preferences = site.link("preferences", ada)
    site.audience.unsubscribe(ada.id, now=site.clock(), source="test")
    again = site.add("ada@example.org")
    site.audience.confirm(again.id, now=site.clock())
    with site.client() as client:
        for url in (old_unsubscribe, old_preferences):
            answer = client.post(url, data={"List-Unsubscribe": "One-Click"})
            assert answer.status_code == 410
            assert "belongs to an earlier subscription" in answer.text
    assert site.audience.find("ada@example.org").status == "active"  # type: ignore[union-attr]


def test_links_of_a_forgotten_person_change_nothing(site: Site) -> None:
    ada = site.add("ada@example.org", confirmed=True)
    unsubscribe, preferences = site.link("unsubscribe", ada), site.link("preferences", ada)
    site.audience.forget("ada@example.org", now=site.clock())
    with site.client() as client:
        assert "You are unsubscribed" in client.post(unsubscribe).text
        assert client.get(preferences).status_code == 410
    assert site.audience.list() == []


def test_a_confirm_link_after_unsubscribing_does_not_resubscribe(site: Site) -> None:
    ada = site.add("ada@example.org")
    confirm = site.link("confirm", ada)
    site.audience.unsubscribe(ada.id, now=site.clock(), source="test")
    with site.client() as client:
        assert client.get(confirm).status_code == 410
        answer = client.post(confirm)
    assert answer.status_code == 410 and "This subscription has ended" in answer.text
    assert site.audience.find("ada@example.org").status == "unsubscribed"  # type: ignore[union-attr]


# -- one-click unsubscribe (RFC 8058) ----------------------------------------


def test_one_click_urlencoded_without_cookies_is_immediate_and_repeatable(site: Site) -> None:
    ada = site.add("ada@example.org", confirmed=True)
    url = site.link("unsubscribe", ada)
    for _ in range(2):
        answer = httpx.post(
            url,
            content=b"List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert answer.status_code == 200 and "location" not in answer.headers
        assert "set-cookie" not in answer.headers
    assert site.audience.find("ada@example.org").status == "unsubscribed"  # type: ignore[union-attr]
    withdrawals = [c for c in site.audience.consents(ada.id) if c.action == "unsubscribe"]
    assert [c.source for c in withdrawals] == ["one-click"]
    assert site.audience.is_suppressed("ada@example.org")


def test_one_click_multipart(site: Site) -> None:
    ada = site.add("ada@example.org", confirmed=True)
    body = (
        b"--XyZ\r\n"
        b'Content-Disposition: form-data; name="List-Unsubscribe"\r\n\r\n'
        b"One-Click\r\n"
        b"--XyZ--\r\n"
    )
    answer = httpx.post(
        site.link("unsubscribe", ada),
        content=body,
        headers={"Content-Type": "multipart/form-data; boundary=XyZ"},
    )
    assert answer.status_code == 200 and "You are unsubscribed" in answer.text
    (withdrawal,) = [c for c in site.audience.consents(ada.id) if c.action == "unsubscribe"]
    assert withdrawal.source == "one-click"


# -- preferences -------------------------------------------------------------


def test_preferences_need_the_csrf_token_and_valid_values(site: Site) -> None:
    ada = site.add("ada@example.org", confirmed=True)
    url = site.link("preferences", ada)
    with site.client() as client:
        page = client.get(url)
        refused = client.post(url, data={"frequency": "weekly", "timezone": "UTC"})
        assert refused.status_code == 403
        bad = client.post(
            url,
            data={
                "csrf_token": csrf_of(page),
                "sections": ["World"],
                "frequency": "weekly",
                "weekday": "fri",
                "send_at": "7pm",
                "timezone": "UTC",
            },
        )
        assert bad.status_code == 400 and "send time: expected a 24-hour time" in bad.text
        paused = client.post(
            url,
            data={
                "csrf_token": csrf_of(page),
                "sections": list(SECTIONS),
                "frequency": "daily",
                "weekday": "mon",
                "send_at": "07:00",
                "timezone": "UTC",
                "paused": "yes",
            },
        )
        assert "Your digests are paused." in paused.text
    after = site.audience.find("ada@example.org")
    assert after is not None and after.paused and after.frequency == "daily"
    assert after.sections is None


# -- concurrency -------------------------------------------------------------


def test_concurrent_confirm_clicks_activate_once_and_welcome_once(
    db_url: str, mailbox: MailBox
) -> None:
    with Store(db_url) as store, serve(store, mailbox) as site:
        ada = site.add("ada@example.org")
        url = site.link("confirm", ada)

        async def click_all() -> list[httpx.Response]:
            async with httpx.AsyncClient(timeout=10) as client:
                return list(await asyncio.gather(*(client.post(url) for _ in range(8))))

        answers = asyncio.run(click_all())
        assert {a.status_code for a in answers} == {200}
        assert sum("<h1>You are subscribed</h1>" in a.text for a in answers) == 1
        assert sum("<h1>You are already subscribed</h1>" in a.text for a in answers) == 7
        (welcome,) = mailbox.quiet(1)
        assert welcome.subject == "Welcome"
        actions = [c.action for c in site.audience.consents(ada.id)]
        assert actions == ["subscribe", "confirm"]


# -- the secret --------------------------------------------------------------


def test_the_placeholder_secret_only_serves_loopback(sqlite_store: Store, mailbox: MailBox) -> None:
    for host in ("127.0.0.1", "::1", "[::1]", "localhost", "127.0.0.2"):
        check_secret("change-me", "change-me", host)
    for host in ("0.0.0.0", "192.0.2.10", "::", "example.org"):
        with pytest.raises(InsecureSecret, match="placeholder 'change-me'"):
            check_secret("change-me", "change-me", host)
    check_secret("a real secret", "change-me", "0.0.0.0")
    with pytest.raises(InsecureSecret, match="empty"):
        check_secret("", "change-me", "127.0.0.1")
    settings = WebSettings(
        base_url="https://news.example.org",
        secret="change-me",
        audience=AUDIENCE,
        host="0.0.0.0",
        placeholder_secret="change-me",
    )
    with pytest.raises(InsecureSecret):
        create_app(
            sessions=sessionmaker(sqlite_store.engine),
            settings=settings,
            render=render,
            send_mail=mail_sender(mailbox.port),
        )
