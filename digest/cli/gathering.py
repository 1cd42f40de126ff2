"""``digest fetch``, ``articles`` and ``summarize``: gathering articles and looking at them.

:mod:`digest.pipeline.articles` does the work; :mod:`digest.cli.report` prints it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING

from digest.cli.common import Command, CommandFactory, load_settings, now
from digest.config import Settings, load, parse_duration
from digest.errors import ConfigError

if TYPE_CHECKING:
    from digest.config import SummarySettings
    from digest.gather.sources import SourceReport
    from digest.pipeline.articles import SummaryOutput


def add_parsers(command: CommandFactory) -> None:
    """Add this module's commands with *command(name, summary, description)*."""
    _add_fetch(command)
    _add_articles(command)
    _add_summarize(command)


def _source_option(parser: argparse.ArgumentParser, help_text: str) -> None:
    """``--source NAME``, repeatable, into ``args.sources``."""
    parser.add_argument("--source", dest="sources", action="append", metavar="NAME", help=help_text)


# The exit statuses of `digest fetch`, as its --help and the README list them.
FETCH_OK = 0
FETCH_ALL_FAILED = 1
FETCH_SOME_FAILED = 3  # with --strict only
FETCH_EXIT_STATUS = (
    "Exit status: 0 when at least one source succeeded or none failed (with --strict: "
    "when every source succeeded); 1 when sources failed and none succeeded (or on an "
    "unexpected error); 2 for a bad config file or option; 3, with --strict only, when a "
    "source did not succeed (it failed, or is backing off or disabled after failing "
    "earlier) and 1 does not apply. "
)


def _add_fetch(command: CommandFactory) -> None:
    fetch = command(
        "fetch",
        "gather new articles from the sources now",
        "Fetch every source now (concurrently), extract and store new and updated articles, "
        "summarise them and group reports of the same event into stories, then print a table "
        "per source. Sources that failed recently wait out their backoff "
        "unless named with --source or --force is given. Each failing source is one "
        "warning line on stderr; the line after the table names the sources that did not "
        "succeed, and a source that has been failing for more than a day is called out.",
    )
    fetch.epilog = FETCH_EXIT_STATUS + (fetch.epilog or "")
    _source_option(fetch, "fetch only this source (repeatable); implies --force for it")
    fetch.add_argument(
        "--force", action="store_true", help="fetch even sources that are backing off or disabled"
    )
    fetch.add_argument(
        "--strict",
        action="store_true",
        help=f"exit {FETCH_SOME_FAILED} when any source did not succeed, even if others did "
        "(for cron jobs and monitoring)",
    )


def _add_articles(command: CommandFactory) -> None:
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
    _source_option(articles, "only this source (repeatable)")
    articles.add_argument("--limit", type=int, metavar="N", help="at most N articles")
    articles.add_argument(
        "--json", action="store_true", help="print a JSON array instead of a table"
    )


def _add_summarize(command: CommandFactory) -> None:
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


# -- digest fetch -------------------------------------------------------------------------


def _source_names(args: argparse.Namespace, settings: Settings) -> list[str] | None:
    """The sources named with --source, each once; None for every source."""
    names = list(dict.fromkeys(args.sources)) if args.sources else None
    if names:
        known = {source.name for source in settings.sources}
        for name in names:
            if name not in known:
                choices = ", ".join(sorted(known)) or "none configured"
                raise ConfigError(f"{settings.path}: no source named {name!r} (sources: {choices})")
    return names


def fetch_status(reports: Sequence[SourceReport], *, strict: bool) -> int:
    """The exit status of `digest fetch` (see FETCH_EXIT_STATUS)."""
    if any(r.status in {"error", "gone"} for r in reports) and not any(
        r.succeeded for r in reports
    ):
        return FETCH_ALL_FAILED
    if strict and not all(r.succeeded for r in reports):
        return FETCH_SOME_FAILED
    return FETCH_OK


def cmd_fetch(args: argparse.Namespace) -> int:
    from digest.cli.report import FetchProgress, fetch_table, long_failures, refresh_line
    from digest.pipeline.articles import refresh
    from digest.store import Store

    settings = load_settings(args)
    names = _source_names(args, settings)
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
        states = store.sources([report.name for report in result.reports])
    fetch_table(result.reports)
    print(refresh_line(result, method=settings.summary.method))
    for line in long_failures(result.reports, states, now=now()):
        print(line, file=sys.stderr)
    return fetch_status(result.reports, strict=args.strict)


# -- digest articles ----------------------------------------------------------------------


def cmd_articles(args: argparse.Namespace) -> int:
    from digest.cli.report import articles_json, articles_table
    from digest.store import Store

    settings = load_settings(args)
    since = None
    if args.since:
        try:
            since = now() - timedelta(seconds=parse_duration(args.since))
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


# -- digest summarize ---------------------------------------------------------------------


def _summarize_settings(args: argparse.Namespace) -> Settings:
    """The config's settings; without a config file (none given or found), the defaults."""
    from digest.config import CONFIG_ENV, locate
    from digest.resources import default_config

    explicit = getattr(args, "config", None) or os.environ.get(CONFIG_ENV)
    if explicit or locate().exists():
        return load_settings(args)
    return load(default_config())


def _summary_config(args: argparse.Namespace, settings: Settings) -> SummarySettings:
    """[summary] with --sentences and --method applied."""
    config = settings.summary
    if args.sentences is not None:
        if not 1 <= args.sentences <= 20:
            raise ConfigError(f"--sentences: expected a number from 1 to 20, got {args.sentences}")
        config = replace(config, sentences=args.sentences)
    if args.method:
        if args.method == "llm" and config.llm is None:
            raise ConfigError(
                f"--method llm: {settings.path} has no [summary.llm] table "
                "(base_url and model of an OpenAI-compatible endpoint)"
            )
        config = replace(config, method=args.method)
    return config


async def _summarise_targets(
    targets: Sequence[str], settings: Settings, config: SummarySettings
) -> list[tuple[str, str, str, str | SummaryOutput]]:
    """(name, title, text, the summary or why the target could not be read) per target."""
    from digest.gather.targets import read_targets
    from digest.pipeline.articles import SummaryInput, summarise_batch

    read = await read_targets(targets, fetch=settings.fetch)
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


def cmd_summarize(args: argparse.Namespace) -> int:
    from digest.cli.report import summary_json, summary_text

    settings = _summarize_settings(args)
    config = _summary_config(args, settings)
    failed = 0
    for name, title, text, output in asyncio.run(
        _summarise_targets(args.targets, settings, config)
    ):
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


COMMANDS: dict[str, Command] = {
    "fetch": cmd_fetch,
    "articles": cmd_articles,
    "summarize": cmd_summarize,
}
