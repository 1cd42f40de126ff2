"""The whole web site of ``digest serve`` over real HTTP (uvicorn), with a real SMTP server.

The sign-up pages themselves are tested in ``test_subscribers_web.py`` with
test doubles for templates and mail; here they run with the application's
own templates, renderer and mailer, next to the archive and the operator
preview.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller

from digest.cli.main import main
from digest.config import Settings
from digest.errors import ConfigError
from digest.pipeline.audience import open_audience
from digest.pipeline.editions import public_renderer, publish
from digest.records import EditionData
from digest.store import Store
from digest.web.app import create_web_app
from tests.conftest import ConfigWriter
from tests.support.smtpd import free_port
from tests.support.web import LiveServer, csrf_of
from tests.test_render import make_digest

SECRET = "a-test-secret-that-is-long-enough-0123456789"
OPERATOR_TOKEN = "operator-token-0123456789abcdef"
ARTICLES = {
    "comet.md": "# Comet seen over the Alps\n\nAstronomers in Geneva tracked a bright comet "
    "across the night sky on Tuesday. The comet will be visible for another week. Observers "
    "should look north after dusk.\n",
    "reef.md": "# Coral reef recovers after heat wave\n\nMarine biologists reported that the "
    "reef off Queensland has regrown most of its coral. The recovery took four years. "
    "Scientists warn that more heat waves are coming.\n",
}


class Inbox:
    """A real SMTP server (aiosmtpd) that keeps each message as sent."""

    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[EmailMessage] = []
        self._arrived = threading.Condition()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        with self._arrived:
            self.messages.append(message)
            self._arrived.notify_all()
        return "250 Message accepted"

    def wait(self, count: int, timeout: float = 10.0) -> list[EmailMessage]:
        with self._arrived:
            if not self._arrived.wait_for(lambda: len(self.messages) >= count, timeout):
                raise AssertionError(f"expected {count} messages, got {len(self.messages)}")
            return list(self.messages)

    def __enter__(self) -> Inbox:
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()


def text_of(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())  # type: ignore[attr-defined]


def link(text: str, path: str) -> str:
    found = re.search(rf"https?://\S+{path}/[A-Za-z0-9_.-]+", text)
    assert found, f"no {path} link in:\n{text}"
    return found.group(0)


@dataclass
class Site:
    url: str
    settings: Settings
    store: Store
    app: Any

    def client(self, **options: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, follow_redirects=False, timeout=10, **options)

    def operator(self) -> httpx.Client:
        """A client that shows the operator token."""
        bearer = {"Authorization": f"Bearer {self.settings.web.operator_token}"}
        return self.client(headers=bearer)


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    with Inbox() as running:
        yield running


@pytest.fixture
def site_config(make_config: ConfigWriter, tmp_path: Path, db_url: str, inbox: Inbox) -> Settings:
    folder = tmp_path / "science"
    folder.mkdir()
    for name, text in ARTICLES.items():
        (folder / name).write_text(text, encoding="utf-8")
    return make_config(
        sources=[("Lab notes", str(folder), "Science")],
        sections=("Science",),
        db_url=db_url,
        extra=f'[smtp]\nhost = "127.0.0.1"\nport = {inbox.port}\nsecurity = "none"\n',
    )


@contextmanager
def running_site(settings: Settings, **web: Any) -> Iterator[Site]:
    """The site on a free loopback port; *web* overrides ``[web]`` (``host``: what it believes).

    The operator token is :data:`OPERATOR_TOKEN` unless *web* says otherwise.
    """
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = replace(
        settings,
        secret_key=SECRET,
        newsletter=replace(settings.newsletter, base_url=url),
        web=replace(
            settings.web,
            **{"host": "127.0.0.1", "port": port, "operator_token": OPERATOR_TOKEN, **web},
        ),
    )
    with Store(settings.storage.url) as store:
        app = create_web_app(store, settings)
        with LiveServer(app, port):
            yield Site(url=url, settings=settings, store=store, app=app)


def edition(key: str, subject: str) -> EditionData:
    start = datetime(2026, 12, 1, 7, tzinfo=UTC)
    return EditionData(
        key=key,
        subject=subject,
        preheader="Comet seen over the Alps",
        html=f"<!doctype html><html lang='en'><body><h1>{subject}</h1></body></html>",
        text=f"{subject}\n",
        items=2,
        sections=("Science",),
        article_ids=(1, 2),
        period_start=start,
        period_end=start + timedelta(days=1),
    )


def test_archive_lists_editions_and_shows_each(site_config: Settings) -> None:
    with running_site(site_config) as site, site.client() as client:
        empty = client.get("/archive")
        assert empty.status_code == 200 and "No edition has been sent yet" in empty.text
        now = datetime(2026, 12, 2, 7, tzinfo=UTC)
        first = site.store.archive(edition("a", "Monday: comets"), now=now)
        second = site.store.archive(edition("b", "Tuesday: reefs"), now=now + timedelta(days=1))

        listing = client.get("/archive")
        assert listing.status_code == 200
        assert listing.text.index("Tuesday: reefs") < listing.text.index("Monday: comets")
        assert f'href="/archive/{first}"' in listing.text
        assert f'href="/archive/{second}"' in listing.text

        shown = client.get(f"/archive/{first}")
        assert shown.status_code == 200
        assert "<h1>Monday: comets</h1>" in shown.text
        policy_header = shown.headers["content-security-policy"]
        assert "default-src 'none'" in policy_header and "script-src" not in policy_header

        missing = client.get("/archive/9999")
        assert missing.status_code == 404 and "not in the archive" in missing.text
        assert client.get("/archive/nope").status_code == 404


def test_archive_pages_back_and_shows_a_published_edition(site_config: Settings) -> None:
    with running_site(site_config) as site, site.client() as client:
        now = datetime(2026, 12, 2, 7, tzinfo=UTC)
        ids = [
            site.store.archive(edition(f"k{n}", f"Edition number {n}"), now=now + timedelta(n))
            for n in range(51)
        ]
        newest = client.get("/archive").text
        assert "Edition number 50<" in newest and "Edition number 1<" in newest
        assert "Edition number 0<" not in newest
        older = re.search(r'href="(/archive\?before=\d+)">Older editions', newest)
        assert older, newest
        oldest = client.get(older.group(1)).text
        assert f'href="/archive/{ids[0]}"' in oldest and "Edition number 1<" not in oldest
        assert "Older editions" not in oldest

        # What the send step will do: publish the digest, link to it as the web version.
        digest = make_digest()
        url = publish(site.store, public_renderer(site.app.state.renderer), digest, now=now)
        assert url.startswith(f"{site.url}/archive/")
        shown = client.get(url.removeprefix(site.url))
        assert shown.status_code == 200
        for story in digest.stories:
            assert story.lead.title in shown.text
        assert f'href="/archive/{url.rsplit("/", 1)[1]}"' in client.get("/archive").text


def test_sign_up_through_the_site_sends_the_real_confirmation_and_welcome_mails(
    site_config: Settings, inbox: Inbox
) -> None:
    with running_site(site_config) as site, site.client() as client:
        form = client.get("/subscribe")
        assert form.status_code == 200
        answer = client.post(
            "/subscribe",
            data={
                "email": "reader@example.net",
                "csrf_token": csrf_of(form),
                "sections": "Science",
                "frequency": "daily",
                "send_at": "07:30",
                "timezone": "Europe/Paris",
            },
        )
        assert answer.status_code in (200, 303), answer.text
        (confirmation,) = inbox.wait(1)
        assert confirmation["To"] == "reader@example.net"
        assert confirmation["Subject"] == "Confirm your subscription to Test Digest"
        assert confirmation["From"].addresses[0].addr_spec == "digest@example.org"
        assert "List-Unsubscribe" not in confirmation  # nothing to leave before confirming
        assert confirmation.get_body(("html",)) is not None
        confirm_url = link(text_of(confirmation), "/confirm")
        assert "reader" not in confirm_url

        page = client.get(confirm_url)
        assert page.status_code == 200 and "<form" in page.text
        done = client.post(confirm_url)
        assert done.status_code == 200, done.text
        welcome = inbox.wait(2)[1]
        assert welcome["Subject"] == "Welcome to Test Digest"
        assert welcome["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        unsubscribe = re.fullmatch(r"<(\S+)>", str(welcome["List-Unsubscribe"]))
        assert unsubscribe, welcome["List-Unsubscribe"]
        assert unsubscribe.group(1).startswith(f"{site.url}/unsubscribe/")
        body = text_of(welcome)
        assert "07:30" in body and "Europe/Paris" in body

        one_click = httpx.post(
            unsubscribe.group(1), data={"List-Unsubscribe": "One-Click"}, timeout=10
        )
        assert one_click.status_code == 200
        gone = site.app.state.site.state.audience.find("reader@example.net")
        assert gone is not None and gone.status == "unsubscribed"


def test_the_placeholder_secret_is_refused_off_loopback(
    site_config: Settings, tmp_path: Path
) -> None:
    settings = replace(site_config, web=replace(site_config.web, host="0.0.0.0"))
    with Store(settings.storage.url) as store, pytest.raises(ConfigError) as caught:
        create_web_app(store, settings)
    message = str(caught.value)
    assert message.startswith("config.toml: web.host:") and "DIGEST_SECRET_KEY" in message
    # on loopback it starts with the placeholder
    with Store(settings.storage.url) as store:
        create_web_app(store, replace(settings, web=replace(settings.web, host="127.0.0.1")))


def test_operator_pages_need_the_token_on_loopback_too(site_config: Settings) -> None:
    paths = ("/operator/stamp", "/operator/preview", "/operator/preview/email")
    with running_site(site_config) as site:
        with site.client() as client:  # this machine, directly, without the token: refused
            for path in paths:
                answer = client.get(path)
                assert answer.status_code == 403, path
                assert "DIGEST_OPERATOR_TOKEN" in answer.text
            # a forwarding header neither opens nor closes the door
            relayed = client.get("/operator/stamp", headers={"X-Forwarded-For": "127.0.0.1"})
            assert relayed.status_code == 403
            # the public pages do not care
            assert client.get("/archive").status_code == 200
        with site.operator() as client:
            for path in ("/operator/stamp", "/operator/preview"):
                assert client.get(path).status_code == 200, path
            relayed = client.get("/operator/stamp", headers={"Forwarded": "for=203.0.113.9"})
            assert relayed.status_code == 200


def test_operator_pages_refuse_everyone_without_a_token(site_config: Settings) -> None:
    # No token at all (an app built without one): nobody gets in, this machine included.
    for host in ("127.0.0.1", "0.0.0.0"):
        with (
            running_site(site_config, host=host, operator_token="") as site,
            site.client() as client,
        ):
            for path in ("/operator/stamp", "/operator/preview", "/operator/preview/email"):
                answer = client.get(path)
                assert answer.status_code == 403, (host, path)
                assert "DIGEST_OPERATOR_TOKEN" in answer.text
            assert client.get("/operator/preview?token=").status_code == 403
            with_bearer = client.get("/operator/stamp", headers={"Authorization": "Bearer"})
            assert with_bearer.status_code == 403
    # The server believes it listens on every interface: the token still opens it.
    with running_site(site_config, host="0.0.0.0") as site, site.operator() as client:
        assert client.get("/operator/stamp").status_code == 200


def test_operator_preview_picks_a_subscriber_and_shows_each_view(site_config: Settings) -> None:
    assert main(["--config", str(site_config.path), "fetch"]) == 0
    titles = ("Comet seen over the Alps", "Coral reef recovers after heat wave")
    with running_site(site_config) as site, site.operator() as client:
        audience = open_audience(site.store, site.settings, site.app.state.renderer)
        now = datetime.now(UTC)
        ann = audience.subscribe(
            "ann@example.org", name="Ann Reader", source="test", confirmed=True, now=now
        ).subscriber
        audience.subscribe("pending@example.org", source="test", now=now)
        assert ann is not None

        page = client.get("/operator/preview")
        assert page.status_code == 200
        assert '<option value="">Default reader' in page.text
        assert '<option value="ann@example.org">' in page.text
        assert "pending@example.org" not in page.text  # only active subscribers to pick
        assert "preview@example.invalid" in page.text
        frame = client.get("/operator/preview/email")
        assert frame.status_code == 200 and all(t in frame.text for t in titles)
        shown = re.search(r'<span id="size">([\d.]+) KB</span> of 100.0 KB', page.text)
        assert shown, page.text
        assert shown.group(1) == f"{len(frame.text.encode('utf-8')) / 1024:.1f}"

        mine = {"subscriber": "ann@example.org"}
        text = client.get("/operator/preview", params={**mine, "view": "text"}).text
        assert '<option value="ann@example.org" selected>' in text
        assert "Ann Reader &lt;ann@example.org&gt;" in text
        assert "view=raw&amp;subscriber=ann%40example.org" in text  # the views keep the pick
        body = re.search(r'<pre id="text">(.*?)</pre>', text, re.DOTALL)
        assert body and all(t in body.group(1) for t in titles)
        assert f"{site.url}/preferences/" in body.group(1)
        raw = client.get("/operator/preview", params={**mine, "view": "raw"}).text
        assert "MIME-Version: 1.0" in raw and "To: Ann Reader &lt;ann@example.org&gt;" in raw
        theirs = client.get("/operator/preview/email", params=mine)
        assert theirs.status_code == 200 and f"{site.url}/unsubscribe/" in theirs.text
        assert theirs.headers["cache-control"] == "no-store"
        assert "script-src" not in theirs.headers["content-security-policy"]

        unknown = client.get("/operator/preview", params={"subscriber": "nobody@example.org"})
        assert unknown.status_code == 200
        assert "no subscriber has the address nobody@example.org" in unknown.text
        assert "<iframe" not in unknown.text
        frame = client.get("/operator/preview/email", params={"subscriber": "nobody@example.org"})
        assert frame.status_code == 422

        audience.mark_delivered(ann.id, watermark=now, now=now)
        nothing = client.get("/operator/preview", params=mine).text
        assert "nothing new for ann@example.org since " in nothing and "<iframe" not in nothing
        assert client.get("/operator/preview/email", params=mine).status_code == 404


def test_operator_pages_ask_for_the_token_when_one_is_configured(site_config: Settings) -> None:
    token = "another-operator-token-0123456789"
    with running_site(site_config, operator_token=token) as site, site.client() as client:
        assert client.get("/operator/stamp").status_code == 403
        assert client.get("/operator/preview/email").status_code == 403
        wrong = client.get("/operator/stamp", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 403
        bearer = client.get("/operator/stamp", headers={"Authorization": f"Bearer {token}"})
        assert bearer.status_code == 200 and "stamp" in bearer.json()
        assert client.get("/operator/preview?token=wrong").status_code == 403
        # the cookie is not the token: showing the token as a cookie does not open the door
        with site.client(cookies={"digest_operator": token}) as forged:
            assert forged.get("/operator/stamp").status_code == 403

        login = client.get(f"/operator/preview?view=text&token={token}")
        assert login.status_code == 303
        assert login.headers["location"] == "/operator/preview?view=text"  # token dropped
        cookie = login.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie
        assert "Path=/operator" in cookie and "Secure" not in cookie  # base_url is http
        assert token not in cookie
        assert client.get("/operator/stamp").status_code == 200  # the cookie now


def test_the_template_stamp_changes_when_a_template_changes(
    site_config: Settings, tmp_path: Path
) -> None:
    overrides = tmp_path / "templates"
    (overrides / "email").mkdir(parents=True)
    settings = replace(site_config, newsletter=replace(site_config.newsletter, templates=overrides))
    with running_site(settings) as site, site.operator() as client:
        before = client.get("/operator/stamp").json()["stamp"]
        assert client.get("/operator/stamp").json()["stamp"] == before
        (overrides / "email" / "digest.txt.j2").write_text("{{ title }}\n", encoding="utf-8")
        after = client.get("/operator/stamp").json()["stamp"]
        assert after != before


def test_digest_serve_runs_until_interrupted(site_config: Settings, tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "DIGEST_SECRET_KEY": ""}
    process = subprocess.Popen(
        [sys.executable, "-m", "digest", "--config", str(site_config.path), "serve",
         "--port", str(port)],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except httpx.TransportError:
                assert process.poll() is None, process.communicate()
                assert time.monotonic() < deadline, "digest serve did not answer"
                time.sleep(0.1)
        assert answer.status_code == 200 and answer.text == "ok\n"
        assert httpx.get(f"http://127.0.0.1:{port}/subscribe", timeout=5).status_code == 200
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=20)
    assert f"http://127.0.0.1:{port}/subscribe" in out
    assert "Traceback" not in err


def test_digest_serve_refuses_a_public_address_without_a_secret(
    site_config: Settings, tmp_path: Path
) -> None:
    env = {**os.environ, "DIGEST_SECRET_KEY": ""}
    done = subprocess.run(
        [sys.executable, "-m", "digest", "--config", str(site_config.path), "serve",
         "--host", "0.0.0.0", "--port", str(free_port())],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2, done
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "DIGEST_SECRET_KEY" in lines[0], done.stderr
