"""The database: engine and migrations, the pipeline's tables, and the queries each stage needs.

Owns ``digest.store.models`` (sources, articles, editions; the audience's tables
belong to ``subscribers``), the Alembic migrations, and :class:`Store`. May
import ``digest.config``, ``digest.records`` and ``digest.errors``, never a stage.
"""

from __future__ import annotations

from digest.store.database import FetchRecord, Store
from digest.store.engine import create_db_engine, display_url, engine_url

__all__ = ["FetchRecord", "Store", "create_db_engine", "display_url", "engine_url"]
