"""Configuration: ``config.toml`` loaded and validated once into frozen, typed settings.

Owns the settings dataclasses (``settings``), the loader and its error messages
(``loader``), and the names of the environment variables that hold secrets.
Imports nothing of digest but ``digest.errors``.
"""

from __future__ import annotations

from digest.config.loader import TOP_LEVEL, load, locate, parse, parse_duration
from digest.config.settings import (
    CONFIG_ENV,
    LLM_KEY_ENV,
    OPERATOR_TOKEN_ENV,
    PLACEHOLDER_SECRET,
    SECRET_ENV,
    SMTP_PASSWORD_ENV,
    WEEKDAYS,
    FetchSettings,
    Frequency,
    FullText,
    LlmSettings,
    NewsletterSettings,
    SectionSettings,
    Security,
    Settings,
    SmtpSettings,
    SourceKind,
    SourceSettings,
    StorageSettings,
    StoriesSettings,
    SummaryMethod,
    SummarySettings,
    WebSettings,
    WhenEmpty,
)

__all__ = [
    "CONFIG_ENV",
    "LLM_KEY_ENV",
    "OPERATOR_TOKEN_ENV",
    "PLACEHOLDER_SECRET",
    "SECRET_ENV",
    "SMTP_PASSWORD_ENV",
    "TOP_LEVEL",
    "WEEKDAYS",
    "FetchSettings",
    "Frequency",
    "FullText",
    "LlmSettings",
    "NewsletterSettings",
    "SectionSettings",
    "Security",
    "Settings",
    "SmtpSettings",
    "SourceKind",
    "SourceSettings",
    "StorageSettings",
    "StoriesSettings",
    "SummaryMethod",
    "SummarySettings",
    "WebSettings",
    "WhenEmpty",
    "load",
    "locate",
    "parse",
    "parse_duration",
]
