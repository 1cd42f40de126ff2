"""Database models of the audience.

The schema itself is created by the migrations the application applies on
start (``digest/migrations``); these classes map it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from .db import Base, UTCDateTime
from .tokens import new_public_id, new_stamp

STATUSES = ("pending", "active", "unsubscribed", "bounced", "complained")
# Statuses of an address that must not be mailed until the person subscribes again.
ENDED = ("unsubscribed", "bounced", "complained")
CONSENT_ACTIONS = ("subscribe", "confirm", "import", "operator", "unsubscribe", "preferences")
SUPPRESSION_REASONS = ("unsubscribed", "bounced", "complained", "forgotten")


class Subscriber(Base):
    __tablename__ = "subscribers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # What links name the subscriber by: random (16 bytes in hex), so that a token
    # tells nothing about how many people subscribed or in which order.
    public_id: Mapped[str] = mapped_column(
        String(32), unique=True, index=True, default=new_public_id
    )
    email: Mapped[str] = mapped_column(String(320), unique=True)
    # The address case-folded: two spellings of one address are one subscriber.
    email_key: Mapped[str] = mapped_column(String(400), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    # None means "every configured section"; otherwise a list of section names.
    sections: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    frequency: Mapped[str] = mapped_column(String(10), default="daily")
    weekday: Mapped[str] = mapped_column(String(3), default="mon")
    send_at: Mapped[str] = mapped_column(String(5), default="07:00")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    paused: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # When the last confirmation mail was asked for (resending is rate limited).
    confirm_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
    # Articles gathered up to this moment have been delivered (or passed over);
    # the next digest holds only what was gathered after it.  None: no digest yet.
    watermark: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # When the next digest is due (UTC); None while not active.
    next_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True, index=True)
    # Every link token carries this; a new value makes older links invalid.
    token_stamp: Mapped[str] = mapped_column(String(16), default=new_stamp, server_default="")


class Consent(Base):
    """One consent event: given (subscribe, confirm, import, operator), changed or withdrawn."""

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Erasing a person deletes their records explicitly; should a subscriber row
    # ever vanish otherwise, the evidence stays.
    subscriber_id: Mapped[int | None] = mapped_column(
        ForeignKey("subscribers.id", ondelete="SET NULL"), nullable=True, index=True
    )
    action: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    user_agent: Mapped[str | None] = mapped_column(String(500), nullable=True)
    # The form (e.g. "form:/subscribe"), "cli", "one-click", or an import file's name.
    source: Mapped[str] = mapped_column(String(200), default="")
    # The version of the sign-up text the person saw.
    text_version: Mapped[str | None] = mapped_column(String(64), nullable=True)


class Suppression(Base):
    """An address never to be mailed again, kept only as a salted hash."""

    __tablename__ = "suppressions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email_hash: Mapped[str] = mapped_column(String(64), unique=True)
    reason: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
