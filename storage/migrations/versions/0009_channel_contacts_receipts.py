"""WhatsApp: where to reach a chat account and when it last wrote (the 24-hour window);
delivery receipts (sent/delivered/read/failed) on outbox rows

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "channel_contacts",
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("external_id", sa.String(128), nullable=False),
        sa.Column("address", sa.String(64), nullable=True),
        sa.Column("last_inbound_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("channel", "external_id", name=op.f("pk_channel_contacts")),
    )
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("receipt", sa.String(16), nullable=True))
        batch.add_column(sa.Column("receipt_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        "ix_outbox_channel_provider_message_id", "outbox", ["channel", "provider_message_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_channel_provider_message_id", table_name="outbox")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("receipt_at")
        batch.drop_column("receipt")
    op.drop_table("channel_contacts")
