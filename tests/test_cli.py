"""The ``digest`` command line, run for real: in-process through ``main`` and as a program.

Nothing is mocked: config files are written to disk, feeds come from a local
HTTP server, ``digest check`` talks to a real SMTP server (aiosmtpd), and the
articles end up in a real database.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import inspect

import digest
from digest.cli.main import build_parser, main
from digest.config import load
from digest.gather.sources import gather_sources
from digest.store import Store
from tests.conftest import ConfigWriter
from tests.support.feeds import Item, long_text, rss20
from tests.support.httpd import LocalHTTPServer
from tests.support.smtpd import free_port

REPO = Path(__file__).resolve().parent.parent
SAMPLES = Path(digest.__file__).resolve().parent / "samples"
CONSOLE_SCRIPT = Path(sys.executable).with_name("digest")
RSS = "application/rss+xml"
# Variables that would make rich treat a pipe as a terminal (colours, progress bars).
TERMINAL_ENV = ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "CLICOLOR_FORCE")


@pytest.fixture(autouse=True)
def _plain_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (*TERMINAL_ENV, "DIGEST_CONFIG", "DIGEST_SECRET_KEY", "DIGEST_SMTP_PASSWORD"):
        monkeypatch.delenv(name, raising=False)


# -- helpers ---------------------------------------------------------------------------


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run ``digest ARGV`` in-process; return (exit code, stdout, stderr)."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def program(*argv: str, cwd: Path, module: bool = False) -> subprocess.CompletedProcess[str]:
    """Run the installed console script (or ``python -m digest``) as a separate process."""
    env = {k: v for k, v in os.environ.items() if k not in TERMINAL_ENV}
    env.pop("DIGEST_CONFIG", None)
    command = [sys.executable, "-m", "digest"] if module else [str(CONSOLE_SCRIPT)]
    return subprocess.run(
        [*command, *argv], cwd=cwd, env=env, capture_output=True, text=True, timeout=60
    )


def table_rows(out: str) -> dict[str, list[str]]:
    """The body rows of a rich table on stdout, keyed by their first cell.

    A cell that wraps onto further lines is joined back into one string.
    """
    rows: dict[str, list[str]] = {}
    last: list[str] | None = None
    for line in out.splitlines():
        if line.startswith("│"):
            cells = [cell.strip() for cell in line.strip().strip("│").split("│")]
            if cells[0] or last is None:
                rows[cells[0]] = last = cells
            else:  # a continuation line of the row above
                last[:] = [" ".join(filter(None, pair)) for pair in zip(last, cells, strict=True)]
    return rows


def fetch_rows(out: str) -> dict[str, dict[str, str]]:
    header = next(line for line in out.splitlines() if line.startswith("┃"))
    columns = [cell.strip() for cell in header.strip().strip("┃").split("┃")]
    assert columns == ["source", "section", "kind", "new", "updated", "status", "note"]
    return {name: dict(zip(columns, cells, strict=True)) for name, cells in table_rows(out).items()}


def warnings_of(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("warning:")]


def feed_items(server: LocalHTTPServer, prefix: str, count: int = 2) -> list[Item]:
    return [
        Item(
            title=f"{prefix} story {n}",
            link=server.url(f"/{prefix}/story-{n}"),
            guid=f"urn:{prefix}:{n}",
            date="Tue, 24 Nov 2026 08:00:00 GMT",
            content=long_text(f"{prefix} story {n}"),
        )
        for n in range(1, count + 1)
    ]


def sample_sources() -> list[tuple[str, ...]]:
    return [
        ("World samples", str(SAMPLES / "world"), "World"),
        ("Science samples", str(SAMPLES / "science"), "Science"),
    ]


# -- help and version ------------------------------------------------------------------

HELP = {
    (): "Self-hosted email newsletter digests",
    ("init",): "Write a commented config.toml",
    ("check",): "Validate the configuration, open the database and apply pending migrations",
    ("fetch",): "Fetch every source now",
    ("articles",): "List stored articles",
    ("summarize",): "Extract the main text of each TARGET and summarise it",
}


@pytest.mark.parametrize("command", list(HELP), ids=lambda c: " ".join(c) or "digest")
def test_help_says_what_each_command_does(
    capsys: pytest.CaptureFixture[str], command: tuple[str, ...]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([*command, "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: digest {' '.join(command)}".rstrip())
    assert HELP[command] in " ".join(out.split())
    assert "--config PATH" in out
    if not command:
        for name in ("init", "check", "fetch", "articles"):
            assert re.search(rf"^\s+{name}\s+\S", out, re.MULTILINE), name


def every_command(
    parser: argparse.ArgumentParser | None = None, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """Every command and subcommand of the ``digest`` parser, with its path of names."""
    for action in (parser or build_parser())._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield (*path, name), sub
                yield from every_command(sub, (*path, name))


COMMAND_PATHS = [path for path, _parser in every_command()]
# Values for required positional arguments, so that each command's options parse.
POSITIONALS = {"directory": "site", "targets": "page.html", "email": "a@example.org", "file": "x"}


def test_the_command_list_is_complete() -> None:
    assert {path[0] for path in COMMAND_PATHS} >= {"init", "check", "fetch", "articles"}
    assert len(COMMAND_PATHS) >= 10


@pytest.mark.parametrize("command", COMMAND_PATHS, ids=" ".join)
def test_every_command_has_help_config_and_verbose(
    capsys: pytest.CaptureFixture[str], command: tuple[str, ...]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([*command, "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: digest {' '.join(command)}")
    description = out.split("\n\n")[1]  # the paragraph after the usage lines
    assert len(description.split()) >= 4 and not description.lstrip().startswith("-"), out
    assert "--config PATH" in out
    assert "-v, --verbose" in out
    # Both options work after the command's name, as well as before it.
    parser = dict(every_command())[command]
    if any(isinstance(a, argparse._SubParsersAction) for a in parser._actions):
        return  # a group (e.g. `subscribers`): its subcommands are checked on their own
    positionals = [
        POSITIONALS[action.dest]
        for action in parser._actions
        if not action.option_strings and action.required
    ]
    args = build_parser().parse_args([*command, *positionals, "--config", "c.toml", "-vv"])
    assert (args.config, args.verbose) == ("c.toml", 2)
    args = build_parser().parse_args(["--config", "c.toml", "-v", *command, *positionals])
    assert (args.config, args.verbose) == ("c.toml", 1)


@pytest.mark.parametrize("command", ["check", "fetch", "articles"])
def test_verbose_after_the_command_shows_the_traceback(tmp_path: Path, command: str) -> None:
    config = tmp_path / "elsewhere.toml"
    config.write_text(CONFIG_ERRORS["bad-url"][0], encoding="utf-8")
    result = program(command, "--config", str(config), "--verbose", cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" in result.stderr
    assert result.stderr.splitlines()[-1].startswith(f"error: {config}: sources[1].url:")


def test_fetch_help_lists_every_exit_status(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["fetch", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--strict exit 3 when any source did not succeed, even if others did" in text
    epilog = text.split("Exit status: ", 1)[1]
    for status in (
        "0 when at least one source succeeded",
        "1 when sources failed and none",
        "2 for a bad config file",
        "3, with --strict only, when a source did not",
    ):
        assert status in epilog, status
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "`digest fetch --strict`, for cron jobs and monitoring, exits with status 3 when" in (
        " ".join(readme.split())
    )


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"digest {digest.__version__}"


def test_console_script_and_module_run(tmp_path: Path) -> None:
    assert CONSOLE_SCRIPT.exists(), f"the console script is not installed at {CONSOLE_SCRIPT}"
    script = program("--version", cwd=tmp_path)
    assert (script.returncode, script.stdout.strip()) == (0, f"digest {digest.__version__}")
    module = program("fetch", "--help", cwd=tmp_path, module=True)
    assert module.returncode == 0, module.stderr
    assert module.stdout.startswith("usage: digest fetch")
    assert "--source NAME" in module.stdout
    bare = program(cwd=tmp_path)
    assert bare.returncode == 2
    assert "required: COMMAND" in bare.stderr
    assert "Traceback" not in bare.stderr


# -- config errors ---------------------------------------------------------------------

BASE_CONFIG = '[storage]\nurl = "sqlite:///digest.db"\n\n[[sections]]\nname = "News"\n'
A_SOURCE = '[[sources]]\nname = "A"\nurl = "http://127.0.0.1:9/feed"\n'

# What each broken config file is told, after "FILE: " (the file as it was given).
CONFIG_ERRORS = {
    "bad-url": (
        BASE_CONFIG + '[[sources]]\nname = "A"\nurl = "ftp://x"\n',
        'sources[1].url: expected an http(s) URL or a folder path, got "ftp://x"',
    ),
    "duplicate-source": (
        BASE_CONFIG + A_SOURCE + A_SOURCE,
        'sources[2].name: two sources are named "A"; names must be unique',
    ),
    "unknown-section": (
        BASE_CONFIG + A_SOURCE + 'section = "Sport"\n',
        'sources[1].section: unknown section "Sport" (sections are: "News")',
    ),
    "unknown-key": (
        BASE_CONFIG + "[fetch]\ntimout = 5\n",
        "fetch.timout: unknown key; did you mean timeout?",
    ),
    "unknown-table": (
        BASE_CONFIG + "[newslettre]\ntitle = 'x'\n",
        "newslettre: unknown table or key; did you mean newsletter?",
    ),
    "bad-timezone": (
        '[newsletter]\ntimezone = "Mars/Olympus"\n' + BASE_CONFIG,
        'newsletter.timezone: expected an IANA time zone name such as "Europe/Paris"'
        ', got "Mars/Olympus"',
    ),
    "tls-on-587": (
        BASE_CONFIG + '[smtp]\nport = 587\nsecurity = "tls"\n',
        'smtp.security: "tls" (implicit TLS) with port 587 contradicts itself',
    ),
    "invalid-toml": (
        "[newsletter\ntitle = 1\n",
        "not valid TOML: ",
    ),
}


def _expect_error(code: int, err: str, expected: str) -> None:
    assert code == 2
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: " + expected), lines[0]


@pytest.mark.parametrize("case", list(CONFIG_ERRORS))
@pytest.mark.parametrize("command", ["fetch", "check", "articles"])
def test_config_error_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, case: str, command: str
) -> None:
    text, expected = CONFIG_ERRORS[case]
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    code, out, err = cli(capsys, "--config", str(path), command)
    _expect_error(code, err, f"{path}: {expected}")
    assert out == ""
    assert not (tmp_path / "digest.db").exists()


def test_config_error_messages_are_exact(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG_ERRORS["bad-url"][0], encoding="utf-8")
    code, _out, err = cli(capsys, "--config", str(path), "fetch")
    assert (code, err) == (
        2,
        f'error: {path}: sources[1].url: expected an http(s) URL or a folder path, got "ftp://x"\n',
    )
    path.write_text(CONFIG_ERRORS["invalid-toml"][0], encoding="utf-8")
    code, _out, err = cli(capsys, "--config", str(path), "fetch")
    assert code == 2
    assert "(at line 1, column 12)" in err


@pytest.mark.parametrize("case", list(CONFIG_ERRORS))
def test_config_error_as_a_program_has_no_traceback(tmp_path: Path, case: str) -> None:
    text, expected = CONFIG_ERRORS[case]
    (tmp_path / "config.toml").write_text(text, encoding="utf-8")
    result = program("fetch", cwd=tmp_path)
    assert "Traceback" not in result.stderr
    _expect_error(result.returncode, result.stderr, f"config.toml: {expected}")


def test_missing_config_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "config.toml"
    code, out, err = cli(capsys, "--config", str(missing), "fetch")
    _expect_error(code, err, f"{missing}: no such config file; create one with `digest init DIR`")
    assert out == ""
    result = program("articles", cwd=tmp_path)  # no ./config.toml here, no $DIGEST_CONFIG
    assert "Traceback" not in result.stderr
    _expect_error(result.returncode, result.stderr, "config.toml: no such config file")


def test_verbose_config_error_shows_the_traceback(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(CONFIG_ERRORS["bad-url"][0], encoding="utf-8")
    result = program("-v", "fetch", cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" in result.stderr
    assert result.stderr.splitlines()[-1].startswith("error: config.toml: sources[1].url:")


def test_config_flag_env_and_working_directory_select_the_file(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    make_config: ConfigWriter,
) -> None:
    settings = make_config(sources=sample_sources()[:1], sections=("World",))
    good = settings.path  # tmp_path/config.toml; its database is tmp_path/digest.db
    broken = tmp_path / "broken" / "config.toml"
    broken.parent.mkdir()
    broken.write_text(CONFIG_ERRORS["bad-url"][0], encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)

    # $DIGEST_CONFIG names the file when there is no --config ...
    monkeypatch.setenv("DIGEST_CONFIG", str(broken))
    code, _out, err = cli(capsys, "articles")
    _expect_error(code, err, f"{broken}: sources[1].url:")
    # ... and --config wins over it, before or after the command.
    assert cli(capsys, "--config", str(good), "articles", "--json") == (0, "[]\n", "")
    assert cli(capsys, "articles", "--config", str(good), "--json") == (0, "[]\n", "")
    assert (tmp_path / "digest.db").exists()
    monkeypatch.setenv("DIGEST_CONFIG", str(good))
    code, out, err = cli(capsys, "fetch")
    assert (code, warnings_of(err)) == (0, [])
    assert fetch_rows(out)["World samples"]["new"] == "4"
    # Without either, ./config.toml is read.
    monkeypatch.delenv("DIGEST_CONFIG")
    code, _out, err = cli(capsys, "articles")
    _expect_error(code, err, "config.toml: no such config file")
    monkeypatch.chdir(broken.parent)
    code, _out, err = cli(capsys, "articles")
    _expect_error(code, err, "config.toml: sources[1].url:")
    monkeypatch.chdir(tmp_path)
    code, out, _err = cli(capsys, "articles", "--json")
    assert code == 0
    assert len(json.loads(out)) == 4


def test_config_errors_name_the_file_as_it_was_given(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A good ./config.toml where the command runs, and a broken file elsewhere: the error
    # must name the broken one, not a "config.toml" that could be taken for the good one.
    (tmp_path / "config.toml").write_text(BASE_CONFIG, encoding="utf-8")
    elsewhere = tmp_path / "some" / "dir"
    elsewhere.mkdir(parents=True)
    bad = elsewhere / "bad.toml"
    bad.write_text(BASE_CONFIG + '[newsletter]\nfrequncy = "weekly"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code, out, err = cli(capsys, "--config", str(bad), "fetch")
    assert (code, out) == (2, "")
    assert err == f"error: {bad}: newsletter.frequncy: unknown key; did you mean frequency?\n"
    # A relative path stays as it was typed.
    code, _out, err = cli(capsys, "--config", "some/dir/bad.toml", "check")
    assert code == 2
    assert err.startswith("error: some/dir/bad.toml: newsletter.frequncy: unknown key; ")


# -- init ------------------------------------------------------------------------------


def test_init_writes_a_working_starter(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "site"
    code, out, err = cli(capsys, "init", str(target))
    assert (code, err) == (0, "")
    assert f"wrote {target / 'config.toml'}" in out
    assert (target / "config.toml").is_file()
    assert (target / "templates").is_dir()
    articles = sorted(p.relative_to(target / "samples") for p in (target / "samples").rglob("*.*"))
    expected = sorted(p.relative_to(SAMPLES) for p in SAMPLES.rglob("*.*"))
    assert articles == expected
    assert len([p for p in articles if p.parts[0] != "README.md"]) == 12

    settings = load(target / "config.toml")
    folders = [source for source in settings.sources if source.kind == "folder"]
    assert {source.name for source in folders} == {
        "Sample world news",
        "Sample technology news",
        "Sample science news",
    }
    for source in folders:
        folder = Path(source.url)
        assert folder.is_relative_to(target.resolve() / "samples"), folder
        assert folder.is_dir()
        assert any(folder.iterdir())
    assert settings.newsletter.templates == (target / "templates").resolve()
    assert settings.storage.url == f"sqlite:///{(target / 'digest.db').resolve()}"


def test_init_refuses_to_overwrite_without_force(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert cli(capsys, "init", str(tmp_path))[0] == 0
    config = tmp_path / "config.toml"
    config.write_text("# my edited config\n", encoding="utf-8")
    code, out, err = cli(capsys, "init", str(tmp_path))
    assert (code, out) == (2, "")
    assert err == f"error: {config}: already exists; pass --force to overwrite it\n"
    assert config.read_text(encoding="utf-8") == "# my edited config\n"
    code, out, err = cli(capsys, "init", "--force", str(tmp_path))
    assert (code, err) == (0, "")
    assert "[newsletter]" in config.read_text(encoding="utf-8")


def test_init_then_fetch_one_sample_source(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "site"
    assert cli(capsys, "init", str(target))[0] == 0
    code, out, err = cli(
        capsys, "--config", str(target / "config.toml"), "fetch", "--source", "Sample world news"
    )
    assert code == 0, err
    assert warnings_of(err) == []
    rows = fetch_rows(out)
    assert list(rows) == ["Sample world news"]
    assert rows["Sample world news"] == {
        "source": "Sample world news",
        "section": "World",
        "kind": "folder",
        "new": "4",
        "updated": "0",
        "status": "ok",
        "note": "",
    }
    assert "4 new and 0 updated article(s); 1 of 1 source(s) ok" in out
    database = target / "digest.db"
    assert database.is_file()
    with Store(f"sqlite:///{database}") as store:
        stored = store.articles()
    assert len(stored) == 4
    assert {row.source for row in stored} == {"Sample world news"}
    assert "Danube shipping resumes after 11-day low-water closure" in {r.title for r in stored}


def test_console_script_init_and_fetch(tmp_path: Path) -> None:
    made = program("init", "site", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert "wrote site/config.toml" in made.stdout
    fetched = program(
        "--config", "site/config.toml", "fetch", "--source", "Sample science news", cwd=tmp_path
    )
    assert fetched.returncode == 0, fetched.stderr
    assert fetch_rows(fetched.stdout)["Sample science news"]["new"] == "4"
    assert "Traceback" not in fetched.stderr
    listed = program("--config", "site/config.toml", "articles", "--json", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert {a["source"] for a in json.loads(listed.stdout)} == {"Sample science news"}


# -- check -----------------------------------------------------------------------------


class RecordingHandler:
    """An aiosmtpd handler that remembers every greeting and every message."""

    def __init__(self) -> None:
        self.greetings: list[str] = []
        self.messages: list[bytes] = []

    async def handle_EHLO(  # aiosmtpd's hook name
        self, server: object, session: object, envelope: object, hostname: str, responses: list[str]
    ) -> list[str]:
        self.greetings.append(hostname)
        session.host_name = hostname  # type: ignore[attr-defined]
        return responses

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.messages.append(envelope.content)  # type: ignore[attr-defined]
        return "250 Message accepted for delivery"


class SMTPServer:
    def __init__(self) -> None:
        self.handler = RecordingHandler()
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    @property
    def config(self) -> str:
        return f'[smtp]\nhost = "127.0.0.1"\nport = {self.port}\ntimeout = 5\n'


@pytest.fixture
def smtpd() -> Iterator[SMTPServer]:
    server = SMTPServer()
    server.controller.start()
    try:
        yield server
    finally:
        server.controller.stop()


def test_check_passes_with_a_real_smtp_server(
    capsys: pytest.CaptureFixture[str], make_config: ConfigWriter, smtpd: SMTPServer
) -> None:
    settings = make_config(sources=sample_sources()[:1], sections=("World",), extra=smtpd.config)
    code, out, err = cli(capsys, "--config", str(settings.path), "check")
    assert (code, err) == (0, ""), out
    lines = out.splitlines()
    assert all(line.startswith("  ok  ") for line in lines), out
    smtp_line = next(line for line in lines if line.startswith("  ok  smtp: "))
    assert f"127.0.0.1:{smtpd.port} (none) answers" in smtp_line
    assert "config: " in out and "(1 sources in 1 sections)" in out
    assert smtpd.handler.greetings, "the check never said EHLO to the server"
    assert smtpd.handler.messages == []  # checking sends no mail


def test_check_fails_when_nothing_answers_on_the_smtp_port(
    capsys: pytest.CaptureFixture[str], make_config: ConfigWriter
) -> None:
    port = free_port()
    settings = make_config(extra=f'[smtp]\nhost = "127.0.0.1"\nport = {port}\n')
    code, out, err = cli(capsys, "--config", str(settings.path), "check")
    assert (code, err) == (1, "")
    failed = [line for line in out.splitlines() if line.startswith("FAIL")]
    assert len(failed) == 1, out
    assert failed[0].startswith(f"FAIL  smtp: 127.0.0.1:{port} (none) does not answer: ")
    assert "  ok  database: " in out


def test_check_reports_a_missing_folder_source(
    capsys: pytest.CaptureFixture[str], make_config: ConfigWriter, smtpd: SMTPServer, tmp_path: Path
) -> None:
    missing = tmp_path / "no-such-folder"
    settings = make_config(sources=[("Notes", str(missing), "News")], extra=smtpd.config)
    code, out, _err = cli(capsys, "--config", str(settings.path), "check")
    assert code == 1
    assert f"FAIL  source 'Notes': {missing}: no such folder" in out.splitlines()


def test_check_reports_an_unreachable_database(
    capsys: pytest.CaptureFixture[str], make_config: ConfigWriter, smtpd: SMTPServer
) -> None:
    url = f"postgresql://digest:hunter2pw@127.0.0.1:{free_port()}/digest"
    settings = make_config(db_url=url, extra=smtpd.config)
    code, out, _err = cli(capsys, "--config", str(settings.path), "check")
    assert code == 1
    [line] = [line for line in out.splitlines() if line.startswith("FAIL")]
    assert line.startswith("FAIL  database: ")
    assert "cannot open the database" in line
    assert "hunter2pw" not in out  # the password is never printed
    assert f"127.0.0.1:{smtpd.port} (none) answers" in out


def test_check_reports_a_database_file_that_cannot_be_made(
    capsys: pytest.CaptureFixture[str], make_config: ConfigWriter, smtpd: SMTPServer, tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    settings = make_config(db_url=f"sqlite:///{blocker}/digest.db", extra=smtpd.config)
    code, out, err = cli(capsys, "--config", str(settings.path), "check")
    assert (code, err) == (1, "")
    [line] = [line for line in out.splitlines() if line.startswith("FAIL")]
    assert line.startswith(f"FAIL  database: sqlite:///{blocker}/digest.db: ")


def test_check_migrates_a_fresh_database(
    capsys: pytest.CaptureFixture[str], make_config: ConfigWriter, smtpd: SMTPServer, db_url: str
) -> None:
    with Store(db_url, apply_migrations=False) as store:
        assert "articles" not in inspect(store.engine).get_table_names()
    settings = make_config(sources=sample_sources()[:1], sections=("World",), extra=smtpd.config,
                           db_url=db_url)  # fmt: skip
    code, out, _err = cli(capsys, "--config", str(settings.path), "check")
    assert code == 0, out
    [line] = [line for line in out.splitlines() if "database:" in line]
    assert line.startswith("  ok  database: ") and line.endswith(": migrations applied"), line
    with Store(db_url, apply_migrations=False) as store:
        tables = set(inspect(store.engine).get_table_names())
        assert {"alembic_version", "sources", "articles"} <= tables
        # check also registers the configured sources
        assert [state.name for state in store.sources()] == ["World samples"]
    code, out, _err = cli(capsys, "--config", str(settings.path), "check")
    assert code == 0
    assert re.search(r"^  ok  database: .*: schema up to date$", out, re.MULTILINE), out


# -- fetch -----------------------------------------------------------------------------


def test_fetch_succeeds_when_one_source_does(
    capsys: pytest.CaptureFixture[str], httpd: LocalHTTPServer, make_config: ConfigWriter
) -> None:
    httpd.route("/good.xml", rss20(feed_items(httpd, "good")), content_type=RSS)
    httpd.route("/broken.xml", "oops", status=500)
    refused_port = free_port()
    refused = f"http://127.0.0.1:{refused_port}/feed.xml"
    settings = make_config(
        sources=[
            ("Good", httpd.url("/good.xml"), "News"),
            ("Broken", httpd.url("/broken.xml"), "News"),
            ("Refused", refused, "News"),
        ]
    )
    code, out, err = cli(capsys, "--config", str(settings.path), "fetch")
    assert code == 0, err
    rows = fetch_rows(out)
    assert list(rows) == ["Good", "Broken", "Refused"]
    columns = ("kind", "new", "updated", "status")
    assert [rows["Good"][c] for c in columns] == ["feed", "2", "0", "ok"]
    assert [rows["Broken"][c] for c in columns] == ["auto", "0", "0", "error"]
    assert rows["Refused"]["status"] == "error"
    assert (rows["Broken"]["note"], rows["Refused"]["note"]) == ("", "")
    assert "2 new and 0 updated article(s); 1 of 3 source(s) ok; failed: Broken, Refused\n" in out
    # Each failure is printed once: its warning line, not again in the table.
    assert (out + err).count("HTTP 500") == 1
    warnings = warnings_of(err)
    assert len(warnings) == 2, err
    broken = [w for w in warnings if w.startswith("warning: source 'Broken' ")]
    assert broken == [
        f"warning: source 'Broken' ({httpd.url('/broken.xml')}): HTTP 500 Internal Server Error "
        f"from {httpd.url('/broken.xml')}"
    ]
    [refused_line] = [w for w in warnings if w.startswith("warning: source 'Refused' ")]
    prefix = f"warning: source 'Refused' ({refused}): "
    assert refused_line.startswith(prefix)
    assert f"127.0.0.1:{refused_port}" in refused_line.removeprefix(prefix)
    assert all(line.startswith(("warning:", "fetching ")) for line in err.splitlines()), err

    # A second run soon after: the failed sources back off (a note, not a warning).
    code, out, err = cli(capsys, "--config", str(settings.path), "fetch")
    assert code == 0
    rows = fetch_rows(out)
    assert (rows["Good"]["new"], rows["Broken"]["status"]) == ("0", "backoff")
    assert warnings_of(err) == []
    assert len([line for line in err.splitlines() if line.startswith("note: ")]) == 2


def test_fetch_fails_when_every_source_does(
    capsys: pytest.CaptureFixture[str], httpd: LocalHTTPServer, make_config: ConfigWriter
) -> None:
    httpd.route("/broken.xml", "oops", status=500)
    settings = make_config(
        sources=[
            ("Broken", httpd.url("/broken.xml"), "News"),
            ("Refused", f"http://127.0.0.1:{free_port()}/feed.xml", "News"),
        ]
    )
    code, out, err = cli(capsys, "--config", str(settings.path), "fetch")
    assert code == 1
    rows = fetch_rows(out)
    assert {name: row["status"] for name, row in rows.items()} == {
        "Broken": "error",
        "Refused": "error",
    }
    assert "0 new and 0 updated article(s); 0 of 2 source(s) ok; failed: Broken, Refused" in out
    warnings = warnings_of(err)
    assert sorted(w.split("'")[1] for w in warnings) == ["Broken", "Refused"]


def test_fetch_strict_exits_3_while_any_source_fails(
    capsys: pytest.CaptureFixture[str], httpd: LocalHTTPServer, make_config: ConfigWriter
) -> None:
    httpd.route("/good.xml", rss20(feed_items(httpd, "good")), content_type=RSS)
    httpd.route("/broken.xml", "oops", status=500)
    broken = httpd.url("/broken.xml")
    settings = make_config(
        sources=[("Good", httpd.url("/good.xml"), "News"), ("Broken", broken, "News")]
    )
    config = str(settings.path)
    code, out, err = cli(capsys, "--config", config, "fetch", "--strict")
    assert code == 3
    rows = fetch_rows(out)
    assert (rows["Good"]["status"], rows["Broken"]["status"]) == ("ok", "error")
    assert "2 new and 0 updated article(s); 1 of 2 source(s) ok; failed: Broken\n" in out
    assert warnings_of(err) == [
        f"warning: source 'Broken' ({broken}): HTTP 500 Internal Server Error from {broken}"
    ]
    assert (out + err).count("HTTP 500") == 1  # printed once, not again in the table
    assert "has not been fetched successfully" not in err  # failing for minutes, not a day

    # Backing off is not succeeding either: --strict keeps saying so; without it, exit 0.
    code, out, _err = cli(capsys, "--config", config, "fetch", "--strict")
    assert code == 3
    assert fetch_rows(out)["Broken"]["status"] == "backoff"
    assert "; 1 of 2 source(s) ok; failed: Broken\n" in out
    assert cli(capsys, "--config", config, "fetch")[0] == 0

    # Once the source works again, --strict exits 0 and names no failure.
    httpd.route("/broken.xml", rss20(feed_items(httpd, "fixed")), content_type=RSS)
    code, out, err = cli(capsys, "--config", config, "fetch", "--strict", "--force")
    assert (code, warnings_of(err)) == (0, [])
    assert "2 new and 0 updated article(s); 2 of 2 source(s) ok\n" in out


def test_fetch_strict_when_every_source_fails_exits_1(
    capsys: pytest.CaptureFixture[str], httpd: LocalHTTPServer, make_config: ConfigWriter
) -> None:
    httpd.route("/broken.xml", "oops", status=500)
    settings = make_config(sources=[("Broken", httpd.url("/broken.xml"), "News")])
    code, out, _err = cli(capsys, "--config", str(settings.path), "fetch", "--strict")
    assert code == 1
    assert "0 of 1 source(s) ok; failed: Broken" in out


def test_a_source_failing_for_more_than_a_day_is_called_out(
    capsys: pytest.CaptureFixture[str], httpd: LocalHTTPServer, make_config: ConfigWriter
) -> None:
    for name in ("good", "lapsed", "flaky"):
        httpd.route(f"/{name}.xml", rss20(feed_items(httpd, name)), content_type=RSS)
    httpd.route("/broken.xml", "oops", status=500)
    httpd.route("/new.xml", "oops", status=500)
    settings = make_config(
        sources=[
            (name.capitalize(), httpd.url(f"/{name}.xml"), "News")
            for name in ("good", "broken", "lapsed", "flaky", "new")
        ]
    )
    now = datetime.now(UTC)
    three_days_ago = now - timedelta(days=3)

    def gather(names: list[str], at: datetime) -> None:
        with Store(settings.storage.url) as store:
            asyncio.run(gather_sources(store, settings, names=names, force=True, now=at))

    # Three days ago every source was added; Broken failed and Lapsed worked. Two days ago
    # Lapsed failed; Flaky worked 20 hours ago and failed 2 hours ago.
    gather(["Broken", "Lapsed"], three_days_ago)
    httpd.route("/lapsed.xml", "down", status=503)
    gather(["Broken", "Lapsed"], now - timedelta(days=2))
    gather(["Flaky"], now - timedelta(hours=20))
    httpd.route("/flaky.xml", "down", status=503)
    gather(["Flaky"], now - timedelta(hours=2))

    code, out, err = cli(capsys, "--config", str(settings.path), "fetch", "--strict")
    assert code == 3
    assert "1 of 5 source(s) ok; failed: Broken, Lapsed, Flaky, New\n" in out
    assert sorted(w.split("'")[1] for w in warnings_of(err) if " (http" in w) == [
        "Broken",
        "Flaky",
        "Lapsed",
        "New",
    ]
    called_out = [w for w in warnings_of(err) if "not been fetched successfully" in w]
    added = three_days_ago.strftime("%Y-%m-%d %H:%M")
    assert called_out == [
        "warning: source 'Broken' has not been fetched successfully in the 3 days since it "
        f"was added ({added} UTC; 3 failed tries)",
        f"warning: source 'Lapsed' has not been fetched successfully for 3 days (last success "
        f"{added} UTC; 2 failed tries since)",
    ]
    # The call-outs come after the table, each failure's own line before it.
    assert err.index("warning: source 'Broken' (") < err.index(called_out[0])


def test_fetch_only_the_named_source(
    capsys: pytest.CaptureFixture[str], httpd: LocalHTTPServer, make_config: ConfigWriter
) -> None:
    httpd.route("/a.xml", rss20(feed_items(httpd, "a")), content_type=RSS)
    httpd.route("/b.xml", rss20(feed_items(httpd, "b")), content_type=RSS)
    settings = make_config(
        sources=[("Alpha", httpd.url("/a.xml"), "News"), ("Beta", httpd.url("/b.xml"), "News")]
    )
    code, out, err = cli(capsys, "--config", str(settings.path), "fetch", "--source", "Beta")
    assert (code, warnings_of(err)) == (0, [])
    assert list(fetch_rows(out)) == ["Beta"]
    assert httpd.requests_for("/a.xml") == []
    assert len(httpd.requests_for("/b.xml")) == 1
    with Store(settings.storage.url) as store:
        assert {row.source for row in store.articles()} == {"Beta"}
    # Naming a source twice fetches it once.
    code, out, _err = cli(
        capsys, "--config", str(settings.path), "fetch", "--source", "Alpha", "--source", "Alpha"
    )
    assert code == 0
    assert list(fetch_rows(out)) == ["Alpha"]
    assert len(httpd.requests_for("/a.xml")) == 1
    assert "2 new and 0 updated article(s); 1 of 1 source(s) ok" in out


def test_fetch_on_a_terminal_shows_progress_and_the_same_warnings(
    capsys: pytest.CaptureFixture[str],
    httpd: LocalHTTPServer,
    make_config: ConfigWriter,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")  # rich then treats the captured streams as terminals
    httpd.route("/broken.xml", "oops", status=500)
    settings = make_config(
        sources=[*sample_sources()[:1], ("Broken", httpd.url("/broken.xml"), "World")],
        sections=("World",),
    )
    code, out, err = cli(capsys, "--config", str(settings.path), "fetch")
    assert code == 0, err
    assert "\x1b[" in out  # coloured: the terminal path was taken
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", out)
    assert "4 new and 0 updated article(s); 1 of 2 source(s) ok" in plain
    assert "fetching 2 source(s)" not in err  # a progress bar instead of the plain line
    plain_err = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", err)
    assert plain_err.count("warning: source 'Broken' ") == 1


def test_fetch_unknown_source_lists_the_sources(
    capsys: pytest.CaptureFixture[str], make_config: ConfigWriter, tmp_path: Path
) -> None:
    settings = make_config(sources=sample_sources(), sections=("World", "Science"))
    code, out, err = cli(capsys, "--config", str(settings.path), "fetch", "--source", "Nope")
    assert (code, out) == (2, "")
    [line] = err.splitlines()
    assert line.startswith("error: ")
    assert "Nope" in line
    assert line.endswith("(sources: Science samples, World samples)")
    assert not (tmp_path / "digest.db").exists()


# -- articles --------------------------------------------------------------------------

ARTICLE_KEYS = {"id", "source", "section", "title", "url", "published", "fetched", "words"}


def _articles(capsys: pytest.CaptureFixture[str], config: Path, *options: str) -> list[dict]:
    code, out, err = cli(capsys, "--config", str(config), "articles", "--json", *options)
    assert (code, err) == (0, ""), err
    data = json.loads(out)
    assert isinstance(data, list)
    return data


def test_articles_json_since_and_section(
    capsys: pytest.CaptureFixture[str], make_config: ConfigWriter, db_url: str
) -> None:
    settings = make_config(sources=sample_sources(), sections=("World", "Science"), db_url=db_url)
    three_days_ago = datetime.now(UTC) - timedelta(days=3)
    with Store(settings.storage.url) as store:
        asyncio.run(gather_sources(store, settings, names=["World samples"], now=three_days_ago))
    code, _out, err = cli(capsys, "--config", str(settings.path), "fetch", "--source",
                          "Science samples")  # fmt: skip
    assert code == 0, err

    everything = _articles(capsys, settings.path)
    assert len(everything) == 8
    for article in everything:
        assert set(article) >= ARTICLE_KEYS, article
        assert isinstance(article["id"], int)
        assert isinstance(article["words"], int) and article["words"] > 100
        assert article["title"]
        for key in ("published", "fetched"):
            when = datetime.fromisoformat(article[key])
            assert when.tzinfo is not None and when.utcoffset() == timedelta(0), article[key]
    by_source = {a["source"]: a for a in everything}
    assert by_source["World samples"]["section"] == "World"
    assert by_source["Science samples"]["section"] == "Science"
    old = datetime.fromisoformat(by_source["World samples"]["fetched"])
    assert abs(old - three_days_ago) < timedelta(seconds=1)
    published = [datetime.fromisoformat(a["published"]) for a in everything]
    assert published == sorted(published, reverse=True)  # newest first

    recent = _articles(capsys, settings.path, "--since", "24h")
    assert len(recent) == 4
    assert {a["source"] for a in recent} == {"Science samples"}
    assert len(_articles(capsys, settings.path, "--since", "4d")) == 8
    world = _articles(capsys, settings.path, "--section", "World")
    assert len(world) == 4
    assert {(a["source"], a["section"]) for a in world} == {("World samples", "World")}
    assert _articles(capsys, settings.path, "--section", "World", "--since", "90m") == []
    assert len(_articles(capsys, settings.path, "--limit", "3")) == 3
    only = _articles(capsys, settings.path, "--source", "World samples")
    assert {a["source"] for a in only} == {"World samples"}


def test_articles_table(capsys: pytest.CaptureFixture[str], make_config: ConfigWriter) -> None:
    settings = make_config(sources=sample_sources(), sections=("World", "Science"))
    code, out, _err = cli(capsys, "--config", str(settings.path), "articles")
    assert (code, out) == (0, "no articles stored yet; run `digest fetch`\n")
    assert cli(capsys, "--config", str(settings.path), "fetch")[0] == 0
    code, out, _err = cli(capsys, "--config", str(settings.path), "articles", "--section", "World")
    assert code == 0
    assert out.splitlines()[0].strip() == "4 article(s)"
    rows = table_rows(out)
    assert len(rows) == 4
    assert all(cells[2:4] == ["World samples", "World"] for cells in rows.values())
    assert any("Mongolian herders" in cells[4] for cells in rows.values())
    # Each article shows its summary under its title, and its story.
    danube = [cells for cells in rows.values() if "Danube" in cells[4]]
    assert len(danube) == 2
    assert all("Giurgiu" in cells[4] for cells in danube)  # from the summary, not the title
    assert danube[0][5] == danube[1][5]  # one story ...
    assert danube[0][5].endswith("(2)")  # ... of two articles
    herders = next(cells for cells in rows.values() if "Mongolian herders" in cells[4])
    assert herders[5] == f"#{herders[0]}"  # a story of its own


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (["--since", "yesterday"], 'error: --since: expected a duration such as "30m", "24h"'),
        (["--since=-1h"], "error: --since: expected a duration"),
        (["--section", "Sport"], "error: --section: unknown section 'Sport' (sections: News)"),
        (["--limit", "0"], "error: --limit: expected a positive number, got 0"),
        (["--since", "99999999w"], "error: --since: '99999999w' reaches too far back"),
    ],
    ids=["since-word", "since-negative", "unknown-section", "limit-zero", "since-too-far"],
)
def test_articles_bad_options(
    capsys: pytest.CaptureFixture[str],
    make_config: ConfigWriter,
    tmp_path: Path,
    options: list[str],
    expected: str,
) -> None:
    settings = make_config()
    code, out, err = cli(capsys, "--config", str(settings.path), "articles", *options)
    assert (code, out) == (2, "")
    assert len(err.splitlines()) == 1, err
    assert err.startswith(expected), err
    assert "Traceback" not in err


# -- the default config.toml -----------------------------------------------------------

KEY_CALL = re.compile(
    r"\.(?:text|get|positive|seconds|choice|strings)\(\s*\"(\w+)\"|\bhttp_url\(\s*\w+,\s*\"(\w+)\""
)


def config_keys() -> set[str]:
    """Every key the modules of digest/config read, found in their source."""
    source = "\n".join(
        path.read_text(encoding="utf-8") for path in (REPO / "digest" / "config").glob("*.py")
    )
    return {a or b for a, b in KEY_CALL.findall(source)}


def undocumented(keys: set[str], text: str) -> list[str]:
    """The keys that appear in *text* neither as ``KEY =``, ``# KEY =``, ``# KEY:`` nor as a
    (sub-)table header ``[KEY]`` / ``[table.KEY]``."""
    return sorted(
        key
        for key in keys
        if not re.search(rf"^\s*(?:#\s*)?{key}\s*=", text, re.MULTILINE)
        and not re.search(rf"^\s*#.*\b{key}:", text, re.MULTILINE)
        and not re.search(rf"^\s*(?:#\s*)?\[\[?(?:[\w.]+\.)?{key}\]\]?\s*$", text, re.MULTILINE)
    )


def test_every_config_key_is_documented_in_the_default_config() -> None:
    keys = config_keys()
    # The scan must keep finding keys read in every way the loader reads them.
    assert {"title", "sender", "base_url", "timezone", "url", "port", "max_items", "full_text",
            "user_agent", "retry_max", "security"} <= keys  # fmt: skip
    text = (REPO / "config.toml").read_text(encoding="utf-8")
    assert undocumented(keys, text) == [], "keys missing from config.toml"
    # and the check notices a key that is not there
    without = re.sub(r"^#?\s*(per_host|full_text)\b.*$", "", text, flags=re.MULTILINE)
    assert undocumented(keys, without) == ["full_text", "per_host"]
    tables = re.search(
        r"TOP_LEVEL = \(([^)]*)\)", (REPO / "digest" / "config" / "loader.py").read_text()
    )
    assert tables is not None
    for table in re.findall(r'"(\w+)"', tables.group(1)):
        assert re.search(rf"^\[\[?{table}\]\]?$", text, re.MULTILINE), table


def test_default_config_loads() -> None:
    settings = load(REPO / "config.toml")
    assert [s.name for s in settings.sections] == ["World", "Technology", "Science"]
    folders = [s for s in settings.sources if s.kind == "folder"]
    assert len(folders) == 3
    assert all(Path(s.url).is_dir() and Path(s.url).is_relative_to(SAMPLES) for s in folders)


def test_default_config_fetches_offline(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    text = (REPO / "config.toml").read_text(encoding="utf-8")
    text = text.replace('"digest/samples/', f'"{SAMPLES.as_posix()}/')
    # Offline for certain, whether or not this machine has internet access: the real feeds'
    # hosts get the reserved suffix ".invalid" (RFC 6761), which never resolves.
    text, offline = re.subn(r'^(url = "https?://[^/"]+)', r"\1.invalid", text, flags=re.MULTILINE)
    assert offline >= 1
    head, fetch_table, tail = text.partition("[fetch]\n")
    tail, count = re.subn(r"^timeout = .*$", "timeout = 4", tail, count=1, flags=re.MULTILINE)
    assert fetch_table and count == 1
    tail = re.sub(r"^deadline = .*$", "deadline = 8", tail, count=1, flags=re.MULTILINE)
    config = tmp_path / "config.toml"
    config.write_text(head + fetch_table + tail, encoding="utf-8")
    raw = tomllib.loads(config.read_text(encoding="utf-8"))
    web_feeds = {s["name"]: s["url"] for s in raw["sources"] if s["url"].startswith("http")}
    assert len(web_feeds) >= 1

    code, out, err = cli(capsys, "--config", str(config), "fetch")
    assert code == 0, err
    rows = fetch_rows(out)
    assert len(rows) == len(raw["sources"])
    samples = {name: row for name, row in rows.items() if row["kind"] == "folder"}
    assert {name: row["new"] for name, row in samples.items()} == {
        "Sample world news": "4",
        "Sample technology news": "4",
        "Sample science news": "4",
    }
    with Store(f"sqlite:///{tmp_path / 'digest.db'}") as store:
        assert len(store.articles(sources=list(samples))) == 12
    warnings = warnings_of(err)
    assert len(warnings) == len(web_feeds), err  # one line per real feed, nothing else
    for name, url in web_feeds.items():
        host = urlsplit(url).hostname
        assert host and host.endswith(".invalid")
        [mine] = [w for w in warnings if w.startswith(f"warning: source {name!r} ({url}): ")]
        assert f"cannot resolve host {host}" in mine
        assert rows[name]["status"] == "error"
    assert "Traceback" not in err
    assert all(line.startswith(("warning:", "fetching ")) for line in err.splitlines()), err
