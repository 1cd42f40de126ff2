"""A subscriber's own pages: preferences and unsubscribe, reached by a signed link.

The link's token authorises; the preferences form carries a CSRF value too.
Unsubscribing takes a POST, either from the page's button or an RFC 8058
one-click POST (``List-Unsubscribe=One-Click``) from a mail provider, which
has neither cookie nor CSRF value, so the token alone must do there.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from .tokens import TokenError, TokenRevoked
from .views import PreferenceError, SubscriberView, UnknownSubscriber
from .web_forms import (
    Choices,
    client_ip,
    field_problems,
    form_text,
    problems_summary,
    read_form,
    user_agent,
)
from .web_guard import CSRF_FIELD
from .web_pages import SiteBase


class AccountPages(SiteBase):
    """``/preferences/{token}`` and ``/unsubscribe/{token}``."""

    def preferences_page(
        self,
        request: Request,
        subscriber: SubscriberView,
        values: Choices,
        *,
        error: str | None = None,
        errors: dict[str, str] | None = None,
        status: int = 200,
    ) -> Response:
        return self.form_page(
            request,
            "preferences",
            values,
            {
                "email": subscriber.email,
                "action": request.url.path,
                "unsubscribe_url": self.links.url("unsubscribe", subscriber, now=self.clock()),
                "errors": errors or {},  # each shown next to its field
            },
            error=error,
            status=status,
        )

    async def get_preferences(self, request: Request) -> Response:
        try:
            subscriber = await self.subscriber(request, "preferences")
        except TokenError as exc:
            return self.token_error(exc, "preferences")
        if subscriber.status != "active":
            return self.ended()
        values = Choices(
            email=subscriber.email,
            sections=subscriber.sections or self.settings.audience.sections,
            frequency=subscriber.frequency,
            weekday=subscriber.weekday,
            send_at=subscriber.send_at,
            timezone=subscriber.timezone,
            paused=subscriber.paused,
        )
        return self.preferences_page(request, subscriber, values)

    async def post_preferences(self, request: Request) -> Response:
        try:
            claims = self.claims(request, "preferences")
            subscriber = await run_in_threadpool(self.audience.token_subscriber, claims)
        except TokenError as exc:
            return self.token_error(exc, "preferences")
        if subscriber.status != "active":
            return self.ended()
        form = await read_form(request)
        values = Choices.read(form)
        if not self.csrf.check(request, form_text(form, CSRF_FIELD)):
            return self.preferences_page(
                request,
                subscriber,
                values,
                error="This form had expired. Please check your choices and save again.",
                status=403,
            )
        problems = field_problems(values, self.audience.preferences, identity=False)
        if problems:  # every mistake at once, each next to its field
            return self.preferences_page(
                request,
                subscriber,
                values,
                error=problems_summary(problems),
                errors=problems,
                status=400,
            )
        try:
            updated = await run_in_threadpool(
                self.audience.update_preferences,
                subscriber.id,
                **values.options(),
                paused=values.paused,
                now=self.clock(),
                source="form:/preferences",
                ip=client_ip(request),
                user_agent=user_agent(request),
                stamp=claims.stamp,
            )
        except PreferenceError as exc:
            return self.preferences_page(request, subscriber, values, error=str(exc), status=400)
        except UnknownSubscriber:
            return self.token_error(TokenRevoked("gone"), "preferences")
        return self.page(
            "preferences_saved",
            {
                "preferences_url": str(request.url.path),
                "schedule": self.schedule(updated),
                "sections": list(updated.sections or self.settings.audience.sections),
            },
        )

    # -- unsubscribe -------------------------------------------------------

    async def get_unsubscribe(self, request: Request) -> Response:
        try:
            claims = self.claims(request, "unsubscribe")
        except TokenError as exc:
            return self.token_error(exc, "unsubscribe")
        subscriber = await run_in_threadpool(self.audience.by_token, claims)
        if subscriber is None or subscriber.status == "unsubscribed":
            return self.unsubscribed_page()
        if subscriber.token_stamp != claims.stamp:
            return self.token_error(TokenRevoked("earlier subscription"), "unsubscribe")
        return self.page("unsubscribe", {"action": request.url.path})

    async def post_unsubscribe(self, request: Request) -> Response:
        # The token authorises: no cookie, no CSRF token (RFC 8058 one-click POSTs
        # come from mail providers with neither).
        try:
            claims = self.claims(request, "unsubscribe")
        except TokenError as exc:
            return self.token_error(exc, "unsubscribe")
        form = await read_form(request)
        one_click = form_text(form, "List-Unsubscribe") == "One-Click"
        named = await run_in_threadpool(self.audience.by_token, claims)
        if named is None:  # forgotten: nothing left to unsubscribe
            return self.unsubscribed_page()
        outcome = await run_in_threadpool(
            self.audience.unsubscribe,
            named.id,
            now=self.clock(),
            source="one-click" if one_click else "form:/unsubscribe",
            ip=client_ip(request),
            user_agent=user_agent(request),
            stamp=claims.stamp,
        )
        if outcome.action == "unknown":
            exists = await run_in_threadpool(self.audience.get, named.id)
            if exists is not None:  # subscribed again since this link was made
                return self.token_error(TokenRevoked("earlier subscription"), "unsubscribe")
        return self.unsubscribed_page()

    def unsubscribed_page(self) -> Response:
        return self.page("unsubscribed", {"subscribe_url": "/subscribe"})
