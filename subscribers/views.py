"""What the audience's operations take and give back: settings, views, outcomes, errors.

Plain frozen dataclasses, so callers (the web app, the CLI, the sender) hold
no database rows.  :mod:`subscribers.service` makes them; ``view`` and
``consent_view`` turn a row into one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from .addresses import DEFAULT_SUPPRESSION_SALT
from .models import Consent, Subscriber


class PreferenceError(ValueError):
    """A preference that is not valid; ``field`` names it (sections, frequency, ...)."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


class UnknownSubscriber(LookupError):
    """No subscriber has this id (or address)."""


@dataclass(frozen=True, slots=True)
class AudienceSettings:
    """What the audience needs from the application's configuration.

    ``sections`` are the configured section names, in order; the other
    preferences are the defaults a new subscriber starts with.
    """

    sections: tuple[str, ...]
    text_version: str
    frequency: str = "daily"
    weekday: str = "mon"
    send_at: str = "07:00"
    timezone: str = "UTC"
    # A pending address gets at most one confirmation mail in this time.
    resend_after: timedelta = timedelta(minutes=10)
    suppression_salt: str = DEFAULT_SUPPRESSION_SALT


@dataclass(frozen=True, slots=True)
class Preferences:
    """Validated preferences; ``sections`` None means every configured section."""

    sections: tuple[str, ...] | None
    frequency: str
    weekday: str
    send_at: str
    timezone: str


@dataclass(frozen=True, slots=True)
class SubscriberView:
    """One subscriber as read from the database."""

    id: int
    email: str
    name: str
    status: str
    sections: tuple[str, ...] | None
    frequency: str
    weekday: str
    send_at: str
    timezone: str
    paused: bool
    created_at: datetime
    confirmed_at: datetime | None
    updated_at: datetime
    next_due_at: datetime | None
    watermark: datetime | None
    confirm_sent_at: datetime | None  # the last confirmation mail sent (None: none, or it failed)
    token_stamp: str = field(repr=False)
    # What the subscriber's link tokens name them by (random, not the row id).
    public_id: str = field(repr=False)

    @property
    def preferences(self) -> Preferences:
        return Preferences(self.sections, self.frequency, self.weekday, self.send_at, self.timezone)


@dataclass(frozen=True, slots=True)
class ConsentView:
    subscriber_id: int | None
    action: str
    at: datetime
    ip: str | None
    user_agent: str | None
    source: str
    text_version: str | None


SubscribeAction = Literal[
    "created", "resubscribed", "resent", "throttled", "unchanged", "activated", "suppressed"
]


@dataclass(frozen=True, slots=True)
class SubscribeOutcome:
    """What :meth:`Audience.subscribe` did.

    ``created``/``resubscribed``/``resent``: pending, a confirmation mail is due
    (``send_confirmation``); ``throttled``: pending, one was sent moments ago;
    ``unchanged``: already active; ``activated``: made active on the operator's
    word; ``suppressed``: the person left or was forgotten, so only they can
    subscribe again (``subscriber`` may then be None).
    """

    action: SubscribeAction
    subscriber: SubscriberView | None

    @property
    def send_confirmation(self) -> bool:
        return self.action in ("created", "resubscribed", "resent")


@dataclass(frozen=True, slots=True)
class ConfirmOutcome:
    """``confirmed`` (this call activated), ``already`` (active before), ``not_pending``
    (unsubscribed or bounced meanwhile) or ``unknown`` (no such subscriber, or the
    link predates a new subscription)."""

    action: Literal["confirmed", "already", "not_pending", "unknown"]
    subscriber: SubscriberView | None


@dataclass(frozen=True, slots=True)
class UnsubscribeOutcome:
    """``unsubscribed`` (this call), ``already`` (earlier) or ``unknown``."""

    action: Literal["unsubscribed", "already", "unknown"]
    subscriber: SubscriberView | None


@dataclass(frozen=True, slots=True)
class ForgetOutcome:
    found: bool
    consents_deleted: int


@dataclass(frozen=True, slots=True)
class ImportRow:
    """One validated row of an import; ``line`` is where it was in its file."""

    line: int
    email: str
    name: str
    preferences: Preferences


@dataclass(frozen=True, slots=True)
class ImportSkip:
    line: int
    email: str
    reason: str


@dataclass(frozen=True, slots=True)
class ImportResult:
    added: tuple[SubscriberView, ...]
    activated: tuple[SubscriberView, ...]
    skipped: tuple[ImportSkip, ...]

    @property
    def needs_confirmation(self) -> tuple[SubscriberView, ...]:
        """The new subscribers that wait for a confirmation mail."""
        return tuple(s for s in self.added if s.status == "pending")


def view(row: Subscriber) -> SubscriberView:
    return SubscriberView(
        id=row.id,
        email=row.email,
        name=row.name,
        status=row.status,
        sections=tuple(row.sections) if row.sections is not None else None,
        frequency=row.frequency,
        weekday=row.weekday,
        send_at=row.send_at,
        timezone=row.timezone,
        paused=bool(row.paused),
        created_at=row.created_at,
        confirmed_at=row.confirmed_at,
        updated_at=row.updated_at,
        next_due_at=row.next_due_at,
        watermark=row.watermark,
        confirm_sent_at=row.confirm_sent_at,
        token_stamp=row.token_stamp,
        public_id=row.public_id,
    )


def consent_view(row: Consent) -> ConsentView:
    return ConsentView(
        subscriber_id=row.subscriber_id,
        action=row.action,
        at=row.at,
        ip=row.ip,
        user_agent=row.user_agent,
        source=row.source,
        text_version=row.text_version,
    )
