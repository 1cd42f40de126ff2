"""``digest check``: is everything this installation needs in place?"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from digest.config import PLACEHOLDER_SECRET, Settings, SmtpSettings
from digest.errors import DigestError
from digest.mail.smtp import SMTP_ERRORS, close_smtp, open_smtp
from digest.store import Store, display_url


@dataclass(frozen=True, slots=True)
class CheckResult:
    name: str
    ok: bool
    detail: str


async def probe_smtp(smtp: SmtpSettings, *, timeout: float = 10.0) -> str:
    """Connect, greet, negotiate TLS and log in as configured; return the server's banner."""
    client, greeting = await open_smtp(smtp, timeout=min(timeout, smtp.timeout))
    await close_smtp(client)
    return greeting.message.splitlines()[0] if greeting.message else str(greeting.code)


def _check_smtp(smtp: SmtpSettings) -> CheckResult:
    where = f"{smtp.host}:{smtp.port} ({smtp.security})"
    try:
        banner = asyncio.run(probe_smtp(smtp))
    except SMTP_ERRORS as exc:
        reason = str(exc).strip() or type(exc).__name__
        return CheckResult(
            "smtp",
            False,
            f"{where} does not answer: {reason} (is the SMTP server running? check [smtp])",
        )
    login = f", logged in as {smtp.username}" if smtp.username else ""
    return CheckResult("smtp", True, f"{where} answers: {banner}{login}")


def run_checks(settings: Settings) -> list[CheckResult]:
    results = [
        CheckResult(
            "config",
            True,
            f"{settings.path} ({len(settings.sources)} sources in "
            f"{len(settings.sections)} sections)",
        )
    ]
    try:
        with Store(settings.storage.url) as store:
            store.sync_sources(settings.sources, now=datetime.now(UTC))
            applied = "migrations applied" if store.migrated else "schema up to date"
        results.append(
            CheckResult("database", True, f"{display_url(settings.storage.url)}: {applied}")
        )
    except DigestError as exc:
        results.append(CheckResult("database", False, str(exc)))
    except (OSError, SQLAlchemyError) as exc:  # e.g. the SQLite file's folder cannot be made
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        results.append(
            CheckResult("database", False, f"{display_url(settings.storage.url)}: {reason}")
        )
    for source in settings.sources:
        if source.kind == "folder" and not Path(source.url).is_dir():
            results.append(
                CheckResult(f"source {source.name!r}", False, f"{source.url}: no such folder")
            )
    results.append(_check_smtp(settings.smtp))
    if settings.secret_key == PLACEHOLDER_SECRET:
        results.append(
            CheckResult(
                "secret",
                True,
                "DIGEST_SECRET_KEY is not set; a placeholder is used, which is only "
                "acceptable while the web app listens on loopback",
            )
        )
    return results
