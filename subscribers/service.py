"""The audience's operations: subscribe, confirm, change preferences, leave, be forgotten.

:class:`Audience` works on a SQLAlchemy ``sessionmaker`` its caller made (and
whose database the caller migrated).  Everything it needs from the
application's configuration comes in an :class:`AudienceSettings`; it sends
no mail itself but says when one is needed (``send_confirmation``).

It is made of one mixin per concern: signing up and confirming
(:mod:`subscribers.signup`), preferences (:mod:`subscribers.preferences`),
leaving (:mod:`subscribers.leaving`), the sender's bookkeeping
(:mod:`subscribers.delivery`), imports (:mod:`subscribers.importing`) and
erasure (:mod:`subscribers.erasure`), on :class:`subscribers.core.AudienceCore`;
the reading lives here.

State changes that must happen once (confirming, unsubscribing) are a
conditional ``UPDATE … WHERE status = …`` whose row count decides the winner,
so concurrent clicks on one link are safe on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import builtins
from typing import cast

from sqlalchemy import select, text

from .core import check_sections
from .delivery import Delivery
from .erasure import Erasure
from .importing import Importing
from .leaving import Leaving
from .models import STATUSES, Consent, Subscriber
from .preferences import PreferenceChanges
from .rows import clean_text, lookup_address
from .signup import SignUp
from .suppression import is_suppressed
from .tokens import TokenClaims, TokenRevoked
from .views import ConsentView, SubscriberView, consent_view, view

__all__ = ["Audience", "check_sections", "clean_text"]


class Audience(SignUp, PreferenceChanges, Leaving, Delivery, Importing, Erasure):
    """The subscribers of one newsletter, in one database."""

    def list(self, status: str | None = None) -> builtins.list[SubscriberView]:
        if status is not None and status not in STATUSES:
            raise ValueError(f"status: expected one of {', '.join(STATUSES)}, got {status!r}")
        query = select(Subscriber).order_by(Subscriber.id)
        if status is not None:
            query = query.where(Subscriber.status == status)
        with self._sessions() as session:
            return [view(row) for row in session.scalars(query)]

    def consents(self, subscriber_id: int) -> builtins.list[ConsentView]:
        query = (
            select(Consent)
            .where(Consent.subscriber_id == subscriber_id)
            .order_by(Consent.at, Consent.id)
        )
        with self._sessions() as session:
            return [consent_view(row) for row in session.scalars(query)]

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
                history.setdefault(cast(int, row.subscriber_id), []).append(consent_view(row))
        return history

    def is_suppressed(self, email: str) -> bool:
        with self._sessions() as session:
            return is_suppressed(session, lookup_address(email), self._salt)

    def token_subscriber(self, claims: TokenClaims) -> SubscriberView:
        """The subscriber a verified token names, or :class:`TokenRevoked`."""
        found = self.by_token(claims)
        if found is None:
            raise TokenRevoked("the subscription this link belongs to no longer exists")
        if found.token_stamp != claims.stamp:
            raise TokenRevoked("this link belongs to an earlier subscription")
        return found

    def ping(self) -> None:
        """Raise if the database does not answer."""
        with self._sessions() as session:
            session.execute(text("SELECT 1"))
