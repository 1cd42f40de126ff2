"""Signing up and confirming: double opt-in, or activation on the operator's word.

A sign-up records who agreed to what (the consent record) and says when a
confirmation mail is due; it sends no mail itself.  Confirming is a
conditional ``UPDATE`` (see :func:`subscribers.rows.claim`), so of concurrent
clicks on one link exactly one confirms.

The confirmation mails asked for are counted from the consent records (every
sign-up that asks for one writes a ``subscribe`` record), so a cap on them per
hour (:meth:`SignUp.confirmation_wait`) holds across restarts and processes.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .addresses import normalize_address
from .core import AudienceCore
from .models import ENDED, Consent, Subscriber
from .names import check_name
from .rows import (
    activate,
    add_subscriber,
    apply_preferences,
    claim,
    event,
    locked_by_address,
)
from .suppression import is_suppressed
from .tokens import new_stamp
from .views import ConfirmOutcome, Preferences, SubscribeAction, SubscribeOutcome, view

# What a sign-up of a known address can come to without anything to record.
_UNRECORDED: tuple[SubscribeAction, ...] = ("unchanged", "suppressed", "throttled")


class SignUp(AudienceCore):
    """Subscribing, and confirming a subscription."""

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

        Raises :class:`AddressError` or :class:`PreferenceError` for bad input
        (:class:`~subscribers.names.NameRefused`, one of those, for a bad name).
        """
        address = normalize_address(email)
        name = check_name(name)
        prefs = self.preferences(
            sections=sections,
            frequency=frequency,
            weekday=weekday,
            send_at=send_at,
            timezone=timezone,
        )
        evidence = event(
            "operator" if confirmed else "subscribe",
            at=now,
            source=source,
            ip=ip,
            user_agent=user_agent,
            text_version=text_version or self.settings.text_version,
        )
        try:
            return self._subscribe(address, name, prefs, evidence, now)
        except IntegrityError:
            # Two sign-ups of one new address at once: the other one inserted the
            # row first; this one now finds it and acts on it.
            return self._subscribe(address, name, prefs, evidence, now)

    def _subscribe(
        self, address: str, name: str, prefs: Preferences, evidence: Consent, now: datetime
    ) -> SubscribeOutcome:
        confirmed = evidence.action == "operator"
        with self._sessions.begin() as session:
            row = locked_by_address(session, address)
            action: SubscribeAction
            if row is None:
                if confirmed and is_suppressed(session, address, self._salt):
                    return SubscribeOutcome("suppressed", None)
                row = add_subscriber(
                    session, address, name, prefs, now, confirmed=confirmed, salt=self._salt
                )
                action = "activated" if confirmed else "created"
            else:
                action = self._subscribe_again(session, row, name, prefs, now, confirmed)
                if action in _UNRECORDED:
                    return SubscribeOutcome(action, view(row))
            evidence.subscriber_id = row.id
            session.add(evidence)
            session.flush()
            return SubscribeOutcome(action, view(row))

    def _subscribe_again(
        self,
        session: Session,
        row: Subscriber,
        name: str,
        prefs: Preferences,
        now: datetime,
        confirmed: bool,
    ) -> SubscribeAction:
        """What a sign-up does to an address that has a row already."""
        if row.status == "active":
            return "unchanged"
        if row.status in ENDED:
            if confirmed:
                return "suppressed"
            apply_preferences(row, name, prefs, now)
            row.status = "pending"
            row.confirmed_at = None
            row.paused = False
            row.next_due_at = None
            row.confirm_sent_at = now
            row.token_stamp = new_stamp()  # links from the earlier subscription stop working
            return "resubscribed"
        # pending
        if confirmed:
            if is_suppressed(session, row.email, self._salt):
                return "suppressed"  # left before: only they can come back, by confirming
            apply_preferences(row, name, prefs, now)
            activate(session, row, now, self._salt)
            return "activated"
        last = row.confirm_sent_at
        if last is not None and now - last < self.settings.resend_after:
            return "throttled"
        apply_preferences(row, name, prefs, now)
        row.confirm_sent_at = now
        return "resent"

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

    def confirmation_wait(
        self, now: datetime, cap: int, *, window: timedelta = timedelta(hours=1)
    ) -> float:
        """Seconds until another confirmation mail fits under ``cap`` per ``window``; 0.0: now.

        Every sign-up that asked for a confirmation mail wrote a ``subscribe``
        consent record (the form, ``digest subscribe``), so those in the last
        ``window`` are the mails sent in it.  A mail that then failed still
        counts: the cap errs on the side of sending fewer.
        """
        recent = select(Consent.at).where(Consent.action == "subscribe", Consent.at > now - window)
        with self._sessions() as session:
            count = session.scalar(select(func.count()).select_from(recent.subquery())) or 0
            if count < cap:
                return 0.0
            # The slot that frees first is the one that brings the count under the cap.
            freed = session.scalar(recent.order_by(Consent.at).offset(count - cap).limit(1))
        if freed is None:  # pragma: no cover - records deleted meanwhile
            return 0.0
        return max(1.0, (freed + window - now).total_seconds())

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
            won, row = claim(
                session,
                subscriber_id,
                stamp,
                Subscriber.status == "pending",
                status="active",
                confirmed_at=now,
                updated_at=now,
                paused=False,
            )
            if row is None:
                return ConfirmOutcome("unknown", None)
            if not won:
                action: Literal["already", "not_pending"] = (
                    "already" if row.status == "active" else "not_pending"
                )
                return ConfirmOutcome(action, view(row))
            activate(session, row, now, self._salt)
            session.add(
                event(
                    "confirm",
                    at=now,
                    source="confirm link",
                    subscriber_id=row.id,
                    ip=ip,
                    user_agent=user_agent,
                )
            )
            session.flush()
            return ConfirmOutcome("confirmed", view(row))
