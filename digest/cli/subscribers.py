"""``digest subscribers list|import|export|forget``: the commands on the whole list.

The work is :class:`subscribers.service.Audience`'s (and :mod:`subscribers.csvio`'s);
this module checks the options, sends the confirmation mails an import asks for,
and says in one line what happened; :mod:`digest.cli.roster` prints the list.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from digest.cli.audience import (
    STATUSES,
    Delivery,
    check_status,
    deliver,
    known_or_valid,
    open_audience,
)
from digest.cli.common import Command, CommandFactory, common_options, note_placeholder_key, now
from digest.errors import ConfigError, DigestError

if TYPE_CHECKING:
    from subscribers.csvio import ImportReport
    from subscribers.service import Audience

__all__ = ["COMMANDS", "STATUSES", "add_parsers", "cmd_subscribers"]


def _status_option(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "--status",
        metavar="STATUS",
        help=f"only {what} with this status: {', '.join(STATUSES)} (default: every one)",
    )


def add_parsers(command: CommandFactory) -> None:
    """Add this module's commands with *command(name, summary, description)*."""
    group = command(
        "subscribers",
        "list, import, export or forget subscribers",
        "Manage the list of subscribers: `list` shows them, `import` adds a CSV file of them, "
        "`export` writes them as CSV with their consent records, and `forget` erases a person. "
        "Run `digest subscribers ACTION --help` for an action's options.",
    )
    actions = group.add_subparsers(dest="action", metavar="ACTION", required=True)
    common = common_options()

    def action(name: str, summary: str, description: str) -> argparse.ArgumentParser:
        return actions.add_parser(name, help=summary, description=description, parents=[common])

    _add_list(action)
    _add_import(action)
    _add_export(action)
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


def _add_list(action: CommandFactory) -> None:
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


def _add_import(action: CommandFactory) -> None:
    imports = action(
        "import",
        "add the subscribers of a CSV file",
        "Add the subscribers of FILE, a CSV file whose first line names the columns: email "
        "(required), name, sections (several separated by ';'), frequency, weekday, send_at, "
        "timezone; an empty cell takes the [newsletter] default. Every row is checked first; "
        "each bad one is reported as FILE:LINE: what is wrong, and then nothing is imported "
        "(exit 2) unless --skip-invalid is given; a file that cannot be read, is not UTF-8 or "
        "has no usable header line is one error line (exit 2). New addresses wait for "
        "confirmation and are sent the confirmation mail; with --confirmed they are active at "
        "once and no mail is sent (each digest carries the preferences and unsubscribe "
        "links). Addresses already known are left as they are (--confirmed activates pending "
        "ones), and people who unsubscribed or were forgotten are skipped. Exits 1 when a "
        "confirmation mail could not be sent (the subscribers are still recorded).",
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


def _add_export(action: CommandFactory) -> None:
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


# -- list -----------------------------------------------------------------------------------


def _list(args: argparse.Namespace) -> int:
    from digest.cli.roster import subscribers_json, subscribers_table

    status = check_status(args.status)
    with open_audience(args) as opened:
        people = opened.audience.list(status)
    if args.json:
        print(subscribers_json(people))
    else:
        subscribers_table(people, status)
    return 0


# -- import ---------------------------------------------------------------------------------


def _readable(path: Path) -> None:
    """Exit 2 with one line when the import file cannot be opened (missing, a folder, no
    permission): no row was looked at, so --skip-invalid could not help."""
    try:
        with path.open("rb"):
            pass
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ConfigError(f"{path}: cannot read the file: {reason}") from exc


def _whole_file_unusable(path: Path, audience: Audience) -> bool:
    """Whether the file as a whole is unusable (not UTF-8, empty, a bad header line), so
    that --skip-invalid would not import anything either."""
    from subscribers.csvio import check_rows

    try:
        with path.open(encoding="utf-8-sig", newline="") as stream:
            return check_rows(stream, audience, filename=str(path)).fatal
    except (OSError, UnicodeError):
        return True


def _import(args: argparse.Namespace) -> int:
    from subscribers.csvio import CSVImportError, import_csv

    path: Path = args.file
    _readable(path)
    with open_audience(args) as opened:
        try:
            report = import_csv(
                path,
                opened.audience,
                confirmed=args.confirmed,
                now=now(),
                skip_invalid=args.skip_invalid,
            )
        except CSVImportError as exc:
            problems = exc.problems
            unusable = _whole_file_unusable(path, opened.audience)
            for problem in problems[:-1] if unusable else problems:
                print(problem, file=sys.stderr)
            if unusable:  # the file's own problem, last: skipping rows would not help
                raise ConfigError(f"{problems[-1]}; nothing was imported") from exc
            count = len(problems)
            hint = "" if args.skip_invalid else "; fix them, or pass --skip-invalid to skip them"
            raise ConfigError(
                f"{path}: {count} problem{'s' if count != 1 else ''}, nothing was imported{hint}"
            ) from exc
        for problem in report.invalid:
            print(f"{problem} (skipped)", file=sys.stderr)
        for skip in report.result.skipped:
            print(f"{path}:{skip.line}: {skip.email}: skipped: {skip.reason}")
        delivery = None
        if report.result.needs_confirmation:
            note_placeholder_key(opened.settings, "the links in the mail")
            delivery = deliver(opened, "confirm", report.result.needs_confirmation)
    return _imported(args, report, delivery)


def _imported(args: argparse.Namespace, report: ImportReport, delivery: Delivery | None) -> int:
    """Say what the import of FILE did and which mails did not leave; the exit code."""
    result = report.result
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
    print(f"{args.file}: " + "; ".join(parts))
    if delivery is None or len(delivery.sent) == len(result.needs_confirmation):
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


# -- export ---------------------------------------------------------------------------------


def _export(args: argparse.Namespace) -> int:
    from subscribers.csvio import export_csv

    status = check_status(args.status)
    with open_audience(args) as opened:
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


# -- forget ---------------------------------------------------------------------------------


def _forget(args: argparse.Namespace) -> int:
    with open_audience(args) as opened:
        address, _known = known_or_valid(opened.audience, args.email)
        outcome = opened.audience.forget(address, now=now())
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


COMMANDS: dict[str, Command] = {"subscribers": cmd_subscribers}
