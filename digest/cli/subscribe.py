"""``digest subscribe`` and ``digest unsubscribe``: the commands that act on one address.

The work is :class:`subscribers.service.Audience`'s; this module checks the
options, sends the confirmation or welcome mail the audience asks for, and says
in one line what happened.  Bad input (an address, a preference) is one
``error:`` line naming the address or option, exit 2.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, TypedDict

from digest.cli.audience import (
    SOURCE,
    Delivery,
    MailKind,
    Refused,
    deliver,
    input_error,
    known_or_valid,
    open_audience,
)
from digest.cli.common import Command, CommandFactory, note_placeholder_key, now, when
from digest.errors import DigestError

if TYPE_CHECKING:
    from subscribers.service import Audience
    from subscribers.views import SubscribeOutcome, SubscriberView


class PreferenceOptions(TypedDict):
    """The preference options of ``digest subscribe`` (None: not given), as Audience names them."""

    sections: list[str] | None
    frequency: str | None
    weekday: str | None
    send_at: str | None
    timezone: str | None


# What a subscription that mails someone did, by SubscribeOutcome.action.
DONE = {
    "created": "signed up, waiting for confirmation",
    "resubscribed": "signed up again, waiting for confirmation",
    "resent": "already waiting for confirmation",
    "activated": "subscribed, with the consent recorded as the operator's",
}


def add_parsers(command: CommandFactory) -> None:
    """Add this module's commands with *command(name, summary, description)*."""
    _add_subscribe(command)
    unsubscribe = command(
        "unsubscribe",
        "unsubscribe an address: no more digests, and on the suppression list",
        'Unsubscribe EMAIL (recorded with source "cli"): it gets no more digests and goes '
        "on the suppression list, so neither an import nor `digest subscribe --confirmed` "
        "adds it again; only the person can subscribe again, through the sign-up form. No "
        "mail is sent. Exits 1 when no subscriber has the address (it is put on the "
        "suppression list all the same).",
    )
    unsubscribe.add_argument("email", metavar="EMAIL", help="the address to unsubscribe")


def _add_subscribe(command: CommandFactory) -> None:
    subscribe = command(
        "subscribe",
        "sign an address up: send the confirmation mail, or record consent you already hold",
        "Sign EMAIL up for the digest. Without --confirmed it is the double opt-in of the "
        "sign-up form: the address is recorded as pending and the confirmation mail goes out "
        "over SMTP; the person becomes a subscriber when they click its link. With --confirmed "
        "(for consent you already hold, e.g. given in person) the address is active at once, "
        'the consent is recorded as given by the operator (source "cli"), and the welcome mail '
        "with the preferences and unsubscribe links is sent. An address that is pending gets "
        "the confirmation mail again (at most one per 10 minutes); one that is active is left "
        "as it is. A person who unsubscribed or asked to be forgotten is not signed up again: "
        "only they can subscribe again, through the sign-up form. Options not given take the "
        "[newsletter] defaults. Exits 2 for a bad address or option, 1 when the address is "
        "refused or the mail could not be sent (the subscriber is still recorded).",
    )
    subscribe.add_argument("email", metavar="EMAIL", help="the address to sign up")
    subscribe.add_argument(
        "--name", metavar="NAME", default="", help="the person's name, used in the greeting"
    )
    subscribe.add_argument(
        "--sections",
        metavar="A,B",
        help="only these sections, separated by commas (default: every section, also ones "
        "added later)",
    )
    subscribe.add_argument(
        "--frequency",
        metavar="daily|weekly",
        help="how often the digest comes (default: [newsletter] frequency)",
    )
    subscribe.add_argument(
        "--day",
        metavar="DAY",
        help="the weekday of a weekly digest: mon, tue, wed, thu, fri, sat or sun "
        "(default: [newsletter] weekday)",
    )
    subscribe.add_argument(
        "--at",
        metavar="HH:MM",
        help="the local time the digest is sent, on a 24-hour clock (default: [newsletter] "
        "send_at)",
    )
    subscribe.add_argument(
        "--timezone",
        metavar="ZONE",
        help='the IANA time zone of --at, e.g. "Europe/Paris" (default: [newsletter] timezone)',
    )
    subscribe.add_argument(
        "--confirmed",
        action="store_true",
        help="you hold this person's consent already: make them active now, record it as "
        "the operator's, and send the welcome mail instead of the confirmation mail",
    )


# -- digest subscribe ---------------------------------------------------------------------


def _sections(value: str | None) -> list[str] | None:
    """``--sections A,B`` as a list; None when the option is not given."""
    if value is None:
        return None
    return [part.strip() for part in value.split(",") if part.strip()]


def _preferences(args: argparse.Namespace) -> PreferenceOptions:
    return PreferenceOptions(
        sections=_sections(args.sections),
        frequency=args.frequency,
        weekday=args.day,
        send_at=args.at,
        timezone=args.timezone,
    )


def _address(
    audience: Audience, email: str, preferences: PreferenceOptions
) -> tuple[str, SubscriberView | None]:
    """EMAIL checked, with the preferences, and the subscriber who has it already (if any);
    refused if the person left or was forgotten."""
    from subscribers.addresses import AddressError, normalize_address
    from subscribers.models import ENDED
    from subscribers.views import PreferenceError

    try:
        address = normalize_address(email)
        audience.preferences(**preferences)
    except (AddressError, PreferenceError) as exc:
        raise input_error(exc) from exc
    known = audience.find(address)
    if known is not None and known.status in ENDED:
        raise Refused(
            f"{known.email}: the subscription ended ({known.status}); only the person can "
            "subscribe again, through the sign-up form"
        )
    if known is None and audience.is_suppressed(address):
        raise Refused(
            f"{address}: on the suppression list (the person unsubscribed or asked to be "
            "forgotten); only they can subscribe again, through the sign-up form"
        )
    return address, known


def _settled(
    args: argparse.Namespace,
    audience: Audience,
    outcome: SubscribeOutcome,
    preferences: PreferenceOptions,
) -> bool:
    """Say so and return True when the subscription needs no mail now."""
    person = outcome.subscriber
    assert person is not None
    if outcome.action == "throttled":
        minutes = round(audience.settings.resend_after.total_seconds() / 60)
        print(
            f"{person.email}: already waiting for confirmation; a confirmation mail went out "
            f"less than {minutes} minutes ago, so no other one is sent now"
        )
        return True
    if outcome.action == "unchanged":
        line = f"{person.email}: already subscribed since {when(person.confirmed_at)} UTC"
        if any(value is not None for value in preferences.values()) or args.name:
            line += (
                "; nothing changed (subscribers change their preferences through the link "
                "in each digest)"
            )
        print(line)
        return True
    return False


def _mailed(
    outcome: SubscribeOutcome, kind: MailKind, delivery: Delivery, *, mailed_before: bool
) -> int:
    """Say what the subscription did and whether its mail left; the exit code.

    *mailed_before*: a confirmation mail went out to the address before this one (not
    when the last one could not be sent), so this one is sent "again".
    """
    assert outcome.subscriber is not None
    shown = outcome.subscriber.email
    done = DONE[outcome.action]
    what = "confirmation mail" if kind == "confirm" else "welcome mail"
    if delivery.sent:
        again = " again" if outcome.action == "resent" and mailed_before else ""
        print(f"{shown}: {done}; {what} sent{again}")
        return 0
    reason = delivery.failed[0][1] if delivery.failed else delivery.reason
    retry = "; run this command again to resend it" if kind == "confirm" else ""
    print(
        f"warning: {shown}: {done}, but the {what} was not sent: {reason}{retry}", file=sys.stderr
    )
    return 1


def _check_name(name: str) -> None:
    """``--name`` checked as the sign-up form checks it (exit 2 if bad)."""
    from subscribers.names import NameRefused, check_name

    try:
        check_name(name)
    except NameRefused as exc:
        raise input_error(exc) from exc


def cmd_subscribe(args: argparse.Namespace) -> int:
    preferences = _preferences(args)
    _check_name(args.name)
    with open_audience(args) as opened:
        audience = opened.audience
        address, known = _address(audience, args.email, preferences)
        mailed_before = known is not None and known.confirm_sent_at is not None
        outcome = audience.subscribe(
            address,
            name=args.name,
            **preferences,
            source=SOURCE,
            confirmed=args.confirmed,
            now=now(),
        )
        person = outcome.subscriber
        if outcome.action == "suppressed":
            shown = person.email if person is not None else address
            raise Refused(
                f"{shown}: unsubscribed earlier and now waits for their own confirmation; "
                "--confirmed cannot stand in for it"
            )
        assert person is not None
        if _settled(args, audience, outcome, preferences):
            return 0
        kind: MailKind = "confirm" if outcome.send_confirmation else "welcome"
        note_placeholder_key(opened.settings, "the links in the mail")
        delivery = deliver(opened, kind, [person])
    return _mailed(outcome, kind, delivery, mailed_before=mailed_before)


# -- digest unsubscribe -------------------------------------------------------------------


def cmd_unsubscribe(args: argparse.Namespace) -> int:
    with open_audience(args) as opened:
        address, _known = known_or_valid(opened.audience, args.email)
        outcome = opened.audience.unsubscribe_address(address, now=now(), source=SOURCE)
    if outcome.action == "unknown":
        raise DigestError(
            f"{address}: no subscriber has this address (it is on the suppression list now "
            "all the same, so it will not be mailed)"
        )
    assert outcome.subscriber is not None
    if outcome.action == "already":
        print(f"{address}: already unsubscribed (since {when(outcome.subscriber.updated_at)} UTC)")
        return 0
    print(f"{address}: unsubscribed; no more digests, and the address is on the suppression list")
    return 0


COMMANDS: dict[str, Command] = {"subscribe": cmd_subscribe, "unsubscribe": cmd_unsubscribe}
