"""The Jinja side of rendering: where templates are found, their filters, their errors.

Templates load from the operator's folder first, then the built-in
``templates/`` folder.  Autoescaping is on for ``.mjml.j2`` and ``.html``
templates (and anything not plain text), off for ``.txt.j2``; undefined
variables are errors; the only way to mark markup safe is the
``article_html`` filter, which sanitises first.  Every failure becomes a
:class:`~digest.errors.RenderError` naming the template file and line.
"""

from __future__ import annotations

import textwrap
import traceback
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from digest.errors import RenderError
from digest.mail.views import Link
from digest.text.sanitize import clean_html

TEXT_WIDTH = 72
# The template files whose changes a reloading renderer watches.
_WATCHED = ("email/*.j2", "web/*.html")


# --- filters ------------------------------------------------------------------------------


def wrap(text: str, width: int = TEXT_WIDTH, indent: str = "", first: str | None = None) -> str:
    """Wrap *text* to *width* columns, never breaking words or URLs."""
    return textwrap.fill(
        " ".join(str(text).split()),
        width=width,
        initial_indent=indent if first is None else first,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    )


def refs(links: Sequence[Link]) -> str:
    """Links as plain text with their reference numbers: "BBC [4], Reuters [5]"."""
    return ", ".join(f"{link.text} [{link.ref}]" if link.ref else link.text for link in links)


def article_html(fragment: str) -> Markup:
    """Article HTML, sanitised with the allow-list, then (only then) marked safe."""
    return Markup(clean_html(str(fragment)))


def _autoescape(name: str | None) -> bool:
    """Escape everything but plain text (select_autoescape does not know ``.mjml.j2``)."""
    return name is None or not name.endswith((".txt.j2", ".txt"))


# --- the template folders -----------------------------------------------------------------


class Templates:
    """The Jinja environment over *folders*, searched in order (the operator's first)."""

    def __init__(self, folders: Sequence[Path]) -> None:
        self.folders = tuple(folders)
        self.env = jinja2.Environment(
            loader=jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(p)) for p in self.folders]),
            autoescape=_autoescape,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            auto_reload=True,
        )
        self.env.filters["wrap"] = wrap
        self.env.filters["article_html"] = article_html
        self.env.filters["refs"] = refs

    def render(self, name: str, context: Mapping[str, Any]) -> str:
        """The template *name* with *context*; errors name file and line."""
        try:
            template = self.env.get_template(name)
            return template.render(context)
        except jinja2.TemplateSyntaxError as exc:
            where = exc.filename or exc.name or name
            raise RenderError(f"{where}:{exc.lineno}: {exc.message}") from exc
        except jinja2.TemplateNotFound as exc:
            folders = ", ".join(str(p) for p in self.folders)
            raise RenderError(f"template {exc.name} not found in {folders}") from exc
        except (jinja2.TemplateError, TypeError, ValueError, LookupError, ArithmeticError) as exc:
            message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
            raise RenderError(f"{self._where(exc, name)}: {message}") from exc

    def stamp(self) -> tuple[tuple[str, int], ...]:
        """Every template file with its modification time: changes when any template does."""
        return tuple(
            (str(path), path.stat().st_mtime_ns)
            for folder in self.folders
            for pattern in _WATCHED
            for path in sorted(folder.glob(pattern))
        )

    def forget(self) -> None:
        """Drop the compiled templates.

        Jinja rechecks a cached template's own file, but not whether an override
        now shadows it: forget them all.
        """
        if self.env.cache is not None:
            self.env.cache.clear()

    def file(self, name: str) -> str:
        """The path of the file that template *name* loads from (*name* if none)."""
        for folder in self.folders:
            if (folder / name).is_file():
                return str(folder / name)
        return name

    def email_sources(self) -> list[Path]:
        """The MJML email templates in use: an operator's file hides the built-in one."""
        found: list[Path] = []
        seen: set[str] = set()
        for folder in self.folders:
            for path in sorted((folder / "email").glob("*.mjml.j2")):
                if path.name not in seen:
                    seen.add(path.name)
                    found.append(path)
        return found

    def _where(self, exc: BaseException, name: str) -> str:
        """``file:line`` of the innermost template frame in *exc*'s traceback."""
        roots = tuple(str(folder) for folder in self.folders)
        for frame in reversed(traceback.extract_tb(exc.__traceback__)):
            if frame.filename.startswith(roots):
                return f"{frame.filename}:{frame.lineno}"
        return self.file(name)


__all__ = ["TEXT_WIDTH", "Templates", "article_html", "refs", "wrap"]
