"""calendar corrections, leave, six-day units

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("units") as batch:
        batch.add_column(
            sa.Column("six_day_week", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.create_table(
        "calendar_days",
        sa.Column("id", ID, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_by_id", ID, nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint("kind IN ('libur', 'masuk')", name=op.f("ck_calendar_days_kind")),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["employees.id"],
            name=op.f("fk_calendar_days_created_by_id_employees"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_days")),
        sa.UniqueConstraint("day", name=op.f("uq_calendar_days_day")),
    )
    op.create_table(
        "leaves",
        sa.Column("id", ID, nullable=False),
        sa.Column("employee_id", ID, nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("created_by_id", ID, nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint("ends_on >= starts_on", name=op.f("ck_leaves_dates_ordered")),
        sa.ForeignKeyConstraint(
            ["employee_id"], ["employees.id"], name=op.f("fk_leaves_employee_id_employees")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["employees.id"], name=op.f("fk_leaves_created_by_id_employees")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leaves")),
    )
    op.create_index("ix_leaves_employee_id_starts_on", "leaves", ["employee_id", "starts_on"])


def downgrade() -> None:
    op.drop_table("leaves")
    op.drop_table("calendar_days")
    with op.batch_alter_table("units") as batch:
        batch.drop_column("six_day_week")
