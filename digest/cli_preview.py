"""The `digest` commands for preview (registered by :mod:`digest.cli`)."""

from __future__ import annotations

import argparse
from collections.abc import Callable

Command = Callable[[argparse.Namespace], int]
CommandFactory = Callable[[str, str, str], argparse.ArgumentParser]


def add_parsers(command: CommandFactory) -> None:
    """Add this module's commands with *command(name, summary, description)*."""


COMMANDS: dict[str, Command] = {}
