"""``digest preview``: the digest a subscriber would get now, written to a file.

It renders the digest a subscriber (or the default reader) would get and says
what is in it; :mod:`digest.pipeline.preview` does the work, so this is the same
preview the operator page of ``digest serve`` shows.
"""

from __future__ import annotations

import argparse
import sys
import webbrowser
from pathlib import Path

from digest.cli.common import Command, CommandFactory, load_settings, note_placeholder_key, now
from digest.errors import DigestError

FORMATS = ("html", "text", "eml")
SUFFIXES = {"html": ".html", "text": ".txt", "eml": ".eml"}
DEFAULT_NAME = "digest-preview"


def add_parsers(command: CommandFactory) -> None:
    """Add this module's commands with *command(name, summary, description)*."""
    preview = command(
        "preview",
        "render the digest a subscriber would get now into a file, without sending it",
        "Compose and render the digest a subscriber would be sent now, and write it to a file: "
        "the email's HTML, its plain-text part, or the whole MIME message exactly as it would "
        "be sent. Without --subscriber it is the default reader's digest: every section, "
        "the stories of the last period of [newsletter] frequency. Nothing is sent and nothing "
        "is recorded: no watermark moves and no edition is archived. Prints the file's path "
        "and size, the HTML part's size against the 100 KB Gmail clipping budget, and how "
        "many stories the email holds. When nothing is new it says so and writes no file "
        '(with [stories] when_empty = "note" it previews the note instead). Exits 2 for an '
        "unknown subscriber, 1 when a template is broken.",
    )
    preview.add_argument(
        "--subscriber",
        metavar="EMAIL",
        help="preview for this subscriber: their sections, frequency, time zone, what is new "
        "since their last digest, and their own links (default: the default reader)",
    )
    preview.add_argument(
        "--format",
        choices=FORMATS,
        default="html",
        help="html: the email's HTML part; text: its plain-text part; eml: the complete "
        "message with all headers, as it would go to the SMTP server (default: html)",
    )
    preview.add_argument(
        "--output",
        metavar="PATH",
        type=Path,
        help="write here; a folder gets the default name in it "
        "(default: ./digest-preview.html, .txt or .eml by --format)",
    )
    preview.add_argument(
        "--open",
        action="store_true",
        help="open the written file in the default browser (or the viewer for its type)",
    )


def output_path(option: Path | None, kind: str) -> Path:
    """Where ``--output`` (None: the current folder) puts a preview of this *kind* (--format)."""
    name = DEFAULT_NAME + SUFFIXES[kind]
    if option is None:
        return Path.cwd() / name
    return (option / name if option.is_dir() else option).absolute()


def _bytes(size: int) -> str:
    return f"{size:,} bytes"


def cmd_preview(args: argparse.Namespace) -> int:
    from digest.mail.render import HTML_SIZE_LIMIT, Renderer
    from digest.pipeline.preview import build_preview
    from digest.store import Store

    settings = load_settings(args)
    renderer = Renderer.from_settings(settings.newsletter)
    with Store(settings.storage.url) as store:
        preview = build_preview(store, settings, renderer, subscriber=args.subscriber, now=now())
    if preview.warning:
        print(f"warning: {preview.warning}", file=sys.stderr)
    if preview.subscriber is not None:
        note_placeholder_key(settings, "the personal links")
    rendered = preview.rendered
    if rendered is None:
        print(preview.nothing_new)
        return 0

    data = {
        "html": rendered.html.encode("utf-8"),
        "text": rendered.text.encode("utf-8"),
        "eml": preview.raw,
    }[args.format]
    path = output_path(args.output, args.format)
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise DigestError(f"--output: cannot write {path}: {exc.strerror or exc}") from exc

    digest = preview.digest
    since = digest.since.astimezone(preview.timezone).strftime("%Y-%m-%d %H:%M %Z")
    if preview.subscriber is None:
        reader = f"the default reader (every section, {settings.newsletter.frequency})"
    else:
        reader = preview.to
    print(f"preview of the digest for {reader} (nothing sent, nothing recorded)")
    print(f"subject: {rendered.subject}")
    if digest.empty:
        print(f'stories: none since {since} (the "nothing new" note)')
    else:
        sections = [s.name for s in digest.sections]
        if digest.top:
            sections.insert(0, "Top stories")
        line = f"stories: {rendered.items} since {since}, in {', '.join(sections)}"
        if rendered.overflow:
            line += f"; {rendered.overflow} more moved to the web version by the size budget"
        print(line)
    share = rendered.size / HTML_SIZE_LIMIT
    verdict = "over" if rendered.size > HTML_SIZE_LIMIT else f"{share:.0%} of"
    print(
        f"HTML part: {_bytes(rendered.size)}, {verdict} the "
        f"{HTML_SIZE_LIMIT // 1024} KB Gmail clipping budget"
    )
    print(f"wrote {path} ({_bytes(len(data))})")
    if args.open and not webbrowser.open(path.resolve().as_uri()):
        print(f"warning: no browser could be started; open {path} yourself", file=sys.stderr)
    return 0


COMMANDS: dict[str, Command] = {"preview": cmd_preview}
