"""Tables of the service.

The Alembic migrations in `storage/migrations` are the source of truth for the schema; a test
compares them with these models so the two never drift.
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    Time,
    UniqueConstraint,
    false,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only auto-increments INTEGER PRIMARY KEY; BigInteger elsewhere.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON}  # noqa: RUF012 - SQLAlchemy reads it as is


class Unit(Base):
    """An organisational unit (OPD, bidang, UPT); each has its own time zone for reminders."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Jakarta")
    # Offices working Monday to Saturday; the others work Monday to Friday.
    six_day_week: Mapped[bool] = mapped_column(Boolean, server_default=false())
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class Employee(Base):
    """An ASN on the roster; never deleted, only deactivated, so history keeps its owner."""

    __tablename__ = "employees"
    __table_args__ = (
        CheckConstraint("role IN ('pegawai', 'admin')", name="role"),
        Index("ix_employees_supervisor_id", "supervisor_id"),
        Index("ix_employees_phone", "phone"),
        Index("ix_employees_unit_id", "unit_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    nip: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[str] = mapped_column(String(200), default="")
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    supervisor_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    phone: Mapped[str | None] = mapped_column(String(20))
    role: Mapped[str] = mapped_column(String(16), default="pegawai")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # As atasan, how this person hears of new entries: "digest" (daily) or "instant" (a card each).
    approval_mode: Mapped[str] = mapped_column(String(16), server_default="digest")
    # A unit admin: an admin whose broadcasts and deadlines are limited to this unit and its
    # sub-units. None for an instansi-wide admin (BKPSDM/BKD).
    admin_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class Invite(Base):
    """A single-use, expiring registration code for someone whose chat number differs.

    Only a hash of the code is stored: a database leak must not hand out accounts.
    """

    __tablename__ = "invites"
    __table_args__ = (Index("ix_invites_employee_id", "employee_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    used_by_identity_id: Mapped[int | None] = mapped_column(ForeignKey("identities.id"))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class Citizen(Base):
    """A member of the public, known only by a keyed hash of their channel id (UU 27/2022)."""

    __tablename__ = "citizens"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    pseudonym: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class Identity(Base):
    """A chat account on one channel, linked to an employee or a citizen once known."""

    __tablename__ = "identities"
    __table_args__ = (
        UniqueConstraint("channel", "external_id", name="uq_identities_channel_external_id"),
        Index("ix_identities_employee_id", "employee_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(128))
    employee_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    citizen_id: Mapped[int | None] = mapped_column(ForeignKey("citizens.id"))
    language: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    last_seen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Set when a push found the account blocked or gone; reminders and broadcasts skip it.
    unreachable_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ConversationState(Base):
    """Where a user is in a flow; versioned so a concurrent writer is detected, not overwritten."""

    __tablename__ = "conversation_states"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    external_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    flow: Mapped[str | None] = mapped_column(String(64))
    step: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class ProcessedUpdate(Base):
    """Ids of updates already handled, so a platform's redelivery is acknowledged, not redone."""

    __tablename__ = "processed_updates"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    update_key: Mapped[str] = mapped_column(String(128), primary_key=True)
    processed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), index=True
    )


class OutboxMessage(Base):
    """A message to push, written in the transaction that caused it and drained by a dispatcher."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),
        Index(
            "ix_outbox_channel_status_priority", "channel", "status", "priority", "next_attempt_at"
        ),
        Index("ix_outbox_broadcast_id", "broadcast_id"),
        Index("ix_outbox_channel_provider_message_id", "channel", "provider_message_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str] = mapped_column(String(128))
    purpose: Mapped[str] = mapped_column(String(64))
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    last_error: Mapped[str | None] = mapped_column(Text)
    provider_message_id: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Lane: 0 interactive (cards, answers, progress), 1 reminders, 2 bulk (broadcasts).
    priority: Mapped[int] = mapped_column(Integer, server_default="0")
    broadcast_id: Mapped[int | None] = mapped_column(BigId)
    # The platform's latest delivery receipt for a sent row (WhatsApp: sent, delivered, read,
    # failed) and when it came.
    receipt: Mapped[str | None] = mapped_column(String(16))
    receipt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ChannelContact(Base):
    """How to reach a chat account where its user id is not its address (WhatsApp's business-
    scoped user id vs the phone number messages go to), and when it last wrote to us: WhatsApp
    allows free-form messages only within 24 hours of that."""

    __tablename__ = "channel_contacts"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    external_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    address: Mapped[str | None] = mapped_column(String(64))
    last_inbound_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AuditEntry(Base):
    """Who did what to which record; append-only."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_subject", "subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    actor_employee_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Rhk(Base):
    """A Rencana Hasil Kerja of one employee's SKP for one year, with its indicator and target."""

    __tablename__ = "rhk"
    __table_args__ = (
        UniqueConstraint("employee_id", "year", "number", name="uq_rhk_employee_id_year_number"),
        CheckConstraint("target > 0", name="target_positive"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    year: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)
    indicator: Mapped[str] = mapped_column(Text, default="")
    target: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    unit: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class Activity(Base):
    """A daily work entry (progres harian) that the atasan verifies."""

    __tablename__ = "activities"
    __table_args__ = (
        CheckConstraint(
            "status IN ('draft', 'diajukan', 'disetujui', 'revisi', 'ditolak')", name="status"
        ),
        CheckConstraint("minutes > 0", name="minutes_positive"),
        Index("ix_activities_employee_id_work_date", "employee_id", "work_date"),
        Index("ix_activities_status", "status"),
        # The monthly recap reads one month of a multi-year table: by date, and on PostgreSQL
        # from the index alone (the columns it aggregates are included).
        Index(
            "ix_activities_work_date_employee_id",
            "work_date",
            "employee_id",
            postgresql_include=["status", "minutes", "on_time"],
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    work_date: Mapped[date] = mapped_column(Date)
    start_time: Mapped[time | None] = mapped_column(Time)
    end_time: Mapped[time | None] = mapped_column(Time)
    minutes: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text)
    rhk_id: Mapped[int | None] = mapped_column(ForeignKey("rhk.id"))
    quantity: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    quantity_unit: Mapped[str | None] = mapped_column(String(64))
    evidence_ref: Mapped[str | None] = mapped_column(String(512))
    evidence: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    on_time: Mapped[bool | None] = mapped_column(Boolean)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    decision_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class Delegation(Base):
    """A Plt/Plh: the delegate decides the delegator's staff entries within the dates."""

    __tablename__ = "delegations"
    __table_args__ = (
        CheckConstraint("ends_on >= starts_on", name="dates_ordered"),
        CheckConstraint("delegate_id <> delegator_id", name="not_self"),
        Index("ix_delegations_delegator_id", "delegator_id"),
        Index("ix_delegations_delegate_id", "delegate_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    delegator_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    delegate_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class CalendarDay(Base):
    """An admin's correction of the packaged calendar: an extra day off, or a day worked."""

    __tablename__ = "calendar_days"
    __table_args__ = (CheckConstraint("kind IN ('libur', 'masuk')", name="kind"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class Leave(Base):
    """Leave (cuti) of an employee: no reminders, and credited towards the month's minutes."""

    __tablename__ = "leaves"
    __table_args__ = (
        CheckConstraint("ends_on >= starts_on", name="dates_ordered"),
        Index("ix_leaves_employee_id_starts_on", "employee_id", "starts_on"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(String(200), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class Broadcast(Base):
    """An admin's message to an audience; its recipients' rows are in the outbox."""

    __tablename__ = "broadcasts"
    __table_args__ = (
        CheckConstraint("status IN ('scheduled', 'sending', 'done', 'cancelled')", name="status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    text: Mapped[str] = mapped_column(Text)
    audience: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))
    total: Mapped[int] = mapped_column(Integer)
    send_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Where the live progress message and the final report go (None: created from the CLI).
    report_channel: Mapped[str | None] = mapped_column(String(16))
    report_recipient: Mapped[str | None] = mapped_column(String(128))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class Deadline(Base):
    """A deadline admins set ("SKP 2027 paling lambat 31 Januari"), reminded at offsets."""

    __tablename__ = "deadlines"
    __table_args__ = (Index("ix_deadlines_due_on", "due_on"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    due_on: Mapped[date] = mapped_column(Date)
    audience: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Days before `due_on` to remind, e.g. [7, 3, 1, 0].
    offsets: Mapped[list[int]] = mapped_column(JSON)
    # What makes someone done, when the bot can tell ("skp": has an SKP for the due year).
    exclude_done: Mapped[str | None] = mapped_column(String(32))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class Evaluation(Base):
    """A period's rating of an employee by their atasan, with its predikat and any objection."""

    __tablename__ = "evaluations"
    __table_args__ = (
        UniqueConstraint("employee_id", "period", name="uq_evaluations_employee_id_period"),
        CheckConstraint("hasil_kerja IN ('bawah', 'sesuai', 'atas')", name="hasil_kerja"),
        CheckConstraint("perilaku_kerja IN ('bawah', 'sesuai', 'atas')", name="perilaku_kerja"),
        Index("ix_evaluations_evaluator_id_period", "evaluator_id", "period"),
        Index("ix_evaluations_period", "period"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    evaluator_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    # "2026-11" (month), "2026-Q4" (quarter) or "2026" (the annual evaluation).
    period: Mapped[str] = mapped_column(String(16))
    hasil_kerja: Mapped[str] = mapped_column(String(8))
    perilaku_kerja: Mapped[str] = mapped_column(String(8))
    predikat: Mapped[str] = mapped_column(String(32))
    feedback: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    # Keberatan: the employee's reason, when, and who reviews it (the evaluator's atasan).
    objection: Mapped[str | None] = mapped_column(Text)
    objected_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))


class SkpComment(Base):
    """An atasan's (or admin's) comment on an employee's SKP of a year, or on one of its RHK.

    The RHK is kept by number, not by row id: a re-imported SKP keeps its comments.
    """

    __tablename__ = "skp_comments"
    __table_args__ = (Index("ix_skp_comments_employee_id_year", "employee_id", "year"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    year: Mapped[int] = mapped_column(Integer)
    rhk_number: Mapped[int | None] = mapped_column(Integer)  # None: the SKP as a whole
    author_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class DashboardToken(Base):
    """A web dashboard credential, stored only as a hash: a one-time login link (`link`, used
    once within minutes) or the browser session it was exchanged for (`session`, ended by
    logout or expiry). A database leak must not let anyone in."""

    __tablename__ = "dashboard_tokens"
    __table_args__ = (
        CheckConstraint("kind IN ('link', 'session')", name="kind"),
        Index("ix_dashboard_tokens_employee_id", "employee_id"),
        Index("ix_dashboard_tokens_expires_at", "expires_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # A link: when it was exchanged; a session: when it was logged out.
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


# --- the citizen channel (issue 8): services, ratings and SKM, complaints, abuse flags -----------


class CitizenService(Base):
    """A public service a unit offers; its code is what QR posters link to (`svc_<code>`)."""

    __tablename__ = "citizen_services"
    __table_args__ = (Index("ix_citizen_services_unit_id", "unit_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    # The ASN who delivers it when there is one officer; a counter's officer takes precedence.
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class CitizenCounter(Base):
    """A counter (loket) of a service, optionally staffed by a known officer."""

    __tablename__ = "citizen_counters"
    __table_args__ = (
        UniqueConstraint("service_id", "code", name="uq_citizen_counters_service_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("citizen_services.id"))
    code: Mapped[str] = mapped_column(String(12))
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))


class CitizenRating(Base):
    """One citizen's rating of one service on one day (a later one that day updates it).

    `quick` is the 1-4 first answer; `u1`..`u9` the SKM elements, `complete` once all nine are
    in (only complete surveys count in the IKM). `citizen_id` is cleared by the retention job.
    """

    __tablename__ = "citizen_ratings"
    __table_args__ = (
        UniqueConstraint("citizen_id", "service_id", "day", name="uq_citizen_ratings_citizen_id"),
        Index("ix_citizen_ratings_service_id_day", "service_id", "day"),
        Index("ix_citizen_ratings_officer_id", "officer_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    citizen_id: Mapped[int | None] = mapped_column(ForeignKey("citizens.id"))
    service_id: Mapped[int] = mapped_column(ForeignKey("citizen_services.id"))
    counter_id: Mapped[int | None] = mapped_column(ForeignKey("citizen_counters.id"))
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    day: Mapped[date] = mapped_column(Date)
    quick: Mapped[int] = mapped_column(Integer)
    u1: Mapped[int | None] = mapped_column(Integer)
    u2: Mapped[int | None] = mapped_column(Integer)
    u3: Mapped[int | None] = mapped_column(Integer)
    u4: Mapped[int | None] = mapped_column(Integer)
    u5: Mapped[int | None] = mapped_column(Integer)
    u6: Mapped[int | None] = mapped_column(Integer)
    u7: Mapped[int | None] = mapped_column(Integer)
    u8: Mapped[int | None] = mapped_column(Integer)
    u9: Mapped[int | None] = mapped_column(Integer)
    complete: Mapped[bool] = mapped_column(Boolean, default=False)
    comment: Mapped[str | None] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CitizenComplaint(Base):
    """A complaint (pengaduan) with its ticket; routed to the service's unit admins.

    `reply_to` is the complainant's channel address *sealed* (kinerja.citizen.seal), kept only
    when they agreed to hear back here; name and phone only when they chose to leave them.
    """

    __tablename__ = "citizen_complaints"
    __table_args__ = (
        Index("ix_citizen_complaints_unit_id_status", "unit_id", "status"),
        Index("ix_citizen_complaints_citizen_id", "citizen_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket: Mapped[str] = mapped_column(String(24), unique=True)
    citizen_id: Mapped[int | None] = mapped_column(ForeignKey("citizens.id"))
    service_id: Mapped[int] = mapped_column(ForeignKey("citizen_services.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    text: Mapped[str] = mapped_column(Text)
    photo_ref: Mapped[str | None] = mapped_column(String(256))
    status: Mapped[str] = mapped_column(String(16))
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_phone: Mapped[str | None] = mapped_column(String(20))
    reply_channel: Mapped[str | None] = mapped_column(String(16))
    reply_to: Mapped[str | None] = mapped_column(String(256))
    due_on: Mapped[date] = mapped_column(Date)
    reminded_on: Mapped[date | None] = mapped_column(Date)
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CitizenFlag(Base):
    """A suspicious burst of ratings on one service, shown to its unit admins once."""

    __tablename__ = "citizen_flags"
    __table_args__ = (
        UniqueConstraint("service_id", "window_start", name="uq_citizen_flags_service_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("citizen_services.id"))
    window_start: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    count: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class JobRun(Base):
    """A scheduled job's run, claimed by the first worker to get there (scheduler/job_claims.py):
    with several workers on one database, each job fires once per slot (its day, in its zone, or
    its interval), not once per worker."""

    __tablename__ = "job_runs"

    job: Mapped[str] = mapped_column(String(100), primary_key=True)
    slot: Mapped[str] = mapped_column(String(40), primary_key=True)
    claimed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    worker: Mapped[str] = mapped_column(String(100))
