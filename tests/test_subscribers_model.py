"""The audience: addresses, tokens, schedules and the service on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import re
import socket
import threading
from datetime import UTC, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

import dns.resolver
import pytest
from alembic import command
from sqlalchemy import func, select, text
from sqlalchemy.orm import sessionmaker

from digest.store import Store
from digest.store.engine import alembic_config, create_db_engine
from subscribers.addresses import (
    AddressError,
    address_key,
    normalize_address,
    suppression_hash,
)
from subscribers.models import Consent, Subscriber, Suppression
from subscribers.schedule import ScheduleError, check_timezone, next_due
from subscribers.service import Audience
from subscribers.tokens import (
    MIN_UNSUBSCRIBE_LIFETIME,
    TokenExpired,
    TokenInvalid,
    TokenRevoked,
    TokenSigner,
    TokenWrongPurpose,
    new_stamp,
)
from subscribers.views import AudienceSettings, ImportRow, PreferenceError, UnknownSubscriber

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
SECTIONS = ("World", "Science", "Technology")
SETTINGS = AudienceSettings(sections=SECTIONS, text_version="signup-2026-11")


@pytest.fixture
def audience(store: Store) -> Audience:
    return Audience(sessionmaker(store.engine, expire_on_commit=False), SETTINGS)


def rows(store: Store, model: type) -> list:
    with store.session() as session:
        return list(session.scalars(select(model)))


# -- addresses ---------------------------------------------------------------


def test_an_address_keeps_its_local_part_and_lowers_its_domain() -> None:
    assert normalize_address("  Ada.Lovelace@Example.ORG ") == "Ada.Lovelace@example.org"


def test_internationalised_domains_are_normalised_to_one_form() -> None:
    assert normalize_address("x@MÜNCHEN.de") == "x@münchen.de"
    assert normalize_address("x@xn--mnchen-3ya.de") == "x@münchen.de"
    # A non-ASCII local part is refused at sign-up (tests/test_injection.py), read for lookups.
    assert normalize_address("ünï@example.org", allow_smtputf8=True) == "ünï@example.org"


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("a@b", "a@b: the part after the @-sign is not valid. It should have a period."),
        ("no-at-sign", "no-at-sign: an email address must have an @-sign."),
        ("", "the email address is empty"),
        ("a@example..org", "a@example..org: an email address cannot have two periods in a row."),
        ("Ada <ada@example.org>", "Ada <ada@example.org>: "),
        ("ada@example.org\nBcc: eve@example.org", "ada@example.org\ufffdBcc: eve@example.org: "),
    ],
)
def test_a_bad_address_is_refused_with_what_is_wrong(typed: str, says: str) -> None:
    with pytest.raises(AddressError) as caught:
        normalize_address(typed)
    assert str(caught.value).startswith(says)
    assert isinstance(caught.value, ValueError)


def test_validating_an_address_never_asks_the_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[object] = []

    def refuse(*args: object, **kwargs: object) -> None:
        asked.append(args)
        raise AssertionError("validating an address must not look up DNS")

    monkeypatch.setattr(dns.resolver.Resolver, "resolve", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    # A domain nobody registered: a deliverability check would refuse it.
    assert normalize_address("ada@no-such-domain-7f3a9c1e.example") == (
        "ada@no-such-domain-7f3a9c1e.example"
    )
    assert normalize_address("x@MÜNCHEN.de") == "x@münchen.de"
    assert asked == []


def test_addresses_compare_without_case_and_hash_without_revealing_themselves() -> None:
    assert address_key("Ada@Example.org") == address_key("ada@example.ORG")
    hashed = suppression_hash("Ada@Example.org")
    assert hashed == suppression_hash("ada@example.org")
    assert re.fullmatch(r"[0-9a-f]{64}", hashed)
    assert suppression_hash("ada@example.org", "another salt") != hashed
    assert suppression_hash("bob@example.org") != hashed


# -- tokens ------------------------------------------------------------------


SIGNER = TokenSigner("a test secret")
STAMP = "0123456789abcdef"
PUBLIC = "00112233445566778899aabbccddeeff"


def test_a_token_says_what_it_was_made_for_and_nothing_about_the_address() -> None:
    token = SIGNER.issue("unsubscribe", PUBLIC, stamp=STAMP, now=NOW)
    assert re.fullmatch(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", token)
    claims = SIGNER.verify(token, "unsubscribe", now=NOW + timedelta(days=60))
    assert (claims.purpose, claims.public_id, claims.stamp) == ("unsubscribe", PUBLIC, STAMP)
    assert claims.issued_at == NOW
    assert claims.expires_at == NOW + timedelta(days=180)
    payload = base64.urlsafe_b64decode(token.split(".")[0] + "==")
    assert b"@" not in payload and b"example" not in payload


def test_token_lifetimes_confirm_seven_days_unsubscribe_beyond_sixty() -> None:
    confirm = SIGNER.issue("confirm", PUBLIC, stamp=STAMP, now=NOW)
    SIGNER.verify(confirm, "confirm", now=NOW + timedelta(days=6, hours=23))
    with pytest.raises(TokenExpired):
        SIGNER.verify(confirm, "confirm", now=NOW + timedelta(days=7))
    for purpose in ("unsubscribe", "preferences"):
        token = SIGNER.issue(purpose, PUBLIC, stamp=STAMP, now=NOW)
        SIGNER.verify(token, purpose, now=NOW + timedelta(days=61))
    unsubscribe = SIGNER.issue("unsubscribe", PUBLIC, stamp=STAMP, now=NOW)
    with pytest.raises(TokenExpired):
        SIGNER.verify(unsubscribe, "unsubscribe", now=NOW + timedelta(days=181))


def test_unsubscribe_links_cannot_be_configured_to_die_before_sixty_days() -> None:
    assert timedelta(days=60) == MIN_UNSUBSCRIBE_LIFETIME
    with pytest.raises(ValueError, match="at least 60 days"):
        TokenSigner("a test secret", lifetimes={"unsubscribe": timedelta(days=59)})
    signer = TokenSigner(
        "a test secret",
        lifetimes={"unsubscribe": timedelta(days=60), "confirm": timedelta(days=2)},
    )
    confirm = signer.issue("confirm", PUBLIC, stamp=STAMP, now=NOW)
    with pytest.raises(TokenExpired):
        signer.verify(confirm, "confirm", now=NOW + timedelta(days=2))
    unsubscribe = signer.issue("unsubscribe", PUBLIC, stamp=STAMP, now=NOW)
    signer.verify(unsubscribe, "unsubscribe", now=NOW + timedelta(days=59, hours=23))


def test_a_token_made_for_one_purpose_does_not_serve_another() -> None:
    confirm = SIGNER.issue("confirm", PUBLIC, stamp=STAMP, now=NOW)
    unsubscribe = SIGNER.issue("unsubscribe", PUBLIC, stamp=STAMP, now=NOW)
    with pytest.raises(TokenWrongPurpose):
        SIGNER.verify(confirm, "unsubscribe", now=NOW)
    with pytest.raises(TokenWrongPurpose):
        SIGNER.verify(unsubscribe, "confirm", now=NOW)
    with pytest.raises(TokenWrongPurpose):
        SIGNER.verify(unsubscribe, "preferences", now=NOW)


def _flip(text_: str, index: int) -> str:
    return text_[:index] + ("A" if text_[index] != "A" else "B") + text_[index + 1 :]


def test_tampered_truncated_or_foreign_tokens_are_refused() -> None:
    token = SIGNER.issue("confirm", PUBLIC, stamp=STAMP, now=NOW)
    payload, signature = token.split(".")
    candidates = [
        _flip(token, 5),
        _flip(token, len(payload) + 5),
        token[:-3],
        payload,
        "." + signature,
        "",
        "not a token at all",
        "%%%.***",
        TokenSigner("another secret").issue("confirm", PUBLIC, stamp=STAMP, now=NOW),
    ]
    for bad in candidates:
        with pytest.raises(TokenInvalid):
            SIGNER.verify(bad, "confirm", now=NOW)


def test_a_token_stamp_must_be_hex() -> None:
    with pytest.raises(ValueError, match="hex digits"):
        SIGNER.issue("confirm", PUBLIC, stamp="not hex at all!!", now=NOW)
    assert re.fullmatch(r"[0-9a-f]{16}", new_stamp())


# -- schedule ----------------------------------------------------------------


def _due(now: datetime, **prefs: str) -> datetime:
    options = {"frequency": "daily", "weekday": "mon", "send_at": "07:00", "timezone": "UTC"}
    return next_due(now, **{**options, **prefs})


def test_daily_is_today_if_still_ahead_else_tomorrow() -> None:
    morning = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)
    assert _due(morning) == datetime(2026, 11, 25, 7, 0, tzinfo=UTC)
    assert _due(datetime(2026, 11, 25, 7, 0, tzinfo=UTC)) == datetime(2026, 11, 26, 7, tzinfo=UTC)
    paris = _due(morning, timezone="Europe/Paris")
    assert paris == datetime(2026, 11, 26, 6, 0, tzinfo=UTC)  # 07:00 CET is 06:00 UTC: passed


def test_weekly_is_on_the_chosen_weekday() -> None:
    wednesday = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    due = _due(wednesday, frequency="weekly", weekday="fri", send_at="18:30")
    assert due == datetime(2026, 11, 27, 18, 30, tzinfo=UTC)
    same_day_passed = _due(wednesday, frequency="weekly", weekday="wed", send_at="08:00")
    assert same_day_passed == datetime(2026, 12, 2, 8, 0, tzinfo=UTC)


def test_a_send_time_in_the_spring_forward_gap_moves_forward() -> None:
    # Europe/Paris skips 02:00-03:00 on 2026-03-29; 02:30 becomes 03:30 CEST.
    due = _due(datetime(2026, 3, 28, 12, 0, tzinfo=UTC), send_at="02:30", timezone="Europe/Paris")
    assert due == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert due.astimezone(ZoneInfo("Europe/Paris")).strftime("%H:%M %Z") == "03:30 CEST"


def test_an_ambiguous_send_time_on_fall_back_day_is_the_first() -> None:
    # 02:30 happens twice in Europe/Paris on 2026-10-25: first at CEST (+02:00).
    due = _due(datetime(2026, 10, 24, 12, 0, tzinfo=UTC), send_at="02:30", timezone="Europe/Paris")
    assert due == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    after = _due(due, send_at="02:30", timezone="Europe/Paris")
    assert after == datetime(2026, 10, 26, 1, 30, tzinfo=UTC)  # next day, CET


def test_the_utc_hour_follows_daylight_saving() -> None:
    before = _due(datetime(2026, 3, 7, 13, 0, tzinfo=UTC), timezone="America/New_York")
    assert before == datetime(2026, 3, 8, 11, 0, tzinfo=UTC)  # 07:00 EDT, the day DST starts
    winter = _due(datetime(2026, 3, 6, 13, 0, tzinfo=UTC), timezone="America/New_York")
    assert winter == datetime(2026, 3, 7, 12, 0, tzinfo=UTC)  # 07:00 EST


def test_schedule_values_are_checked() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        next_due(
            datetime(2026, 1, 1), frequency="daily", weekday="mon", send_at="07:00", timezone="UTC"
        )
    with pytest.raises(ScheduleError, match="time zone: expected an IANA time zone name"):
        _due(NOW, timezone="Mars/Olympus")
    with pytest.raises(ScheduleError, match="send time"):
        _due(NOW, send_at="25:00")
    with pytest.raises(ScheduleError, match="weekday"):
        _due(NOW, frequency="weekly", weekday="someday")
    with pytest.raises(ScheduleError, match="frequency"):
        _due(NOW, frequency="hourly")
    with pytest.raises(ScheduleError):
        check_timezone("localtime")
    assert _due(NOW, send_at="7:05") == datetime(2026, 11, 26, 7, 5, tzinfo=UTC)


# -- the migration -----------------------------------------------------------


def test_migration_0003_gives_earlier_subscribers_a_key_and_a_stamp(db_url: str) -> None:
    engine = create_db_engine(db_url)
    try:
        with engine.connect() as connection:
            cfg = alembic_config()
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, "0002")
            connection.execute(
                text(
                    "INSERT INTO subscribers (email, name, status, frequency, weekday, send_at,"
                    " timezone, created_at, updated_at, note) VALUES ('Ada@Example.org', '',"
                    " 'active', 'daily', 'mon', '07:00', 'UTC', :now, :now, '')"
                ),
                {"now": NOW.replace(tzinfo=None)},
            )
            connection.commit()
    finally:
        engine.dispose()
    with Store(db_url) as store:
        assert store.migrated is True
        (row,) = rows(store, Subscriber)
        assert row.email_key == "ada@example.org"
        assert re.fullmatch(r"[0-9a-f]{16}", row.token_stamp)
        assert row.paused is False


# -- the service -------------------------------------------------------------


def subscribe(audience: Audience, email: str = "ada@example.org", **options):
    values = {"source": "test", "ip": "192.0.2.1", "user_agent": "pytest", "now": NOW}
    return audience.subscribe(email, **{**values, **options})


def test_a_new_address_waits_for_confirmation_with_its_consent_recorded(
    audience: Audience, store: Store
) -> None:
    outcome = subscribe(audience, "Ada@Example.org", name="Ada", sections=["science", "World"])
    assert outcome.action == "created" and outcome.send_confirmation
    ada = outcome.subscriber
    assert ada is not None
    assert (ada.email, ada.status, ada.name) == ("Ada@example.org", "pending", "Ada")
    assert ada.sections == ("World", "Science")  # configured order, configured spelling
    assert ada.next_due_at is None
    (consent,) = audience.consents(ada.id)
    assert (consent.action, consent.ip, consent.user_agent, consent.source) == (
        "subscribe",
        "192.0.2.1",
        "pytest",
        "test",
    )
    assert consent.text_version == "signup-2026-11"
    assert consent.at == NOW


def test_subscribing_twice_resends_only_after_a_while(audience: Audience) -> None:
    first = subscribe(audience)
    again = subscribe(audience, "ADA@example.org", now=NOW + timedelta(minutes=1))
    assert (again.action, again.send_confirmation) == ("throttled", False)
    later = subscribe(audience, now=NOW + timedelta(minutes=11), frequency="weekly")
    assert (later.action, later.send_confirmation) == ("resent", True)
    assert later.subscriber is not None and first.subscriber is not None
    assert later.subscriber.id == first.subscriber.id
    assert later.subscriber.frequency == "weekly"
    assert len(audience.list()) == 1


def test_a_confirmation_mail_that_did_not_leave_is_resent_at_once(audience: Audience) -> None:
    first = subscribe(audience)
    assert first.subscriber is not None
    audience.confirmation_not_sent([first.subscriber.id])
    again = subscribe(audience, now=NOW + timedelta(minutes=1))
    assert (again.action, again.send_confirmation) == ("resent", True)
    # The resend was noted again; an empty list changes nothing.
    audience.confirmation_not_sent([])
    assert subscribe(audience, now=NOW + timedelta(minutes=2)).action == "throttled"


def test_confirming_activates_once_and_schedules_the_first_digest(audience: Audience) -> None:
    ada = subscribe(audience, timezone="Europe/Paris", send_at="08:00").subscriber
    assert ada is not None
    done = audience.confirm(ada.id, now=NOW, ip="198.51.100.7", user_agent="Mail app")
    assert done.action == "confirmed" and done.subscriber is not None
    assert done.subscriber.status == "active"
    assert done.subscriber.confirmed_at == NOW
    assert done.subscriber.next_due_at == datetime(2026, 11, 26, 7, 0, tzinfo=UTC)
    assert audience.confirm(ada.id, now=NOW).action == "already"
    assert [c.action for c in audience.consents(ada.id)] == ["subscribe", "confirm"]
    assert subscribe(audience).action == "unchanged"
    assert audience.confirm(9999, now=NOW).action == "unknown"


def test_a_confirmation_with_another_stamp_changes_nothing(audience: Audience) -> None:
    ada = subscribe(audience).subscriber
    assert ada is not None
    assert audience.confirm(ada.id, now=NOW, stamp="ffffffffffffffff").action == "unknown"
    assert audience.confirm(ada.id, now=NOW, stamp=ada.token_stamp).action == "confirmed"


def test_unsubscribing_is_idempotent_records_withdrawal_and_suppresses(
    audience: Audience, store: Store
) -> None:
    ada = subscribe(audience).subscriber
    assert ada is not None
    audience.confirm(ada.id, now=NOW)
    gone = audience.unsubscribe(ada.id, now=NOW + timedelta(days=1), source="one-click")
    assert gone.action == "unsubscribed" and gone.subscriber is not None
    assert (gone.subscriber.status, gone.subscriber.next_due_at) == ("unsubscribed", None)
    again = audience.unsubscribe(ada.id, now=NOW + timedelta(days=2), source="one-click")
    assert again.action == "already"
    assert [c.action for c in audience.consents(ada.id)] == ["subscribe", "confirm", "unsubscribe"]
    assert audience.is_suppressed("ADA@example.org")
    assert [s.reason for s in rows(store, Suppression)] == ["unsubscribed"]
    assert audience.due(NOW + timedelta(days=30)) == []


def test_coming_back_after_leaving_needs_a_new_confirmation(audience: Audience) -> None:
    ada = subscribe(audience).subscriber
    assert ada is not None
    audience.confirm(ada.id, now=NOW)
    audience.unsubscribe(ada.id, now=NOW, source="test")
    assert subscribe(audience, confirmed=True).action == "suppressed"  # not on the operator's word
    back = subscribe(audience, now=NOW + timedelta(days=3))
    assert back.action == "resubscribed" and back.send_confirmation
    assert back.subscriber is not None
    assert back.subscriber.status == "pending"
    assert back.subscriber.token_stamp != ada.token_stamp  # older links stop working
    assert audience.confirm(ada.id, now=NOW, stamp=ada.token_stamp).action == "unknown"
    assert (
        audience.confirm(ada.id, now=NOW, stamp=back.subscriber.token_stamp).action == "confirmed"
    )
    assert not audience.is_suppressed("ada@example.org")


@pytest.mark.parametrize("status", ["bounced", "complained"])
def test_a_bounced_or_complaining_address_is_mailed_only_after_its_own_confirmation(
    audience: Audience, store: Store, status: Literal["bounced", "complained"]
) -> None:
    ada = subscribe(audience, confirmed=True).subscriber
    assert ada is not None
    marked = audience.mark_undeliverable("ADA@example.org", status, now=NOW)
    assert marked is not None and (marked.status, marked.next_due_at) == (status, None)
    assert audience.due(NOW + timedelta(days=30)) == []
    assert audience.is_suppressed("ada@example.org")
    assert [(s.reason, s.email_hash) for s in rows(store, Suppression)] == [
        (status, suppression_hash("ada@example.org"))
    ]
    # Neither the operator nor an import brings the address back ...
    assert subscribe(audience, confirmed=True).action == "suppressed"
    row = ImportRow(line=2, email="ada@example.org", name="", preferences=audience.preferences())
    imported = audience.import_rows([row], source="people.csv", confirmed=True, now=NOW)
    assert [s.reason for s in imported.skipped] == [f"already {status}"]
    assert audience.find("ada@example.org").status == status  # type: ignore[union-attr]
    # ... nor a confirm link from before; the person subscribes again and confirms.
    assert audience.confirm(ada.id, now=NOW, stamp=ada.token_stamp).action == "not_pending"
    back = subscribe(audience, now=NOW + timedelta(days=1))
    assert back.action == "resubscribed" and back.send_confirmation
    assert back.subscriber is not None and back.subscriber.status == "pending"
    assert audience.due(NOW + timedelta(days=30)) == []
    assert audience.is_suppressed("ada@example.org")  # until they confirm
    done = audience.confirm(ada.id, now=NOW + timedelta(days=1), stamp=back.subscriber.token_stamp)
    assert done.action == "confirmed"
    assert not audience.is_suppressed("ada@example.org")
    assert [s.id for s in audience.due(NOW + timedelta(days=3))] == [ada.id]


def test_marking_an_unknown_or_ended_address_undeliverable(audience: Audience) -> None:
    assert audience.mark_undeliverable("nobody@example.org", "bounced", now=NOW) is None
    assert audience.is_suppressed("nobody@example.org")
    ada = subscribe(audience, confirmed=True).subscriber
    assert ada is not None
    audience.unsubscribe(ada.id, now=NOW, source="test")
    kept = audience.mark_undeliverable("ada@example.org", "complained", now=NOW)
    assert kept is not None and kept.status == "unsubscribed"
    with pytest.raises(ValueError, match="bounced"):
        audience.mark_undeliverable("ada@example.org", "unsubscribed", now=NOW)  # type: ignore[arg-type]


def test_an_operator_holding_consent_activates_directly(audience: Audience) -> None:
    outcome = subscribe(audience, confirmed=True, source="cli", ip=None, user_agent=None)
    assert outcome.action == "activated" and not outcome.send_confirmation
    assert outcome.subscriber is not None and outcome.subscriber.status == "active"
    (consent,) = audience.consents(outcome.subscriber.id)
    assert (consent.action, consent.source, consent.ip) == ("operator", "cli", None)
    pending = subscribe(audience, "bob@example.org").subscriber
    assert pending is not None
    activated = subscribe(audience, "bob@example.org", confirmed=True)
    assert activated.action == "activated"


def test_bad_input_is_refused_before_anything_is_written(audience: Audience) -> None:
    with pytest.raises(AddressError):
        subscribe(audience, "nobody")
    with pytest.raises(PreferenceError, match="there is no section 'Sport'"):
        subscribe(audience, sections=["Sport"])
    with pytest.raises(PreferenceError, match="choose at least one"):
        subscribe(audience, sections=[])
    with pytest.raises(PreferenceError) as caught:
        subscribe(audience, timezone="Nowhere/Special")
    assert caught.value.field == "time zone"
    assert audience.list() == []


def test_a_name_with_control_characters_is_refused(audience: Audience) -> None:
    # Refused, not repaired: see subscribers/names.py and tests/test_injection.py.
    with pytest.raises(PreferenceError, match=r"^name: has a line break") as caught:
        subscribe(audience, name="Ada\r\nBcc: eve@example.org\x00")
    assert caught.value.field == "name"
    assert audience.list() == []


def test_changing_preferences_recomputes_the_next_digest(audience: Audience) -> None:
    ada = subscribe(audience, confirmed=True).subscriber
    assert ada is not None and ada.next_due_at == datetime(2026, 11, 26, 7, tzinfo=UTC)
    changed = audience.update_preferences(
        ada.id,
        frequency="weekly",
        weekday="saturday",
        send_at="09:15",
        timezone="Asia/Tokyo",
        sections=["Technology"],
        now=NOW,
        source="test",
    )
    assert changed.next_due_at == datetime(2026, 11, 28, 0, 15, tzinfo=UTC)
    assert (changed.weekday, changed.sections) == ("sat", ("Technology",))
    every = audience.update_preferences(ada.id, sections=list(SECTIONS), now=NOW, source="test")
    assert every.sections is None and every.timezone == "Asia/Tokyo"
    with pytest.raises(PreferenceError):
        audience.update_preferences(ada.id, send_at="noon", now=NOW, source="test")
    with pytest.raises(UnknownSubscriber):
        audience.update_preferences(9999, paused=True, now=NOW, source="test")
    assert [c.action for c in audience.consents(ada.id)][-2:] == ["preferences", "preferences"]


def test_due_pause_resume_and_delivery(audience: Audience) -> None:
    ada = subscribe(audience, confirmed=True).subscriber
    bob = subscribe(audience, "bob@example.org", confirmed=True, send_at="09:00").subscriber
    subscribe(audience, "cyd@example.org")  # pending: never due
    assert ada is not None and bob is not None
    tomorrow_8 = datetime(2026, 11, 26, 8, tzinfo=UTC)
    assert [s.id for s in audience.due(tomorrow_8)] == [ada.id]
    assert [s.id for s in audience.due(tomorrow_8 + timedelta(hours=2))] == [ada.id, bob.id]
    audience.pause(ada.id, now=NOW, source="test")
    assert [s.id for s in audience.due(tomorrow_8 + timedelta(hours=2))] == [bob.id]
    resumed = audience.resume(ada.id, now=datetime(2026, 11, 27, 12, tzinfo=UTC), source="test")
    assert resumed.next_due_at == datetime(2026, 11, 28, 7, tzinfo=UTC)  # no backlog
    sent = audience.mark_delivered(
        bob.id, watermark=tomorrow_8, now=tomorrow_8 + timedelta(hours=1)
    )
    assert sent.watermark == tomorrow_8
    assert sent.next_due_at == datetime(2026, 11, 27, 9, tzinfo=UTC)
    older = audience.mark_delivered(
        bob.id, watermark=NOW, now=datetime(2026, 11, 27, 9, tzinfo=UTC)
    )
    assert older.watermark == tomorrow_8  # never moves back
    assert older.next_due_at == datetime(2026, 11, 28, 9, tzinfo=UTC)


def test_delivery_bookkeeping_in_the_callers_transaction_is_undone_by_its_rollback(
    audience: Audience, store: Store
) -> None:
    ada = subscribe(audience, confirmed=True).subscriber
    bob = subscribe(audience, "bob@example.org", confirmed=True).subscriber
    assert ada is not None and bob is not None
    sent = datetime(2026, 11, 26, 8, tzinfo=UTC)
    sessions = sessionmaker(store.engine, expire_on_commit=False)
    with sessions() as session, session.begin():
        assert [s.id for s in audience.due(sent, session=session)] == [ada.id, bob.id]
        moved = audience.mark_delivered(ada.id, watermark=sent, now=sent, session=session)
        assert moved.watermark == sent and moved.next_due_at == datetime(
            2026, 11, 27, 7, tzinfo=UTC
        )
        gone = audience.mark_undeliverable(bob.email, "bounced", now=sent, session=session)
        assert gone is not None and gone.status == "bounced"
        # Not committed by the audience: outside the transaction nothing has changed yet.
        before = audience.get(ada.id)
        assert before is not None and before.watermark is None
        session.rollback()
    after = audience.get(ada.id)
    assert after is not None
    assert (after.watermark, after.next_due_at) == (None, ada.next_due_at)
    assert audience.find(bob.email).status == "active"  # type: ignore[union-attr]
    assert not audience.is_suppressed(bob.email)


def test_delivery_bookkeeping_in_the_callers_transaction_is_kept_by_its_commit(
    audience: Audience, store: Store
) -> None:
    ada = subscribe(audience, confirmed=True).subscriber
    bob = subscribe(audience, "bob@example.org", confirmed=True).subscriber
    assert ada is not None and bob is not None
    sent = datetime(2026, 11, 26, 8, tzinfo=UTC)
    sessions = sessionmaker(store.engine, expire_on_commit=False)
    with sessions.begin() as session:
        audience.mark_delivered(ada.id, watermark=sent, now=sent, session=session)
        audience.mark_undeliverable(bob.email, "complained", now=sent, session=session)
        # The caller's own write, in the same transaction (as a delivery record would be).
        session.execute(text("UPDATE subscribers SET note = 'sent' WHERE id = :id"), {"id": ada.id})
    after = audience.get(ada.id)
    assert after is not None
    assert (after.watermark, after.next_due_at) == (sent, datetime(2026, 11, 27, 7, tzinfo=UTC))
    assert audience.find(bob.email).status == "complained"  # type: ignore[union-attr]
    assert audience.is_suppressed(bob.email)
    with store.session() as session:
        assert session.get(Subscriber, ada.id).note == "sent"  # type: ignore[union-attr]


def test_forgetting_erases_the_person_and_keeps_a_hash(audience: Audience, store: Store) -> None:
    ada = subscribe(audience, "Ada@Example.org", name="Ada").subscriber
    bob = subscribe(audience, "bob@example.org").subscriber
    assert ada is not None and bob is not None
    audience.confirm(ada.id, now=NOW)
    outcome = audience.forget("ada@EXAMPLE.org", now=NOW)
    assert outcome.found and outcome.consents_deleted == 2
    assert audience.find("ada@example.org") is None
    assert [s.email for s in audience.list()] == ["bob@example.org"]
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(Consent)) == 1  # bob's
        (entry,) = session.scalars(select(Suppression))
        assert (entry.reason, entry.email_hash) == (
            "forgotten",
            suppression_hash("ada@example.org"),
        )
        dump = " ".join(
            str(v) for row in session.execute(text("SELECT * FROM subscribers")) for v in row
        )
    assert "Ada" not in dump
    assert not audience.forget("nobody@example.org", now=NOW).found
    # Nobody can add the address back on their own word; the person can, and confirm.
    assert subscribe(audience, "ada@example.org", confirmed=True).action == "suppressed"
    again = subscribe(audience, "ada@example.org").subscriber
    assert again is not None
    # Pending again, but only the person's own confirmation lifts the suppression.
    assert subscribe(audience, "ada@example.org", confirmed=True).action == "suppressed"
    assert audience.confirm(again.id, now=NOW).action == "confirmed"
    assert not audience.is_suppressed("ada@example.org")


def test_a_token_of_a_forgotten_or_returned_subscriber_is_revoked(audience: Audience) -> None:
    ada = subscribe(audience).subscriber
    assert ada is not None
    claims = SIGNER.verify(
        SIGNER.issue("unsubscribe", ada.public_id, stamp=ada.token_stamp, now=NOW),
        "unsubscribe",
        now=NOW,
    )
    assert audience.token_subscriber(claims).id == ada.id
    audience.forget(ada.email, now=NOW)
    with pytest.raises(TokenRevoked):
        audience.token_subscriber(claims)


def test_listing_by_status(audience: Audience) -> None:
    subscribe(audience, "ada@example.org", confirmed=True)
    subscribe(audience, "bob@example.org")
    assert [s.email for s in audience.list("pending")] == ["bob@example.org"]
    assert len(audience.list()) == 2
    with pytest.raises(ValueError, match="status: expected one of"):
        audience.list("gone")


def test_concurrent_confirmations_have_exactly_one_winner(audience: Audience) -> None:
    ada = subscribe(audience).subscriber
    assert ada is not None
    start = threading.Barrier(6)
    results: list[str] = []

    def click() -> None:
        start.wait()
        results.append(audience.confirm(ada.id, now=NOW, stamp=ada.token_stamp).action)

    threads = [threading.Thread(target=click) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["already"] * 5 + ["confirmed"]
    assert [c.action for c in audience.consents(ada.id)] == ["subscribe", "confirm"]
