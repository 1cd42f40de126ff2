"""When a subscriber's next digest is due, in their own time zone.

Preferences name a local wall-clock time ("07:00") and an IANA zone; the
database keeps the resulting instant in UTC.  Daylight saving follows RFC 5545:
a local time that does not exist on a spring-forward day is taken with the
offset from before the gap, which moves it forward by the gap's length (02:30
becomes 03:30 in Europe/Paris); a local time that happens twice on a fall-back
day is the first of the two.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import cache
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

Frequency = Literal["daily", "weekly"]
FREQUENCIES: tuple[Frequency, ...] = ("daily", "weekly")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_HHMM = re.compile(r"(?:[01]\d|2[0-3]):[0-5]\d")
# Names zoneinfo can load but that are no place anybody lives in.
_NOT_ZONES = frozenset({"localtime", "Factory", "posixrules"})


class ScheduleError(ValueError):
    """A frequency, weekday, send time or time zone that is not valid."""


def check_frequency(value: str) -> Frequency:
    for frequency in FREQUENCIES:
        if value == frequency:
            return frequency
    raise ScheduleError(f'frequency: expected "daily" or "weekly", got {value!r}')


_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def check_weekday(value: str) -> str:
    """A weekday as its three-letter name; ``"Monday"`` and ``"mon"`` both give ``"mon"``."""
    day = value.strip().lower()
    if day in _DAY_NAMES:
        day = day[:3]
    if day not in WEEKDAYS:
        raise ScheduleError(f"weekday: expected one of {', '.join(WEEKDAYS)}, got {value!r}")
    return day


def parse_send_at(value: str) -> time:
    """``"HH:MM"`` (24-hour clock) as a time; ``"7:05"`` is accepted as ``07:05``."""
    text = value.strip()
    if re.fullmatch(r"\d:[0-5]\d", text):
        text = "0" + text
    if not _HHMM.fullmatch(text):
        raise ScheduleError(f'send time: expected a 24-hour time "HH:MM", got {value!r}')
    return time(int(text[:2]), int(text[3:]))


def check_send_at(value: str) -> str:
    """The send time in its canonical ``"HH:MM"`` spelling."""
    return parse_send_at(value).strftime("%H:%M")


@cache
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones()) - _NOT_ZONES


def check_timezone(value: str) -> str:
    """An IANA time zone name, as given; raise :class:`ScheduleError` otherwise."""
    name = value.strip()
    if name not in _zone_names():
        raise ScheduleError(
            f'time zone: expected an IANA time zone name such as "Europe/Paris", got {value!r}'
        )
    return name


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(check_timezone(name))
    except ZoneInfoNotFoundError as exc:  # pragma: no cover - listed but unreadable
        raise ScheduleError(f"time zone: cannot load {name!r}: {exc}") from exc


def local_to_utc(day: date, at: time, where: tzinfo) -> datetime:
    """The UTC instant of a local date and wall-clock time (gaps forward, overlaps first)."""
    return datetime.combine(day, at, tzinfo=where).replace(fold=0).astimezone(UTC)


def next_due(
    now: datetime,
    *,
    frequency: str,
    weekday: str,
    send_at: str,
    timezone: str | tzinfo,
) -> datetime:
    """The first send time strictly after ``now``, in UTC.

    ``daily`` sends every day at ``send_at`` local time; ``weekly`` only on
    ``weekday``.  ``now`` must be timezone-aware.
    """
    if now.tzinfo is None:
        raise ValueError(f"expected a timezone-aware datetime, got {now!r}")
    every = check_frequency(frequency)
    at = parse_send_at(send_at)
    where = zone(timezone) if isinstance(timezone, str) else timezone
    wanted = WEEKDAYS.index(check_weekday(weekday))
    today = now.astimezone(where).date()
    # Yesterday's candidate is never due after now except around odd zone changes;
    # starting there costs nothing and makes the search safe.
    for offset in range(-1, 9):
        day = today + timedelta(days=offset)
        if every == "weekly" and day.weekday() != wanted:
            continue
        due = local_to_utc(day, at, where)
        if due > now:
            return due
    raise AssertionError("no send time within nine days")  # pragma: no cover
