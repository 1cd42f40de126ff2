"""The ``digest`` command line.

Thin: each command parses its options, calls the application, and prints.
Errors become one line on stderr and an exit code here, and only here
(``-v`` shows the traceback as well).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from digest import __version__
from digest.cli import preview as cli_preview
from digest.cli import subscribers as cli_subscribers
from digest.config import Settings, load, parse_duration
from digest.errors import ConfigError, DigestError

log = logging.getLogger("digest")

EPILOG = (
    "The config file is --config PATH, else $DIGEST_CONFIG, else ./config.toml. "
    "Run `digest COMMAND --help` for a command's options."
)


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

    fetch = command(
        "fetch",
        "gather new articles from the sources now",
        "Fetch every source now (concurrently), extract and store new and updated articles, "
        "summarise them and group reports of the same event into stories, then print a table "
        "per source. Sources that failed recently wait out their backoff "
        "unless named with --source or --force is given. Exits 0 when at least one source "
        "succeeded, 1 when all failed.",
    )
    fetch.add_argument(
        "--source",
        dest="sources",
        action="append",
        metavar="NAME",
        help="fetch only this source (repeatable); implies --force for it",
    )
    fetch.add_argument(
        "--force", action="store_true", help="fetch even sources that are backing off or disabled"
    )

    articles = command(
        "articles",
        "list stored articles",
        "List stored articles, newest first, each with its summary and the story it belongs "
        "to (articles that report the same event share a story number).",
    )
    articles.add_argument(
        "--since",
        metavar="DURATION",
        help='only articles gathered within this long, e.g. "90m", "24h", "7d"',
    )
    articles.add_argument("--section", metavar="NAME", help="only articles of this section")
    articles.add_argument(
        "--source",
        dest="sources",
        action="append",
        metavar="NAME",
        help="only this source (repeatable)",
    )
    articles.add_argument("--limit", type=int, metavar="N", help="at most N articles")
    articles.add_argument(
        "--json", action="store_true", help="print a JSON array instead of a table"
    )

    summarize = command(
        "summarize",
        "extract and summarise URLs, article files or folders, without storing anything",
        "Extract the main text of each TARGET and summarise it exactly as the pipeline does. "
        "TARGET is an http(s) URL, an .html, .md or .txt file, or a folder (every such file "
        "in it). A target that cannot be read is reported on stderr and the others still run; "
        "the exit code is 1 if any failed. Uses the [summary] and [fetch] settings of the "
        "config file when there is one, else the defaults.",
    )
    summarize.add_argument("targets", metavar="TARGET", nargs="+", help="URL, file or folder")
    summarize.add_argument(
        "--sentences",
        type=int,
        metavar="N",
        help="at most N sentences (default: [summary] sentences)",
    )
    summarize.add_argument(
        "--method",
        choices=("extractive", "lead", "llm"),
        help="summariser (default: [summary] method); llm needs [summary.llm]",
    )
    summarize.add_argument(
        "--json",
        action="store_true",
        help="one JSON object per target per line: target, title, summary, sentences, text",
    )
    serve = command(
        "serve",
        "run the web server: sign-up pages, the archive and the operator preview",
        "Serve the sign-up, confirmation, preferences and unsubscribe pages, the archive of "
        "sent editions (/archive) and the operator preview (/operator/preview) on [web] host "
        "and port. Outside loopback it needs DIGEST_SECRET_KEY (it signs subscribers' links), "
        "and the preview answers there only to DIGEST_OPERATOR_TOKEN. Stop it with Ctrl-C.",
    )
    serve.add_argument(
        "--host", metavar="HOST", help="listen on this address (default: [web] host)"
    )
    serve.add_argument(
        "--port", type=int, metavar="PORT", help="listen on this port (default: [web] port)"
    )
    cli_preview.add_parsers(command)
    cli_subscribers.add_parsers(command)
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    return load(getattr(args, "config", None))


def _now() -> datetime:
    return datetime.now(UTC)


# -- commands -------------------------------------------------------------------


def cmd_init(args: argparse.Namespace) -> int:
    from digest.pipeline.starter import write_starter

    written = write_starter(args.directory, force=args.force)
    for path in written:
        print(f"wrote {path}")
    print(f"next: cd {args.directory} && digest check && digest fetch")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from digest.pipeline.checks import run_checks

    settings = _settings(args)
    ok = True
    for result in run_checks(settings):
        mark = "ok" if result.ok else "FAIL"
        print(f"{mark:>4}  {result.name}: {result.detail}")
        ok = ok and result.ok
    return 0 if ok else 1


def cmd_fetch(args: argparse.Namespace) -> int:
    from digest.cli.report import FetchProgress, fetch_table, refresh_line
    from digest.pipeline.articles import refresh
    from digest.store import Store

    settings = _settings(args)
    names = list(dict.fromkeys(args.sources)) if args.sources else None  # each source once
    if names:
        known = {source.name for source in settings.sources}
        for name in names:
            if name not in known:
                choices = ", ".join(sorted(known)) or "none configured"
                raise ConfigError(
                    f"{settings.path.name}: no source named {name!r} (sources: {choices})"
                )
    with Store(settings.storage.url) as store:
        count = len(names or settings.sources)
        with FetchProgress(count) as progress:
            result = asyncio.run(
                refresh(
                    store,
                    settings,
                    names=names,
                    force=args.force or bool(names),
                    on_report=progress.update,
                )
            )
    fetch_table(result.reports)
    print(refresh_line(result, method=settings.summary.method))
    reports = result.reports
    failed = any(r.status in {"error", "gone"} for r in reports)
    return 1 if failed and not any(r.succeeded for r in reports) else 0


def cmd_articles(args: argparse.Namespace) -> int:
    from digest.cli.report import articles_json, articles_table
    from digest.store import Store

    settings = _settings(args)
    since = None
    if args.since:
        try:
            since = _now() - timedelta(seconds=parse_duration(args.since))
        except ValueError as exc:
            raise ConfigError(f"--since: {exc}") from exc
        except OverflowError as exc:  # e.g. "99999999w" reaches before year 1
            raise ConfigError(f"--since: {args.since!r} reaches too far back") from exc
    if args.section and args.section not in {s.name for s in settings.sections}:
        names = ", ".join(s.name for s in settings.sections)
        raise ConfigError(f"--section: unknown section {args.section!r} (sections: {names})")
    if args.limit is not None and args.limit < 1:
        raise ConfigError(f"--limit: expected a positive number, got {args.limit}")
    with Store(settings.storage.url) as store:
        rows = store.articles(
            since=since, section=args.section, sources=args.sources, limit=args.limit
        )
    if args.json:
        print(articles_json(rows))
    else:
        articles_table(rows)
    return 0


def _summarize_settings(args: argparse.Namespace) -> Settings:
    """The config's settings; without a config file (none given or found), the defaults."""
    from digest.config import CONFIG_ENV, locate
    from digest.resources import default_config

    explicit = getattr(args, "config", None) or os.environ.get(CONFIG_ENV)
    if explicit or locate().exists():
        return _settings(args)
    return load(default_config())


def cmd_summarize(args: argparse.Namespace) -> int:
    from digest.cli.report import summary_json, summary_text
    from digest.gather.targets import read_targets
    from digest.pipeline.articles import SummaryInput, SummaryOutput, summarise_batch

    settings = _summarize_settings(args)
    config = settings.summary
    if args.sentences is not None:
        if not 1 <= args.sentences <= 20:
            raise ConfigError(f"--sentences: expected a number from 1 to 20, got {args.sentences}")
        config = replace(config, sentences=args.sentences)
    if args.method:
        if args.method == "llm" and config.llm is None:
            raise ConfigError(
                f"--method llm: {settings.path.name} has no [summary.llm] table "
                "(base_url and model of an OpenAI-compatible endpoint)"
            )
        config = replace(config, method=args.method)

    async def run() -> list[tuple[str, str, str, str | SummaryOutput]]:
        read = await read_targets(args.targets, fetch=settings.fetch)
        good = [r for r in read if r.error is None]
        inputs = [
            SummaryInput(key=r.target.name, title=r.title, text=r.text, description=r.description)
            for r in good
        ]
        outputs = iter(await summarise_batch(config, inputs))
        return [
            (r.target.name, r.title, r.text, r.error if r.error is not None else next(outputs))
            for r in read
        ]

    failed = 0
    for name, title, text, output in asyncio.run(run()):
        if isinstance(output, str):
            failed += 1
            print(f"error: {output}", file=sys.stderr)
            continue
        if output.error and config.method == "llm":
            print(
                f"warning: {name}: LLM failed, extractive summary used: {output.error}",
                file=sys.stderr,
            )
        if args.json:
            print(summary_json(name, title=title, text=text, sentences=output.sentences))
        else:
            print(summary_text(name, title=title, sentences=output.sentences))
    return 1 if failed else 0


def cmd_serve(args: argparse.Namespace) -> int:
    from digest.web.app import serve  # the web stack loads only for this command

    if args.port is not None and not 0 < args.port < 65536:
        raise ConfigError(f"--port: expected a port number from 1 to 65535, got {args.port}")
    serve(_settings(args), host=args.host, port=args.port)
    return 0


COMMANDS = {
    "init": cmd_init,
    "check": cmd_check,
    "fetch": cmd_fetch,
    "articles": cmd_articles,
    "summarize": cmd_summarize,
    "serve": cmd_serve,
    **cli_preview.COMMANDS,
    **cli_subscribers.COMMANDS,
}


def _configure_logging(verbosity: int) -> None:
    level = logging.DEBUG if verbosity >= 2 else logging.INFO if verbosity == 1 else logging.WARNING
    logging.basicConfig(
        level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    if verbosity < 2:
        for noisy in (
            "httpx",
            "httpcore",
            "trafilatura",
            "htmldate",
            "courlan",
            "charset_normalizer",
        ):
            logging.getLogger(noisy).setLevel(logging.WARNING if verbosity else logging.ERROR)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    verbosity = getattr(args, "verbose", 0) or 0
    _configure_logging(verbosity)
    try:
        return COMMANDS[args.command](args)
    except DigestError as exc:
        if verbosity:
            log.exception("%s", exc)
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # the one place that turns bugs into exit codes
        if verbosity:
            log.exception("unexpected error")
        print(
            f"error: unexpected {type(exc).__name__}: {exc} (run with -v for the traceback)",
            file=sys.stderr,
        )
        return 1
