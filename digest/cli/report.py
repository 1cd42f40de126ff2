"""What the CLI prints: fetch progress and tables, article listings, summaries."""

from __future__ import annotations

import json
import shutil
import sys
import textwrap
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from types import TracebackType
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from digest.cli.common import when
from digest.gather.sources import SourceReport
from digest.records import SourceState, StoredArticle

if TYPE_CHECKING:
    from digest.pipeline.articles import RefreshResult

LONG_FAILURE = timedelta(days=1)  # a source failing for longer is called out after the table
STATUS_STYLE = {
    "ok": "green",
    "not_modified": "green",
    "error": "red",
    "gone": "red",
    "disabled": "yellow",
    "backoff": "yellow",
}


def stdout_console() -> Console:
    """A console on stdout; in a log or a pipe 160 columns wide, so tables do not fold."""
    console = Console(file=sys.stdout, highlight=False, soft_wrap=False)
    if not console.is_terminal:
        console.width = 160  # a log or a pipe: do not fold the table to 80 columns
    return console


def _short(text: str, limit: int = 70) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _stderr() -> Console:
    return Console(file=sys.stderr, highlight=False, soft_wrap=True)


def warning_line(report: SourceReport) -> str | None:
    """The one line a failed or skipped source earns on stderr."""
    if report.status in {"error", "gone"}:
        return f"warning: source {report.name!r} ({report.url}): {report.error}"
    if report.status == "disabled":
        return f"warning: source {report.name!r} is disabled: {report.error}"
    if report.status == "backoff":
        return (
            f"note: source {report.name!r} failed recently ({report.error}); "
            f"next try after {when(report.retry_at)} UTC (use --force to try now)"
        )
    return None


class FetchProgress:
    """A progress bar on a terminal; otherwise only the warning lines."""

    def __init__(self, total: int) -> None:
        self.console = _stderr()
        self.total = total
        self.progress: Progress | None = None
        self.task: TaskID | None = None

    def __enter__(self) -> FetchProgress:
        if self.console.is_terminal:
            self.progress = Progress(
                TextColumn("[bold]fetching[/bold]"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.description}"),
                console=self.console,
                transient=True,
            )
            self.progress.start()
            self.task = self.progress.add_task("", total=self.total)
        else:
            self.console.print(f"fetching {self.total} source(s)…")
        return self

    def update(self, report: SourceReport) -> None:
        line = warning_line(report)
        if line:
            self.console.print(line, markup=False)
        for warning in report.warnings[:3]:
            self.console.print(f"  {report.name}: {warning}", markup=False, style="dim")
        if self.progress is not None and self.task is not None:
            self.progress.update(self.task, advance=1, description=report.name)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.progress is not None:
            self.progress.stop()


def fetch_table(reports: Sequence[SourceReport]) -> None:
    """The table of ``digest fetch``, one row per source, and the line that sums it up.

    A failure's message is not repeated here: its ``warning:`` or ``note:`` line on
    stderr (see :func:`warning_line`) is the one place it is printed.
    """
    table = Table(title="digest fetch", title_justify="left")
    for column, justify in (
        ("source", "left"),
        ("section", "left"),
        ("kind", "left"),
        ("new", "right"),
        ("updated", "right"),
        ("status", "left"),
        ("note", "left"),
    ):
        table.add_column(column, justify=justify, overflow="fold")  # type: ignore[arg-type]
    for report in reports:
        style = STATUS_STYLE.get(report.status, "")
        status = report.status.replace("_", " ")
        skipped = f"{len(report.warnings)} skipped" if report.warnings else ""
        table.add_row(
            escape(report.name),
            escape(report.section),
            report.kind,
            str(report.new),
            str(report.updated),
            f"[{style}]{status}[/{style}]" if style else status,
            skipped if report.succeeded else "",
        )
    console = stdout_console()
    console.print(table)
    console.print(fetch_summary(reports), markup=False)


def fetch_summary(reports: Sequence[SourceReport]) -> str:
    """'4 new and 0 updated article(s); 1 of 3 source(s) ok; failed: Broken, Refused'."""
    new = sum(r.new for r in reports)
    updated = sum(r.updated for r in reports)
    good = sum(1 for r in reports if r.succeeded)
    line = f"{new} new and {updated} updated article(s); {good} of {len(reports)} source(s) ok"
    failed = [r.name for r in reports if not r.succeeded]
    return line + (f"; failed: {', '.join(failed)}" if failed else "")


def long_failures(
    reports: Sequence[SourceReport], states: Sequence[SourceState], *, now: datetime
) -> list[str]:
    """A line for each source among *reports* that has not succeeded for more than a day.

    The store keeps when a source last succeeded (else when it was added) and how many
    tries in a row have failed since: two failed tries at least, and more than a day
    without a success, make a source worth calling out.
    """
    known = {state.name: state for state in states}
    lines: list[str] = []
    for report in reports:
        state = known.get(report.name)
        if report.succeeded or state is None or state.failures < 2:
            continue
        since = state.last_success_at or state.created_at
        if since is None or now - since <= LONG_FAILURE:
            continue
        days = (now - since).days
        span = f"{days} day{'s' if days != 1 else ''}"
        tries = f"{state.failures} failed tries"
        if state.last_success_at is not None:
            detail = f"for {span} (last success {when(since)} UTC; {tries} since)"
        else:
            detail = f"in the {span} since it was added ({when(since)} UTC; {tries})"
        lines.append(f"warning: source {report.name!r} has not been fetched successfully {detail}")
    return lines


def story_of(article: StoredArticle) -> int:
    """The story an article belongs to: the story's id, or its own when it stands alone."""
    return article.story_id if article.story_id is not None else article.id


def article_dict(article: StoredArticle) -> dict[str, object]:
    return {
        "id": article.id,
        "source": article.source,
        "section": article.section,
        "title": article.title,
        "url": article.url,
        "author": article.author,
        "published": article.published.isoformat(),
        "date_estimated": article.date_note,
        "fetched": article.fetched.isoformat(),
        "words": article.words,
        "full_text": article.full_text,
        "summary": " ".join(article.summary),
        "summary_method": article.summary_method,
        "story": story_of(article),
    }


def articles_json(rows: Sequence[StoredArticle]) -> str:
    return json.dumps([article_dict(row) for row in rows], ensure_ascii=False, indent=2)


def articles_table(rows: Sequence[StoredArticle]) -> None:
    console = stdout_console()
    if not rows:
        console.print("no articles stored yet; run `digest fetch`")
        return
    sizes = Counter(story_of(row) for row in rows)
    table = Table(title=f"{len(rows)} article(s)", title_justify="left")
    table.add_column("id", justify="right")
    table.add_column("published")
    table.add_column("source")
    table.add_column("section")
    table.add_column("title and summary", overflow="fold", ratio=1)
    table.add_column("story", justify="right")
    table.add_column("words", justify="right")
    for row in rows:
        published = when(row.published) + ("*" if row.date_note else "")
        story = story_of(row)
        shared = sizes[story] > 1
        cell = f"[bold]{escape(row.title)}[/bold]"
        if row.summary:
            cell += "\n" + escape(_short(" ".join(row.summary), 240))
        else:
            cell += "\n[dim](not summarised yet)[/dim]"
        table.add_row(
            str(row.id),
            published,
            escape(row.source),
            escape(row.section),
            cell,
            f"#{story}" + (f" ({sizes[story]})" if shared else ""),
            str(row.words),
        )
    console.print(table)
    if any(sizes[story] > 1 for story in sizes):
        console.print("#N (k): k of these articles report the same story")
    if any(row.date_note for row in rows):
        console.print("* the source gave no usable date; the time it was fetched stands in")


def refresh_line(result: RefreshResult, *, method: str) -> str:
    """One line on what ``digest fetch`` did after gathering."""
    line = f"{result.summarised} article(s) summarised ({method})"
    if result.fallbacks:
        line += f", {result.fallbacks} with the extractive fallback (the LLM failed)"
    return line + f"; {result.shared} recent story(ies) reported by more than one article"


def summary_json(name: str, *, title: str, text: str, sentences: Sequence[str]) -> str:
    """One line of ``digest summarize --json``."""
    record = {
        "target": name,
        "title": title,
        "summary": " ".join(sentences),
        "sentences": list(sentences),
        "text": text,
    }
    return json.dumps(record, ensure_ascii=False)


def summary_text(name: str, *, title: str, sentences: Sequence[str]) -> str:
    """A target's title and summary, readably, for ``digest summarize``."""
    width = shutil.get_terminal_size((88, 24)).columns
    wrap = min(max(width, 40), 100) - 2
    lines = [f"== {name}", title or "(untitled)"]
    if not sentences:
        lines.append("  (no text to summarise)")
    for sentence in sentences:
        lines.append(
            textwrap.fill(sentence, width=wrap, initial_indent="- ", subsequent_indent="  ")
        )
    return "\n".join(lines) + "\n"
