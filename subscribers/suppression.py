"""The suppression list: addresses never to be mailed again, kept as salted hashes.

Leaving, bouncing, complaining and being forgotten put an address here; only
the person's own new subscription and confirmation take it off.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from .addresses import suppression_hash
from .models import Suppression


def is_suppressed(session: Session, address: str, salt: str) -> bool:
    """Whether the address is on the list."""
    digest = suppression_hash(address, salt)
    found = session.scalar(select(Suppression.id).where(Suppression.email_hash == digest))
    return found is not None


def suppress(session: Session, address: str, reason: str, now: datetime, salt: str) -> None:
    """Put the address on the list (once: a second reason changes nothing)."""
    values = {"email_hash": suppression_hash(address, salt), "reason": reason, "at": now}
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(postgresql.insert(Suppression).values(**values).on_conflict_do_nothing())
    elif dialect == "sqlite":
        session.execute(sqlite.insert(Suppression).values(**values).on_conflict_do_nothing())
    elif not is_suppressed(session, address, salt):  # pragma: no cover - other databases
        session.execute(insert(Suppression).values(**values))


def lift(session: Session, address: str, salt: str) -> None:
    """Take the address off the list (its owner has confirmed a new subscription)."""
    session.execute(
        delete(Suppression).where(Suppression.email_hash == suppression_hash(address, salt))
    )
