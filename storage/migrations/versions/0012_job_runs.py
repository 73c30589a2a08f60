"""Job-run claims: each scheduled job fires once per slot across workers

Revision ID: 0012
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "job_runs",
        sa.Column("job", sa.String(100), nullable=False),
        sa.Column("slot", sa.String(40), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("worker", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("job", "slot", name=op.f("pk_job_runs")),
    )
    op.create_index(op.f("ix_job_runs_claimed_at"), "job_runs", ["claimed_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_job_runs_claimed_at"), table_name="job_runs")
    op.drop_table("job_runs")
