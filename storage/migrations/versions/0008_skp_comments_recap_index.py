"""SKP comments by the atasan; an index for the monthly recap

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "skp_comments",
        sa.Column("id", ID, nullable=False),
        sa.Column("employee_id", ID, nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("rhk_number", sa.Integer(), nullable=True),
        sa.Column("author_id", ID, nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["employee_id"], ["employees.id"], name=op.f("fk_skp_comments_employee_id_employees")
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["employees.id"], name=op.f("fk_skp_comments_author_id_employees")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_skp_comments")),
    )
    op.create_index("ix_skp_comments_employee_id_year", "skp_comments", ["employee_id", "year"])

    op.create_index(
        "ix_activities_work_date_employee_id",
        "activities",
        ["work_date", "employee_id"],
        postgresql_include=["status", "minutes", "on_time"],
    )


def downgrade() -> None:
    op.drop_index("ix_activities_work_date_employee_id", table_name="activities")
    op.drop_table("skp_comments")
