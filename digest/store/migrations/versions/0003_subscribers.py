"""Subscribers: schedule, pause, token stamps, consent records and the suppression list.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

import secrets
import unicodedata

import sqlalchemy as sa
from alembic import op

from subscribers.db import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("subscribers") as batch:
        batch.add_column(sa.Column("email_key", sa.String(400), nullable=True))
        batch.add_column(
            sa.Column("paused", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("confirm_sent_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("next_due_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("token_stamp", sa.String(16), nullable=False, server_default=""))
        batch.create_index("ix_subscribers_next_due_at", ["next_due_at"])

    # Rows from before: the comparison key of each address and a stamp of its own.
    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT id, email FROM subscribers")).all()
    for row_id, email in rows:
        connection.execute(
            sa.text("UPDATE subscribers SET email_key = :key, token_stamp = :stamp WHERE id = :id"),
            {
                "key": unicodedata.normalize("NFC", email.strip()).casefold(),
                "stamp": secrets.token_hex(8),
                "id": row_id,
            },
        )

    with op.batch_alter_table("subscribers") as batch:
        batch.alter_column("email_key", existing_type=sa.String(400), nullable=False)
        batch.create_unique_constraint("uq_subscribers_email_key", ["email_key"])

    op.create_table(
        "consents",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("subscriber_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("ip", sa.String(64), nullable=True),
        sa.Column("user_agent", sa.String(500), nullable=True),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("text_version", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_consents"),
        sa.ForeignKeyConstraint(
            ["subscriber_id"],
            ["subscribers.id"],
            name="fk_consents_subscriber_id_subscribers",
            ondelete="SET NULL",
        ),
    )
    op.create_index("ix_consents_subscriber_id", "consents", ["subscriber_id"])
    op.create_table(
        "suppressions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("email_hash", sa.String(64), nullable=False),
        sa.Column("reason", sa.String(20), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_suppressions"),
        sa.UniqueConstraint("email_hash", name="uq_suppressions_email_hash"),
    )


def downgrade() -> None:
    op.drop_table("suppressions")
    op.drop_index("ix_consents_subscriber_id", table_name="consents")
    op.drop_table("consents")
    with op.batch_alter_table("subscribers") as batch:
        batch.drop_constraint("uq_subscribers_email_key", type_="unique")
        batch.drop_index("ix_subscribers_next_due_at")
        batch.drop_column("token_stamp")
        batch.drop_column("next_due_at")
        batch.drop_column("confirm_sent_at")
        batch.drop_column("paused")
        batch.drop_column("email_key")
