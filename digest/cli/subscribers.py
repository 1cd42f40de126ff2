"""The commands for the audience (registered by :mod:`digest.cli.main`).

``digest subscribe`` and ``digest unsubscribe`` act on one address;
``digest subscribers list|import|export|forget`` on the whole list.  The work
is :class:`subscribers.service.Audience`'s; this module checks the options,
sends the confirmation and welcome mails the audience asks for, and says in one
line what happened.  Bad input (an address, a preference) is one ``error:``
line naming the address or option, exit 2.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from digest.errors import ConfigError, DigestError

if TYPE_CHECKING:
    from digest.config import Settings
    from digest.pipeline.audience import AudienceMail
    from digest.store import Store
    from subscribers.addresses import AddressError
    from subscribers.service import Audience
    from subscribers.tokens import Purpose
    from subscribers.views import PreferenceError, SubscriberView

Command = Callable[[argparse.Namespace], int]
CommandFactory = Callable[[str, str, str], argparse.ArgumentParser]
MailKind = Literal["confirm", "welcome"]
LINKS: dict[MailKind, tuple[Purpose, ...]] = {
    "confirm": ("confirm",),
    "welcome": ("preferences", "unsubscribe"),
}

SOURCE = "cli"  # the consent records' source for what the operator does here
STATUSES = ("pending", "active", "unsubscribed", "bounced", "complained")
# PreferenceError.field -> the option of `digest subscribe` that sets it.
PREFERENCE_OPTIONS = {
    "sections": "--sections",
    "frequency": "--frequency",
    "weekday": "--day",
    "send time": "--at",
    "time zone": "--timezone",
}


class Refused(DigestError):
    """The audience will not do what was asked (e.g. re-add a person who left)."""


# -- parsers -------------------------------------------------------------------------


def _status_option(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "--status",
        metavar="STATUS",
        help=f"only {what} with this status: {', '.join(STATUSES)} (default: every one)",
    )


def add_parsers(command: CommandFactory) -> None:
    """Add this module's commands with *command(name, summary, description)*."""
    subscribe = command(
        "subscribe",
        "sign an address up: send the confirmation mail, or record consent you already hold",
        "Sign EMAIL up for the digest. Without --confirmed it is the double opt-in of the "
        "sign-up form: the address is recorded as pending and the confirmation mail goes out "
        "over SMTP; the person becomes a subscriber when they click its link. With --confirmed "
        "(for consent you already hold, e.g. given in person) the address is active at once, "
        'the consent is recorded as given by the operator (source "cli"), and the welcome mail '
        "with the preferences and unsubscribe links is sent. An address that is pending gets "
        "the confirmation mail again (at most one per 10 minutes); one that is active is left "
        "as it is. A person who unsubscribed or asked to be forgotten is not signed up again: "
        "only they can subscribe again, through the sign-up form. Options not given take the "
        "[newsletter] defaults. Exits 2 for a bad address or option, 1 when the address is "
        "refused or the mail could not be sent (the subscriber is still recorded).",
    )
    subscribe.add_argument("email", metavar="EMAIL", help="the address to sign up")
    subscribe.add_argument(
        "--name", metavar="NAME", default="", help="the person's name, used in the greeting"
    )
    subscribe.add_argument(
        "--sections",
        metavar="A,B",
        help="only these sections, separated by commas (default: every section, also ones "
        "added later)",
    )
    subscribe.add_argument(
        "--frequency",
        metavar="daily|weekly",
        help="how often the digest comes (default: [newsletter] frequency)",
    )
    subscribe.add_argument(
        "--day",
        metavar="DAY",
        help="the weekday of a weekly digest: mon, tue, wed, thu, fri, sat or sun "
        "(default: [newsletter] weekday)",
    )
    subscribe.add_argument(
        "--at",
        metavar="HH:MM",
        help="the local time the digest is sent, on a 24-hour clock (default: [newsletter] "
        "send_at)",
    )
    subscribe.add_argument(
        "--timezone",
        metavar="ZONE",
        help='the IANA time zone of --at, e.g. "Europe/Paris" (default: [newsletter] timezone)',
    )
    subscribe.add_argument(
        "--confirmed",
        action="store_true",
        help="you hold this person's consent already: make them active now, record it as "
        "the operator's, and send the welcome mail instead of the confirmation mail",
    )

    unsubscribe = command(
        "unsubscribe",
        "unsubscribe an address: no more digests, and on the suppression list",
        'Unsubscribe EMAIL (recorded with source "cli"): it gets no more digests and goes '
        "on the suppression list, so neither an import nor `digest subscribe --confirmed` "
        "adds it again; only the person can subscribe again, through the sign-up form. No "
        "mail is sent. Exits 1 when no subscriber has the address (it is put on the "
        "suppression list all the same).",
    )
    unsubscribe.add_argument("email", metavar="EMAIL", help="the address to unsubscribe")

    group = command(
        "subscribers",
        "list, import, export or forget subscribers",
        "Manage the list of subscribers: `list` shows them, `import` adds a CSV file of them, "
        "`export` writes them as CSV with their consent records, and `forget` erases a person. "
        "Run `digest subscribers ACTION --help` for an action's options.",
    )
    actions = group.add_subparsers(dest="action", metavar="ACTION", required=True)
    from digest.cli.main import common_options  # at call time: digest.cli.main imports this module

    common = common_options()

    def action(name: str, summary: str, description: str) -> argparse.ArgumentParser:
        return actions.add_parser(name, help=summary, description=description, parents=[common])

    listing = action(
        "list",
        "show the subscribers and their preferences",
        "Show every subscriber (or those with --status): address, name, status, sections, "
        "schedule, when they signed up and confirmed, and when their next digest is due. "
        "Times are UTC.",
    )
    _status_option(listing, "subscribers")
    listing.add_argument(
        "--json",
        action="store_true",
        help="print a JSON array of objects instead of a table: email, name, status, sections "
        "(null: every section), frequency, weekday, send_at, timezone, paused, created, "
        "confirmed, next_due (ISO 8601 times in UTC, null when unset)",
    )

    imports = action(
        "import",
        "add the subscribers of a CSV file",
        "Add the subscribers of FILE, a CSV file whose first line names the columns: email "
        "(required), name, sections (several separated by ';'), frequency, weekday, send_at, "
        "timezone; an empty cell takes the [newsletter] default. Every row is checked first; "
        "each bad one is reported as FILE:LINE: what is wrong, and then nothing is imported "
        "(exit 2) unless --skip-invalid is given. New addresses wait for confirmation and are "
        "sent the confirmation mail; with --confirmed they are active at once and no mail is "
        "sent (each digest carries the preferences and unsubscribe links). Addresses already "
        "known are left as they are (--confirmed activates pending ones), and people who "
        "unsubscribed or were forgotten are skipped. Exits 1 when a confirmation mail could "
        "not be sent (the subscribers are still recorded).",
    )
    imports.add_argument("file", metavar="FILE", type=Path, help="the CSV file (UTF-8)")
    imports.add_argument(
        "--confirmed",
        action="store_true",
        help="you hold these people's consent already: make them active now (recorded as an "
        "import of FILE) and send no confirmation mails",
    )
    imports.add_argument(
        "--skip-invalid",
        action="store_true",
        help="import the valid rows and skip the bad ones (each still reported on stderr)",
    )

    export = action(
        "export",
        "write the subscribers as CSV, with their consent records",
        "Write every subscriber (or those with --status) as CSV: address, name, status, "
        "preferences, when they signed up and confirmed, and the latest consent given "
        "(what, when, where from, from which address, which sign-up text) and when they "
        "unsubscribed. Times are UTC. A file is created readable by its owner only. Cells "
        "that a spreadsheet would run as a formula start with an apostrophe.",
    )
    export.add_argument(
        "file",
        metavar="FILE",
        nargs="?",
        default="-",
        help='where to write; "-" or none: standard output',
    )
    _status_option(export, "export subscribers")

    forget = action(
        "forget",
        "erase a person: their subscription and consent records",
        "Erase everything stored about EMAIL: the subscriber and their consent records. Only "
        "a salted hash of the address is kept, on the suppression list, so that no import or "
        "operator mails them again by mistake; the person can still subscribe again through "
        "the sign-up form. This cannot be undone. Exits 1 when nothing was stored about the "
        "address.",
    )
    forget.add_argument("email", metavar="EMAIL", help="the address to forget")


# -- shared --------------------------------------------------------------------------


def _now() -> datetime:
    return datetime.now(UTC)


def _when(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M") if value is not None else ""


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat(timespec="seconds") if value is not None else None


@dataclass(frozen=True, slots=True)
class _Opened:
    settings: Settings
    store: Store
    audience: Audience
    mail: AudienceMail


@contextmanager
def _open(args: argparse.Namespace) -> Iterator[_Opened]:
    from digest.config import load
    from digest.mail.render import Renderer
    from digest.pipeline.audience import AudienceMail, open_audience
    from digest.store import Store

    settings = load(getattr(args, "config", None))
    renderer = Renderer.from_settings(settings.newsletter)
    with Store(settings.storage.url) as store:
        yield _Opened(
            settings=settings,
            store=store,
            audience=open_audience(store, settings, renderer),
            mail=AudienceMail(settings, renderer),
        )


def _input_error(exc: AddressError | PreferenceError) -> ConfigError:
    """Bad input as the one-line error of exit code 2, naming the option it came from."""
    from subscribers.views import PreferenceError

    if isinstance(exc, PreferenceError):
        option = PREFERENCE_OPTIONS.get(exc.field, f"--{exc.field}")
        detail = str(exc).removeprefix(f"{exc.field}:").strip()
        return ConfigError(f"{option}: {detail}")
    return ConfigError(str(exc))


def _check_status(status: str | None) -> str | None:
    if status is not None and status not in STATUSES:
        raise ConfigError(f"--status: expected one of {', '.join(STATUSES)}, got {status!r}")
    return status


def _note_placeholder_key(settings: Settings) -> None:
    from digest.config import PLACEHOLDER_SECRET, SECRET_ENV

    if settings.secret_key == PLACEHOLDER_SECRET:
        print(
            f"note: {SECRET_ENV} is not set: the links in the mail are signed with the "
            "placeholder key and work only on a server that runs without it too",
            file=sys.stderr,
        )


@dataclass(frozen=True, slots=True)
class _Delivery:
    """Which of a batch of mails left, and why the others did not."""

    sent: tuple[SubscriberView, ...]
    failed: tuple[tuple[SubscriberView, str], ...]  # refused for this address (permanent)
    unsent: tuple[SubscriberView, ...]  # not sent because the server failed
    reason: str | None  # why the server failed


def _deliver(opened: _Opened, kind: MailKind, people: Sequence[SubscriberView]) -> _Delivery:
    """Send one *kind* mail to each of *people* over one SMTP connection.

    An address the server refuses for good is skipped; any other failure (the
    server is down, a template is broken) stops the batch.  A confirmation mail
    that did not leave does not count against the resend limit, so running
    `digest subscribe` again sends it at once.
    """
    from digest.mail.mailer import Mailer, MailError
    from digest.pipeline.audience import link_maker

    settings = opened.settings
    maker = link_maker(settings)
    sent: list[SubscriberView] = []
    failed: list[tuple[SubscriberView, str]] = []

    async def run() -> str | None:
        async with Mailer(settings.smtp, sender=settings.newsletter.sender.addr_spec) as mailer:
            for person in people:
                try:
                    links = maker.links(person, *LINKS[kind], now=_now())
                    await mailer.send(opened.mail.message(kind, person, links))
                except MailError as exc:
                    if not exc.permanent:
                        return str(exc)
                    failed.append((person, str(exc)))
                except DigestError as exc:  # a broken template: no mail can be made
                    return str(exc)
                else:
                    sent.append(person)
        return None

    reason = asyncio.run(run())
    left = {person.id for person in sent}
    refused = {person.id for person, _ in failed}
    delivery = _Delivery(
        sent=tuple(sent),
        failed=tuple(failed),
        unsent=tuple(p for p in people if p.id not in left | refused),
        reason=reason,
    )
    if kind == "confirm" and len(sent) < len(people):
        opened.audience.confirmation_not_sent(p.id for p in people if p.id not in left)
    return delivery


def _sections(value: str | None) -> list[str] | None:
    """``--sections A,B`` as a list; None when the option is not given."""
    if value is None:
        return None
    return [part.strip() for part in value.split(",") if part.strip()]


# -- digest subscribe / unsubscribe -----------------------------------------------------


def cmd_subscribe(args: argparse.Namespace) -> int:
    from subscribers.addresses import AddressError, normalize_address
    from subscribers.models import ENDED
    from subscribers.views import PreferenceError

    sections = _sections(args.sections)
    preferences = {
        "sections": sections,
        "frequency": args.frequency,
        "weekday": args.day,
        "send_at": args.at,
        "timezone": args.timezone,
    }
    with _open(args) as opened:
        audience = opened.audience
        try:
            address = normalize_address(args.email)
            audience.preferences(**preferences)
        except (AddressError, PreferenceError) as exc:
            raise _input_error(exc) from exc
        known = audience.find(address)
        if known is not None and known.status in ENDED:
            raise Refused(
                f"{known.email}: the subscription ended ({known.status}); only the person can "
                "subscribe again, through the sign-up form"
            )
        if known is None and audience.is_suppressed(address):
            raise Refused(
                f"{address}: on the suppression list (the person unsubscribed or asked to be "
                "forgotten); only they can subscribe again, through the sign-up form"
            )
        outcome = audience.subscribe(
            address,
            name=args.name,
            **preferences,
            source=SOURCE,
            confirmed=args.confirmed,
            now=_now(),
        )
        person = outcome.subscriber
        shown = person.email if person is not None else address
        if outcome.action == "suppressed":
            raise Refused(
                f"{shown}: unsubscribed earlier and now waits for their own confirmation; "
                "--confirmed cannot stand in for it"
            )
        assert person is not None
        if outcome.action == "throttled":
            minutes = round(audience.settings.resend_after.total_seconds() / 60)
            print(
                f"{shown}: already waiting for confirmation; a confirmation mail went out less "
                f"than {minutes} minutes ago, so no other one is sent now"
            )
            return 0
        if outcome.action == "unchanged":
            line = f"{shown}: already subscribed since {_when(person.confirmed_at)} UTC"
            if any(value is not None for value in preferences.values()) or args.name:
                line += (
                    "; nothing changed (subscribers change their preferences through the link "
                    "in each digest)"
                )
            print(line)
            return 0
        kind: MailKind = "confirm" if outcome.send_confirmation else "welcome"
        _note_placeholder_key(opened.settings)
        delivery = _deliver(opened, kind, [person])
    done = {
        "created": "signed up, waiting for confirmation",
        "resubscribed": "signed up again, waiting for confirmation",
        "resent": "already waiting for confirmation",
        "activated": "subscribed, with the consent recorded as the operator's",
    }[outcome.action]
    what = "confirmation mail" if kind == "confirm" else "welcome mail"
    if delivery.sent:
        again = " again" if outcome.action == "resent" else ""
        print(f"{shown}: {done}; {what} sent{again}")
        return 0
    reason = delivery.failed[0][1] if delivery.failed else delivery.reason
    retry = "; run this command again to resend it" if kind == "confirm" else ""
    print(
        f"warning: {shown}: {done}, but the {what} was not sent: {reason}{retry}", file=sys.stderr
    )
    return 1


def _known_or_valid(audience: Audience, email: str) -> tuple[str, SubscriberView | None]:
    """The stored address of a subscriber, or else the address checked (exit 2 if bad)."""
    from subscribers.addresses import AddressError, normalize_address

    known = audience.find(email)
    if known is not None:
        return known.email, known
    try:
        return normalize_address(email), None
    except AddressError as exc:
        raise _input_error(exc) from exc


def cmd_unsubscribe(args: argparse.Namespace) -> int:
    with _open(args) as opened:
        address, _known = _known_or_valid(opened.audience, args.email)
        outcome = opened.audience.unsubscribe_address(address, now=_now(), source=SOURCE)
    if outcome.action == "unknown":
        raise DigestError(
            f"{address}: no subscriber has this address (it is on the suppression list now "
            "all the same, so it will not be mailed)"
        )
    assert outcome.subscriber is not None
    if outcome.action == "already":
        print(f"{address}: already unsubscribed (since {_when(outcome.subscriber.updated_at)} UTC)")
        return 0
    print(f"{address}: unsubscribed; no more digests, and the address is on the suppression list")
    return 0


# -- digest subscribers ... ----------------------------------------------------------------


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


STATUS_STYLE = {"active": "green", "pending": "yellow"}


def _schedule(person: SubscriberView) -> str:
    day = f" {person.weekday}" if person.frequency == "weekly" else ""
    return f"{person.frequency}{day} {person.send_at} {person.timezone}"


def _table(people: Sequence[SubscriberView], status: str | None) -> None:
    from collections import Counter

    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console(file=sys.stdout, highlight=False, soft_wrap=False)
    if not console.is_terminal:
        console.width = 160  # a log or a pipe: do not fold the table to 80 columns
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
            _when(person.created_at),
            _when(person.confirmed_at),
            _when(person.next_due_at),
        )
    console.print(table)
    counts = Counter(person.status for person in people)
    summary = ", ".join(f"{counts[name]} {name}" for name in STATUSES if counts[name])
    console.print(f"{summary}; times in UTC", markup=False)


def _list(args: argparse.Namespace) -> int:
    status = _check_status(args.status)
    with _open(args) as opened:
        people = opened.audience.list(status)
    if args.json:
        print(json.dumps([subscriber_dict(p) for p in people], ensure_ascii=False, indent=2))
    else:
        _table(people, status)
    return 0


def _import(args: argparse.Namespace) -> int:
    from subscribers.csvio import CSVImportError, import_csv

    path: Path = args.file
    with _open(args) as opened:
        try:
            report = import_csv(
                path,
                opened.audience,
                confirmed=args.confirmed,
                now=_now(),
                skip_invalid=args.skip_invalid,
            )
        except CSVImportError as exc:
            for problem in exc.problems:
                print(problem, file=sys.stderr)
            count = len(exc.problems)
            hint = "" if args.skip_invalid else "; fix them, or pass --skip-invalid to skip them"
            raise ConfigError(
                f"{path}: {count} problem{'s' if count != 1 else ''}, nothing was imported{hint}"
            ) from exc
        result = report.result
        for problem in report.invalid:
            print(f"{problem} (skipped)", file=sys.stderr)
        for skip in result.skipped:
            print(f"{path}:{skip.line}: {skip.email}: skipped: {skip.reason}")
        pending = result.needs_confirmation
        delivery = None
        if pending:
            _note_placeholder_key(opened.settings)
            delivery = _deliver(opened, "confirm", pending)

    parts: list[str] = []
    if result.added:
        state = "as active subscribers" if args.confirmed else "waiting for confirmation"
        parts.append(f"{len(result.added)} added, {state}")
    else:
        parts.append("nobody new")
    if result.activated:
        parts.append(f"{len(result.activated)} pending one(s) activated")
    if result.skipped:
        parts.append(f"{len(result.skipped)} already known or suppressed, skipped")
    if report.invalid:
        parts.append(f"{len(report.invalid)} invalid row(s) skipped")
    if delivery is not None:
        parts.append(f"{len(delivery.sent)} confirmation mail(s) sent")
    print(f"{path}: " + "; ".join(parts))
    if delivery is None or len(delivery.sent) == len(pending):
        return 0
    for person, reason in delivery.failed:
        print(f"warning: {person.email}: confirmation mail refused: {reason}", file=sys.stderr)
    if delivery.unsent:
        print(
            f"warning: {len(delivery.unsent)} confirmation mail(s) not sent: {delivery.reason}; "
            "`digest subscribe EMAIL` sends one again (`digest subscribers list --status "
            "pending` lists the addresses)",
            file=sys.stderr,
        )
    return 1


def _export(args: argparse.Namespace) -> int:
    from subscribers.csvio import export_csv

    status = _check_status(args.status)
    with _open(args) as opened:
        buffer = io.StringIO()
        count = export_csv(opened.audience, buffer, status=status)
    if args.file == "-":
        sys.stdout.write(buffer.getvalue())
        sys.stdout.flush()
        return 0
    path = Path(args.file)
    try:
        # Personal data: a new file is readable by its owner only.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with open(descriptor, "w", encoding="utf-8", newline="") as out:
            out.write(buffer.getvalue())
    except OSError as exc:
        raise DigestError(f"{path}: cannot write: {exc.strerror or exc}") from exc
    print(f"wrote {count} subscriber(s) to {path}")
    return 0


def _forget(args: argparse.Namespace) -> int:
    with _open(args) as opened:
        address, _known = _known_or_valid(opened.audience, args.email)
        outcome = opened.audience.forget(address, now=_now())
    if not outcome.found:
        raise DigestError(
            f"{address}: nothing was stored about this address (its salted hash is on the "
            "suppression list now all the same, so it will not be mailed)"
        )
    records = outcome.consents_deleted
    print(
        f"{address}: forgotten: the subscriber and {records} consent record"
        f"{'s' if records != 1 else ''} are erased; only a salted hash of the address is kept, "
        "on the suppression list, so that it is not mailed again by mistake"
    )
    return 0


ACTIONS: dict[str, Command] = {
    "list": _list,
    "import": _import,
    "export": _export,
    "forget": _forget,
}


def cmd_subscribers(args: argparse.Namespace) -> int:
    return ACTIONS[args.action](args)


COMMANDS: dict[str, Command] = {
    "subscribe": cmd_subscribe,
    "unsubscribe": cmd_unsubscribe,
    "subscribers": cmd_subscribers,
}
