"""The MJML step: rendered MJML to email HTML, and invalid MJML traced to its template.

MRML (the ``mjml`` package) names a byte offset in the rendered source, which
means nothing to whoever edits a template.  :func:`compile_mjml` turns that
into the template's ``file:line`` where it can tell: the offending line of the
output, found once and only once among the email templates in use.
"""

from __future__ import annotations

import contextlib
import re

from lxml import etree
from mjml import mjml2html

from digest.errors import RenderError
from digest.mail.templates import Templates

_MRML_POSITION = re.compile(r"at position (\d+):(\d+)")
_IGNORED_XML_ERRORS = frozenset({"ERR_UNDECLARED_ENTITY", "WAR_UNDECLARED_ENTITY"})
# A misnested MJML element (not HTML inside mj-text, which MRML reads leniently).
_MJML_MISMATCH = re.compile(r"mismatch: mj[\w-]* line \d+ and mj[\w-]*")


def compile_mjml(source: str, template: str, templates: Templates) -> str:
    """The HTML of the MJML *source* rendered from *template*; :class:`RenderError` if invalid."""
    try:
        return mjml2html(source, disable_comments=True, fonts={})
    except ValueError as exc:
        raise RenderError(_mjml_problem(source, template, str(exc), templates)) from exc


def _error_line(source: str, message: str) -> tuple[int, str]:
    """The line of *source* at fault (0 if unknown), and the message to show with it."""
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True)
    with contextlib.suppress(etree.XMLSyntaxError):
        etree.fromstring(source.encode("utf-8"), parser)
    errors = [e for e in parser.error_log if e.type_name not in _IGNORED_XML_ERRORS]
    found = _MRML_POSITION.search(message)
    if found:
        line = source.encode("utf-8")[: int(found.group(1))].count(b"\n") + 1
        message = message[: found.start()].rstrip()
        # MRML tends to report a stray or missing closing tag where the parent
        # element ends; an MJML element misnested earlier is the real culprit.
        for error in errors:
            if error.line < line and _MJML_MISMATCH.search(error.message):
                return error.line, f"{message} ({error.message})"
        return line, message
    if errors:
        return errors[0].line, f"{message} ({errors[0].message})"
    return 0, message


def _mjml_problem(source: str, template: str, message: str, templates: Templates) -> str:
    """One line naming where invalid MJML came from: a template line if it can tell."""
    line, message = _error_line(source, message)
    origin = templates.file(template)
    if not line:
        return f"{origin}: invalid MJML: {message}"
    snippet = source.splitlines()[line - 1].strip() if line <= source.count("\n") + 1 else ""
    located = _find_line(snippet, templates)
    if located:
        return f"{located}: invalid MJML: {message}"
    return f"{origin}: invalid MJML at line {line} of its output ({snippet[:60]!r}): {message}"


def _find_line(snippet: str, templates: Templates) -> str:
    """``file:line`` of the one email template line that is exactly *snippet*, if any."""
    if len(snippet) < 3:
        return ""
    hits: list[str] = []
    for path in templates.email_sources():
        lines = path.read_text(encoding="utf-8").splitlines()
        hits += [f"{path}:{n}" for n, text in enumerate(lines, 1) if text.strip() == snippet]
    return hits[0] if len(hits) == 1 else ""


__all__ = ["compile_mjml"]
