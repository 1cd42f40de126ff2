"""Issue 13, "Headers and tokens": one spelling per token and CSRF value, random public ids
instead of row ids in links, no fresh link for a confirmation used twice, and links from mails
sent before the change that keep working until they expire.

Every web test runs the real server (uvicorn) and reads the mail a real aiosmtpd received.
"""

from __future__ import annotations

import base64
import hashlib
import re
import struct
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from itsdangerous import Signer
from itsdangerous.encoding import base64_encode
from sqlalchemy import inspect, select, text
from sqlalchemy.orm import sessionmaker

from digest.config import Settings
from digest.store import Store
from digest.store.engine import alembic_config, create_db_engine
from digest.web.app import create_web_app
from subscribers.db import Base
from subscribers.models import Consent, Subscriber
from subscribers.service import Audience
from subscribers.tokens import TokenInvalid, TokenSigner, TokenWrongPurpose
from subscribers.views import AudienceSettings, SubscriberView
from tests.conftest import ConfigWriter
from tests.support.smtpd import SMTPServer
from tests.test_subscribers_web import (
    NOW,
    SECRET,
    LiveServer,
    MailBox,
    Site,
    csrf_of,
    free_port,
    serve,
    sign_up,
)

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{20,}")
STAMP = "0123456789abcdef"
PUBLIC = "00112233445566778899aabbccddeeff"


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    """The sign-up app on uvicorn, its mail going to a real aiosmtpd, with a clock to move."""
    with (
        Store(f"sqlite:///{tmp_path / 'web.db'}") as store,
        MailBox() as mailbox,
        serve(store, mailbox) as running,
    ):
        yield running


def b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def other_last_chars(part: str) -> list[str]:
    """The other spellings of ``part``: its last character with the unused low bits changed."""
    unused = len(part) * 6 % 8  # bits of the last character that decoding drops
    index = ALPHABET.index(part[-1])
    base = index & ~((1 << unused) - 1)
    spellings = [
        part[:-1] + ALPHABET[base | low] for low in range(1 << unused) if base | low != index
    ]
    assert all(b64decode(spelling) == b64decode(part) for spelling in spellings)
    return spellings


def flip_case(part: str) -> str:
    """``part`` with its first letter in the other case."""
    at = next(i for i, ch in enumerate(part) if ch.isalpha())
    return part[:at] + part[at].swapcase() + part[at + 1 :]


def respellings(token: str, *, in_a_path: bool = False) -> dict[str, str]:
    """Other strings for ``token``; most decode to the very bytes it was signed as.

    ``in_a_path``: only those that stay one segment of a URL path ("/" would not).
    """
    payload, signature = token.split(".")
    cases = {
        f"signature ends in {spelling[-1]!r}": f"{payload}.{spelling}"
        for spelling in other_last_chars(signature)
    }
    cases |= {
        "padded signature": token + "=",
        "padded twice": token + "==",
        "padded payload": f"{payload}=.{signature}",
        "leading space": " " + token,
        "trailing space": token + " ",
        "trailing newline": token + "\n",
        "a tab inside": f"{payload}.{signature[:9]}\t{signature[9:]}",
        "a space inside": f"{payload[:7]} {payload[7:]}",
        "odd characters": f"{payload}.{signature[:4]}!*~{signature[4:]}",
        "a non-ASCII letter": f"{payload}.{signature[:5]}é{signature[5:]}",
        "a no-break space": token + "\u00a0",
        "standard alphabet (+)": token.replace("-", "+"),
        "payload case": f"{flip_case(payload)}.{signature}",
        "signature case": f"{payload}.{flip_case(signature)}",
    }
    if not in_a_path:
        cases["standard alphabet (/)"] = token.replace("_", "/")
    return {name: spelling for name, spelling in cases.items() if spelling != token}


def a_token_with_both_extra_characters(signer: TokenSigner, purpose: str = "confirm") -> str:
    """A token that has "-" and "_" in it, so the alphabet cases change something."""
    for minutes in range(500):
        token = signer.issue(  # type: ignore[arg-type]
            purpose, PUBLIC, stamp=STAMP, now=NOW + timedelta(minutes=minutes)
        )
        if "-" in token and "_" in token:
            return token
    raise AssertionError("no token with both '-' and '_'")  # pragma: no cover


# -- one spelling ------------------------------------------------------------


def test_a_token_is_accepted_only_as_it_was_issued() -> None:
    signer = TokenSigner(SECRET)
    token = a_token_with_both_extra_characters(signer)
    assert signer.verify(token, "confirm", now=NOW).public_id == PUBLIC
    cases = respellings(token)
    assert len(cases) >= 17
    accepted = []
    for name, spelling in cases.items():
        # nor is a respelt genuine token "meant for something else": it is not genuine
        for purpose in ("confirm", "unsubscribe"):
            try:
                signer.verify(spelling, purpose, now=NOW)  # type: ignore[arg-type]
            except TokenInvalid:
                continue
            except TokenWrongPurpose:
                accepted.append(f"{name}: as another purpose's token")
            else:
                accepted.append(name)
    assert accepted == []
    with pytest.raises(TokenWrongPurpose):  # the original is, for the other purpose
        signer.verify(token, "unsubscribe", now=NOW)


def test_tokens_stay_as_short_as_before_and_carry_the_public_id() -> None:
    token = TokenSigner(SECRET).issue("unsubscribe", PUBLIC, stamp=STAMP, now=NOW)
    payload, signature = token.split(".")
    assert (len(payload), len(signature)) == (44, 43)  # 33 bytes and a SHA-256 signature
    raw = b64decode(payload)
    assert raw[0] == 3 and raw[1:17].hex() == PUBLIC and raw[-8:].hex() == STAMP


@pytest.mark.parametrize("purpose", ["confirm", "unsubscribe", "preferences"])
def test_every_other_spelling_of_a_link_gets_the_invalid_link_page(
    site: Site, purpose: str
) -> None:
    person = site.add("ada@example.org", confirmed=purpose != "confirm")
    good = site.link(purpose, person)
    head, _, token = good.rpartition("/")
    with site.client() as client:
        for name, spelling in respellings(token, in_a_path=True).items():
            for method in ("GET", "POST"):
                answer = client.request(
                    method,
                    f"{head}/{quote(spelling, safe='')}",
                    data={"List-Unsubscribe": "One-Click"},
                )
                assert (name, method, answer.status_code) == (name, method, 400)
                assert "This link does not work" in answer.text
                assert "Nothing has been changed" in answer.text
        after = site.audience.find("ada@example.org")
        assert after is not None and after.status == person.status
        assert len(site.audience.consents(person.id)) == 1
        if purpose == "preferences":
            original = client.get(good)
            expected = "ada@example.org"
        else:
            original = client.post(good, data={"List-Unsubscribe": "One-Click"})
            expected = {"confirm": "You are subscribed", "unsubscribe": "You are unsubscribed"}[
                purpose
            ]
    assert original.status_code == 200 and expected in original.text


def test_a_csrf_value_is_accepted_only_as_it_was_issued(site: Site) -> None:
    ada = site.add("ada@example.org", confirmed=True)
    url = site.link("preferences", ada)
    form = {
        "sections": ["Science"],
        "frequency": "weekly",
        "weekday": "fri",
        "send_at": "18:00",
        "timezone": "UTC",
    }
    with site.client() as client:
        value = csrf_of(client.get(url))
        assert len(value) == 43  # a SHA-256 signature: 2 bits of its last character unused
        variants = [*other_last_chars(value)]
        variants += [
            value + "=",
            value + " ",
            " " + value,
            value[:5] + "!" + value[5:],
            value[:5] + "é" + value[5:],
            value.replace("-", "+").replace("_", "/"),
            flip_case(value),
        ]
        for variant in {v for v in variants if v != value}:
            refused = client.post(url, data={**form, "csrf_token": variant})
            assert (variant, refused.status_code) == (variant, 403)
            assert "This form had expired" in refused.text
        assert site.audience.get(ada.id).frequency == "daily"  # type: ignore[union-attr]
        saved = client.post(url, data={**form, "csrf_token": value})
    assert saved.status_code == 200 and "Your preferences are saved" in saved.text
    assert site.audience.get(ada.id).frequency == "weekly"  # type: ignore[union-attr]


# -- links from before public ids -----------------------------------------------


def old_token(purpose: str, subscriber_id: int, stamp: str, issued: datetime, expires: datetime):
    """A token as ``subscribers/tokens.py`` made them before public ids (format version 2)."""
    payload = struct.pack(
        ">BQQQ8s",
        2,
        subscriber_id,
        int(issued.timestamp()),
        int(expires.timestamp()),
        bytes.fromhex(stamp),
    )
    signer = Signer(
        SECRET,
        salt=f"subscribers.tokens.{purpose}",
        key_derivation="hmac",
        digest_method=hashlib.sha256,
    )
    return signer.sign(base64_encode(payload)).decode("ascii")


def test_the_old_encoder_makes_what_the_old_code_made() -> None:
    # What the old code (subscribers/tokens.py as of commit 1ea57be) returned for
    # TokenSigner(SECRET).issue("unsubscribe", 42, stamp=STAMP, now=NOW,
    #                           lifetime=timedelta(days=1)).
    made = old_token("unsubscribe", 42, STAMP, NOW, NOW + timedelta(days=1))
    assert made == (
        "AgAAAAAAAAAqAAAAAGsGzcAAAAAAawgfQAEjRWeJq83v.nyXXGPfZmw85q6W1y4lGqAgmhORRuqBYTKWz4pDYAO0"
    )
    claims = TokenSigner(SECRET).verify(made, "unsubscribe", now=NOW)
    assert (claims.public_id, claims.legacy_id, claims.stamp) == (None, 42, STAMP)
    # an old token has one spelling too
    payload, signature = made.split(".")
    for spelling in other_last_chars(signature):
        with pytest.raises(TokenInvalid):
            TokenSigner(SECRET).verify(f"{payload}.{spelling}", "unsubscribe", now=NOW)


def old_link(site: Site, purpose: str, person: SubscriberView, lifetime: timedelta) -> str:
    now = site.clock()
    token = old_token(purpose, person.id, person.token_stamp, now, now + lifetime)
    return f"{site.url}/{purpose}/{token}"


def test_links_in_mails_sent_before_public_ids_work_until_they_expire(site: Site) -> None:
    ada = site.add("ada@example.org", confirmed=True)
    bo = site.add("bo@example.org", confirmed=True)
    cy = site.add("cy@example.org", confirmed=True)
    dee = site.add("dee@example.org")
    preferences = old_link(site, "preferences", ada, timedelta(days=1))
    unsubscribe_now = old_link(site, "unsubscribe", bo, timedelta(days=1))
    unsubscribe_later = old_link(site, "unsubscribe", cy, timedelta(days=1))
    confirm = old_link(site, "confirm", dee, timedelta(days=1))
    # the id of one, the stamp of another: not theirs
    mixed = old_token(
        "preferences", bo.id, ada.token_stamp, site.clock(), site.clock() + timedelta(days=1)
    )
    with site.client() as client:
        page = client.get(preferences)
        assert page.status_code == 200 and "ada@example.org" in page.text
        assert "You are unsubscribed" in client.post(unsubscribe_now).text
        done = client.post(confirm)
        assert done.status_code == 200 and "You are subscribed" in done.text
        assert client.get(f"{site.url}/preferences/{mixed}").status_code == 410
        site.clock.advance(days=1, seconds=1)
        for url in (preferences, unsubscribe_later):
            for method in ("GET", "POST"):
                late = client.request(method, url, data={"List-Unsubscribe": "One-Click"})
                assert late.status_code == 410 and "This link has expired" in late.text
    statuses = {p.email: p.status for p in site.audience.list()}
    assert statuses == {
        "ada@example.org": "active",
        "bo@example.org": "unsubscribed",
        "cy@example.org": "active",
        "dee@example.org": "active",
    }


# -- public ids and their migration ---------------------------------------------


def test_links_in_mails_name_the_subscriber_by_a_random_public_id(site: Site) -> None:
    with site.client() as client:
        for n in range(4):
            assert sign_up(client, f"p{n}@example.org").status_code == 200
    mails = site.mailbox.wait(4)
    people = [site.audience.find(mail.to) for mail in mails]
    ids = [person.public_id for person in people if person is not None]
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids) and len(set(ids)) == 4
    for mail, person in zip(mails, people, strict=True):
        assert person is not None
        raw = b64decode(mail.link("confirm").rsplit("/", 1)[1].split(".")[0])
        assert raw[0] == 3 and raw[1:17].hex() == person.public_id
        assert struct.pack(">Q", person.id) not in raw  # not the row id, in any position


def _insert_at_0004(connection) -> None:
    now = NOW.replace(tzinfo=None)
    for email in ("ada@example.org", "bo@example.org"):
        connection.execute(
            text(
                "INSERT INTO subscribers (email, email_key, name, status, frequency, weekday,"
                " send_at, timezone, paused, created_at, updated_at, note, token_stamp)"
                " VALUES (:email, :email, '', 'active', 'daily', 'mon', '07:00', 'UTC', false,"
                " :now, :now, '', :stamp)"
            ),
            {"email": email, "now": now, "stamp": STAMP},
        )
    connection.execute(
        text(
            "INSERT INTO consents (subscriber_id, action, at, source)"
            " SELECT id, 'subscribe', :now, 'test' FROM subscribers"
        ),
        {"now": now},
    )


def _alembic(db_url: str, step: str, revision: str) -> None:
    engine = create_db_engine(db_url)
    try:
        with engine.connect() as connection:
            cfg = alembic_config()
            cfg.attributes["connection"] = connection
            getattr(command, step)(cfg, revision)
            if revision == "0004" and step == "upgrade":
                _insert_at_0004(connection)
            connection.commit()
    finally:
        engine.dispose()


def test_migration_0005_gives_existing_subscribers_a_public_id(db_url: str) -> None:
    _alembic(db_url, "upgrade", "0004")
    with Store(db_url) as store:
        assert store.migrated is True
        with store.session() as session:
            people = list(session.scalars(select(Subscriber).order_by(Subscriber.id)))
            consents = list(session.scalars(select(Consent).order_by(Consent.id)))
        ids = [p.public_id for p in people]
        assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids) and len(set(ids)) == 2
        # no table was rebuilt: the consent records still point at their subscribers
        assert [c.subscriber_id for c in consents] == [p.id for p in people]
        schema = inspect(store.engine)
        (column,) = [c for c in schema.get_columns("subscribers") if c["name"] == "public_id"]
        assert column["nullable"] is False
        (index,) = [
            i for i in schema.get_indexes("subscribers") if i["name"] == "ix_subscribers_public_id"
        ]
        assert index["unique"] and index["column_names"] == ["public_id"]
        with store.engine.connect() as connection:
            assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
        # a link mailed before the upgrade still finds its subscriber
        audience = Audience(
            sessionmaker(store.engine, expire_on_commit=False),
            AudienceSettings(sections=("News",), text_version="t"),
        )
        token = old_token("unsubscribe", people[1].id, STAMP, NOW, NOW + timedelta(days=90))
        claims = TokenSigner(SECRET).verify(token, "unsubscribe", now=NOW)
        assert audience.token_subscriber(claims).email == "bo@example.org"

    _alembic(db_url, "downgrade", "0004")
    engine = create_db_engine(db_url)
    try:
        columns = {c["name"] for c in inspect(engine).get_columns("subscribers")}
        with engine.connect() as connection:
            linked = connection.execute(
                text("SELECT count(*) FROM consents WHERE subscriber_id IS NOT NULL")
            ).scalar()
    finally:
        engine.dispose()
    assert "public_id" not in columns and linked == 2
    with Store(db_url) as again:
        assert again.migrated is True


# -- a confirmation link used twice, through the whole application ---------------


def wait_for(smtpd: SMTPServer, count: int, timeout: float = 10.0) -> None:
    """Until the server has received ``count`` messages (mails leave after the answer)."""
    deadline = time.monotonic() + timeout
    while len(smtpd.received) < count:
        assert time.monotonic() < deadline, f"expected {count} mails, got {len(smtpd.received)}"
        time.sleep(0.02)


@pytest.fixture
def smtpd() -> Iterator[SMTPServer]:
    with SMTPServer() as server:
        yield server


@contextmanager
def the_application(settings: Settings) -> Iterator[tuple[str, Store]]:
    """``digest serve``'s app (real templates and mailer) on uvicorn at a free loopback port."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = replace(
        settings,
        secret_key=SECRET + " for the whole application",
        newsletter=replace(settings.newsletter, base_url=url),
        web=replace(settings.web, host="127.0.0.1", port=port),
    )
    with Store(settings.storage.url) as store, LiveServer(create_web_app(store, settings), port):
        yield url, store


def test_a_confirmation_link_used_again_says_so_and_hands_out_no_link(
    make_config: ConfigWriter, tmp_path: Path, smtpd: SMTPServer
) -> None:
    settings = make_config(
        db_url=f"sqlite:///{tmp_path / 'site.db'}",
        extra=f'{smtpd.config}security = "none"\n',
    )
    with (
        the_application(settings) as (url, store),
        httpx.Client(base_url=url, timeout=10) as client,
    ):
        form = client.get("/subscribe")
        value = csrf_of(form)
        answer = client.post(
            "/subscribe",
            data={
                "email": "reader@example.net",
                "csrf_token": value,
                "sections": "News",
                "frequency": "daily",
                "send_at": "07:30",
                "timezone": "UTC",
            },
        )
        assert answer.status_code in (200, 303), answer.text
        wait_for(smtpd, 1)
        (mail,) = smtpd.received
        assert mail.rcpt_tos == ("reader@example.net",)
        body = mail.message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        found = re.search(rf"{re.escape(url)}/confirm/([A-Za-z0-9_.-]+)", body)
        assert found, body
        confirm_url, token = found.group(0), found.group(1)
        with store.session() as session:
            row = session.scalar(select(Subscriber))
            assert row is not None
        assert b64decode(token.split(".")[0])[1:17].hex() == row.public_id

        first = client.post(confirm_url)
        assert first.status_code == 200 and "You are subscribed" in first.text
        assert f"{url}/preferences/" in first.text  # the click that confirmed: once
        for again in (client.post(confirm_url), client.get(confirm_url)):
            assert again.status_code == 200
            assert "already confirmed" in again.text
            assert "/preferences/" not in again.text and "/unsubscribe/" not in again.text
            assert not TOKEN_SHAPE.search(again.text), again.text
            assert again.headers["cache-control"] == "no-store"
        wait_for(smtpd, 2)
        time.sleep(0.3)
    assert len(smtpd.received) == 2  # the confirmation and one welcome, no second welcome
