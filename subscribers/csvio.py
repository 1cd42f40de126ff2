"""Subscribers in and out of CSV files.

Import reads a header line and then one subscriber a row::

    email,name,sections,frequency,weekday,send_at,timezone
    ada@example.org,Ada,World;Science,weekly,fri,07:30,Europe/London

Only ``email`` is required; an empty cell takes the newsletter's default and
empty ``sections`` means every section (several are separated by ``;``).
Every row is checked before anything is written (names by
:func:`subscribers.names.check_name`, as the sign-up form's), and each bad one is reported
as ``FILE:LINE: what is wrong``; nothing is imported while any row is bad
unless the caller asks to skip them.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from .addresses import AddressError, address_key, normalize_address
from .names import NameRefused, check_name
from .service import Audience
from .views import ConsentView, ImportResult, ImportRow, PreferenceError, SubscriberView

IMPORT_COLUMNS = ("email", "name", "sections", "frequency", "weekday", "send_at", "timezone")
EXPORT_COLUMNS = (
    "email",
    "name",
    "status",
    "sections",
    "frequency",
    "weekday",
    "send_at",
    "timezone",
    "paused",
    "created",
    "confirmed",
    "consent",
    "consent_at",
    "consent_source",
    "consent_ip",
    "text_version",
    "unsubscribed",
)
SECTION_SEPARATOR = ";"
_GIVEN = ("subscribe", "import", "operator")  # consent actions that give consent
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class CSVImportError(ValueError):
    """An import file with bad rows; ``problems`` holds one ``FILE:LINE: ...`` line each."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        count = len(self.problems)
        summary = f"{count} bad row{'s' if count != 1 else ''}; nothing was imported"
        super().__init__("\n".join([*self.problems, summary]))


@dataclass(frozen=True, slots=True)
class ImportCheck:
    """The rows of a file that are valid and a message for each one that is not."""

    rows: tuple[ImportRow, ...]
    problems: tuple[str, ...]
    fatal: bool = False  # the file as a whole is unusable (no header, unknown column)


@dataclass(frozen=True, slots=True)
class ImportReport:
    result: ImportResult
    invalid: tuple[str, ...]  # the bad rows that were skipped


def check_rows(lines: Iterable[str], audience: Audience, *, filename: str) -> ImportCheck:
    """Parse and validate every row of an import file without writing anything."""
    reader = csv.reader(lines)
    problems: list[str] = []
    try:
        header = next(reader, None)
        while header is not None and not any(cell.strip() for cell in header):
            header = next(reader, None)
    except csv.Error as exc:
        return ImportCheck((), (f"{filename}:{reader.line_num}: {exc}",), fatal=True)
    expected = ", ".join(IMPORT_COLUMNS)
    if header is None:
        return ImportCheck(
            (), (f"{filename}: the file is empty; expected a header line: {expected}",), True
        )
    columns = [cell.strip().lower() for cell in header]
    header_line = reader.line_num
    if "email" not in columns:
        got = ",".join(header)[:80]
        return ImportCheck(
            (),
            (
                f"{filename}:{header_line}: the first line must name the columns "
                f"(email required; known: {expected}), got {got!r}",
            ),
            True,
        )
    unknown = [c for c in columns if c not in IMPORT_COLUMNS]
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if unknown or repeated:
        what = (
            f"unknown column {unknown[0]!r} (known: {expected})"
            if unknown
            else f"column {repeated[0]!r} appears twice"
        )
        return ImportCheck((), (f"{filename}:{header_line}: {what}",), True)

    rows: list[ImportRow] = []
    seen: dict[str, int] = {}
    previous = reader.line_num
    while True:
        try:
            cells = next(reader, None)
        except csv.Error as exc:
            problems.append(f"{filename}:{reader.line_num}: {exc}")
            return ImportCheck(tuple(rows), tuple(problems), fatal=True)
        if cells is None:
            break
        line, previous = previous + 1, reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(columns):
            problems.append(
                f"{filename}:{line}: {len(cells)} values but the header names "
                f"{len(columns)} columns (a comma inside a value needs quotes)"
            )
            continue
        values = dict(zip(columns, (cell.strip() for cell in cells), strict=False))
        row, problem = _check_row(values, line, audience)
        if problem is not None:
            problems.append(f"{filename}:{line}: {problem}")
            continue
        assert row is not None
        key = address_key(row.email)
        if key in seen:
            problems.append(f"{filename}:{line}: {row.email} is already on line {seen[key]}")
            continue
        seen[key] = line
        rows.append(row)
    return ImportCheck(tuple(rows), tuple(problems))


def _check_row(
    values: dict[str, str], line: int, audience: Audience
) -> tuple[ImportRow | None, str | None]:
    wrong: list[str] = []
    email = ""
    try:
        email = normalize_address(values.get("email", ""))
    except AddressError as exc:
        wrong.append(f"email: {exc}")
    person = ""
    try:
        person = check_name(values.get("name", ""))
    except NameRefused as exc:
        wrong.append(str(exc))
    sections_text = values.get("sections", "")
    sections = (
        [part for part in sections_text.split(SECTION_SEPARATOR) if part.strip()]
        if sections_text
        else None
    )
    given: dict[str, Any] = {
        "sections": sections,
        "frequency": values.get("frequency") or None,
        "weekday": values.get("weekday") or None,
        "send_at": values.get("send_at") or None,
        "timezone": values.get("timezone") or None,
    }
    for name, value in given.items():
        if value is not None:  # each on its own, so that every problem is named
            try:
                audience.preferences(**{name: value})
            except PreferenceError as exc:
                wrong.append(str(exc))
    prefs = None
    if not wrong:
        prefs = audience.preferences(**given)
    if wrong or prefs is None:
        return None, "; ".join(wrong)
    return ImportRow(line=line, email=email, name=person, preferences=prefs), None


def import_csv(
    path: Path,
    audience: Audience,
    *,
    confirmed: bool,
    now: datetime,
    skip_invalid: bool = False,
) -> ImportReport:
    """Import a CSV file of subscribers; the consent records name the file.

    Raises :class:`CSVImportError` listing every bad row (and imports nothing)
    unless ``skip_invalid``; a file without a usable header is always an error.
    """
    try:
        with path.open(encoding="utf-8-sig", newline="") as stream:
            check = check_rows(stream, audience, filename=str(path))
    except UnicodeDecodeError as exc:
        raise CSVImportError(
            [f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8 CSV"]
        ) from exc
    except OSError as exc:
        raise CSVImportError([f"{path}: cannot read the file: {exc.strerror or exc}"]) from exc
    if check.fatal or (check.problems and not skip_invalid):
        raise CSVImportError(check.problems)
    result = audience.import_rows(check.rows, source=path.name, confirmed=confirmed, now=now)
    return ImportReport(result=result, invalid=check.problems)


def _when(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if value is not None else ""


def _cell(value: str) -> str:
    """A cell a spreadsheet will not run as a formula."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def export_row(subscriber: SubscriberView, consents: Sequence[ConsentView]) -> dict[str, str]:
    given = [c for c in consents if c.action in _GIVEN]
    latest = given[-1] if given else None
    left = [c for c in consents if c.action == "unsubscribe"]
    row = {
        "email": subscriber.email,
        "name": subscriber.name,
        "status": subscriber.status,
        "sections": SECTION_SEPARATOR.join(subscriber.sections or ()),
        "frequency": subscriber.frequency,
        "weekday": subscriber.weekday,
        "send_at": subscriber.send_at,
        "timezone": subscriber.timezone,
        "paused": "yes" if subscriber.paused else "no",
        "created": _when(subscriber.created_at),
        "confirmed": _when(subscriber.confirmed_at),
        "consent": latest.action if latest else "",
        "consent_at": _when(latest.at) if latest else "",
        "consent_source": latest.source if latest else "",
        "consent_ip": (latest.ip or "") if latest else "",
        "text_version": (latest.text_version or "") if latest else "",
        "unsubscribed": _when(left[-1].at) if left else "",
    }
    return {key: _cell(value) for key, value in row.items()}


def export_csv(audience: Audience, out: TextIO, *, status: str | None = None) -> int:
    """Write every subscriber (or those with ``status``) as CSV; return how many."""
    history = audience.consent_history()
    writer = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    count = 0
    for subscriber in audience.list(status):
        writer.writerow(export_row(subscriber, history.get(subscriber.id, [])))
        count += 1
    return count
