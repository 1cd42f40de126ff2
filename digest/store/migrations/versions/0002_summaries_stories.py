"""Summaries and story clusters of articles; each subscriber's digest watermark.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from subscribers.db import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("articles") as batch:
        batch.add_column(sa.Column("summary", sa.JSON(), nullable=True))
        batch.add_column(
            sa.Column("summary_method", sa.String(20), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("summary_hash", sa.String(64), nullable=True))
        batch.add_column(sa.Column("story_id", sa.Integer(), nullable=True))
        batch.create_index("ix_articles_story_id", ["story_id"])
    with op.batch_alter_table("subscribers") as batch:
        batch.add_column(sa.Column("watermark", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("subscribers") as batch:
        batch.drop_column("watermark")
    with op.batch_alter_table("articles") as batch:
        batch.drop_index("ix_articles_story_id")
        batch.drop_column("story_id")
        batch.drop_column("summary_hash")
        batch.drop_column("summary_method")
        batch.drop_column("summary")
