"""approvals: delegations (Plt/Plh) and each atasan's approval mode

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("employees") as batch:
        batch.add_column(
            sa.Column(
                "approval_mode", sa.String(length=16), server_default="digest", nullable=False
            )
        )
    op.create_table(
        "delegations",
        sa.Column("id", ID, nullable=False),
        sa.Column("delegator_id", ID, nullable=False),
        sa.Column("delegate_id", ID, nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("created_by_id", ID, nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint("ends_on >= starts_on", name=op.f("ck_delegations_dates_ordered")),
        sa.CheckConstraint("delegate_id <> delegator_id", name=op.f("ck_delegations_not_self")),
        sa.ForeignKeyConstraint(
            ["delegator_id"], ["employees.id"], name=op.f("fk_delegations_delegator_id_employees")
        ),
        sa.ForeignKeyConstraint(
            ["delegate_id"], ["employees.id"], name=op.f("fk_delegations_delegate_id_employees")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["employees.id"],
            name=op.f("fk_delegations_created_by_id_employees"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delegations")),
    )
    op.create_index("ix_delegations_delegator_id", "delegations", ["delegator_id"])
    op.create_index("ix_delegations_delegate_id", "delegations", ["delegate_id"])


def downgrade() -> None:
    op.drop_table("delegations")
    with op.batch_alter_table("employees") as batch:
        batch.drop_column("approval_mode")
