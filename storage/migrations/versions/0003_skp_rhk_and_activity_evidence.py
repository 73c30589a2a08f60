"""skp rhk and activity evidence

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rhk",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "employee_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("indicator", sa.Text(), nullable=False),
        sa.Column("target", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("unit", sa.String(length=64), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint("target > 0", name=op.f("ck_rhk_target_positive")),
        sa.ForeignKeyConstraint(
            ["employee_id"], ["employees.id"], name=op.f("fk_rhk_employee_id_employees")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rhk")),
        sa.UniqueConstraint(
            "employee_id", "year", "number", name="uq_rhk_employee_id_year_number"
        ),
    )
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.add_column(sa.Column("evidence", sa.JSON(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_activities_rhk_id_rhk"), "rhk", ["rhk_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_activities_rhk_id_rhk"), type_="foreignkey")
        batch_op.drop_column("evidence")

    op.drop_table("rhk")
