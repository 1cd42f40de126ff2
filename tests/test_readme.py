"""README.md's two commands are the ones CI and newcomers run."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def quick_start_commands() -> list[str]:
    """The shell blocks of README.md's "Quick start" section, one command line each."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```sh\n(.*?)```", section, re.S)]


def test_ci_runs_exactly_the_readme_test_command() -> None:
    install_and_run, test = quick_start_commands()[:2]
    assert install_and_run.startswith("python3 -m pip install -e . && digest ")
    assert "'.[test]'" in test and "pytest" in test
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    commands = [line for line in ci.splitlines() if line and not line.startswith("#")]
    assert commands[-1] == test


def test_the_readme_commands_name_real_subcommands(capsys: pytest.CaptureFixture[str]) -> None:
    from digest.cli.main import build_parser

    used = re.findall(r"\bdigest (\w+)", quick_start_commands()[0])
    assert used
    for command in used:
        with pytest.raises(SystemExit) as exit_:
            build_parser().parse_args([command, "--help"])
        assert exit_.value.code == 0, capsys.readouterr().err
