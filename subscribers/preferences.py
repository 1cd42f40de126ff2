"""Changing a subscription: sections, frequency, send time, time zone, pausing.

Every change is recorded as a ``preferences`` consent event, and the next
digest is rescheduled from the new preferences (a resumed subscription starts
at the next send time, not with a backlog).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from .core import AudienceCore
from .models import Subscriber
from .rows import apply_preferences, event, next_due_after
from .views import SubscriberView, UnknownSubscriber, view


class PreferenceChanges(AudienceCore):
    """What a subscriber (or the operator for them) changes about their digests."""

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
                base=view(row).preferences,
            )
            apply_preferences(row, row.name, prefs, now)
            if paused is not None:
                row.paused = paused
            row.next_due_at = next_due_after(row, now) if row.status == "active" else None
            session.add(
                event(
                    "preferences",
                    at=now,
                    source=source,
                    subscriber_id=row.id,
                    ip=ip,
                    user_agent=user_agent,
                )
            )
            session.flush()
            return view(row)

    def pause(self, subscriber_id: int, *, now: datetime, source: str) -> SubscriberView:
        return self.update_preferences(subscriber_id, paused=True, now=now, source=source)

    def resume(self, subscriber_id: int, *, now: datetime, source: str) -> SubscriberView:
        """Unpause; the next digest is the next send time after ``now``, not a backlog."""
        return self.update_preferences(subscriber_id, paused=False, now=now, source=source)
