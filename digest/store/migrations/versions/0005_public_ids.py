"""A random public id for every subscriber, which link tokens carry instead of the row id.

Existing rows get a fresh random value each (16 random bytes, in hex), made
here in Python so that SQLite and PostgreSQL do the same.

The column is added as NOT NULL with an empty default, so that no table has to
be rebuilt: on SQLite, changing a column's NULL-ness means copying and dropping
the table, and dropping ``subscribers`` with foreign keys on would set every
consent record's ``subscriber_id`` to NULL.  PostgreSQL then drops that default;
SQLite keeps it (removing it would need the same rebuild), harmlessly: the
application always sets a public id, and the unique index lets at most one row
go without.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-10
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "subscribers",
        sa.Column("public_id", sa.String(32), nullable=False, server_default=""),
    )
    connection = op.get_bind()
    ids = connection.execute(sa.text("SELECT id FROM subscribers")).scalars().all()
    for row_id in ids:
        connection.execute(
            sa.text("UPDATE subscribers SET public_id = :public_id WHERE id = :id"),
            {"public_id": secrets.token_hex(16), "id": row_id},
        )
    if connection.dialect.name != "sqlite":
        op.alter_column("subscribers", "public_id", server_default=None)
    op.create_index("ix_subscribers_public_id", "subscribers", ["public_id"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_subscribers_public_id", "subscribers")
    # SQLite (3.35 and later) drops a column that is not indexed in place, without a rebuild.
    op.drop_column("subscribers", "public_id")
