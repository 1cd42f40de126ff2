"""Unsubscribing: by a link's token (one-click or the page's button) or by address.

Leaving is a conditional ``UPDATE`` (see :func:`subscribers.rows.claim`), so
repeating it changes nothing and records nothing more; the address goes on the
suppression list.
"""

from __future__ import annotations

from datetime import datetime

from .core import AudienceCore
from .models import Subscriber
from .rows import claim, event, lookup_address
from .suppression import suppress
from .views import UnsubscribeOutcome, view


class Leaving(AudienceCore):
    """A subscriber leaving, on their own word or the operator's."""

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
            won, row = claim(
                session,
                subscriber_id,
                stamp,
                Subscriber.status != "unsubscribed",
                status="unsubscribed",
                updated_at=now,
                next_due_at=None,
            )
            if row is None:
                return UnsubscribeOutcome("unknown", None)
            if not won:
                return UnsubscribeOutcome("already", view(row))
            session.add(
                event(
                    "unsubscribe",
                    at=now,
                    source=source,
                    subscriber_id=row.id,
                    ip=ip,
                    user_agent=user_agent,
                )
            )
            suppress(session, row.email, "unsubscribed", now, self._salt)
            session.flush()
            return UnsubscribeOutcome("unsubscribed", view(row))

    def unsubscribe_address(self, email: str, *, now: datetime, source: str) -> UnsubscribeOutcome:
        """Unsubscribe by address (the operator's command).

        An address nobody subscribed is still put on the suppression list, so
        it is never mailed; the outcome then says ``unknown``.
        """
        found = self.find(email)
        if found is not None:
            return self.unsubscribe(found.id, now=now, source=source)
        with self._sessions.begin() as session:
            suppress(session, lookup_address(email), "unsubscribed", now, self._salt)
        return UnsubscribeOutcome("unknown", None)
