"""periodic evaluations with predikat and objection

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "evaluations",
        sa.Column("id", ID, nullable=False),
        sa.Column("employee_id", ID, nullable=False),
        sa.Column("evaluator_id", ID, nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("hasil_kerja", sa.String(length=8), nullable=False),
        sa.Column("perilaku_kerja", sa.String(length=8), nullable=False),
        sa.Column("predikat", sa.String(length=32), nullable=False),
        sa.Column("feedback", sa.Text(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("objection", sa.Text(), nullable=True),
        sa.Column("objected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reviewer_id", ID, nullable=True),
        sa.CheckConstraint(
            "hasil_kerja IN ('bawah', 'sesuai', 'atas')", name=op.f("ck_evaluations_hasil_kerja")
        ),
        sa.CheckConstraint(
            "perilaku_kerja IN ('bawah', 'sesuai', 'atas')",
            name=op.f("ck_evaluations_perilaku_kerja"),
        ),
        sa.ForeignKeyConstraint(
            ["employee_id"], ["employees.id"], name=op.f("fk_evaluations_employee_id_employees")
        ),
        sa.ForeignKeyConstraint(
            ["evaluator_id"], ["employees.id"], name=op.f("fk_evaluations_evaluator_id_employees")
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"], ["employees.id"], name=op.f("fk_evaluations_reviewer_id_employees")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluations")),
        sa.UniqueConstraint(
            "employee_id", "period", name=op.f("uq_evaluations_employee_id_period")
        ),
    )
    op.create_index(
        "ix_evaluations_evaluator_id_period", "evaluations", ["evaluator_id", "period"]
    )
    op.create_index("ix_evaluations_period", "evaluations", ["period"])


def downgrade() -> None:
    op.drop_table("evaluations")
