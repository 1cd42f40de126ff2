"""Read what ``digest summarize`` is pointed at: URLs, article files and folders.

Each target is extracted exactly as gathering would: pages through
:func:`digest.extract.extract_article`, Markdown and text files through the
folder reader.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from digest.config import FetchSettings
from digest.errors import DigestError, ParseError
from digest.gather.extract import extract_article
from digest.gather.fetcher import PAGE_ACCEPT, Fetcher
from digest.gather.folder import SUFFIXES, article_files, read_article


@dataclass(frozen=True, slots=True)
class Target:
    name: str  # as given, or the file's path inside the folder given
    url: str = ""
    path: Path | None = None


@dataclass(frozen=True, slots=True)
class ReadTarget:
    target: Target
    title: str = ""
    text: str = ""
    description: str = ""
    error: str | None = None


def expand(arguments: Sequence[str]) -> list[Target | ReadTarget]:
    """Targets in the order given; a folder becomes its article files; a bad one an error."""
    out: list[Target | ReadTarget] = []
    for argument in arguments:
        if urlsplit(argument).scheme in {"http", "https"}:
            out.append(Target(name=argument, url=argument))
            continue
        path = Path(argument)
        if path.is_dir():
            files = article_files(path)
            if not files:
                target = Target(name=argument, path=path)
                out.append(ReadTarget(target, error=f"{argument}: no .html, .md or .txt files"))
            out.extend(Target(name=f.relative_to(path).as_posix(), path=f) for f in files)
        elif path.is_file():
            if path.suffix.lower() not in SUFFIXES:
                message = f"{argument}: expected an .html, .md or .txt file, a folder or a URL"
                out.append(ReadTarget(Target(name=argument, path=path), error=message))
            else:
                out.append(Target(name=argument, path=path))
        else:
            message = f"{argument}: no such file or folder (and not an http(s) URL)"
            out.append(ReadTarget(Target(name=argument), error=message))
    return out


def _read_file(target: Target) -> ReadTarget:
    assert target.path is not None
    path = target.path
    try:
        article = read_article(path, folder=path.parent, now=datetime.now(UTC))
    except (DigestError, OSError) as exc:
        return ReadTarget(target, error=str(exc))
    return ReadTarget(
        target, title=article.title, text=article.text, description=article.description
    )


async def _read_url(fetcher: Fetcher, target: Target) -> ReadTarget:
    try:
        response = await fetcher.get(target.url, accept=PAGE_ACCEPT)
        extracted = await asyncio.to_thread(extract_article, response.body, url=response.url)
        if extracted is None or not extracted.text:
            raise ParseError(f"{target.url}: no article text found on the page")
    except DigestError as exc:
        message = str(exc)
        if target.url not in message:
            message = f"{target.url}: {message}"
        return ReadTarget(target, error=message)
    return ReadTarget(
        target, title=extracted.title, text=extracted.text, description=extracted.description
    )


async def read_targets(arguments: Sequence[str], *, fetch: FetchSettings) -> list[ReadTarget]:
    """Every target read (or its error), in the order given."""
    expanded = expand(arguments)
    async with Fetcher(fetch) as fetcher:

        async def one(item: Target | ReadTarget) -> ReadTarget:
            if isinstance(item, ReadTarget):
                return item
            if item.url:
                return await _read_url(fetcher, item)
            return await asyncio.to_thread(_read_file, item)

        return list(await asyncio.gather(*(one(item) for item in expanded)))
