"""What the audience's commands share: ``subscribe``, ``unsubscribe``, ``subscribers``.

Opening the audience over the store, turning bad input and refusals into
one-line errors, and sending the confirmation and welcome mails the audience
asks for over one SMTP connection.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from digest.cli.common import load_settings, now
from digest.errors import ConfigError, DigestError

if TYPE_CHECKING:
    from digest.config import Settings
    from digest.pipeline.audience import AudienceMail
    from digest.store import Store
    from subscribers.addresses import AddressError
    from subscribers.service import Audience
    from subscribers.tokens import Purpose
    from subscribers.views import PreferenceError, SubscriberView

MailKind = Literal["confirm", "welcome"]
LINKS: dict[MailKind, tuple[Purpose, ...]] = {
    "confirm": ("confirm",),
    "welcome": ("preferences", "unsubscribe"),
}

SOURCE = "cli"  # the consent records' source for what the operator does here
# The same as subscribers.models.STATUSES (a test checks), without loading the models for --help.
STATUSES = ("pending", "active", "unsubscribed", "bounced", "complained")
# PreferenceError.field -> the option of `digest subscribe` that sets it.
PREFERENCE_OPTIONS = {
    "sections": "--sections",
    "frequency": "--frequency",
    "weekday": "--day",
    "send time": "--at",
    "time zone": "--timezone",
}


class Refused(DigestError):
    """The audience will not do what was asked (e.g. re-add a person who left)."""


@dataclass(frozen=True, slots=True)
class Opened:
    settings: Settings
    store: Store
    audience: Audience
    mail: AudienceMail


@contextmanager
def open_audience(args: argparse.Namespace) -> Iterator[Opened]:
    """The settings of ``--config``, their store, and the audience and its mails over it."""
    from digest.mail.render import Renderer
    from digest.pipeline.audience import AudienceMail
    from digest.pipeline.audience import open_audience as audience_over
    from digest.store import Store

    settings = load_settings(args)
    renderer = Renderer.from_settings(settings.newsletter)
    with Store(settings.storage.url) as store:
        yield Opened(
            settings=settings,
            store=store,
            audience=audience_over(store, settings, renderer),
            mail=AudienceMail(settings, renderer),
        )


def input_error(exc: AddressError | PreferenceError) -> ConfigError:
    """Bad input as the one-line error of exit code 2, naming the option it came from."""
    from subscribers.views import PreferenceError

    if isinstance(exc, PreferenceError):
        option = PREFERENCE_OPTIONS.get(exc.field, f"--{exc.field}")
        detail = str(exc).removeprefix(f"{exc.field}:").strip()
        return ConfigError(f"{option}: {detail}")
    return ConfigError(str(exc))


def check_status(status: str | None) -> str | None:
    if status is not None and status not in STATUSES:
        raise ConfigError(f"--status: expected one of {', '.join(STATUSES)}, got {status!r}")
    return status


def known_or_valid(audience: Audience, email: str) -> tuple[str, SubscriberView | None]:
    """The stored address of a subscriber, or else the address checked (exit 2 if bad)."""
    from subscribers.addresses import AddressError, normalize_address

    known = audience.find(email)
    if known is not None:
        return known.email, known
    try:
        return normalize_address(email), None
    except AddressError as exc:
        raise input_error(exc) from exc


@dataclass(frozen=True, slots=True)
class Delivery:
    """Which of a batch of mails left, and why the others did not."""

    sent: tuple[SubscriberView, ...]
    failed: tuple[tuple[SubscriberView, str], ...]  # refused for this address (permanent)
    unsent: tuple[SubscriberView, ...]  # not sent because the server failed
    reason: str | None  # why the server failed


def deliver(opened: Opened, kind: MailKind, people: Sequence[SubscriberView]) -> Delivery:
    """Send one *kind* mail to each of *people* over one SMTP connection.

    An address the server refuses for good is skipped; any other failure (the
    server is down, a template is broken) stops the batch.  A confirmation mail
    that did not leave does not count against the resend limit, so running
    `digest subscribe` again sends it at once.
    """
    from digest.mail.mailer import Mailer, MailError
    from digest.pipeline.audience import link_maker

    settings = opened.settings
    maker = link_maker(settings)
    sent: list[SubscriberView] = []
    failed: list[tuple[SubscriberView, str]] = []

    async def run() -> str | None:
        async with Mailer(settings.smtp, sender=settings.newsletter.sender.addr_spec) as mailer:
            for person in people:
                try:
                    links = maker.links(person, *LINKS[kind], now=now())
                    await mailer.send(
                        opened.mail.message(kind, person, links),
                        recipients=(opened.mail.to_address(person).addr_spec,),
                    )
                except MailError as exc:
                    if not exc.permanent:
                        return str(exc)
                    failed.append((person, str(exc)))
                except DigestError as exc:  # a broken template: no mail can be made
                    return str(exc)
                else:
                    sent.append(person)
        return None

    reason = asyncio.run(run())
    left = {person.id for person in sent}
    refused = {person.id for person, _ in failed}
    delivery = Delivery(
        sent=tuple(sent),
        failed=tuple(failed),
        unsent=tuple(p for p in people if p.id not in left | refused),
        reason=reason,
    )
    if kind == "confirm" and len(sent) < len(people):
        opened.audience.confirmation_not_sent(p.id for p in people if p.id not in left)
    return delivery
