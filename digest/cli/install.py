"""``digest init`` and ``digest check``: setting an installation up, and checking it."""

from __future__ import annotations

import argparse
from pathlib import Path

from digest.cli.common import Command, CommandFactory, load_settings


def add_parsers(command: CommandFactory) -> None:
    """Add this module's commands with *command(name, summary, description)*."""
    init = command(
        "init",
        "write a commented config.toml and a template folder into DIR",
        "Write a commented config.toml (the working default, with the bundled sample "
        "articles copied next to it) and an empty folder for template overrides into DIR.",
    )
    init.add_argument(
        "directory", metavar="DIR", type=Path, help="where to write (created if missing)"
    )
    init.add_argument("--force", action="store_true", help="overwrite an existing config.toml")

    command(
        "check",
        "validate the config, open and migrate the database, and test the SMTP server",
        "Validate the configuration, open the database and apply pending migrations, check "
        "that folder sources exist, and report whether the SMTP server answers. "
        "Exits 0 only if everything is well.",
    )


def cmd_init(args: argparse.Namespace) -> int:
    from digest.pipeline.starter import write_starter

    written = write_starter(args.directory, force=args.force)
    for path in written:
        print(f"wrote {path}")
    print(f"next: cd {args.directory} && digest check && digest fetch")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from digest.pipeline.checks import run_checks

    settings = load_settings(args)
    ok = True
    for result in run_checks(settings):
        mark = "ok" if result.ok else "FAIL"
        print(f"{mark:>4}  {result.name}: {result.detail}")
        ok = ok and result.ok
    return 0 if ok else 1


COMMANDS: dict[str, Command] = {"init": cmd_init, "check": cmd_check}
