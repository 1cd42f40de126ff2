"""The audience's operations: subscribe, confirm, change preferences, leave, be forgotten.

:class:`Audience` works on a SQLAlchemy ``sessionmaker`` its caller made (and
whose database the caller migrated).  Everything it needs from the
application's configuration comes in an :class:`AudienceSettings`; it sends
no mail itself but says when one is needed (``send_confirmation``).

State changes that must happen once (confirming, unsubscribing) are a
conditional ``UPDATE … WHERE status = …`` whose row count decides the winner,
so concurrent clicks on one link are safe on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import builtins
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Literal, cast

from sqlalchemy import CursorResult, delete, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from .addresses import (
    AddressError,
    address_key,
    normalize_address,
    suppression_hash,
)
from .models import ENDED, STATUSES, Consent, Subscriber, Suppression
from .schedule import (
    ScheduleError,
    check_frequency,
    check_send_at,
    check_timezone,
    check_weekday,
    next_due,
)
from .tokens import TokenClaims, TokenRevoked, new_stamp
from .views import (
    AudienceSettings,
    ConfirmOutcome,
    ConsentView,
    ForgetOutcome,
    ImportResult,
    ImportRow,
    ImportSkip,
    PreferenceError,
    Preferences,
    SubscribeOutcome,
    SubscriberView,
    UnknownSubscriber,
    UnsubscribeOutcome,
)
from .views import consent_view as _consent_view
from .views import view as _view

_NAME_MAX = 200
_UA_MAX = 500
_IP_MAX = 64
_SOURCE_MAX = 200


def clean_text(value: str | None, limit: int) -> str:
    """One line of printable text, at most ``limit`` characters (names, user agents)."""
    if not value:
        return ""
    kept = "".join(
        " " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch
        for ch in value
        if unicodedata.category(ch) not in ("Cf", "Cs", "Co", "Cn") or ch == "\u200d"
    )
    return " ".join(kept.split())[:limit]


def _optional(value: str | None, limit: int) -> str | None:
    return clean_text(value, limit) or None


def check_sections(
    chosen: Iterable[str] | None, available: Sequence[str]
) -> tuple[str, ...] | None:
    """The chosen sections in configured order; None when that is every section."""
    if chosen is None:
        return None
    canonical = {name.casefold(): name for name in available}
    picked: set[str] = set()
    for name in chosen:
        found = canonical.get(name.strip().casefold())
        if found is None:
            raise PreferenceError(
                "sections",
                f"sections: there is no section {name!r} (choose from: {', '.join(available)})",
            )
        picked.add(found)
    if not picked:
        raise PreferenceError(
            "sections", f"sections: choose at least one of: {', '.join(available)}"
        )
    if len(picked) == len(available):
        return None
    return tuple(name for name in available if name in picked)


class Audience:
    """The subscribers of one newsletter, in one database."""

    def __init__(self, sessions: sessionmaker[Session], settings: AudienceSettings) -> None:
        self._sessions = sessions
        self.settings = settings

    # -- validation --------------------------------------------------------

    def preferences(
        self,
        *,
        sections: Iterable[str] | None = None,
        frequency: str | None = None,
        weekday: str | None = None,
        send_at: str | None = None,
        timezone: str | None = None,
        base: Preferences | None = None,
    ) -> Preferences:
        """Validated preferences; what is not given comes from ``base`` or the defaults.

        With a ``base``, ``sections=None`` keeps its sections; without one it
        means every section.
        """
        s = self.settings
        try:
            return Preferences(
                sections=(
                    check_sections(sections, s.sections)
                    if sections is not None or base is None
                    else base.sections
                ),
                frequency=check_frequency(frequency or (base.frequency if base else s.frequency)),
                weekday=check_weekday(weekday or (base.weekday if base else s.weekday)),
                send_at=check_send_at(send_at or (base.send_at if base else s.send_at)),
                timezone=check_timezone(timezone or (base.timezone if base else s.timezone)),
            )
        except ScheduleError as exc:
            raise PreferenceError(str(exc).partition(":")[0], str(exc)) from exc

    def _suppression_key(self, address: str) -> str:
        return suppression_hash(address, self.settings.suppression_salt)

    # -- reading -----------------------------------------------------------

    def get(self, subscriber_id: int) -> SubscriberView | None:
        with self._sessions() as session:
            row = session.get(Subscriber, subscriber_id)
            return _view(row) if row is not None else None

    def find(self, email: str) -> SubscriberView | None:
        """The subscriber with this address, however its case is spelled."""
        key = _lookup_key(email)
        with self._sessions() as session:
            row = session.scalar(select(Subscriber).where(Subscriber.email_key == key))
            return _view(row) if row is not None else None

    def list(self, status: str | None = None) -> builtins.list[SubscriberView]:
        if status is not None and status not in STATUSES:
            raise ValueError(f"status: expected one of {', '.join(STATUSES)}, got {status!r}")
        query = select(Subscriber).order_by(Subscriber.id)
        if status is not None:
            query = query.where(Subscriber.status == status)
        with self._sessions() as session:
            return [_view(row) for row in session.scalars(query)]

    def consents(self, subscriber_id: int) -> builtins.list[ConsentView]:
        query = (
            select(Consent)
            .where(Consent.subscriber_id == subscriber_id)
            .order_by(Consent.at, Consent.id)
        )
        with self._sessions() as session:
            return [_consent_view(row) for row in session.scalars(query)]

    def consent_history(self) -> dict[int, builtins.list[ConsentView]]:
        """Every subscriber's consent records, oldest first, by subscriber id."""
        history: dict[int, builtins.list[ConsentView]] = {}
        query = (
            select(Consent)
            .where(Consent.subscriber_id.is_not(None))
            .order_by(Consent.at, Consent.id)
        )
        with self._sessions() as session:
            for row in session.scalars(query):
                history.setdefault(cast(int, row.subscriber_id), []).append(_consent_view(row))
        return history

    def is_suppressed(self, email: str) -> bool:
        digest = self._suppression_key(_lookup_address(email))
        with self._sessions() as session:
            found = session.scalar(select(Suppression.id).where(Suppression.email_hash == digest))
            return found is not None

    def due(self, now: datetime, *, limit: int | None = None) -> builtins.list[SubscriberView]:
        """Active, unpaused subscribers whose next digest is due at ``now``, earliest first."""
        query = (
            select(Subscriber)
            .where(
                Subscriber.status == "active",
                Subscriber.paused.is_(False),
                Subscriber.next_due_at <= now,
            )
            .order_by(Subscriber.next_due_at, Subscriber.id)
            .limit(limit)
        )
        with self._sessions() as session:
            return [_view(row) for row in session.scalars(query)]

    def token_subscriber(self, claims: TokenClaims) -> SubscriberView:
        """The subscriber a verified token names, or :class:`TokenRevoked`."""
        found = self.get(claims.subscriber_id)
        if found is None:
            raise TokenRevoked("the subscription this link belongs to no longer exists")
        if found.token_stamp != claims.stamp:
            raise TokenRevoked("this link belongs to an earlier subscription")
        return found

    def ping(self) -> None:
        """Raise if the database does not answer."""
        with self._sessions() as session:
            session.execute(text("SELECT 1"))

    # -- subscribing -------------------------------------------------------

    def subscribe(
        self,
        email: str,
        *,
        name: str = "",
        sections: Iterable[str] | None = None,
        frequency: str | None = None,
        weekday: str | None = None,
        send_at: str | None = None,
        timezone: str | None = None,
        source: str,
        ip: str | None = None,
        user_agent: str | None = None,
        text_version: str | None = None,
        confirmed: bool = False,
        now: datetime,
    ) -> SubscribeOutcome:
        """Sign an address up (double opt-in), or on the operator's word (``confirmed``).

        Raises :class:`AddressError` or :class:`PreferenceError` for bad input.
        """
        address = normalize_address(email)
        prefs = self.preferences(
            sections=sections,
            frequency=frequency,
            weekday=weekday,
            send_at=send_at,
            timezone=timezone,
        )
        evidence = _event(
            "operator" if confirmed else "subscribe",
            at=now,
            source=source,
            ip=ip,
            user_agent=user_agent,
            text_version=text_version or self.settings.text_version,
        )
        try:
            return self._subscribe(address, clean_text(name, _NAME_MAX), prefs, evidence, now)
        except IntegrityError:
            # Two sign-ups of one new address at once: the other one inserted the
            # row first; this one now finds it and acts on it.
            return self._subscribe(address, clean_text(name, _NAME_MAX), prefs, evidence, now)

    def _subscribe(
        self, address: str, name: str, prefs: Preferences, evidence: Consent, now: datetime
    ) -> SubscribeOutcome:
        confirmed = evidence.action == "operator"
        key = address_key(address)
        with self._sessions.begin() as session:
            row = session.scalar(
                select(Subscriber).where(Subscriber.email_key == key).with_for_update()
            )
            if row is None:
                if confirmed and self._suppressed(session, address):
                    return SubscribeOutcome("suppressed", None)
                row = Subscriber(
                    email=address,
                    email_key=key,
                    note="",
                    created_at=now,
                    token_stamp=new_stamp(),
                )
                _apply(row, name, prefs, now)
                session.add(row)
                if confirmed:
                    self._activate(session, row, now)
                else:
                    row.status = "pending"
                    row.confirm_sent_at = now
                session.flush()
                evidence.subscriber_id = row.id
                session.add(evidence)
                return SubscribeOutcome("activated" if confirmed else "created", _view(row))

            if row.status == "active":
                return SubscribeOutcome("unchanged", _view(row))
            if row.status in ENDED:
                if confirmed:
                    return SubscribeOutcome("suppressed", _view(row))
                _apply(row, name, prefs, now)
                row.status = "pending"
                row.confirmed_at = None
                row.paused = False
                row.next_due_at = None
                row.confirm_sent_at = now
                row.token_stamp = new_stamp()  # links from the earlier subscription stop working
                evidence.subscriber_id = row.id
                session.add(evidence)
                session.flush()
                return SubscribeOutcome("resubscribed", _view(row))

            # pending
            if confirmed and self._suppressed(session, row.email):
                return SubscribeOutcome("suppressed", _view(row))  # left before: they confirm
            if confirmed:
                _apply(row, name, prefs, now)
                self._activate(session, row, now)
                evidence.subscriber_id = row.id
                session.add(evidence)
                session.flush()
                return SubscribeOutcome("activated", _view(row))
            last = row.confirm_sent_at
            if last is not None and now - last < self.settings.resend_after:
                return SubscribeOutcome("throttled", _view(row))
            _apply(row, name, prefs, now)
            row.confirm_sent_at = now
            evidence.subscriber_id = row.id
            session.add(evidence)
            session.flush()
            return SubscribeOutcome("resent", _view(row))

    def confirmation_not_sent(self, subscriber_ids: Iterable[int]) -> None:
        """Take back the note that confirmation mails went out to these pending people.

        :meth:`subscribe` notes the time when it asks for a confirmation mail, to
        limit resends; when the mail could not be sent after all, this clears that
        note so that the next sign-up sends it at once.
        """
        ids = list(subscriber_ids)
        if not ids:
            return
        with self._sessions.begin() as session:
            session.execute(
                update(Subscriber)
                .where(Subscriber.id.in_(ids), Subscriber.status == "pending")
                .values(confirm_sent_at=None)
            )

    def _activate(self, session: Session, row: Subscriber, now: datetime) -> None:
        row.status = "active"
        row.confirmed_at = now
        row.paused = False
        row.updated_at = now
        row.next_due_at = _next_due(row, now)
        session.execute(
            delete(Suppression).where(Suppression.email_hash == self._suppression_key(row.email))
        )

    def _suppressed(self, session: Session, address: str) -> bool:
        digest = self._suppression_key(address)
        found = session.scalar(select(Suppression.id).where(Suppression.email_hash == digest))
        return found is not None

    def _suppress(self, session: Session, address: str, reason: str, now: datetime) -> None:
        values = {"email_hash": self._suppression_key(address), "reason": reason, "at": now}
        dialect = session.get_bind().dialect.name
        if dialect == "postgresql":
            session.execute(
                postgresql.insert(Suppression).values(**values).on_conflict_do_nothing()
            )
        elif dialect == "sqlite":
            session.execute(sqlite.insert(Suppression).values(**values).on_conflict_do_nothing())
        elif not self._suppressed(session, address):  # pragma: no cover - other databases
            session.execute(insert(Suppression).values(**values))

    def confirm(
        self,
        subscriber_id: int,
        *,
        now: datetime,
        ip: str | None = None,
        user_agent: str | None = None,
        stamp: str | None = None,
    ) -> ConfirmOutcome:
        """Activate a pending subscriber, once: of concurrent calls exactly one confirms.

        With ``stamp`` (from the link's token) only that subscription is confirmed.
        """
        with self._sessions.begin() as session:
            conditions = [Subscriber.id == subscriber_id, Subscriber.status == "pending"]
            if stamp is not None:
                conditions.append(Subscriber.token_stamp == stamp)
            # Write first: the row lock (PostgreSQL) or the write lock (SQLite)
            # serialises concurrent confirmations before anything is read.
            result = session.execute(
                update(Subscriber)
                .where(*conditions)
                .values(status="active", confirmed_at=now, updated_at=now, paused=False)
                .execution_options(synchronize_session=False)
            )
            won = cast(CursorResult[Any], result).rowcount == 1
            row = session.get(Subscriber, subscriber_id, populate_existing=True)
            if row is None or (stamp is not None and row.token_stamp != stamp):
                return ConfirmOutcome("unknown", None)
            if not won:
                action: Literal["already", "not_pending"] = (
                    "already" if row.status == "active" else "not_pending"
                )
                return ConfirmOutcome(action, _view(row))
            row.next_due_at = _next_due(row, now)
            session.execute(
                delete(Suppression).where(
                    Suppression.email_hash == self._suppression_key(row.email)
                )
            )
            session.add(
                _event(
                    "confirm",
                    at=now,
                    source="confirm link",
                    subscriber_id=row.id,
                    ip=ip,
                    user_agent=user_agent,
                )
            )
            session.flush()
            return ConfirmOutcome("confirmed", _view(row))

    # -- leaving -----------------------------------------------------------

    def unsubscribe(
        self,
        subscriber_id: int,
        *,
        now: datetime,
        source: str,
        ip: str | None = None,
        user_agent: str | None = None,
        stamp: str | None = None,
    ) -> UnsubscribeOutcome:
        """Unsubscribe; repeating it changes nothing and records nothing more."""
        with self._sessions.begin() as session:
            conditions = [Subscriber.id == subscriber_id, Subscriber.status != "unsubscribed"]
            if stamp is not None:
                conditions.append(Subscriber.token_stamp == stamp)
            result = session.execute(
                update(Subscriber)
                .where(*conditions)
                .values(status="unsubscribed", updated_at=now, next_due_at=None)
                .execution_options(synchronize_session=False)
            )
            won = cast(CursorResult[Any], result).rowcount == 1
            row = session.get(Subscriber, subscriber_id, populate_existing=True)
            if row is None or (stamp is not None and row.token_stamp != stamp):
                return UnsubscribeOutcome("unknown", None)
            if not won:
                return UnsubscribeOutcome("already", _view(row))
            session.add(
                _event(
                    "unsubscribe",
                    at=now,
                    source=source,
                    subscriber_id=row.id,
                    ip=ip,
                    user_agent=user_agent,
                )
            )
            self._suppress(session, row.email, "unsubscribed", now)
            session.flush()
            return UnsubscribeOutcome("unsubscribed", _view(row))

    def unsubscribe_address(self, email: str, *, now: datetime, source: str) -> UnsubscribeOutcome:
        """Unsubscribe by address (the operator's command).

        An address nobody subscribed is still put on the suppression list, so
        it is never mailed; the outcome then says ``unknown``.
        """
        found = self.find(email)
        if found is not None:
            return self.unsubscribe(found.id, now=now, source=source)
        with self._sessions.begin() as session:
            self._suppress(session, _lookup_address(email), "unsubscribed", now)
        return UnsubscribeOutcome("unknown", None)

    def mark_undeliverable(
        self, email: str, status: Literal["bounced", "complained"], *, now: datetime
    ) -> SubscriberView | None:
        """A hard bounce or a complaint: no more mail to this address.

        The subscriber (if any) takes ``status`` and is no longer due; the address
        goes on the suppression list, which only the person's own new subscription
        and confirmation lift.  An ended subscription keeps its status.  Returns the
        subscriber, or None when nobody has the address (it is suppressed all the same).
        """
        if status not in ("bounced", "complained"):
            raise ValueError(f'status: expected "bounced" or "complained", got {status!r}')
        address = _lookup_address(email)
        with self._sessions.begin() as session:
            row = session.scalar(
                select(Subscriber)
                .where(Subscriber.email_key == address_key(address))
                .with_for_update()
            )
            if row is not None and row.status not in ENDED:
                row.status = status
                row.next_due_at = None
                row.updated_at = now
            self._suppress(session, row.email if row is not None else address, status, now)
            session.flush()
            return _view(row) if row is not None else None

    def forget(self, email: str, *, now: datetime) -> ForgetOutcome:
        """Erase a person: their subscriber row and consent records.

        Only a salted hash of the address stays, on the suppression list, so
        that no import or operator can mail them again by mistake.
        """
        address = _lookup_address(email)
        key = address_key(address)
        with self._sessions.begin() as session:
            row = session.scalar(
                select(Subscriber).where(Subscriber.email_key == key).with_for_update()
            )
            deleted = 0
            if row is not None:
                result = session.execute(delete(Consent).where(Consent.subscriber_id == row.id))
                deleted = cast(CursorResult[Any], result).rowcount
                session.delete(row)
                session.flush()
            self._suppress(session, address, "forgotten", now)
        return ForgetOutcome(found=row is not None, consents_deleted=deleted)

    # -- preferences -------------------------------------------------------

    def update_preferences(
        self,
        subscriber_id: int,
        *,
        sections: Iterable[str] | None = None,
        frequency: str | None = None,
        weekday: str | None = None,
        send_at: str | None = None,
        timezone: str | None = None,
        paused: bool | None = None,
        now: datetime,
        source: str,
        ip: str | None = None,
        user_agent: str | None = None,
        stamp: str | None = None,
    ) -> SubscriberView:
        """Change what is given (None keeps it) and recompute when the next digest is due.

        Raises :class:`PreferenceError` for a bad value and
        :class:`UnknownSubscriber` when there is no such subscriber (or the
        ``stamp`` is not theirs).
        """
        with self._sessions.begin() as session:
            row = session.get(Subscriber, subscriber_id, with_for_update=True)
            if row is None or (stamp is not None and row.token_stamp != stamp):
                raise UnknownSubscriber(f"no subscriber with id {subscriber_id}")
            prefs = self.preferences(
                sections=sections,
                frequency=frequency,
                weekday=weekday,
                send_at=send_at,
                timezone=timezone,
                base=_view(row).preferences,
            )
            _apply(row, row.name, prefs, now)
            if paused is not None:
                row.paused = paused
            row.next_due_at = _next_due(row, now) if row.status == "active" else None
            session.add(
                _event(
                    "preferences",
                    at=now,
                    source=source,
                    subscriber_id=row.id,
                    ip=ip,
                    user_agent=user_agent,
                )
            )
            session.flush()
            return _view(row)

    def pause(self, subscriber_id: int, *, now: datetime, source: str) -> SubscriberView:
        return self.update_preferences(subscriber_id, paused=True, now=now, source=source)

    def resume(self, subscriber_id: int, *, now: datetime, source: str) -> SubscriberView:
        """Unpause; the next digest is the next send time after ``now``, not a backlog."""
        return self.update_preferences(subscriber_id, paused=False, now=now, source=source)

    # -- delivery ----------------------------------------------------------

    def mark_delivered(
        self, subscriber_id: int, *, watermark: datetime, now: datetime
    ) -> SubscriberView:
        """A digest went out: move the watermark forward and schedule the next one."""
        with self._sessions.begin() as session:
            row = session.get(Subscriber, subscriber_id, with_for_update=True)
            if row is None:
                raise UnknownSubscriber(f"no subscriber with id {subscriber_id}")
            if row.watermark is None or watermark > row.watermark:
                row.watermark = watermark
            base = max(now, row.next_due_at) if row.next_due_at is not None else now
            row.next_due_at = _next_due(row, base) if row.status == "active" else None
            session.flush()
            return _view(row)

    # -- import ------------------------------------------------------------

    def import_rows(
        self, rows: Sequence[ImportRow], *, source: str, confirmed: bool, now: datetime
    ) -> ImportResult:
        """Add validated rows in one transaction.

        New addresses become pending (a confirmation mail each is due: see
        :attr:`ImportResult.needs_confirmation`) or, with ``confirmed`` (the
        operator holds their consent), active.  Addresses already known are left
        as they are, except that ``confirmed`` activates pending ones; addresses
        on the suppression list are skipped: only their owners can come back.
        """
        added: builtins.list[SubscriberView] = []
        activated: builtins.list[SubscriberView] = []
        skipped: builtins.list[ImportSkip] = []
        origin = clean_text(source, _SOURCE_MAX)
        with self._sessions.begin() as session:
            known = {row.email_key: row for row in session.scalars(select(Subscriber))}
            suppressed = set(session.scalars(select(Suppression.email_hash)))
            for item in rows:
                key = address_key(item.email)
                row = known.get(key)
                if row is not None:
                    if (
                        row.status == "pending"
                        and confirmed
                        and self._suppression_key(row.email) not in suppressed
                    ):
                        self._activate(session, row, now)
                        session.add(_event("import", at=now, source=origin, subscriber_id=row.id))
                        activated.append(_view(row))
                    else:
                        skipped.append(ImportSkip(item.line, item.email, f"already {row.status}"))
                    continue
                if self._suppression_key(item.email) in suppressed:
                    skipped.append(
                        ImportSkip(item.line, item.email, "on the suppression list (left earlier)")
                    )
                    continue
                row = Subscriber(
                    email=item.email,
                    email_key=key,
                    note="",
                    created_at=now,
                    token_stamp=new_stamp(),
                )
                _apply(row, clean_text(item.name, _NAME_MAX), item.preferences, now)
                session.add(row)
                if confirmed:
                    self._activate(session, row, now)
                else:
                    row.status = "pending"
                    row.confirm_sent_at = now
                session.flush()
                session.add(_event("import", at=now, source=origin, subscriber_id=row.id))
                known[key] = row
                added.append(_view(row))
            session.flush()
        return ImportResult(tuple(added), tuple(activated), tuple(skipped))


def _event(
    action: str,
    *,
    at: datetime,
    source: str,
    subscriber_id: int | None = None,
    ip: str | None = None,
    user_agent: str | None = None,
    text_version: str | None = None,
) -> Consent:
    """One consent record, with the request's details cut to their column sizes."""
    return Consent(
        subscriber_id=subscriber_id,
        action=action,
        at=at,
        ip=_optional(ip, _IP_MAX),
        user_agent=_optional(user_agent, _UA_MAX),
        source=clean_text(source, _SOURCE_MAX),
        text_version=text_version,
    )


def _apply(row: Subscriber, name: str, prefs: Preferences, now: datetime) -> None:
    row.name = name
    row.sections = list(prefs.sections) if prefs.sections is not None else None
    row.frequency = prefs.frequency
    row.weekday = prefs.weekday
    row.send_at = prefs.send_at
    row.timezone = prefs.timezone
    row.updated_at = now


def _next_due(row: Subscriber, now: datetime) -> datetime:
    return next_due(
        now,
        frequency=row.frequency,
        weekday=row.weekday,
        send_at=row.send_at,
        timezone=row.timezone,
    )


def _lookup_address(email: str) -> str:
    """The normal form of an address to look up; a malformed one as typed."""
    try:
        return normalize_address(email)
    except AddressError:
        return email.strip()


def _lookup_key(email: str) -> str:
    return address_key(_lookup_address(email))
