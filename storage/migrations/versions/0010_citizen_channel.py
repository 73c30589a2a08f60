"""Citizen channel: services and counters, ratings with the SKM, complaints, abuse flags

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TZ = sa.DateTime(timezone=True)


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    referred = target.split(".")[0]
    return sa.ForeignKeyConstraint(
        [column], [target], name=op.f(f"fk_{table}_{column}_{referred}")
    )


def upgrade() -> None:
    op.create_table(
        "citizen_services",
        sa.Column("id", ID, nullable=False),
        sa.Column("code", sa.String(20), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("unit_id", ID, nullable=False),
        sa.Column("officer_id", ID, nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", TZ, server_default=sa.func.now(), nullable=False),
        _fk("citizen_services", "unit_id", "units.id"),
        _fk("citizen_services", "officer_id", "employees.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_citizen_services")),
        sa.UniqueConstraint("code", name=op.f("uq_citizen_services_code")),
    )
    op.create_index("ix_citizen_services_unit_id", "citizen_services", ["unit_id"])
    op.create_table(
        "citizen_counters",
        sa.Column("id", ID, nullable=False),
        sa.Column("service_id", ID, nullable=False),
        sa.Column("code", sa.String(12), nullable=False),
        sa.Column("officer_id", ID, nullable=True),
        _fk("citizen_counters", "service_id", "citizen_services.id"),
        _fk("citizen_counters", "officer_id", "employees.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_citizen_counters")),
        sa.UniqueConstraint("service_id", "code", name="uq_citizen_counters_service_id"),
    )
    op.create_table(
        "citizen_ratings",
        sa.Column("id", ID, nullable=False),
        sa.Column("citizen_id", ID, nullable=True),
        sa.Column("service_id", ID, nullable=False),
        sa.Column("counter_id", ID, nullable=True),
        sa.Column("officer_id", ID, nullable=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("quick", sa.Integer(), nullable=False),
        *(sa.Column(f"u{n}", sa.Integer(), nullable=True) for n in range(1, 10)),
        sa.Column("complete", sa.Boolean(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        _fk("citizen_ratings", "citizen_id", "citizens.id"),
        _fk("citizen_ratings", "service_id", "citizen_services.id"),
        _fk("citizen_ratings", "counter_id", "citizen_counters.id"),
        _fk("citizen_ratings", "officer_id", "employees.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_citizen_ratings")),
        sa.UniqueConstraint(
            "citizen_id", "service_id", "day", name="uq_citizen_ratings_citizen_id"
        ),
    )
    op.create_index("ix_citizen_ratings_service_id_day", "citizen_ratings", ["service_id", "day"])
    op.create_index("ix_citizen_ratings_officer_id", "citizen_ratings", ["officer_id"])
    op.create_table(
        "citizen_complaints",
        sa.Column("id", ID, nullable=False),
        sa.Column("ticket", sa.String(24), nullable=False),
        sa.Column("citizen_id", ID, nullable=True),
        sa.Column("service_id", ID, nullable=False),
        sa.Column("unit_id", ID, nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("photo_ref", sa.String(256), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_by", ID, nullable=True),
        sa.Column("contact_name", sa.String(200), nullable=True),
        sa.Column("contact_phone", sa.String(20), nullable=True),
        sa.Column("reply_channel", sa.String(16), nullable=True),
        sa.Column("reply_to", sa.String(256), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("reminded_on", sa.Date(), nullable=True),
        sa.Column("escalated_at", TZ, nullable=True),
        sa.Column("closed_at", TZ, nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        _fk("citizen_complaints", "citizen_id", "citizens.id"),
        _fk("citizen_complaints", "service_id", "citizen_services.id"),
        _fk("citizen_complaints", "unit_id", "units.id"),
        _fk("citizen_complaints", "answered_by", "employees.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_citizen_complaints")),
        sa.UniqueConstraint("ticket", name=op.f("uq_citizen_complaints_ticket")),
    )
    op.create_index(
        "ix_citizen_complaints_unit_id_status", "citizen_complaints", ["unit_id", "status"]
    )
    op.create_index("ix_citizen_complaints_citizen_id", "citizen_complaints", ["citizen_id"])
    op.create_table(
        "citizen_flags",
        sa.Column("id", ID, nullable=False),
        sa.Column("service_id", ID, nullable=False),
        sa.Column("window_start", TZ, nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        _fk("citizen_flags", "service_id", "citizen_services.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_citizen_flags")),
        sa.UniqueConstraint("service_id", "window_start", name="uq_citizen_flags_service_id"),
    )


def downgrade() -> None:
    op.drop_table("citizen_flags")
    op.drop_index("ix_citizen_complaints_citizen_id", table_name="citizen_complaints")
    op.drop_index("ix_citizen_complaints_unit_id_status", table_name="citizen_complaints")
    op.drop_table("citizen_complaints")
    op.drop_index("ix_citizen_ratings_officer_id", table_name="citizen_ratings")
    op.drop_index("ix_citizen_ratings_service_id_day", table_name="citizen_ratings")
    op.drop_table("citizen_ratings")
    op.drop_table("citizen_counters")
    op.drop_index("ix_citizen_services_unit_id", table_name="citizen_services")
    op.drop_table("citizen_services")
