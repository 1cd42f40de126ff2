"""The sender's bookkeeping: who is due, what was delivered, which address is undeliverable.

Each of these takes an optional ``session``: given one, it reads and writes in
the caller's transaction and neither commits nor rolls back, so that a
sender can move a subscriber's watermark in the same transaction as its own
delivery record (both happen, or neither).  Without one, each call is a
transaction of its own, committed before it returns.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from .core import AudienceCore
from .models import ENDED, Subscriber
from .rows import locked_by_address, lookup_address, next_due_after
from .suppression import suppress
from .views import SubscriberView, UnknownSubscriber, view


class Delivery(AudienceCore):
    """Due subscribers, delivered digests, bounces and complaints."""

    def due(
        self, now: datetime, *, limit: int | None = None, session: Session | None = None
    ) -> list[SubscriberView]:
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
        if session is not None:
            return [view(row) for row in session.scalars(query)]
        with self._sessions() as own:
            return [view(row) for row in own.scalars(query)]

    def mark_delivered(
        self,
        subscriber_id: int,
        *,
        watermark: datetime,
        now: datetime,
        session: Session | None = None,
    ) -> SubscriberView:
        """A digest went out: move the watermark forward and schedule the next one.

        With ``session``, in the caller's transaction (see the module's docstring).
        """
        with self._writing(session) as writing:
            row = writing.get(Subscriber, subscriber_id, with_for_update=True)
            if row is None:
                raise UnknownSubscriber(f"no subscriber with id {subscriber_id}")
            if row.watermark is None or watermark > row.watermark:
                row.watermark = watermark
            base = max(now, row.next_due_at) if row.next_due_at is not None else now
            row.next_due_at = next_due_after(row, base) if row.status == "active" else None
            writing.flush()
            return view(row)

    def mark_undeliverable(
        self,
        email: str,
        status: Literal["bounced", "complained"],
        *,
        now: datetime,
        session: Session | None = None,
    ) -> SubscriberView | None:
        """A hard bounce or a complaint: no more mail to this address.

        The subscriber (if any) takes ``status`` and is no longer due; the address
        goes on the suppression list, which only the person's own new subscription
        and confirmation lift.  An ended subscription keeps its status.  Returns the
        subscriber, or None when nobody has the address (it is suppressed all the same).
        With ``session``, in the caller's transaction (see the module's docstring).
        """
        if status not in ("bounced", "complained"):
            raise ValueError(f'status: expected "bounced" or "complained", got {status!r}')
        address = lookup_address(email)
        with self._writing(session) as writing:
            row = locked_by_address(writing, address)
            if row is not None and row.status not in ENDED:
                row.status = status
                row.next_due_at = None
                row.updated_at = now
            suppress(writing, row.email if row is not None else address, status, now, self._salt)
            writing.flush()
            return view(row) if row is not None else None
