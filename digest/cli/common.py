"""What every group of commands shares: the options, the logging, the settings.

Each group module (:mod:`~digest.cli.install`, :mod:`~digest.cli.gathering`, ...)
adds its parsers with the :data:`CommandFactory` that :mod:`digest.cli.main`
hands it, so that every command gets ``--config``, ``-v`` and the epilog, and
lists its handlers in ``COMMANDS``.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

from digest.config import PLACEHOLDER_SECRET, SECRET_ENV, Settings, load

Command = Callable[[argparse.Namespace], int]
# command(name, summary, description) -> the new sub-parser, with the common options.
CommandFactory = Callable[[str, str, str], argparse.ArgumentParser]

EPILOG = (
    "The config file is --config PATH, else $DIGEST_CONFIG, else ./config.toml. "
    "Run `digest COMMAND --help` for a command's options."
)
# Libraries that log too much below -vv.
NOISY_LOGGERS = ("httpx", "httpcore", "trafilatura", "htmldate", "courlan", "charset_normalizer")


class Group(Protocol):
    """A module of commands: it adds their parsers and names their handlers."""

    COMMANDS: dict[str, Command]

    def add_parsers(self, command: CommandFactory) -> None: ...


def common_options() -> argparse.ArgumentParser:
    """--config and -v/--verbose, as a parent parser for every command and subcommand."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        metavar="PATH",
        default=argparse.SUPPRESS,
        help="the configuration file (default: $DIGEST_CONFIG, else ./config.toml)",
    )
    common.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=argparse.SUPPRESS,
        help="say more (-v: details and tracebacks, -vv: debug logging)",
    )
    return common


def configure_logging(verbosity: int) -> None:
    level = logging.DEBUG if verbosity >= 2 else logging.INFO if verbosity == 1 else logging.WARNING
    logging.basicConfig(
        level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    if verbosity < 2:
        for noisy in NOISY_LOGGERS:
            logging.getLogger(noisy).setLevel(logging.WARNING if verbosity else logging.ERROR)


def load_settings(args: argparse.Namespace) -> Settings:
    """The settings of ``--config`` (else $DIGEST_CONFIG, else ./config.toml)."""
    return load(getattr(args, "config", None))


def now() -> datetime:
    return datetime.now(UTC)


def when(value: datetime | None) -> str:
    """A time as the commands print it: UTC, to the minute; empty when unset."""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M") if value is not None else ""


def note_placeholder_key(settings: Settings, links: str) -> None:
    """Say on stderr that *links* are signed with the placeholder key, if they are."""
    if settings.secret_key == PLACEHOLDER_SECRET:
        print(
            f"note: {SECRET_ENV} is not set: {links} are signed with the "
            "placeholder key and work only on a server that runs without it too",
            file=sys.stderr,
        )
