"""What every audience operation stands on.

:class:`AudienceCore` holds the caller's ``sessionmaker`` and the
:class:`~subscribers.views.AudienceSettings`, validates preferences, looks one
subscriber up, and decides which transaction a write runs in: its own, or the
caller's (:meth:`AudienceCore._writing`), so that a sender can move a
subscriber's watermark in the same transaction as its own delivery record.
The operations are mixins on top of it, composed in
:class:`subscribers.service.Audience`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from .models import Subscriber
from .rows import lookup_key
from .schedule import (
    ScheduleError,
    check_frequency,
    check_send_at,
    check_timezone,
    check_weekday,
)
from .tokens import TokenClaims
from .views import AudienceSettings, PreferenceError, Preferences, SubscriberView, view


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


class AudienceCore:
    """The sessions and settings of one newsletter's audience."""

    def __init__(self, sessions: sessionmaker[Session], settings: AudienceSettings) -> None:
        self._sessions = sessions
        self.settings = settings

    @property
    def _salt(self) -> str:
        return self.settings.suppression_salt

    @contextmanager
    def _writing(self, session: Session | None) -> Iterator[Session]:
        """The caller's session as it is (the caller commits or rolls back), else a
        transaction of this call's own, committed when the block ends."""
        if session is not None:
            yield session
            return
        with self._sessions.begin() as own:
            yield own

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

    def get(self, subscriber_id: int) -> SubscriberView | None:
        with self._sessions() as session:
            row = session.get(Subscriber, subscriber_id)
            return view(row) if row is not None else None

    def by_token(self, claims: TokenClaims) -> SubscriberView | None:
        """The subscriber a verified token names, whatever its stamp says (None: gone).

        Tokens name a subscriber by public id; version-2 tokens, issued before
        public ids, by row id (accepted until they expire).
        """
        if claims.public_id is not None:
            query = select(Subscriber).where(Subscriber.public_id == claims.public_id)
        elif claims.legacy_id is not None:
            query = select(Subscriber).where(Subscriber.id == claims.legacy_id)
        else:  # pragma: no cover - every verified token names someone
            return None
        with self._sessions() as session:
            row = session.scalar(query)
            return view(row) if row is not None else None

    def find(self, email: str) -> SubscriberView | None:
        """The subscriber with this address, however its case is spelled."""
        key = lookup_key(email)
        with self._sessions() as session:
            row = session.scalar(select(Subscriber).where(Subscriber.email_key == key))
            return view(row) if row is not None else None
