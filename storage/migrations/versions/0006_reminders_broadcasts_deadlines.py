"""reminders, broadcasts, deadlines, outbox lanes, unreachable identities

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "broadcasts",
        sa.Column("id", ID, nullable=False),
        sa.Column("created_by_id", ID, nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("audience", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("send_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("report_channel", sa.String(length=16), nullable=True),
        sa.Column("report_recipient", sa.String(length=128), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(
            "status IN ('scheduled', 'sending', 'done', 'cancelled')",
            name=op.f("ck_broadcasts_status"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["employees.id"], name=op.f("fk_broadcasts_created_by_id_employees")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcasts")),
    )
    op.create_table(
        "deadlines",
        sa.Column("id", ID, nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("audience", sa.JSON(), nullable=False),
        sa.Column("offsets", sa.JSON(), nullable=False),
        sa.Column("exclude_done", sa.String(length=32), nullable=True),
        sa.Column("created_by_id", ID, nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["employees.id"], name=op.f("fk_deadlines_created_by_id_employees")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deadlines")),
    )
    op.create_index("ix_deadlines_due_on", "deadlines", ["due_on"])
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("priority", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("broadcast_id", ID, nullable=True))
        batch.create_index(
            "ix_outbox_channel_status_priority",
            ["channel", "status", "priority", "next_attempt_at"],
        )
        batch.create_index("ix_outbox_broadcast_id", ["broadcast_id"])
    with op.batch_alter_table("identities") as batch:
        batch.add_column(sa.Column("unreachable_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("employees") as batch:
        batch.add_column(sa.Column("admin_unit_id", ID, nullable=True))
        batch.create_foreign_key(
            op.f("fk_employees_admin_unit_id_units"), "units", ["admin_unit_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("employees") as batch:
        batch.drop_constraint(op.f("fk_employees_admin_unit_id_units"), type_="foreignkey")
        batch.drop_column("admin_unit_id")
    with op.batch_alter_table("identities") as batch:
        batch.drop_column("unreachable_at")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_index("ix_outbox_broadcast_id")
        batch.drop_index("ix_outbox_channel_status_priority")
        batch.drop_column("broadcast_id")
        batch.drop_column("priority")
    op.drop_index("ix_deadlines_due_on", table_name="deadlines")
    op.drop_table("deadlines")
    op.drop_table("broadcasts")
