"""Opening the database: the engine for a configured URL, and migrations to the head revision.

SQLite (the embedded default) runs in WAL mode with foreign keys on;
``postgresql://`` URLs use psycopg 3 (``pip install 'digest[postgres]'``).
Migrations (Alembic, shipped inside the package) run under a PostgreSQL
advisory lock, so concurrent starts of several processes are safe.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url

from digest.errors import StorageError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_MIGRATION_LOCK = 0x6469_6765_7374  # "digest": the PostgreSQL advisory lock key


def engine_url(url: str) -> str:
    """Map a configured URL onto the driver digest ships (psycopg 3 for PostgreSQL)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def display_url(url: str) -> str:
    """The URL with any password hidden, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - a malformed URL is shown as given
        return url


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def create_db_engine(url: str) -> Engine:
    """The engine for a configured URL; StorageError when its driver is not installed."""
    real = engine_url(url)
    if real.startswith("sqlite"):
        path = make_url(real).database
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(real, connect_args={"timeout": 10})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    try:
        return create_engine(real, pool_pre_ping=True)
    except ImportError as exc:  # the driver is the optional extra digest[postgres]
        first_line = str(exc).strip().partition("\n")[0]
        broken = "" if exc.name == "psycopg" else f" ({first_line})"
        raise StorageError(
            f"{display_url(url)}: PostgreSQL needs the psycopg driver{broken}: "
            "pip install 'digest[postgres]'"
        ) from exc


@cache
def _head_revision() -> str:
    script = ScriptDirectory(str(MIGRATIONS))
    head = script.get_current_head()
    assert head is not None
    return head


def alembic_config() -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def migrate(engine: Engine) -> bool:
    """Bring the schema up to date; return True when a migration ran."""
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _MIGRATION_LOCK})
            connection.commit()
        try:
            current = MigrationContext.configure(connection).get_current_revision()
            if current == _head_revision():
                return False
            cfg = alembic_config()
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, "head")
            connection.commit()
            return True
        finally:
            if connection.dialect.name == "postgresql":
                connection.execute(
                    text("SELECT pg_advisory_unlock(:key)"), {"key": _MIGRATION_LOCK}
                )
                connection.commit()
