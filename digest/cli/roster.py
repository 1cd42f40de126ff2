"""The list of subscribers as ``digest subscribers list`` prints it: a table, or JSON."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from rich.markup import escape
from rich.table import Table

from digest.cli.audience import STATUSES
from digest.cli.common import when
from digest.cli.report import stdout_console

if TYPE_CHECKING:
    from subscribers.views import SubscriberView

STATUS_STYLE = {"active": "green", "pending": "yellow"}


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat(timespec="seconds") if value is not None else None


def subscriber_dict(person: SubscriberView) -> dict[str, object]:
    """One subscriber as ``digest subscribers list --json`` prints it."""
    return {
        "id": person.id,
        "email": person.email,
        "name": person.name,
        "status": person.status,
        "sections": list(person.sections) if person.sections is not None else None,
        "frequency": person.frequency,
        "weekday": person.weekday,
        "send_at": person.send_at,
        "timezone": person.timezone,
        "paused": person.paused,
        "created": _iso(person.created_at),
        "confirmed": _iso(person.confirmed_at),
        "next_due": _iso(person.next_due_at),
    }


def subscribers_json(people: Sequence[SubscriberView]) -> str:
    return json.dumps([subscriber_dict(p) for p in people], ensure_ascii=False, indent=2)


def _schedule(person: SubscriberView) -> str:
    day = f" {person.weekday}" if person.frequency == "weekly" else ""
    return f"{person.frequency}{day} {person.send_at} {person.timezone}"


def subscribers_table(people: Sequence[SubscriberView], status: str | None) -> None:
    """Print *people* (those with *status*, when given) as a table, with a count per status."""
    console = stdout_console()
    if not people:
        console.print(
            f"no {status} subscribers"
            if status
            else "no subscribers yet; add one with "
            "`digest subscribe EMAIL` or `digest subscribers import FILE`",
            markup=False,
        )
        return
    table = Table(title=f"{len(people)} subscriber(s)", title_justify="left")
    for column in ("email", "name", "status", "sections", "schedule"):
        table.add_column(column, overflow="fold")
    for column in ("signed up", "confirmed", "next digest"):
        table.add_column(column, no_wrap=True)
    for person in people:
        state = f"{person.status}, paused" if person.paused else person.status
        style = "yellow" if person.paused else STATUS_STYLE.get(person.status, "red")
        table.add_row(
            escape(person.email),
            escape(person.name),
            f"[{style}]{state}[/{style}]",
            escape(", ".join(person.sections)) if person.sections is not None else "all",
            escape(_schedule(person)),
            when(person.created_at),
            when(person.confirmed_at),
            when(person.next_due_at),
        )
    console.print(table)
    counts = Counter(person.status for person in people)
    summary = ", ".join(f"{counts[name]} {name}" for name in STATUSES if counts[name])
    console.print(f"{summary}; times in UTC", markup=False)
