"""Web dashboard: one-time login links and browser sessions, stored hashed

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "dashboard_tokens",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("employee_id", BigId, nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.CheckConstraint("kind IN ('link', 'session')", name=op.f("ck_dashboard_tokens_kind")),
        sa.ForeignKeyConstraint(
            ["employee_id"],
            ["employees.id"],
            name=op.f("fk_dashboard_tokens_employee_id_employees"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dashboard_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_dashboard_tokens_token_hash")),
    )
    op.create_index("ix_dashboard_tokens_employee_id", "dashboard_tokens", ["employee_id"])
    op.create_index("ix_dashboard_tokens_expires_at", "dashboard_tokens", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_dashboard_tokens_expires_at", table_name="dashboard_tokens")
    op.drop_index("ix_dashboard_tokens_employee_id", table_name="dashboard_tokens")
    op.drop_table("dashboard_tokens")
