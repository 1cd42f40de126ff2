"""Load and validate ``config.toml`` once, into typed settings.

Every problem is reported as one line that names the file (as it was given),
the key and what was expected, e.g. ``config.toml: sources[2].url: expected an
http(s) URL or a folder path, got "ftp://x"``; an unknown key or table names
the closest known one (``newsletter.frequncy: unknown key; did you mean
frequency?``).  After loading, the rest of the program works
with the frozen dataclasses below and never looks at raw strings again.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from digest import __version__
from digest.config.settings import (
    CONFIG_ENV,
    LLM_KEY_ENV,
    OPERATOR_TOKEN_ENV,
    PLACEHOLDER_SECRET,
    SECRET_ENV,
    SMTP_PASSWORD_ENV,
    WEEKDAYS,
    FetchSettings,
    LlmSettings,
    NewsletterSettings,
    SectionSettings,
    Settings,
    SmtpSettings,
    SourceSettings,
    StorageSettings,
    StoriesSettings,
    SummarySettings,
    WebSettings,
)
from digest.config.values import (
    Table,
    array,
    host_name,
    http_url,
    network,
    origin,
    parse_sender,
    resolve_path,
    show,
    table,
    unknown_name,
)
from digest.errors import ConfigError

_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def _load_newsletter(file: str, root: Mapping[str, Any], base: Path) -> NewsletterSettings:
    t = table(file, root, "newsletter")
    title = t.text("title", "Digest")
    if not title:
        raise t.expected("title", "a non-empty title", title)
    sender = parse_sender(t)
    base_url = http_url(t, "base_url", "http://127.0.0.1:8080")
    postal_address = t.text("postal_address", "")
    zone_name = t.text("timezone", "UTC", "an IANA time zone name")
    try:
        timezone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise t.expected(
            "timezone", 'an IANA time zone name such as "Europe/Paris"', zone_name
        ) from exc
    send_at = t.text("send_at", "07:00", 'a time "HH:MM"')
    if not _HHMM.match(send_at):
        raise t.expected("send_at", 'a 24-hour time "HH:MM"', send_at)
    frequency = t.choice("frequency", "daily", ("daily", "weekly"))
    weekday = t.choice("weekday", "mon", WEEKDAYS)
    templates_value = t.text("templates", "")
    templates = resolve_path(base, templates_value) if templates_value else None
    t.finish()
    return NewsletterSettings(
        title=title,
        sender=sender,
        base_url=base_url,
        postal_address=postal_address,
        timezone=timezone,
        send_at=send_at,
        frequency=frequency,  # type: ignore[arg-type]
        weekday=weekday,
        templates=templates,
    )


def _load_storage(file: str, root: Mapping[str, Any], base: Path) -> StorageSettings:
    t = table(file, root, "storage")
    url = t.text("url", "sqlite:///digest.db", 'a database URL such as "sqlite:///digest.db"')
    t.finish()
    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///")
        if path in {"", ":memory:"}:
            raise t.expected("url", "a SQLite file path (a memory database keeps nothing)", url)
        return StorageSettings(url=f"sqlite:///{resolve_path(base, path)}")
    if url.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
        return StorageSettings(url=url)
    raise t.expected("url", '"sqlite:///PATH" or "postgresql://user@host/db"', url)


def _load_smtp(file: str, root: Mapping[str, Any]) -> SmtpSettings:
    t = table(file, root, "smtp")
    host = t.text("host", "127.0.0.1", "a host name")
    if not host:
        raise t.expected("host", "a host name", host)
    port = t.positive("port", 1025, maximum=65535)
    security = t.choice("security", "none", ("none", "starttls", "tls"))
    if security == "tls" and port == 587:
        raise t.fail(
            "security",
            '"tls" (implicit TLS) with port 587 contradicts itself: port 587 speaks '
            'STARTTLS; use security = "starttls" or port = 465',
        )
    if security == "starttls" and port == 465:
        raise t.fail(
            "security",
            '"starttls" with port 465 contradicts itself: port 465 speaks implicit TLS; '
            'use security = "tls" or port = 587',
        )
    username = t.text("username", "")
    concurrency = t.positive("concurrency", 4, maximum=100)
    timeout = t.seconds("timeout", 30.0)
    t.finish()
    return SmtpSettings(
        host=host,
        port=port,
        security=security,  # type: ignore[arg-type]
        username=username,
        password=os.environ.get(SMTP_PASSWORD_ENV, ""),
        concurrency=concurrency,
        timeout=timeout,
    )


def _load_web(file: str, root: Mapping[str, Any]) -> WebSettings:
    t = table(file, root, "web")
    host = t.text("host", "127.0.0.1", "a host name or IP address")
    port = t.positive("port", 8080, maximum=65535)
    allowed_hosts = tuple(host_name(t, "allowed_hosts", h) for h in t.strings("allowed_hosts"))
    proxies = tuple(network(t, p) for p in t.strings("trusted_proxies"))
    origins = tuple(origin(t, o) for o in t.strings("embed_origins"))
    cap = t.positive("max_confirmations_per_hour", 200, maximum=1_000_000)
    t.finish()
    return WebSettings(
        host=host,
        port=port,
        allowed_hosts=allowed_hosts,
        trusted_proxies=proxies,
        embed_origins=origins,
        max_confirmations_per_hour=cap,
        operator_token=os.environ.get(OPERATOR_TOKEN_ENV, ""),
    )


def _load_fetch(file: str, root: Mapping[str, Any], base_url: str) -> FetchSettings:
    t = table(file, root, "fetch")
    concurrency = t.positive("concurrency", 16, maximum=1000)
    per_host = t.positive("per_host", 2, maximum=100)
    timeout = t.seconds("timeout", 20.0)
    deadline = t.seconds("deadline", 120.0)
    max_bytes = t.positive("max_bytes", 10_000_000)
    max_redirects = t.get("max_redirects", int, 5, "a whole number from 0 to 5")
    if not 0 <= max_redirects <= 5:
        raise t.expected("max_redirects", "a whole number from 0 to 5", max_redirects)
    max_new = t.positive("max_new_articles", 30, maximum=10_000)
    default_agent = f"digest/{__version__} (newsletter digest; +{base_url})"
    user_agent = t.text("user_agent", default_agent)
    if not user_agent or any(c in user_agent for c in "\r\n\0"):
        raise t.expected("user_agent", "a one-line User-Agent string", user_agent)
    retry_base = t.seconds("retry_base", 300.0)
    retry_max = t.seconds("retry_max", 86_400.0)
    if retry_max < retry_base:
        raise t.fail("retry_max", f"must not be less than fetch.retry_base ({retry_base:g})")
    t.finish()
    return FetchSettings(
        concurrency=concurrency,
        per_host=per_host,
        timeout=timeout,
        deadline=deadline,
        max_bytes=max_bytes,
        max_redirects=max_redirects,
        max_new_articles=max_new,
        user_agent=user_agent,
        retry_base=retry_base,
        retry_max=retry_max,
    )


def _load_sections(file: str, root: Mapping[str, Any]) -> tuple[SectionSettings, ...]:
    sections: list[SectionSettings] = []
    seen: set[str] = set()
    for t in array(file, root, "sections"):
        name = t.text("name", what="a section name")
        if not name:
            raise t.expected("name", "a non-empty section name", name)
        if name in seen:
            raise t.fail("name", f'section "{name}" is defined twice')
        seen.add(name)
        max_items = t.positive("max_items", 10, maximum=1000)
        t.finish()
        sections.append(SectionSettings(name=name, max_items=max_items))
    if not sections:
        raise ConfigError(f"{file}: sections: expected at least one [[sections]] table")
    return tuple(sections)


def _source_url(t: Table, base: Path) -> tuple[str, bool]:
    """Return the source's URL (or absolute folder path) and whether it is a folder."""
    what = "an http(s) URL or a folder path"
    value = t.text("url", what=what)
    parts = urlsplit(value)
    if parts.scheme in {"http", "https"}:
        if not parts.netloc:
            raise t.expected("url", what, value)
        return value, False
    if parts.scheme == "file":
        value = parts.path
    elif parts.scheme and len(parts.scheme) > 1:  # "C:" is a drive, not a scheme
        raise t.expected("url", what, value)
    if not value:
        raise t.expected("url", what, value)
    return str(resolve_path(base, value)), True


def _load_sources(
    file: str, root: Mapping[str, Any], base: Path, sections: tuple[SectionSettings, ...]
) -> tuple[SourceSettings, ...]:
    section_names = [s.name for s in sections]
    sources: list[SourceSettings] = []
    names: set[str] = set()
    for t in array(file, root, "sources"):
        name = t.text("name", what="a source name")
        if not name:
            raise t.expected("name", "a non-empty source name", name)
        if name in names:
            raise t.fail("name", f'two sources are named "{name}"; names must be unique')
        names.add(name)
        url, is_folder = _source_url(t, base)
        default_section = section_names[0]
        section = t.text("section", default_section, "a section name")
        if section not in section_names:
            known = ", ".join(f'"{s}"' for s in section_names)
            raise t.fail("section", f'unknown section "{section}" (sections are: {known})')
        kind = t.choice(
            "kind", "folder" if is_folder else "auto", ("auto", "feed", "page", "folder")
        )
        if (kind == "folder") != is_folder:
            expected = "a folder path" if kind == "folder" else "an http(s) URL"
            raise t.fail("kind", f'"{kind}" needs url to be {expected}, got {show(url)}')
        full_text = t.choice("full_text", "auto", ("auto", "always", "never"))
        priority = t.get("priority", int, 0, "a whole number (higher ranks first)")
        t.finish()
        sources.append(
            SourceSettings(
                name=name,
                url=url,
                section=section,
                kind=kind,  # type: ignore[arg-type]
                full_text=full_text,  # type: ignore[arg-type]
                priority=priority,
            )
        )
    return tuple(sources)


def _load_summary(file: str, root: Mapping[str, Any]) -> SummarySettings:
    t = table(file, root, "summary")
    method = t.choice("method", "extractive", ("extractive", "lead", "llm"))
    sentences = t.positive("sentences", 3, maximum=20)
    max_words = t.positive("max_words", 90, maximum=2000)
    llm_raw = t.get("llm", dict, {}, "a table [summary.llm]")
    t.finish()
    llm = None
    if llm_raw or method == "llm":
        lt = Table(file, "summary.llm", llm_raw)
        base_url = lt.text("base_url", "", "an http(s) URL")
        model = lt.text("model", "", "a model name")
        timeout = lt.seconds("timeout", 30.0)
        concurrency = lt.positive("concurrency", 2, maximum=64)
        max_input = lt.positive("max_input_words", 1500, maximum=100_000)
        lt.finish()
        if method == "llm":
            parts = urlsplit(base_url)
            if parts.scheme not in {"http", "https"} or not parts.netloc:
                raise lt.expected(
                    "base_url",
                    'an http(s) URL of an OpenAI-compatible API, e.g. "http://localhost:11434/v1"',
                    base_url,
                )
            if not model:
                raise lt.fail("model", 'missing; method = "llm" needs a model name')
        llm = LlmSettings(
            base_url=base_url.rstrip("/"),
            model=model,
            api_key=os.environ.get(LLM_KEY_ENV, ""),
            timeout=timeout,
            concurrency=concurrency,
            max_input_words=max_input,
        )
    return SummarySettings(
        method=method,  # type: ignore[arg-type]
        sentences=sentences,
        max_words=max_words,
        llm=llm,
    )


def _load_stories(file: str, root: Mapping[str, Any]) -> StoriesSettings:
    t = table(file, root, "stories")
    similarity = t.get("similarity", float, 0.0, "a number from 0 to 1")
    if not 0.0 <= similarity <= 1.0:
        raise t.expected("similarity", "a number from 0 to 1 (0: the built-in default)", similarity)
    window = t.seconds("window_hours", 72.0)
    top = t.get("top_stories", int, 3, "a whole number (0 turns the block off)")
    if not 0 <= top <= 50:
        raise t.expected("top_stories", "a whole number from 0 to 50", top)
    when_empty = t.choice("when_empty", "skip", ("skip", "note"))
    t.finish()
    return StoriesSettings(
        similarity=similarity,
        window_hours=window,
        top_stories=top,
        when_empty=when_empty,  # type: ignore[arg-type]
    )


TOP_LEVEL = (
    "newsletter",
    "storage",
    "smtp",
    "web",
    "fetch",
    "summary",
    "stories",
    "sections",
    "sources",
)


def parse(text: str, *, path: Path) -> Settings:
    """Validate the TOML *text* of the config file at *path*.

    Errors name the file as *path* spells it (as given with --config or $DIGEST_CONFIG),
    so that they cannot be taken for another file of the same name.
    """
    file = str(path)
    try:
        root = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: not valid TOML: {exc}") from exc
    for key in root:
        if key not in TOP_LEVEL:
            message = unknown_name(key, TOP_LEVEL, "unknown table or key")
            raise ConfigError(f"{file}: {key}: {message}")
    base = path.parent.resolve()
    newsletter = _load_newsletter(file, root, base)
    sections = _load_sections(file, root)
    secret = os.environ.get(SECRET_ENV, "") or PLACEHOLDER_SECRET
    return Settings(
        path=path,
        newsletter=newsletter,
        storage=_load_storage(file, root, base),
        smtp=_load_smtp(file, root),
        web=_load_web(file, root),
        fetch=_load_fetch(file, root, newsletter.base_url),
        sections=sections,
        sources=_load_sources(file, root, base, sections),
        summary=_load_summary(file, root),
        stories=_load_stories(file, root),
        secret_key=secret,
    )


def locate(explicit: str | os.PathLike[str] | None = None) -> Path:
    """Find the config file: ``--config``, else ``$DIGEST_CONFIG``, else ``./config.toml``."""
    if explicit:
        return Path(explicit)
    env = os.environ.get(CONFIG_ENV)
    if env:
        return Path(env)
    return Path("config.toml")


def load(explicit: str | os.PathLike[str] | None = None) -> Settings:
    """Locate, read and validate the configuration."""
    path = locate(explicit)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(
            f"{path}: no such config file; create one with `digest init DIR` "
            f"or pass --config PATH (or set {CONFIG_ENV})"
        ) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config file: {exc}") from exc
    return parse(text, path=path)


def parse_duration(value: str) -> float:
    """Seconds in a duration such as ``90s``, ``30m``, ``24h``, ``7d`` or ``2w``."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*", value)
    if not match:
        raise ValueError(f'expected a duration such as "30m", "24h" or "7d", got {show(value)}')
    units: dict[str, float] = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
    return float(match.group(1)) * units[match.group(2)]
