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


CHECKS = ("lint-imports", "ruff check .", "ruff format --check .", "mypy")


def _ci_commands() -> list[str]:
    """The command lines of .ci/run, without comments and indentation."""
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    lines = [line.strip() for line in ci.splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


def _development_section() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return readme.split("\n## Development\n", 1)[1].split("\n## ", 1)[0]


def test_ci_runs_exactly_the_readme_test_command() -> None:
    install_and_run, test = quick_start_commands()[:2]
    assert install_and_run.startswith("python3 -m pip install -e . && digest ")
    assert "'.[test]'" in test and "pytest" in test
    assert _ci_commands().count(test) == 1


def test_ci_runs_the_checks_that_development_lists_after_the_tests() -> None:
    commands = _ci_commands()
    tests_at = commands.index(quick_start_commands()[1])
    development = _development_section()
    for check in CHECKS:
        runs = [at for at, line in enumerate(commands) if line.endswith(f" {check}")]
        assert runs and runs[0] > tests_at, f".ci/run does not run {check!r} after the tests"
        assert f"`{check}`" in development, f"README's Development does not explain {check!r}"
    assert commands[-1] == 'exit "$failed"'  # each step runs; the script fails if one did


def test_the_readme_commands_name_real_subcommands(capsys: pytest.CaptureFixture[str]) -> None:
    from digest.cli.main import build_parser

    used = re.findall(r"\bdigest (\w+)", quick_start_commands()[0])
    assert used
    for command in used:
        with pytest.raises(SystemExit) as exit_:
            build_parser().parse_args([command, "--help"])
        assert exit_.value.code == 0, capsys.readouterr().err
