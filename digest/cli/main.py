"""The ``digest`` command line: the groups of commands assembled, and the dispatch.

Thin: each command parses its options, calls the application, and prints.
Errors become one line on stderr and an exit code here, and only here
(``-v`` shows the traceback as well).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from digest import __version__
from digest.cli import gathering, install, preview, serve, subscribe, subscribers
from digest.cli.common import EPILOG, Command, Group, common_options, configure_logging
from digest.errors import DigestError

log = logging.getLogger("digest")

# In the order `digest --help` lists their commands.
GROUPS: tuple[Group, ...] = (install, gathering, serve, preview, subscribe, subscribers)
COMMANDS: dict[str, Command] = {
    name: command for group in GROUPS for name, command in group.COMMANDS.items()
}


def build_parser() -> argparse.ArgumentParser:
    common = common_options()
    parser = argparse.ArgumentParser(
        prog="digest",
        description="Self-hosted email newsletter digests: gather articles from feeds, pages "
        "and folders, and mail each subscriber what is new to them.",
        epilog=EPILOG,
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"digest {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(name: str, summary: str, description: str) -> argparse.ArgumentParser:
        return commands.add_parser(
            name, help=summary, description=description, parents=[common], epilog=EPILOG
        )

    for group in GROUPS:
        group.add_parsers(command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    verbosity = getattr(args, "verbose", 0) or 0
    configure_logging(verbosity)
    try:
        return COMMANDS[args.command](args)
    except DigestError as exc:
        if verbosity:  # the traceback, with any address in it masked (j***@example.org)
            from subscribers.addresses import masked_traceback

            log.error("%s", masked_traceback(exc))
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the one place that turns bugs into exit codes
        if verbosity:
            from subscribers.addresses import masked_traceback

            log.error("unexpected error\n%s", masked_traceback(exc))
        print(
            f"error: unexpected {type(exc).__name__}: {exc} (run with -v for the traceback)",
            file=sys.stderr,
        )
        return 1
