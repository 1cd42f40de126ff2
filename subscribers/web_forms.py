"""Reading what a visitor sent: the form, and who sent it.

Forms are parsed with tight limits (no files, few fields, small parts); a
form that cannot be parsed reads as empty.  :class:`Choices` is what a
sign-up or preferences form holds, as typed, before the audience validates it;
:func:`field_problems` checks each of its fields on its own, so a form shows
every mistake at once, each next to its field.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypedDict

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request

from .addresses import AddressError, normalize_address
from .names import check_name
from .views import PreferenceError


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

    sections: tuple[str, ...] | None  # None: every section
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

    def options(self, *, every_section_if_none: bool = False) -> PreferenceOptions:
        """The chosen preferences; a field left empty takes the default (None).

        No section ticked is a mistake on the full form, but means every section
        with ``every_section_if_none`` (an embedded form, which has no such boxes).
        """
        return PreferenceOptions(
            sections=None if every_section_if_none and not self.sections else self.sections,
            frequency=self.frequency or None,
            weekday=self.weekday or None,
            send_at=self.send_at or None,
            timezone=self.timezone or None,
        )


# What each field is called on the forms, for a message that lists the mistakes.
FIELD_LABELS = {
    "email": "Email address",
    "name": "Name",
    "sections": "Sections",
    "frequency": "How often",
    "weekday": "Day of the week",
    "send_at": "Send time",
    "timezone": "Time zone",
}


def problems_summary(problems: dict[str, str]) -> str:
    """One line that names the fields with a mistake (each is explained next to its field)."""
    names = ", ".join(FIELD_LABELS.get(field, field) for field in problems)
    return f"Please correct the field{'s' if len(problems) != 1 else ''} marked below: {names}."


# The preferences a form holds, each checked on its own by the audience's rules.
_PREFERENCE_FIELDS = ("sections", "frequency", "weekday", "send_at", "timezone")


def field_problems(
    values: Choices,
    check_preferences: Callable[..., object],
    *,
    identity: bool = True,
    every_section_if_none: bool = False,
) -> dict[str, str]:
    """What is wrong with each field of a form, by field name; empty when nothing is.

    ``check_preferences`` is :meth:`subscribers.service.Audience.preferences`,
    called once per field so that one mistake does not hide the next.  With
    ``identity`` the address and the name are checked too (the sign-up form).
    """
    problems: dict[str, str] = {}
    if identity:
        try:
            normalize_address(values.email)
        except AddressError as exc:
            problems["email"] = str(exc)
        try:
            check_name(values.name)
        except PreferenceError as exc:
            problems["name"] = str(exc)
    options = values.options(every_section_if_none=every_section_if_none)
    for field in _PREFERENCE_FIELDS:
        try:
            check_preferences(**{field: options[field]})  # type: ignore[literal-required]
        except PreferenceError as exc:
            problems[field] = str(exc)
    return problems
