"""The sign-up form and the confirm link.

The form's answer is the same page whoever the address belongs to, and the
confirmation mail leaves after the answer (a background task), so neither the
page nor its timing tells whether someone subscribes.  A bot filling the
honeypot field, or an address asked for too often, gets that same page and
no mail.  Confirming happens on a POST only: link scanners follow GETs.
"""

from __future__ import annotations

import logging
import math

from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from .addresses import AddressError, address_key, normalize_address
from .tokens import TokenError, TokenRevoked
from .views import PreferenceError, SubscriberView
from .web_forms import Choices, client_ip, form_text, read_form, user_agent
from .web_guard import CSRF_FIELD, HONEYPOT_FIELD
from .web_pages import MailKind, SiteBase

# The web app's log (one name for all its modules, as before they were split).
log = logging.getLogger("subscribers.web")


class SignUpPages(SiteBase):
    """``/subscribe`` and ``/confirm/{token}``."""

    def subscribe_page(
        self,
        request: Request,
        values: Choices,
        *,
        error: str | None = None,
        status: int = 200,
        detect_timezone: bool = False,
    ) -> Response:
        return self.form_page(
            request,
            "subscribe",
            values,
            {"detect_timezone": detect_timezone, "action": "/subscribe"},
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
        form = await read_form(request)
        values = Choices.read(form)
        if not self.csrf.check(request, form_text(form, CSRF_FIELD)):
            return self.subscribe_page(
                request,
                values,
                error="This form had expired. Please check your choices and send it again.",
                status=403,
            )
        if form_text(form, HONEYPOT_FIELD):
            return self.check_inbox()  # a bot: looks like success, does nothing
        now = self.clock()
        wait = self.ip_bucket.take(client_ip(request), now.timestamp())
        if wait:
            return self.too_many(request, values, wait)
        try:
            address = normalize_address(values.email)
            self.audience.preferences(**values.options())
        except (AddressError, PreferenceError) as exc:
            return self.subscribe_page(request, values, error=str(exc), status=400)
        if self.address_bucket.take(address_key(address), now.timestamp()):
            return self.check_inbox()  # asked too often: answer alike, mail nothing
        outcome = await run_in_threadpool(
            self.audience.subscribe,
            address,
            name=values.name,
            **values.options(),
            source="form:/subscribe",
            ip=client_ip(request),
            user_agent=user_agent(request),
            text_version=self.settings.audience.text_version,
            now=now,
        )
        response = self.check_inbox()
        if outcome.send_confirmation and outcome.subscriber is not None:
            links = self.links.links(outcome.subscriber, "confirm", now=now)
            response.background = BackgroundTask(self.mail, "confirm", outcome.subscriber, links)
        return response

    def too_many(self, request: Request, values: Choices, wait: float) -> Response:
        """The form again, saying when this network may sign up next."""
        minutes = max(1, math.ceil(wait / 60))
        response = self.subscribe_page(
            request,
            values,
            error=f"Too many sign-ups from your network. "
            f"Please try again in {minutes} minute{'s' if minutes != 1 else ''}.",
            status=429,
        )
        response.headers["Retry-After"] = str(math.ceil(wait))
        return response

    def check_inbox(self) -> Response:
        return self.page("check_inbox", {})

    async def mail(self, kind: MailKind, subscriber: SubscriberView, links: dict[str, str]) -> None:
        try:
            await self.send_mail(kind, subscriber, links)
        except Exception:  # the page has been answered: log and carry on
            log.exception("could not send the %s mail to subscriber %s", kind, subscriber.id)
            if kind == "confirm":  # so that signing up again sends it at once
                await run_in_threadpool(self.audience.confirmation_not_sent, [subscriber.id])

    # -- confirm -----------------------------------------------------------

    async def get_confirm(self, request: Request) -> Response:
        try:
            subscriber = await self.subscriber(request, "confirm")
        except TokenError as exc:
            return self.token_error(exc, "confirm")
        if subscriber.status == "active":
            return self.confirmed_page(subscriber, already=True)
        if subscriber.status != "pending":
            return self.ended()
        return self.page("confirm", {"action": request.url.path})

    async def post_confirm(self, request: Request) -> Response:
        try:
            claims = self.claims(request, "confirm")
        except TokenError as exc:
            return self.token_error(exc, "confirm")
        now = self.clock()
        outcome = await run_in_threadpool(
            self.audience.confirm,
            claims.subscriber_id,
            now=now,
            ip=client_ip(request),
            user_agent=user_agent(request),
            stamp=claims.stamp,
        )
        if outcome.subscriber is None:
            return self.token_error(TokenRevoked("gone"), "confirm")
        if outcome.action == "not_pending":
            return self.ended()
        response = self.confirmed_page(outcome.subscriber, already=outcome.action == "already")
        if outcome.action == "confirmed":
            links = self.links.links(outcome.subscriber, "preferences", "unsubscribe", now=now)
            response.background = BackgroundTask(self.mail, "welcome", outcome.subscriber, links)
        return response

    def confirmed_page(self, subscriber: SubscriberView, *, already: bool) -> Response:
        url = self.links.url("preferences", subscriber, now=self.clock())
        return self.page(
            "confirmed",
            {"already": already, "preferences_url": url, "schedule": self.schedule(subscriber)},
        )
