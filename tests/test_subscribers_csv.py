"""Importing and exporting subscribers as CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import sessionmaker

from digest.store import Store
from subscribers.csvio import EXPORT_COLUMNS, CSVImportError, export_csv, import_csv
from subscribers.service import Audience
from subscribers.views import AudienceSettings

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
SETTINGS = AudienceSettings(
    sections=("World", "Science", "Technology"),
    text_version="signup-1",
    send_at="06:30",
    timezone="Europe/Berlin",
)
HEADER = "email,name,sections,frequency,weekday,send_at,timezone\n"


@pytest.fixture
def audience(store: Store) -> Audience:
    return Audience(sessionmaker(store.engine, expire_on_commit=False), SETTINGS)


def write(tmp_path: Path, body: str, name: str = "people.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(body.encode(encoding))
    return path


def test_a_clean_file_is_imported_with_defaults_and_pending(
    audience: Audience, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        HEADER
        + "ada@example.org,Ada,World;science,weekly,fri,07:30,Europe/London\n"
        + "\n"
        + "Bob@Example.ORG,,,,,,\n",
    )
    report = import_csv(path, audience, confirmed=False, now=NOW)
    assert report.invalid == ()
    ada, bob = report.result.added
    assert (ada.email, ada.name, ada.sections, ada.frequency, ada.weekday) == (
        "ada@example.org",
        "Ada",
        ("World", "Science"),
        "weekly",
        "fri",
    )
    assert (ada.send_at, ada.timezone, ada.status) == ("07:30", "Europe/London", "pending")
    assert (bob.email, bob.sections, bob.send_at, bob.timezone) == (
        "Bob@example.org",
        None,
        "06:30",
        "Europe/Berlin",
    )
    assert report.result.needs_confirmation == (ada, bob)
    (consent,) = audience.consents(ada.id)
    assert (consent.action, consent.source) == ("import", "people.csv")


def test_only_the_email_column_is_required_and_a_bom_is_fine(
    audience: Audience, tmp_path: Path
) -> None:
    path = write(tmp_path, "\ufeffEmail\nada@example.org\n")
    report = import_csv(path, audience, confirmed=True, now=NOW)
    (ada,) = report.result.added
    assert ada.status == "active" and ada.next_due_at is not None


def test_every_bad_row_is_reported_with_its_line_and_nothing_is_imported(
    audience: Audience, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        HEADER
        + "ada@example.org,Ada,,,,,\n"  # line 2: fine
        + "a@b,,,,,,\n"  # line 3
        + 'carol@example.org,"Carol\nSmith",Sport,,,,\n'  # lines 4-5: a line break, a section
        + "dan@example.org,,,monthly,,,\n"  # line 6
        + "eve@example.org,,,,,25:00,Mars/Base\n"  # line 7: two problems, both named
        + "ADA@example.org,,,,,,\n"  # line 8: duplicate of line 2
        + "fay@example.org,,,,,,,extra\n",  # line 9: too many values
    )
    with pytest.raises(CSVImportError) as caught:
        import_csv(path, audience, confirmed=False, now=NOW)
    name = str(path)
    assert caught.value.problems == (
        f"{name}:3: email: a@b: the part after the @-sign is not valid. It should have a period.",
        f"{name}:4: name: has a line break (U+000A, character 6), which a name cannot have; "
        "sections: there is no section 'Sport' (choose from: World, Science, Technology)",
        f'{name}:6: frequency: expected "daily" or "weekly", got \'monthly\'',
        f"{name}:7: send time: expected a 24-hour time \"HH:MM\", got '25:00'; "
        "time zone: expected an IANA time zone name such as \"Europe/Paris\", got 'Mars/Base'",
        f"{name}:8: ADA@example.org is already on line 2",
        f"{name}:9: 8 values but the header names 7 columns (a comma inside a value needs quotes)",
    )
    assert str(caught.value).endswith("6 bad rows; nothing was imported")
    assert audience.list() == []


def test_bad_rows_can_be_skipped(audience: Audience, tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "ada@example.org,,,,,,\nnot an address,,,,,,\n")
    report = import_csv(path, audience, confirmed=False, now=NOW, skip_invalid=True)
    assert [s.email for s in report.result.added] == ["ada@example.org"]
    assert len(report.invalid) == 1 and report.invalid[0].startswith(f"{path}:3: email: ")


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ("", ":  the file is empty; expected a header line"),
        ("ada@example.org,Ada\n", ":1: the first line must name the columns"),
        ("email,plan\nada@example.org,gold\n", ":1: unknown column 'plan'"),
        ("email,Email\nada@example.org,x\n", ":1: column 'email' appears twice"),
    ],
)
def test_a_file_without_a_usable_header_is_refused_even_when_skipping(
    audience: Audience, tmp_path: Path, body: str, says: str
) -> None:
    path = write(tmp_path, body)
    with pytest.raises(CSVImportError) as caught:
        import_csv(path, audience, confirmed=False, now=NOW, skip_invalid=True)
    assert caught.value.problems[0].startswith(str(path) + says.replace(":  ", ": "))
    assert audience.list() == []


def test_a_file_that_is_not_utf8_is_named(audience: Audience, tmp_path: Path) -> None:
    path = write(tmp_path, "email,name\nzoe@example.org,Zoë\n", encoding="latin-1")
    with pytest.raises(CSVImportError, match=r"people\.csv: not UTF-8 text"):
        import_csv(path, audience, confirmed=False, now=NOW)
    with pytest.raises(CSVImportError, match="cannot read the file"):
        import_csv(tmp_path / "missing.csv", audience, confirmed=False, now=NOW)


def test_known_and_suppressed_addresses_are_left_alone(audience: Audience, tmp_path: Path) -> None:
    common = {"source": "test", "now": NOW}
    active = audience.subscribe("ada@example.org", confirmed=True, **common).subscriber
    pending = audience.subscribe("bob@example.org", **common).subscriber
    left = audience.subscribe("cyd@example.org", confirmed=True, **common).subscriber
    assert active and pending and left
    audience.unsubscribe(left.id, now=NOW, source="test")
    audience.forget("dee@example.org", now=NOW)
    path = write(
        tmp_path,
        "email\nada@example.org\nbob@example.org\ncyd@example.org\ndee@example.org\neve@example.org\n",
    )
    report = import_csv(path, audience, confirmed=True, now=NOW + timedelta(hours=1))
    assert [s.email for s in report.result.added] == ["eve@example.org"]
    assert [s.email for s in report.result.activated] == ["bob@example.org"]
    assert [(s.line, s.reason) for s in report.result.skipped] == [
        (2, "already active"),
        (4, "already unsubscribed"),
        (5, "on the suppression list (left earlier)"),
    ]
    assert audience.find("cyd@example.org").status == "unsubscribed"  # type: ignore[union-attr]
    assert [c.action for c in audience.consents(pending.id)] == ["subscribe", "import"]


def test_export_lists_status_preferences_and_consent_dates(audience: Audience) -> None:
    ada = audience.subscribe(
        "ada@example.org",
        name='=HYPERLINK("http://evil.example")',
        sections=["Science"],
        source="form:/subscribe",
        ip="192.0.2.1",
        now=NOW,
    ).subscriber
    assert ada is not None
    audience.confirm(ada.id, now=NOW + timedelta(hours=1))
    audience.unsubscribe(ada.id, now=NOW + timedelta(days=9), source="one-click")
    audience.subscribe("bob@example.org", confirmed=True, source="cli", now=NOW)
    out = io.StringIO()
    assert export_csv(audience, out) == 2
    table = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert list(table[0]) == list(EXPORT_COLUMNS)
    first, second = table
    assert first == {
        "email": "ada@example.org",
        "name": '\'=HYPERLINK("http://evil.example")',  # no formula in a spreadsheet
        "status": "unsubscribed",
        "sections": "Science",
        "frequency": "daily",
        "weekday": "mon",
        "send_at": "06:30",
        "timezone": "Europe/Berlin",
        "paused": "no",
        "created": "2026-11-25T12:00:00Z",
        "confirmed": "2026-11-25T13:00:00Z",
        "consent": "subscribe",
        "consent_at": "2026-11-25T12:00:00Z",
        "consent_source": "form:/subscribe",
        "consent_ip": "192.0.2.1",
        "text_version": "signup-1",
        "unsubscribed": "2026-12-04T12:00:00Z",
    }
    assert (second["status"], second["consent"], second["consent_source"]) == (
        "active",
        "operator",
        "cli",
    )
    only_active = io.StringIO()
    assert export_csv(audience, only_active, status="active") == 1
