"""The typed settings ``config.toml`` is loaded into, and the names of the secrets' variables.

Frozen dataclasses: after loading, the rest of digest receives these and never
re-parses a string.  The defaults are documented in ``config.toml``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from email.headerregistry import Address
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

CONFIG_ENV = "DIGEST_CONFIG"
SECRET_ENV = "DIGEST_SECRET_KEY"
SMTP_PASSWORD_ENV = "DIGEST_SMTP_PASSWORD"
PLACEHOLDER_SECRET = "change-me"
OPERATOR_TOKEN_ENV = "DIGEST_OPERATOR_TOKEN"

Frequency = Literal["daily", "weekly"]
Security = Literal["none", "starttls", "tls"]
SourceKind = Literal["auto", "feed", "page", "folder"]
FullText = Literal["auto", "always", "never"]
SummaryMethod = Literal["extractive", "lead", "llm"]
WhenEmpty = Literal["skip", "note"]
LLM_KEY_ENV = "DIGEST_LLM_API_KEY"


@dataclass(frozen=True, slots=True)
class NewsletterSettings:
    title: str
    sender: Address
    base_url: str
    postal_address: str
    timezone: ZoneInfo
    send_at: str
    frequency: Frequency
    weekday: str
    templates: Path | None


@dataclass(frozen=True, slots=True)
class StorageSettings:
    url: str


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    host: str
    port: int
    security: Security
    username: str
    password: str = field(repr=False)
    concurrency: int
    timeout: float


@dataclass(frozen=True, slots=True)
class WebSettings:
    host: str
    port: int
    # Host names the web app answers to, besides base_url's host and loopback names.
    allowed_hosts: tuple[str, ...] = ()
    # Peers (addresses or CIDR ranges) whose X-Forwarded-For / Forwarded headers are honoured.
    trusted_proxies: tuple[str, ...] = ()
    # Origins whose pages may POST the embeddable sign-up form.
    embed_origins: tuple[str, ...] = ()
    # Confirmation mails one server sends in an hour at most, over all visitors.
    max_confirmations_per_hour: int = 200
    # Lets the operator pages (preview) answer off loopback; from the environment.
    operator_token: str = field(default="", repr=False)


@dataclass(frozen=True, slots=True)
class FetchSettings:
    concurrency: int
    per_host: int
    timeout: float
    deadline: float
    max_bytes: int
    max_redirects: int
    max_new_articles: int
    user_agent: str
    retry_base: float
    retry_max: float


@dataclass(frozen=True, slots=True)
class SectionSettings:
    name: str
    max_items: int


@dataclass(frozen=True, slots=True)
class SourceSettings:
    name: str
    url: str
    section: str
    kind: SourceKind
    full_text: FullText
    priority: int = 0


@dataclass(frozen=True, slots=True)
class LlmSettings:
    base_url: str
    model: str
    api_key: str = field(repr=False)
    timeout: float
    concurrency: int
    max_input_words: int


@dataclass(frozen=True, slots=True)
class SummarySettings:
    method: SummaryMethod
    sentences: int
    max_words: int
    llm: LlmSettings | None


@dataclass(frozen=True, slots=True)
class StoriesSettings:
    similarity: float  # 0 = the clustering's own default threshold
    window_hours: float
    top_stories: int
    when_empty: WhenEmpty


@dataclass(frozen=True, slots=True)
class Settings:
    path: Path
    newsletter: NewsletterSettings
    storage: StorageSettings
    smtp: SmtpSettings
    web: WebSettings
    fetch: FetchSettings
    sections: tuple[SectionSettings, ...]
    sources: tuple[SourceSettings, ...]
    summary: SummarySettings
    stories: StoriesSettings
    secret_key: str = field(repr=False)

    def section(self, name: str) -> SectionSettings:
        for section in self.sections:
            if section.name == name:
                return section
        raise KeyError(name)


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
