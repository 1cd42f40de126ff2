"""The sign-up form and the confirm link.

The form's answer is the same whoever the address belongs to: the same page
(or redirect, or JSON), sent no sooner than ``signup_answer_time`` after the
request came, with the confirmation mail leaving after it (a background
task), so neither the answer nor its timing tells whether someone subscribes.
A bot filling the honeypot field, or an address asked for too often, gets
that same answer and no mail.  Over ``max_confirmations_per_hour`` (counted in
the database) every sign-up gets 429 and nothing is stored.  Every mistake in
the form is shown at once, next to its field.

A form pasted into a page of one of ``embed_origins`` posts without the CSRF
value; the ``Origin`` check stands in for it (:class:`~subscribers.web_guard.EmbedOrigins`).
Its answer is a redirect to the "check your inbox" page, or JSON for a script
that asks for it, readable there by CORS.  Confirming happens on a POST only:
link scanners follow GETs.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import anyio
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from .addresses import (
    address_key,
    mask_addresses,
    masked_traceback,
    normalize_address,
)
from .tokens import TokenError, TokenRevoked
from .views import SubscriberView
from .web_forms import (
    FIELD_LABELS,
    Choices,
    client_ip,
    field_problems,
    form_text,
    read_form,
    user_agent,
)
from .web_guard import (
    CSRF_FIELD,
    HONEYPOT_FIELD,
    EmbedOrigins,
    origin_of,
    request_origin,
)
from .web_pages import MailKind, SiteBase

# The web app's log (one name for all its modules, as before they were split).
log = logging.getLogger("subscribers.web")

CHECK_INBOX_PATH = "/subscribe/check-inbox"
_CHECK_INBOX = "If this address can receive the newsletter, a confirmation email is on its way."
_FROM_YOUR_NETWORK = "from your network"
_FROM_EVERYONE = "right now: so many people are signing up that confirmation emails are paused"


@dataclass(frozen=True, slots=True)
class Via:
    """How a sign-up came: ``origin`` is the listed page's for an embedded form, else None."""

    origin: str | None
    json: bool

    @property
    def embedded(self) -> bool:
        return self.origin is not None


def wants_json(request: Request) -> bool:
    """Whether the request's ``Accept`` asks for ``application/json`` (with q above 0)."""
    for item in request.headers.get("accept", "").split(","):
        media, *params = (part.strip() for part in item.split(";"))
        if media.lower() == "application/json":
            weights = [p.split("=", 1)[1] for p in params if p.lower().startswith("q=")]
            try:
                return not weights or float(weights[0]) > 0
            except ValueError:
                return False
    return False


class SignUpPages(SiteBase):
    """``/subscribe`` and ``/confirm/{token}``."""

    def __init__(self, **parts: Any) -> None:
        super().__init__(**parts)
        self.embeds = EmbedOrigins(self.settings.embed_origins)
        self.own_origin = origin_of(self.settings.base_url)
        self.cap_logged_at = -math.inf

    def subscribe_page(
        self,
        request: Request,
        values: Choices,
        *,
        error: str | None = None,
        errors: Mapping[str, str] | None = None,
        status: int = 200,
        detect_timezone: bool = False,
    ) -> Response:
        return self.form_page(
            request,
            "subscribe",
            values,
            {
                "detect_timezone": detect_timezone,
                "action": "/subscribe",
                "errors": dict(errors or {}),
                "labels": FIELD_LABELS,
            },
            error=error,
            status=status,
        )

    def default_values(self) -> Choices:
        s = self.settings.audience
        return Choices(
            sections=s.sections,
            frequency=s.frequency,
            weekday=s.weekday,
            send_at=s.send_at,
            timezone=s.timezone,
        )

    async def get_subscribe(self, request: Request) -> Response:
        return self.subscribe_page(request, self.default_values(), detect_timezone=True)

    async def post_subscribe(self, request: Request) -> Response:
        deadline = time.monotonic() + self.settings.signup_answer_time.total_seconds()
        form = await read_form(request)
        values = Choices.read(form)
        via = self.via(request, form_text(form, CSRF_FIELD))
        if via is None:
            return self.refused(request, values)
        if form_text(form, HONEYPOT_FIELD):
            return await self.accepted(via, deadline)  # a bot: looks like success, does nothing
        now = self.clock()
        wait = self.ip_bucket.take(client_ip(request), now.timestamp())
        if wait:
            return self.busy(request, values, via, wait, _FROM_YOUR_NETWORK)
        problems = field_problems(
            values, self.audience.preferences, every_section_if_none=via.embedded
        )
        if problems:
            return self.invalid(request, values, via, problems)
        cap = self.settings.max_confirmations_per_hour
        wait = await run_in_threadpool(self.audience.confirmation_wait, now, cap)
        if wait:  # over the cap: answered alike for every address, and nothing stored
            if time.monotonic() - self.cap_logged_at > 60:  # once a minute, not per request
                self.cap_logged_at = time.monotonic()
                log.warning(
                    "sign-ups paused: %d confirmation mails in the last hour "
                    "([web] max_confirmations_per_hour); next in %d s",
                    cap,
                    math.ceil(wait),
                )
            return self.busy(request, values, via, wait, _FROM_EVERYONE)
        address = normalize_address(values.email)
        if self.address_bucket.take(address_key(address), now.timestamp()):
            return await self.accepted(via, deadline)  # asked too often: alike, mail nothing
        outcome = await run_in_threadpool(
            self.audience.subscribe,
            address,
            name=values.name,
            **values.options(every_section_if_none=via.embedded),
            source="form:/subscribe" if via.origin is None else f"embed:{via.origin}",
            ip=client_ip(request),
            user_agent=user_agent(request),
            text_version=self.settings.audience.text_version,
            now=now,
        )
        task = None
        if outcome.send_confirmation and outcome.subscriber is not None:
            links = self.links.links(outcome.subscriber, "confirm", now=now)
            task = BackgroundTask(self.mail, "confirm", outcome.subscriber, links)
        return await self.accepted(via, deadline, task)

    def via(self, request: Request, csrf_value: str) -> Via | None:
        """How a sign-up came: the own form (its CSRF value), a listed origin, or neither."""
        if self.csrf.check(request, csrf_value):
            return Via(None, json=False)
        origin = request_origin(request)
        if self.embeds.allows(origin):
            return Via(origin, json=wants_json(request))
        return None

    def refused(self, request: Request, values: Choices) -> Response:
        """403: no valid CSRF value, and not from a page the operator listed."""
        origin = request_origin(request)
        if origin is None or origin == self.own_origin:
            error = "This form had expired. Please check your choices and send it again."
        else:
            error = (
                f"{self.settings.newsletter} does not take sign-ups from the page you came "
                f"from ({origin}). You can sign up here instead."
            )
        return self.subscribe_page(request, values, error=error, status=403)

    async def accepted(
        self, via: Via, deadline: float, task: BackgroundTask | None = None
    ) -> Response:
        """The answer to a sign-up that looks accepted, the same for every address.

        It goes out at ``deadline`` at the earliest, whatever work came before, and
        the confirmation mail (``task``) after it.
        """
        response: Response
        if via.json:
            response = JSONResponse({"status": "check_inbox", "message": _CHECK_INBOX})
        elif via.embedded:
            response = RedirectResponse(self.check_inbox_url, status_code=303)
        else:
            response = self.check_inbox()
        self.cross_origin(response, via)
        response.background = task
        await anyio.sleep(max(0.0, deadline - time.monotonic()))
        return response

    def invalid(
        self, request: Request, values: Choices, via: Via, problems: Mapping[str, str]
    ) -> Response:
        """400: the form again with every mistake next to its field (or them, as JSON)."""
        if via.json:
            body = {"status": "invalid", "errors": dict(problems)}
            return self.cross_origin(JSONResponse(body, status_code=400), via)
        page = self.subscribe_page(request, values, errors=problems, status=400)
        return self.cross_origin(page, via)

    def busy(self, request: Request, values: Choices, via: Via, wait: float, who: str) -> Response:
        """429: the form again (what was typed kept), saying when to try again."""
        minutes = max(1, math.ceil(wait / 60))
        message = (
            f"Too many sign-ups {who}. "
            f"Please try again in {minutes} minute{'s' if minutes != 1 else ''}."
        )
        response: Response
        if via.json:
            body = {"status": "too_many", "message": message, "retry_after": math.ceil(wait)}
            response = JSONResponse(body, status_code=429)
        else:
            response = self.subscribe_page(request, values, error=message, status=429)
        response.headers["Retry-After"] = str(math.ceil(wait))
        return self.cross_origin(response, via)

    def cross_origin(self, response: Response, via: Via) -> Response:
        """An answer to a listed origin's page: readable by its scripts (CORS)."""
        if via.origin is not None:
            response.headers.update(self.embeds.cors_headers(via.origin))
        return response

    async def options_subscribe(self, request: Request) -> Response:
        """The CORS preflight of a script's POST from a listed origin."""
        return self.embeds.preflight(request)

    @property
    def check_inbox_url(self) -> str:
        return self.settings.base_url.rstrip("/") + CHECK_INBOX_PATH

    async def get_check_inbox(self, request: Request) -> Response:
        return self.check_inbox()

    def check_inbox(self) -> Response:
        return self.page("check_inbox", {})

    async def mail(self, kind: MailKind, subscriber: SubscriberView, links: dict[str, str]) -> None:
        try:
            await self.send_mail(kind, subscriber, links)
        except Exception as exc:  # noqa: BLE001 - the page has been answered: log, carry on
            why = mask_addresses(f"{type(exc).__name__}: {exc}".splitlines()[0])
            log.error("could not send the %s mail to subscriber %s: %s", kind, subscriber.id, why)
            log.debug("%s", masked_traceback(exc))
            if kind == "confirm":  # so that signing up again sends it at once
                await run_in_threadpool(self.audience.confirmation_not_sent, [subscriber.id])

    # -- confirm -----------------------------------------------------------

    async def get_confirm(self, request: Request) -> Response:
        try:
            subscriber = await self.subscriber(request, "confirm")
        except TokenError as exc:
            return self.token_error(exc, "confirm")
        if subscriber.status == "active":
            return self.already_confirmed()
        if subscriber.status != "pending":
            return self.ended()
        return self.page("confirm", {"action": request.url.path})

    async def post_confirm(self, request: Request) -> Response:
        try:
            claims = self.claims(request, "confirm")
        except TokenError as exc:
            return self.token_error(exc, "confirm")
        now = self.clock()
        named = await run_in_threadpool(self.audience.by_token, claims)
        if named is None:
            return self.token_error(TokenRevoked("gone"), "confirm")
        outcome = await run_in_threadpool(
            self.audience.confirm,
            named.id,
            now=now,
            ip=client_ip(request),
            user_agent=user_agent(request),
            stamp=claims.stamp,
        )
        if outcome.subscriber is None:
            return self.token_error(TokenRevoked("gone"), "confirm")
        if outcome.action == "not_pending":
            return self.ended()
        if outcome.action == "already":
            return self.already_confirmed()
        response = self.confirmed_page(outcome.subscriber)
        links = self.links.links(outcome.subscriber, "preferences", "unsubscribe", now=now)
        response.background = BackgroundTask(self.mail, "welcome", outcome.subscriber, links)
        return response

    def confirmed_page(self, subscriber: SubscriberView) -> Response:
        """The answer to the click that confirmed: with a preferences link, once."""
        url = self.links.url("preferences", subscriber, now=self.clock())
        return self.page(
            "confirmed", {"preferences_url": url, "schedule": self.schedule(subscriber)}
        )

    def already_confirmed(self) -> Response:
        """A confirm link used again: it says so, and hands out no link (it may be forwarded)."""
        return self.page("already_confirmed", {})
