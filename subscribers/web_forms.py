"""Reading what a visitor sent: the form, and who sent it.

Forms are parsed with tight limits (no files, few fields, small parts); a
form that cannot be parsed reads as empty.  :class:`Choices` is what a
sign-up or preferences form holds, as typed, before the audience validates it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def user_agent(request: Request) -> str:
    return request.headers.get("user-agent", "")


async def read_form(request: Request) -> FormData | None:
    try:
        return await request.form(max_files=0, max_fields=100, max_part_size=64 * 1024)
    except (HTTPException, MultiPartException, ValueError):
        return None


def form_text(form: FormData | None, name: str) -> str:
    """One field's text; empty when it is missing (or a file)."""
    value = form.get(name) if form is not None else None
    return value if isinstance(value, str) else ""


def form_texts(form: FormData | None, name: str) -> list[str]:
    """Every text value of a field that may repeat (check boxes)."""
    if form is None:
        return []
    return [value for value in form.getlist(name) if isinstance(value, str)]


class PreferenceOptions(TypedDict):
    """A form's preferences as the audience's operations take them."""

    sections: tuple[str, ...]
    frequency: str | None
    weekday: str | None
    send_at: str | None
    timezone: str | None


@dataclass(frozen=True, slots=True)
class Choices:
    """What a sign-up or preferences form holds (as typed, before validation)."""

    email: str = ""
    name: str = ""
    sections: tuple[str, ...] = ()
    frequency: str = ""
    weekday: str = ""
    send_at: str = ""
    timezone: str = ""
    paused: bool = False

    @classmethod
    def read(cls, form: FormData | None) -> Choices:
        return cls(
            email=form_text(form, "email").strip(),
            name=form_text(form, "name").strip(),
            sections=tuple(form_texts(form, "sections")),
            frequency=form_text(form, "frequency"),
            weekday=form_text(form, "weekday"),
            send_at=form_text(form, "send_at"),
            timezone=form_text(form, "timezone").strip(),
            paused=bool(form_text(form, "paused")),
        )

    def options(self) -> PreferenceOptions:
        """The chosen preferences; a field left empty takes the default (None)."""
        return PreferenceOptions(
            sections=self.sections,
            frequency=self.frequency or None,
            weekday=self.weekday or None,
            send_at=self.send_at or None,
            timezone=self.timezone or None,
        )
