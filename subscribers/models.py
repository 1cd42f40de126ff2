"""Database models of the audience.

The schema itself is created by the migrations the application applies on
start (``digest/migrations``); these classes map it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .db import Base, UTCDateTime

STATUSES = ("pending", "active", "unsubscribed", "bounced", "complained")


class Subscriber(Base):
    __tablename__ = "subscribers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    # None means "every configured section"; otherwise a list of section names.
    sections: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    frequency: Mapped[str] = mapped_column(String(10), default="daily")
    weekday: Mapped[str] = mapped_column(String(3), default="mon")
    send_at: Mapped[str] = mapped_column(String(5), default="07:00")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    note: Mapped[str] = mapped_column(Text, default="")
    # Articles gathered up to this moment have been delivered (or passed over);
    # the next digest holds only what was gathered after it.  None: no digest yet.
    watermark: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
