"""``digest subscribe``, ``unsubscribe`` and ``subscribers list|import|export|forget``.

Run for real: the commands go through ``digest.cli.main`` (or a separate
process where the exit code and the absence of a traceback matter), the
mails reach a real SMTP server (aiosmtpd), and the subscribers end up in a
real database, SQLite and PostgreSQL.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import re
import stat
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import inspect, select, text

from digest.cli import subscribers as cli_subscribers
from digest.cli.main import build_parser, main
from digest.store import Store
from subscribers.csvio import EXPORT_COLUMNS
from subscribers.models import STATUSES, Consent, Subscriber, Suppression
from subscribers.tokens import TokenSigner
from tests.conftest import ConfigWriter
from tests.support.smtpd import SMTPServer, free_port

SECRET = "a-test-secret-that-is-long-enough-0123456789"
SECTIONS = ("World", "Science", "Technology")
TERMINAL_ENV = ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "CLICOLOR_FORCE")
HEADER = "email,name,sections,frequency,weekday,send_at,timezone\n"


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (*TERMINAL_ENV, "DIGEST_CONFIG", "DIGEST_SMTP_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DIGEST_SECRET_KEY", SECRET)


@pytest.fixture
def smtpd() -> Iterator[SMTPServer]:
    with SMTPServer() as server:
        yield server


def smtp_table(port: int) -> str:
    return f'[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\ntimeout = 5\n'


@pytest.fixture
def config(make_config: ConfigWriter, db_url: str, smtpd: SMTPServer) -> str:
    """A config file on the test database whose [smtp] is the running aiosmtpd."""
    return str(make_config(sections=SECTIONS, db_url=db_url, extra=smtp_table(smtpd.port)).path)


def cli(capsys: pytest.CaptureFixture[str], config: str, *argv: str) -> tuple[int, str, str]:
    """Run ``digest ARGV --config CONFIG`` in-process; return (exit code, stdout, stderr)."""
    code = main([*argv, "--config", config])
    out, err = capsys.readouterr()
    return code, out, err


def program(config: str, *argv: str) -> subprocess.CompletedProcess[str]:
    """``python -m digest ARGV`` as a separate process."""
    env = {k: v for k, v in os.environ.items() if k not in TERMINAL_ENV}
    return subprocess.run(
        [sys.executable, "-m", "digest", *argv, "--config", config],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def subscriber(store: Store, email: str) -> Subscriber | None:
    with store.sessions() as session:
        return session.scalar(select(Subscriber).where(Subscriber.email == email))


def consents(store: Store, email: str) -> list[tuple[str, str]]:
    with store.sessions() as session:
        found = session.scalar(select(Subscriber.id).where(Subscriber.email == email))
        rows = session.scalars(
            select(Consent).where(Consent.subscriber_id == found).order_by(Consent.id)
        )
        return [(row.action, row.source) for row in rows]


def plain(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())  # type: ignore[attr-defined]


def link(message: EmailMessage, path: str) -> str:
    found = re.search(rf"https?://\S+/{path}/[A-Za-z0-9_.-]+", plain(message))
    assert found, f"no /{path}/ link in:\n{plain(message)}"
    return found.group(0)


def write_csv(tmp_path: Path, body: str, name: str = "people.csv") -> Path:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return path


# -- subscribe ---------------------------------------------------------------------------


def test_subscribe_sends_a_confirmation_mail_whose_link_carries_a_token(
    capsys: pytest.CaptureFixture[str], config: str, smtpd: SMTPServer, store: Store
) -> None:
    code, out, err = cli(capsys, config, "subscribe", "Ada@Example.org", "--name", "Ada")
    assert (code, err) == (0, "")
    assert out == "Ada@example.org: signed up, waiting for confirmation; confirmation mail sent\n"

    (received,) = smtpd.received
    assert received.rcpt_tos == ("Ada@example.org",)
    message = received.message
    assert message["Subject"].startswith("Confirm your subscription")
    url = link(message, "confirm")
    token = url.rsplit("/", 1)[1]
    for spelling in ("Ada@example.org", quote("Ada@example.org"), "example.org", "Ada"):
        assert spelling.casefold() not in url.casefold()

    row = subscriber(store, "Ada@example.org")
    assert row is not None
    assert (row.status, row.name, row.confirmed_at) == ("pending", "Ada", None)
    claims = TokenSigner(SECRET).verify(token, "confirm", now=datetime.now(UTC))
    assert (claims.public_id, claims.stamp) == (row.public_id, row.token_stamp)
    assert consents(store, "Ada@example.org") == [("subscribe", "cli")]


def test_confirmed_makes_the_address_active_on_the_operators_word_with_a_welcome_mail(
    capsys: pytest.CaptureFixture[str], config: str, smtpd: SMTPServer, store: Store
) -> None:
    code, out, err = cli(
        capsys,
        config,
        "subscribe",
        "bo@example.net",
        "--confirmed",
        "--sections",
        "science, technology",
        "--frequency",
        "weekly",
        "--day",
        "Friday",
        "--at",
        "7:30",
        "--timezone",
        "Europe/Paris",
    )
    assert (code, err) == (0, "")
    assert "subscribed, with the consent recorded as the operator's; welcome mail sent" in out

    (received,) = smtpd.received  # the welcome mail, and no confirmation mail
    message = received.message
    assert message["Subject"].startswith("Welcome to")
    assert "/confirm/" not in plain(message)
    unsubscribe = link(message, "unsubscribe")
    assert link(message, "preferences")
    assert unsubscribe in message["List-Unsubscribe"]

    row = subscriber(store, "bo@example.net")
    assert row is not None
    assert row.status == "active" and row.confirmed_at is not None
    assert row.next_due_at is not None
    assert (row.sections, row.frequency, row.weekday) == (
        ["Science", "Technology"],
        "weekly",
        "fri",
    )
    assert (row.send_at, row.timezone) == ("07:30", "Europe/Paris")
    assert consents(store, "bo@example.net") == [("operator", "cli")]


def test_subscribing_again_is_throttled_or_changes_nothing(
    capsys: pytest.CaptureFixture[str], config: str, smtpd: SMTPServer
) -> None:
    assert cli(capsys, config, "subscribe", "ada@example.org")[0] == 0
    code, out, _ = cli(capsys, config, "subscribe", "ada@example.org")
    assert code == 0
    assert "already waiting for confirmation" in out and "less than 10 minutes ago" in out
    assert len(smtpd.received) == 1

    assert cli(capsys, config, "subscribe", "bo@example.net", "--confirmed")[0] == 0
    code, out, _ = cli(capsys, config, "subscribe", "bo@example.net", "--frequency", "weekly")
    assert code == 0
    assert out.startswith("bo@example.net: already subscribed since ")
    assert "nothing changed" in out
    assert len(smtpd.received) == 2


def test_a_second_confirmation_mail_after_the_limit_is_sent_again(
    capsys: pytest.CaptureFixture[str], config: str, smtpd: SMTPServer, store: Store
) -> None:
    code, out, _ = cli(capsys, config, "subscribe", "ada@example.org")
    assert (code, out) == (
        0,
        "ada@example.org: signed up, waiting for confirmation; confirmation mail sent\n",
    )
    with store.sessions() as session:  # the first mail went out an hour ago
        row = session.scalar(select(Subscriber).where(Subscriber.email == "ada@example.org"))
        assert row is not None and row.confirm_sent_at is not None
        row.confirm_sent_at = datetime.now(UTC) - timedelta(hours=1)
        session.commit()
    code, out, err = cli(capsys, config, "subscribe", "ada@example.org")
    assert (code, err) == (0, "")
    assert (
        out == "ada@example.org: already waiting for confirmation; confirmation mail sent again\n"
    )
    assert [r.rcpt_tos for r in smtpd.received] == [("ada@example.org",)] * 2


def test_confirmed_activates_a_pending_address(
    capsys: pytest.CaptureFixture[str], config: str, smtpd: SMTPServer, store: Store
) -> None:
    assert cli(capsys, config, "subscribe", "ada@example.org")[0] == 0
    code, out, _ = cli(capsys, config, "subscribe", "ada@example.org", "--confirmed")
    assert code == 0 and "welcome mail sent" in out
    row = subscriber(store, "ada@example.org")
    assert row is not None and row.status == "active"
    assert [r.message["Subject"].split()[0] for r in smtpd.received] == ["Confirm", "Welcome"]
    assert consents(store, "ada@example.org") == [("subscribe", "cli"), ("operator", "cli")]


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        (
            "--timezone",
            "Mars/Olympus_Mons",
            '--timezone: expected an IANA time zone name such as "Europe/Paris", got',
        ),
        ("--at", "25:00", '--at: expected a 24-hour time "HH:MM", got'),
        ("--frequency", "hourly", '--frequency: expected "daily" or "weekly", got'),
        ("--day", "someday", "--day: expected one of mon, tue, wed, thu, fri, sat, sun, got"),
        ("--sections", "Sports", "--sections: there is no section 'Sports' (choose from: World"),
        ("--sections", ",", "--sections: choose at least one of: World, Science, Technology"),
    ],
)
def test_a_bad_preference_is_one_line_naming_the_option(
    capsys: pytest.CaptureFixture[str],
    make_config: ConfigWriter,
    smtpd: SMTPServer,
    option: str,
    value: str,
    expected: str,
) -> None:
    config = str(make_config(sections=SECTIONS, extra=smtp_table(smtpd.port)).path)
    code, out, err = cli(capsys, config, "subscribe", "ada@example.org", option, value)
    assert (code, out) == (2, "")
    assert err.startswith(f"error: {expected}")
    assert err.count("\n") == 1
    assert smtpd.received == []
    with Store(f"sqlite:///{Path(config).parent / 'digest.db'}") as store:
        assert subscriber(store, "ada@example.org") is None


def test_a_bad_address_or_timezone_exits_2_with_one_line_and_no_traceback(
    make_config: ConfigWriter, smtpd: SMTPServer
) -> None:
    config = str(make_config(sections=SECTIONS, extra=smtp_table(smtpd.port)).path)
    bad = program(config, "subscribe", "ada.example.org")
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.startswith("error: ada.example.org: ")
    assert "@" in bad.stderr and bad.stderr.count("\n") == 1
    assert "Traceback" not in bad.stderr

    zone = program(config, "subscribe", "ada@example.org", "--timezone", "Europe/Atlantis")
    assert zone.returncode == 2 and zone.stdout == ""
    assert zone.stderr.startswith("error: --timezone: ") and "Europe/Atlantis" in zone.stderr
    assert zone.stderr.count("\n") == 1 and "Traceback" not in zone.stderr
    assert smtpd.received == []


def test_when_the_smtp_server_is_down_the_subscriber_stays_and_one_line_says_so(
    capsys: pytest.CaptureFixture[str],
    make_config: ConfigWriter,
    db_url: str,
    smtpd: SMTPServer,
    store: Store,
) -> None:
    closed = free_port()
    written = make_config(sections=SECTIONS, db_url=db_url, extra=smtp_table(closed)).path
    down = str(written.rename(written.with_name("down.toml")))
    code, out, err = cli(capsys, down, "subscribe", "ada@example.org")
    assert (code, out) == (1, "")
    assert err.count("\n") == 1
    assert err.startswith(
        "warning: ada@example.org: signed up, waiting for confirmation, but the confirmation "
        f"mail was not sent: 127.0.0.1:{closed}: cannot connect:"
    )
    assert err.rstrip().endswith("run this command again to resend it")
    row = subscriber(store, "ada@example.org")
    assert row is not None and row.status == "pending"

    # The mail that did not leave does not count against the resend limit, and the one
    # that leaves now is the first to reach the person: "sent", not "sent again".
    up = str(make_config(sections=SECTIONS, db_url=db_url, extra=smtp_table(smtpd.port)).path)
    code, out, err = cli(capsys, up, "subscribe", "ada@example.org")
    assert (code, err) == (0, "")
    assert out == "ada@example.org: already waiting for confirmation; confirmation mail sent\n"
    assert [r.rcpt_tos for r in smtpd.received] == [("ada@example.org",)]

    code, out, err = cli(capsys, down, "subscribe", "bo@example.net", "--confirmed")
    assert (code, out) == (1, "")
    assert err.startswith("warning: bo@example.net: subscribed, with the consent recorded as ")
    assert "but the welcome mail was not sent" in err and err.count("\n") == 1
    row = subscriber(store, "bo@example.net")
    assert row is not None and row.status == "active"


def test_without_the_secret_key_a_note_says_the_links_use_the_placeholder(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    config: str,
    smtpd: SMTPServer,
) -> None:
    monkeypatch.delenv("DIGEST_SECRET_KEY")
    code, out, err = cli(capsys, config, "subscribe", "ada@example.org")
    assert code == 0 and "confirmation mail sent" in out
    assert err.startswith("note: DIGEST_SECRET_KEY is not set")
    assert len(smtpd.received) == 1


# -- unsubscribe ---------------------------------------------------------------------------


def test_unsubscribe_by_address_records_it_and_suppresses_the_address(
    capsys: pytest.CaptureFixture[str], config: str, smtpd: SMTPServer, store: Store
) -> None:
    assert cli(capsys, config, "subscribe", "ada@example.org", "--confirmed")[0] == 0
    code, out, err = cli(capsys, config, "unsubscribe", "ADA@example.org")
    assert (code, err) == (0, "")
    assert out == (
        "ada@example.org: unsubscribed; no more digests, and the address is on the "
        "suppression list\n"
    )
    row = subscriber(store, "ada@example.org")
    assert row is not None and (row.status, row.next_due_at) == ("unsubscribed", None)
    assert consents(store, "ada@example.org")[-1] == ("unsubscribe", "cli")

    code, out, _ = cli(capsys, config, "unsubscribe", "ada@example.org")
    assert code == 0 and out.startswith("ada@example.org: already unsubscribed (since ")

    # Only the person can come back, through the form: the operator cannot re-add them.
    for extra in ((), ("--confirmed",)):
        code, out, err = cli(capsys, config, "subscribe", "ada@example.org", *extra)
        assert (code, out) == (1, "")
        assert err == (
            "error: ada@example.org: the subscription ended (unsubscribed); only the person "
            "can subscribe again, through the sign-up form\n"
        )
    assert len(smtpd.received) == 1  # the welcome mail only


def test_unsubscribing_an_unknown_or_bad_address(
    capsys: pytest.CaptureFixture[str], config: str
) -> None:
    code, out, err = cli(capsys, config, "unsubscribe", "nobody@example.org")
    assert (code, out) == (1, "")
    assert err.startswith("error: nobody@example.org: no subscriber has this address")
    assert err.count("\n") == 1

    code, out, err = cli(capsys, config, "unsubscribe", "nobody")
    assert (code, out) == (2, "")
    assert err.startswith("error: nobody: ") and err.count("\n") == 1


# -- list --------------------------------------------------------------------------------


def test_list_json_has_every_field_in_iso_8601(
    capsys: pytest.CaptureFixture[str], config: str
) -> None:
    cli(capsys, config, "subscribe", "ada@example.org", "--name", "Ada")
    cli(
        capsys,
        config,
        "subscribe",
        "bo@example.net",
        "--confirmed",
        "--sections",
        "World",
        "--frequency",
        "weekly",
        "--day",
        "wed",
        "--timezone",
        "America/New_York",
    )
    code, out, err = cli(capsys, config, "subscribers", "list", "--json")
    assert (code, err) == (0, "")
    ada, bo = json.loads(out)
    assert set(ada) >= {
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
        "next_due",
    }
    assert (ada["email"], ada["name"], ada["status"], ada["sections"]) == (
        "ada@example.org",
        "Ada",
        "pending",
        None,
    )
    assert (ada["confirmed"], ada["next_due"], ada["paused"]) == (None, None, False)
    assert (bo["status"], bo["sections"], bo["frequency"], bo["weekday"]) == (
        "active",
        ["World"],
        "weekly",
        "wed",
    )
    assert (bo["send_at"], bo["timezone"]) == ("07:00", "America/New_York")
    for value in (ada["created"], bo["created"], bo["confirmed"], bo["next_due"]):
        parsed = datetime.fromisoformat(value)
        assert parsed.utcoffset() is not None and parsed.utcoffset().total_seconds() == 0  # type: ignore[union-attr]
    assert datetime.fromisoformat(bo["next_due"]).weekday() == 2  # Wednesday, in UTC too

    code, out, _ = cli(capsys, config, "subscribers", "list", "--json", "--status", "active")
    assert [p["email"] for p in json.loads(out)] == ["bo@example.net"]


def test_list_prints_a_table_and_checks_the_status(
    capsys: pytest.CaptureFixture[str], config: str
) -> None:
    code, out, _ = cli(capsys, config, "subscribers", "list")
    assert code == 0 and out.startswith("no subscribers yet")

    cli(capsys, config, "subscribe", "ada@example.org", "--name", "Ada Lovelace")
    cli(capsys, config, "subscribe", "bo@example.net", "--confirmed", "--frequency", "weekly")
    code, out, _ = cli(capsys, config, "subscribers", "list")
    assert code == 0
    rows = {line.split("│")[1].strip(): line for line in out.splitlines() if "│" in line}
    assert set(rows) == {"ada@example.org", "bo@example.net"}
    assert "Ada Lovelace" in rows["ada@example.org"] and "pending" in rows["ada@example.org"]
    assert "weekly mon 07:00 UTC" in rows["bo@example.net"] and "active" in rows["bo@example.net"]
    assert "1 pending, 1 active; times in UTC" in out

    code, out, _ = cli(capsys, config, "subscribers", "list", "--status", "unsubscribed")
    assert (code, out) == (0, "no unsubscribed subscribers\n")
    code, out, err = cli(capsys, config, "subscribers", "list", "--status", "gone")
    assert (code, out) == (2, "")
    assert err == (
        "error: --status: expected one of pending, active, unsubscribed, bounced, complained, "
        "got 'gone'\n"
    )


# -- import ------------------------------------------------------------------------------


def test_import_reports_every_bad_row_with_its_line_and_imports_nothing(
    capsys: pytest.CaptureFixture[str],
    config: str,
    smtpd: SMTPServer,
    store: Store,
    tmp_path: Path,
) -> None:
    path = write_csv(
        tmp_path,
        HEADER
        + "ada@example.org,Ada,World,,,,\n"
        + "not-an-address,,,,,,\n"
        + "bo@example.net,,,monthly,,,Mars/Base\n"
        + "cy@example.com,,Sports,,,,\n",
    )
    code, out, err = cli(capsys, config, "subscribers", "import", str(path))
    assert (code, out) == (2, "")
    lines = err.splitlines()
    assert lines[0].startswith(f"{path}:3: email: not-an-address: ")
    assert lines[1].startswith(f'{path}:4: frequency: expected "daily" or "weekly"')
    assert "time zone: expected an IANA time zone name" in lines[1]
    assert lines[2].startswith(f"{path}:5: sections: there is no section 'Sports'")
    assert lines[3] == (
        f"error: {path}: 3 problems, nothing was imported; fix them, or pass --skip-invalid "
        "to skip them"
    )
    assert len(lines) == 4
    with store.sessions() as session:
        assert session.scalars(select(Subscriber)).all() == []
    assert smtpd.received == []


def test_import_skip_invalid_imports_the_good_rows_and_sends_their_confirmations(
    capsys: pytest.CaptureFixture[str],
    config: str,
    smtpd: SMTPServer,
    store: Store,
    tmp_path: Path,
) -> None:
    cli(capsys, config, "subscribe", "old@example.org", "--confirmed")
    smtpd.received.clear()
    path = write_csv(
        tmp_path,
        HEADER
        + "ada@example.org,Ada,World;Science,weekly,fri,07:30,Europe/London\n"
        + "not-an-address,,,,,,\n"
        + "bo@example.net,,,,,,\n"
        + "old@example.org,,,,,,\n",
    )
    code, out, err = cli(capsys, config, "subscribers", "import", str(path), "--skip-invalid")
    assert code == 0
    assert err.startswith(f"{path}:3: email: not-an-address: ")
    assert err.rstrip().endswith("(skipped)") and err.count("\n") == 1
    assert out.splitlines() == [
        f"{path}:5: old@example.org: skipped: already active",
        f"{path}: 2 added, waiting for confirmation; 1 already known or suppressed, skipped; "
        "1 invalid row(s) skipped; 2 confirmation mail(s) sent",
    ]
    assert sorted(r.rcpt_tos for r in smtpd.received) == [
        ("ada@example.org",),
        ("bo@example.net",),
    ]
    assert all("/confirm/" in plain(r.message) for r in smtpd.received)
    ada = subscriber(store, "ada@example.org")
    assert ada is not None and ada.status == "pending"
    assert (ada.sections, ada.frequency, ada.weekday) == (["World", "Science"], "weekly", "fri")
    assert consents(store, "ada@example.org") == [("import", "people.csv")]
    assert subscriber(store, "not-an-address") is None


def test_import_confirmed_makes_everyone_active_and_sends_nothing(
    capsys: pytest.CaptureFixture[str],
    config: str,
    smtpd: SMTPServer,
    store: Store,
    tmp_path: Path,
) -> None:
    path = write_csv(tmp_path, "email\nada@example.org\nbo@example.net\n")
    code, out, err = cli(capsys, config, "subscribers", "import", str(path), "--confirmed")
    assert (code, err) == (0, "")
    assert out == f"{path}: 2 added, as active subscribers\n"
    assert smtpd.received == []
    for email in ("ada@example.org", "bo@example.net"):
        row = subscriber(store, email)
        assert row is not None and row.status == "active" and row.next_due_at is not None


def test_import_with_the_smtp_server_down_keeps_the_rows_and_exits_1(
    capsys: pytest.CaptureFixture[str],
    make_config: ConfigWriter,
    db_url: str,
    store: Store,
    tmp_path: Path,
) -> None:
    down = str(make_config(sections=SECTIONS, db_url=db_url, extra=smtp_table(free_port())).path)
    path = write_csv(tmp_path, "email\nada@example.org\nbo@example.net\n")
    code, out, err = cli(capsys, down, "subscribers", "import", str(path))
    assert code == 1
    assert out == f"{path}: 2 added, waiting for confirmation; 0 confirmation mail(s) sent\n"
    assert err.startswith("warning: 2 confirmation mail(s) not sent: 127.0.0.1:")
    assert err.count("\n") == 1
    row = subscriber(store, "bo@example.net")
    assert row is not None and row.status == "pending" and row.confirm_sent_at is None


@pytest.mark.parametrize("skip_invalid", [False, True], ids=["strict", "skip-invalid"])
@pytest.mark.parametrize("kind", ["missing", "folder"])
def test_an_import_file_that_cannot_be_read_is_one_line_without_the_skip_hint(
    capsys: pytest.CaptureFixture[str],
    config: str,
    smtpd: SMTPServer,
    tmp_path: Path,
    kind: str,
    skip_invalid: bool,
) -> None:
    path = tmp_path / "missing.csv"
    if kind == "folder":
        path.mkdir()
    options = ["--skip-invalid"] if skip_invalid else []
    code, out, err = cli(capsys, config, "subscribers", "import", str(path), *options)
    assert (code, out) == (2, "")
    reason = "No such file or directory" if kind == "missing" else "Is a directory"
    assert err == f"error: {path}: cannot read the file: {reason}\n"
    assert smtpd.received == []


def test_a_missing_import_file_as_a_program_opens_no_database(
    make_config: ConfigWriter, smtpd: SMTPServer, tmp_path: Path
) -> None:
    config = str(make_config(sections=SECTIONS, extra=smtp_table(smtpd.port)).path)
    result = program(config, "subscribers", "import", "missing.csv")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == "error: missing.csv: cannot read the file: No such file or directory\n"
    assert not (tmp_path / "digest.db").exists()


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"", "the file is empty; expected a header line: email, "),
        (b"mail,name\nada@example.org,Ada\n", "1: the first line must name the columns"),
        (b"email\nada@example.org\n\xff\xfe\n", "not UTF-8 text"),
    ],
    ids=["empty", "no-email-column", "not-utf8"],
)
def test_an_unusable_import_file_is_one_line_without_the_skip_hint(
    capsys: pytest.CaptureFixture[str],
    config: str,
    store: Store,
    tmp_path: Path,
    body: bytes,
    expected: str,
) -> None:
    path = tmp_path / "people.csv"
    path.write_bytes(body)
    code, out, err = cli(capsys, config, "subscribers", "import", str(path))
    assert (code, out) == (2, "")
    [line] = err.splitlines()
    assert line.startswith(f"error: {path}")
    assert expected in line and line.endswith("; nothing was imported")
    assert "--skip-invalid" not in line
    with store.sessions() as session:
        assert session.scalars(select(Subscriber)).all() == []


# -- export ------------------------------------------------------------------------------


def test_export_writes_csv_with_consent_to_a_file_or_stdout(
    capsys: pytest.CaptureFixture[str], config: str, tmp_path: Path
) -> None:
    cli(capsys, config, "subscribe", "ada@example.org", "--name", "Ada")
    cli(capsys, config, "subscribe", "bo@example.net", "--confirmed", "--sections", "Science")
    cli(capsys, config, "unsubscribe", "bo@example.net")

    code, out, err = cli(capsys, config, "subscribers", "export")
    assert (code, err) == (0, "")
    assert out.splitlines()[0] == ",".join(EXPORT_COLUMNS)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["email"], r["status"]) for r in rows] == [
        ("ada@example.org", "pending"),
        ("bo@example.net", "unsubscribed"),
    ]
    ada, bo = rows
    assert (ada["name"], ada["consent"], ada["consent_source"], ada["confirmed"]) == (
        "Ada",
        "subscribe",
        "cli",
        "",
    )
    assert (bo["sections"], bo["consent"], bo["consent_source"]) == ("Science", "operator", "cli")
    assert bo["confirmed"].endswith("Z") and bo["unsubscribed"].endswith("Z")

    target = tmp_path / "out.csv"
    code, out, err = cli(capsys, config, "subscribers", "export", str(target))
    assert (code, err) == (0, "")
    assert out == f"wrote 2 subscriber(s) to {target}\n"
    written = target.read_text(encoding="utf-8")
    assert written.splitlines()[0] == ",".join(EXPORT_COLUMNS)
    assert list(csv.DictReader(io.StringIO(written))) == rows
    assert stat.S_IMODE(target.stat().st_mode) == 0o600

    code, out, _ = cli(capsys, config, "subscribers", "export", "-", "--status", "pending")
    assert code == 0
    assert [r["email"] for r in csv.DictReader(io.StringIO(out))] == ["ada@example.org"]


def test_export_into_a_missing_folder_is_one_error(
    capsys: pytest.CaptureFixture[str], config: str, tmp_path: Path
) -> None:
    target = tmp_path / "missing" / "out.csv"
    code, out, err = cli(capsys, config, "subscribers", "export", str(target))
    assert (code, out) == (1, "")
    assert err == f"error: {target}: cannot write: No such file or directory\n"


# -- forget ------------------------------------------------------------------------------


def rows_mentioning(store: Store, needle: str) -> list[str]:
    """Every row of every table in the database that contains *needle* (case-insensitive)."""
    found: list[str] = []
    with store.engine.connect() as connection:
        for table in inspect(connection).get_table_names():
            for row in connection.execute(text(f'SELECT * FROM "{table}"')):
                if needle.casefold() in repr(tuple(row)).casefold():
                    found.append(f"{table}: {row}")
    return found


def test_forget_erases_the_person_and_keeps_only_a_hash(
    capsys: pytest.CaptureFixture[str], config: str, smtpd: SMTPServer, store: Store
) -> None:
    cli(capsys, config, "subscribe", "Ada@Example.org", "--name", "Ada Lovelace", "--confirmed")
    cli(capsys, config, "subscribe", "bo@example.net")
    assert rows_mentioning(store, "ada@example.org")

    code, out, err = cli(capsys, config, "subscribers", "forget", "ada@example.org")
    assert (code, err) == (0, "")
    assert out == (
        "Ada@example.org: forgotten: the subscriber and 1 consent record are erased; only a "
        "salted hash of the address is kept, on the suppression list, so that it is not "
        "mailed again by mistake\n"
    )
    assert rows_mentioning(store, "ada@example.org") == []
    assert rows_mentioning(store, "Lovelace") == []
    with store.sessions() as session:
        (kept,) = session.scalars(select(Suppression)).all()
        assert kept.reason == "forgotten" and re.fullmatch(r"[0-9a-f]{64}", kept.email_hash)
        assert session.scalars(select(Consent).where(Consent.subscriber_id.is_(None))).all() == []
    assert subscriber(store, "bo@example.net") is not None  # nobody else is touched

    sent = len(smtpd.received)
    for extra in ((), ("--confirmed",)):
        code, out, err = cli(capsys, config, "subscribe", "ada@example.org", *extra)
        assert (code, out) == (1, "")
        assert err == (
            "error: ada@example.org: on the suppression list (the person unsubscribed or asked "
            "to be forgotten); only they can subscribe again, through the sign-up form\n"
        )
    assert len(smtpd.received) == sent
    assert rows_mentioning(store, "ada@example.org") == []

    code, out, err = cli(capsys, config, "subscribers", "forget", "ada@example.org")
    assert (code, out) == (1, "")
    assert err.startswith("error: ada@example.org: nothing was stored about this address")


def test_forgetting_a_bad_address_is_exit_2(
    capsys: pytest.CaptureFixture[str], config: str
) -> None:
    code, out, err = cli(capsys, config, "subscribers", "forget", "ada@")
    assert (code, out) == (2, "")
    assert err.startswith("error: ada@: ") and err.count("\n") == 1


# -- the parsers -------------------------------------------------------------------------


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def test_every_option_of_every_command_is_explained() -> None:
    commands = _subparsers(build_parser())
    parsers = {name: commands[name] for name in ("subscribe", "unsubscribe", "subscribers")}
    for name, sub in _subparsers(commands["subscribers"]).items():
        parsers[f"subscribers {name}"] = sub
    assert set(parsers) == {
        "subscribe",
        "unsubscribe",
        "subscribers",
        "subscribers list",
        "subscribers import",
        "subscribers export",
        "subscribers forget",
    }
    for name, parser in parsers.items():
        assert parser.description and len(parser.description) > 60, name
        for action in parser._actions:
            if not isinstance(action, argparse._SubParsersAction):
                assert action.help, f"{name}: {action.option_strings or action.dest} has no help"


def test_subscribe_help_lists_the_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["subscribe", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for option in ("--name", "--sections", "--frequency", "--day", "--at", "--timezone"):
        assert option in out
    assert "--confirmed" in out and "double opt-in" in out


def test_the_statuses_are_the_models() -> None:
    assert cli_subscribers.STATUSES == STATUSES
