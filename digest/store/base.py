"""Transactions: the one way every query of the store gets its session.

A write that must commit together with another (a delivery record and the
subscriber's watermark, say) passes the caller's ``session``: the query runs in
it and commits nothing.  Without one, the query opens a transaction of its own
and commits it before returning.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session, sessionmaker


class Transactions:
    """The session factory and the transaction helper the query classes share."""

    _sessions: sessionmaker[Session]

    @property
    def sessions(self) -> sessionmaker[Session]:
        """The session factory, for code that manages its own transactions (subscribers)."""
        return self._sessions

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A new session inside a transaction, committed on success, rolled back on error."""
        with self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def transaction(self, session: Session | None = None) -> Iterator[Session]:
        """*session* as it is (the caller's transaction), else a new one as :meth:`session`."""
        if session is not None:
            yield session
            return
        with self.session() as own:
            yield own
