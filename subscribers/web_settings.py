"""What the audience's web app is configured with, and the check that its secret is safe.

The application builds :class:`WebSettings` from its configuration;
:func:`check_secret` refuses to serve links signed with an empty secret, or
with the placeholder one anywhere but on a loopback address.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from .tokens import Purpose
from .views import AudienceSettings


class InsecureSecret(ValueError):
    """The web app would sign links with a secret anybody can read."""


@dataclass(frozen=True, slots=True)
class RateLimit:
    """At most ``count`` attempts in ``per``, refilled evenly."""

    count: int
    per: timedelta


@dataclass(frozen=True, slots=True)
class WebSettings:
    """What the web pages need; built by the application from its configuration.

    ``host`` is where the server listens: with the ``placeholder_secret`` the
    app starts only on a loopback address.  Cookies are marked Secure when
    ``base_url`` is https.
    """

    base_url: str
    secret: str
    audience: AudienceSettings
    newsletter: str = "the newsletter"
    host: str = "127.0.0.1"
    placeholder_secret: str | None = None
    ip_limit: RateLimit = RateLimit(20, timedelta(hours=1))
    address_limit: RateLimit = RateLimit(3, timedelta(hours=1))
    token_lifetimes: Mapping[Purpose, timedelta] | None = None
    # Origins (scheme://host[:port]) whose pages may POST the sign-up form without
    # its CSRF field: the Origin (or Referer) check is the cross-site protection then.
    embed_origins: tuple[str, ...] = ()
    # The most confirmation mails sent in any hour, over all visitors (counted in the
    # database, so restarts and several processes share it).
    max_confirmations_per_hour: int = 200
    # A sign-up that looks accepted is answered no sooner than this after it arrived,
    # so the answer's timing does not tell a new address from a known one.
    signup_answer_time: timedelta = timedelta(milliseconds=100)

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.lower().startswith("https://")


def is_loopback(host: str) -> bool:
    """Whether a listen address reaches this machine only (127.0.0.0/8, ::1, localhost)."""
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def check_secret(secret: str, placeholder: str | None, host: str) -> None:
    """Refuse to serve links signed with an empty or placeholder secret beyond loopback."""
    if not secret:
        raise InsecureSecret("the secret key that signs subscriber links is empty; set one")
    if placeholder is not None and secret == placeholder and not is_loopback(host):
        raise InsecureSecret(
            f"the secret key that signs subscriber links is the placeholder {placeholder!r}, "
            f"so anybody could forge them; set a real one (for example the output of "
            f"`python3 -c 'import secrets; print(secrets.token_urlsafe(32))'`) "
            f"or listen on 127.0.0.1 only, not on {host}"
        )
