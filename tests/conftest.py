"""Shared fixtures: a real HTTP server, real databases, and config files."""

from __future__ import annotations

import os
import textwrap
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from digest.config import Settings, parse
from digest.store import Store, engine_url
from tests.support.httpd import LocalHTTPServer

POSTGRES_ENV = "DIGEST_TEST_POSTGRES_URL"


@pytest.fixture
def httpd() -> Iterator[LocalHTTPServer]:
    with LocalHTTPServer() as server:
        yield server


def _postgres_url() -> str:
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.skip(
            f"PostgreSQL tests need {POSTGRES_ENV} "
            "(e.g. postgresql://postgres@127.0.0.1:5432/test); .ci/run sets it"
        )
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database URL: a SQLite file, or a new schema on the PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'digest.db'}"
        return
    base = _postgres_url()
    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(engine_url(base))
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in base else "?"
    try:
        yield f"{base}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    with Store(db_url) as opened:
        yield opened


ConfigWriter = Callable[..., Settings]


@pytest.fixture
def make_config(tmp_path: Path) -> ConfigWriter:
    """Write a config.toml into tmp_path from TOML snippets and load it.

    ``sources`` is a list of (name, url, section) or (name, url, section, extra TOML lines).
    """

    def write(
        *,
        sources: list[tuple[str, ...]] = (),  # type: ignore[assignment]
        sections: tuple[str, ...] = ("News",),
        fetch: str = "",
        extra: str = "",
        db_url: str | None = None,
    ) -> Settings:
        fetch_options = {"timeout": "5", "deadline": "10", "retry_base": "60"}
        for line in textwrap.dedent(fetch).splitlines():
            if line.strip():
                key, _, value = line.partition("=")
                fetch_options[key.strip()] = value.strip()
        lines = [
            "[newsletter]",
            'title = "Test Digest"',
            'sender = "Test Digest <digest@example.org>"',
            "[storage]",
            f'url = "{db_url or "sqlite:///digest.db"}"',
            "[fetch]",
            *(f"{key} = {value}" for key, value in fetch_options.items()),
            textwrap.dedent(extra),
        ]
        for name in sections:
            lines += ["[[sections]]", f'name = "{name}"']
        for source in sources:
            name, url, section, *more = source
            lines += ["[[sources]]", f'name = "{name}"', f'url = "{url}"', f'section = "{section}"']
            lines += list(more)
        path = tmp_path / "config.toml"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return parse(path.read_text(encoding="utf-8"), path=path)

    return write
