"""Folder sources: a local directory of ``.html``, ``.md`` and ``.txt`` articles.

One article a file.  ``.md`` files may open with a front-matter block
(``title``, ``author``, ``url``, ``date``) and take their title from the first
``# Heading``; ``.txt`` files put the title on the first line and may follow
it with ``By NAME``; ``.html`` files are extracted like any web page.  An
article is identified by its path inside the folder and dated by its ``date``
field, else by the file's modification time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from digest.errors import FetchError, ParseError
from digest.gather.extract import extract_article
from digest.gather.normalize import build_article
from digest.gather.text import markdown_to_text, normalise_paragraphs, paragraphs_to_html
from digest.records import ArticleData

SUFFIXES = frozenset({".html", ".htm", ".md", ".markdown", ".txt"})
MAX_FILE_BYTES = 5_000_000
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*\n", re.DOTALL)
_BYLINE = re.compile(r"^by\s+(.+)$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class FolderProblem:
    path: Path
    message: str


def article_files(folder: Path) -> list[Path]:
    """The article files in *folder* and below, in a stable order.

    Hidden files, files starting with ``_`` and ``README`` files are not articles.
    """
    if not folder.is_dir():
        raise FetchError(f"{folder}: no such folder (check the source's url)")
    return sorted(
        path
        for path in folder.rglob("*")
        if path.is_file()
        and path.suffix.lower() in SUFFIXES
        and not any(part.startswith((".", "_")) for part in path.relative_to(folder).parts)
        and not path.name.upper().startswith("README")
    )


def _front_matter(text: str) -> tuple[dict[str, str], str]:
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    fields: dict[str, str] = {}
    for line in match.group(1).splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip():
            fields[key.strip().lower()] = value.strip().strip("\"'")
    return fields, text[match.end() :]


def _parse_date(value: str) -> datetime | None:
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def read_article(path: Path, *, folder: Path, now: datetime) -> ArticleData:
    """Read one article file; raise :class:`ParseError` when it holds no article."""
    relative = path.relative_to(folder).as_posix()
    try:
        raw = path.read_bytes()[: MAX_FILE_BYTES + 1]
    except OSError as exc:
        raise ParseError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    if len(raw) > MAX_FILE_BYTES:
        raise ParseError(f"{path}: larger than {MAX_FILE_BYTES:,} bytes; not an article")
    mtime = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
    suffix = path.suffix.lower()
    fields: dict[str, str] = {}
    html = ""
    author = description = image = language = ""
    published: datetime | None = None
    if suffix in {".html", ".htm"}:
        extracted = extract_article(raw, url=path.as_uri())
        if extracted is None or not extracted.text:
            raise ParseError(f"{path}: no article text found in this HTML file")
        title, text, html = extracted.title, extracted.text, extracted.html
        author, description = extracted.author, extracted.description
        image, language, published = extracted.image, extracted.language, extracted.published
        url = extracted.canonical_url
    else:
        content = raw.decode("utf-8", errors="replace").replace("\r\n", "\n").lstrip("\ufeff")
        if suffix == ".txt":
            title, _, body = content.lstrip().partition("\n")
            body = body.lstrip("\n")
            first, _, rest = body.partition("\n")
            byline = _BYLINE.match(first.strip())
            if byline:
                author, body = byline.group(1), rest
            text = normalise_paragraphs(body)
        else:
            fields, content = _front_matter(content)
            heading = re.search(r"^\s{0,3}#\s+(.+?)\s*#*\s*$", content, re.MULTILINE)
            title = fields.get("title") or (heading.group(1) if heading else "")
            if heading:
                content = content[: heading.start()] + content[heading.end() :]
            text = markdown_to_text(content)
            author = fields.get("author", "")
            description = fields.get("description", "")
        url = fields.get("url", "")
        html = paragraphs_to_html(text)
        if fields.get("date"):
            published = _parse_date(fields["date"])
        if not text.strip():
            raise ParseError(f"{path}: the file holds no article text")
    if published is None and not fields.get("date"):
        published = mtime
    return build_article(
        guid=f"file:{relative}",
        url=url,
        title=title.strip() or path.stem.replace("-", " ").replace("_", " ").capitalize(),
        author=author,
        description=description,
        text=text,
        html=html,
        image=image,
        language=language,
        published=published,
        date_given=bool(fields.get("date")),
        full_text=True,
        now=now,
        hash_basis=(title, author, text),
    )


def read_folder(folder: Path, *, now: datetime) -> tuple[list[ArticleData], list[FolderProblem]]:
    """Every article in *folder*; files that cannot be read are reported, not fatal."""
    articles: list[ArticleData] = []
    problems: list[FolderProblem] = []
    for path in article_files(folder):
        try:
            articles.append(read_article(path, folder=folder, now=now))
        except ParseError as exc:
            problems.append(FolderProblem(path=path, message=str(exc)))
    return articles, problems
