"""Alembic environment: migrations run on a connection the application hands in."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

import digest.store.models  # noqa: F401  (registers the pipeline's tables)
import subscribers.models  # noqa: F401  (registers the audience's tables)
from subscribers.db import Base

connection: Connection | None = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only `alembic` run by hand gets here
    raise RuntimeError("digest applies its migrations itself; run `digest check`")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
