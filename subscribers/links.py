"""The addresses of a subscriber's pages, each with a fresh signed token.

The web app shows them, and the application puts them into the mails it
sends (confirmation, welcome, every digest's unsubscribe and preferences).
The tokens name the subscriber by their random public id, never the row id.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from .tokens import Purpose, TokenSigner
from .views import SubscriberView

PATHS: Mapping[Purpose, str] = {
    "confirm": "/confirm/",
    "unsubscribe": "/unsubscribe/",
    "preferences": "/preferences/",
}


class LinkMaker:
    """Absolute URLs with fresh tokens for a subscriber's links (for mails too)."""

    def __init__(self, base_url: str, signer: TokenSigner) -> None:
        self.base_url = base_url.rstrip("/")
        self.signer = signer

    def url(self, purpose: Purpose, subscriber: SubscriberView, *, now: datetime) -> str:
        token = self.signer.issue(
            purpose, subscriber.public_id, stamp=subscriber.token_stamp, now=now
        )
        return f"{self.base_url}{PATHS[purpose]}{token}"

    def links(
        self, subscriber: SubscriberView, *purposes: Purpose, now: datetime
    ) -> dict[str, str]:
        return {purpose: self.url(purpose, subscriber, now=now) for purpose in purposes}
