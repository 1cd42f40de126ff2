"""What several audience operations do to subscriber rows, in one place.

Cleaning the text people type, writing a consent record, applying
preferences, scheduling the next digest, adding and activating a subscriber,
and the conditional ``UPDATE … WHERE`` that lets exactly one of several
concurrent clicks change a row.  The operations themselves are the mixins
that :class:`subscribers.service.Audience` is made of.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, select, update
from sqlalchemy.orm import Session

from .addresses import AddressError, address_key, normalize_address
from .models import Consent, Subscriber
from .names import NAME_MAX as NAME_MAX  # the limit importing.py cuts names to
from .schedule import next_due
from .suppression import lift
from .tokens import new_stamp
from .views import Preferences

UA_MAX = 500
IP_MAX = 64
SOURCE_MAX = 200


def clean_text(value: str | None, limit: int) -> str:
    """One line of printable text, at most ``limit`` characters (user agents, sources).

    Names have a check of their own that refuses rather than repairs
    (:func:`subscribers.names.check_name`).
    """
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


def event(
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
        ip=_optional(ip, IP_MAX),
        user_agent=_optional(user_agent, UA_MAX),
        source=clean_text(source, SOURCE_MAX),
        text_version=text_version,
    )


def apply_preferences(row: Subscriber, name: str, prefs: Preferences, now: datetime) -> None:
    """Give a row a name and preferences."""
    row.name = name
    row.sections = list(prefs.sections) if prefs.sections is not None else None
    row.frequency = prefs.frequency
    row.weekday = prefs.weekday
    row.send_at = prefs.send_at
    row.timezone = prefs.timezone
    row.updated_at = now


def next_due_after(row: Subscriber, now: datetime) -> datetime:
    """When the row's next digest is due after ``now``, by its own preferences."""
    return next_due(
        now,
        frequency=row.frequency,
        weekday=row.weekday,
        send_at=row.send_at,
        timezone=row.timezone,
    )


def activate(session: Session, row: Subscriber, now: datetime, salt: str) -> None:
    """Make a subscriber active, schedule their first digest and lift their suppression."""
    row.status = "active"
    row.confirmed_at = now
    row.paused = False
    row.updated_at = now
    row.next_due_at = next_due_after(row, now)
    lift(session, row.email, salt)


def add_subscriber(
    session: Session,
    address: str,
    name: str,
    prefs: Preferences,
    now: datetime,
    *,
    confirmed: bool,
    salt: str,
) -> Subscriber:
    """A new row for a new address: active when ``confirmed``, else pending a confirmation."""
    row = Subscriber(
        email=address,
        email_key=address_key(address),
        note="",
        created_at=now,
        token_stamp=new_stamp(),
    )
    apply_preferences(row, name, prefs, now)
    session.add(row)
    if confirmed:
        activate(session, row, now, salt)
    else:
        row.status = "pending"
        row.confirm_sent_at = now
    session.flush()
    return row


def claim(
    session: Session,
    subscriber_id: int,
    stamp: str | None,
    condition: ColumnElement[bool],
    **values: Any,
) -> tuple[bool, Subscriber | None]:
    """Change a row only while ``condition`` holds: of concurrent calls exactly one wins.

    The write comes first: the row lock (PostgreSQL) or the write lock (SQLite)
    serialises concurrent calls before anything is read.  Returns whether this
    call changed the row, and the row as it is now: None when there is no such
    subscriber or, with a ``stamp`` (from a link's token), it is not theirs.
    """
    conditions = [Subscriber.id == subscriber_id, condition]
    if stamp is not None:
        conditions.append(Subscriber.token_stamp == stamp)
    result = session.execute(
        update(Subscriber)
        .where(*conditions)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    won = cast(CursorResult[Any], result).rowcount == 1
    row = session.get(Subscriber, subscriber_id, populate_existing=True)
    if row is None or (stamp is not None and row.token_stamp != stamp):
        return won, None
    return won, row


def locked_by_address(session: Session, address: str) -> Subscriber | None:
    """The row of this address (compared without case), locked until the transaction ends."""
    return session.scalar(
        select(Subscriber).where(Subscriber.email_key == address_key(address)).with_for_update()
    )


def lookup_address(email: str) -> str:
    """The normal form of an address to look up; a malformed one as typed."""
    try:
        return normalize_address(email, allow_smtputf8=True)  # rows stored before the rule
    except AddressError:
        return email.strip()


def lookup_key(email: str) -> str:
    """The key of an address to look up (see :func:`lookup_address`)."""
    return address_key(lookup_address(email))
