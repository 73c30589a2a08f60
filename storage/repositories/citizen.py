"""The citizen channel's tables: services, counters, ratings (SKM), complaints, abuse flags.

Citizens appear only as `citizens.id` (behind a keyed pseudonym); nothing here stores a channel
id in the clear. Repositories never commit.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update

from storage.database import Db
from storage.models import (
    Citizen,
    CitizenComplaint,
    CitizenCounter,
    CitizenFlag,
    CitizenRating,
    CitizenService,
    ConversationState,
    Employee,
    Identity,
    Unit,
)
from storage.repositories._dialect import insert_for

ELEMENT_COLUMNS = tuple(f"u{n}" for n in range(1, 10))


@dataclass(frozen=True, slots=True)
class ServiceRecord:
    id: int
    code: str
    name: str
    unit_id: int
    unit_code: str
    unit_name: str
    unit_timezone: str
    officer_id: int | None
    active: bool


@dataclass(frozen=True, slots=True)
class CounterRecord:
    id: int
    service_id: int
    code: str
    officer_id: int | None


@dataclass(frozen=True, slots=True)
class ComplaintRecord:
    id: int
    ticket: str
    citizen_id: int | None
    service_id: int
    service_name: str
    unit_id: int
    text: str
    photo_ref: str | None
    status: str
    answer: str | None
    contact_name: str | None
    contact_phone: str | None
    reply_channel: str | None
    reply_to: str | None
    due_on: date
    reminded_on: date | None
    escalated_at: datetime | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class CommentRecord:
    service_code: str
    day: date
    quick: int
    comment: str


@dataclass(frozen=True, slots=True)
class FlagRecord:
    service_code: str
    window_start: datetime
    count: int


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _aware(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _service_query() -> Any:
    return select(
        CitizenService.id,
        CitizenService.code,
        CitizenService.name,
        CitizenService.unit_id,
        Unit.code.label("unit_code"),
        Unit.name.label("unit_name"),
        Unit.timezone.label("unit_timezone"),
        CitizenService.officer_id,
        CitizenService.active,
    ).join(Unit, Unit.id == CitizenService.unit_id)


def _complaint_query() -> Any:
    return select(
        CitizenComplaint.id,
        CitizenComplaint.ticket,
        CitizenComplaint.citizen_id,
        CitizenComplaint.service_id,
        CitizenService.name.label("service_name"),
        CitizenComplaint.unit_id,
        CitizenComplaint.text,
        CitizenComplaint.photo_ref,
        CitizenComplaint.status,
        CitizenComplaint.answer,
        CitizenComplaint.contact_name,
        CitizenComplaint.contact_phone,
        CitizenComplaint.reply_channel,
        CitizenComplaint.reply_to,
        CitizenComplaint.due_on,
        CitizenComplaint.reminded_on,
        CitizenComplaint.escalated_at,
        CitizenComplaint.created_at,
    ).join(CitizenService, CitizenService.id == CitizenComplaint.service_id)


def _complaint(row: Any) -> ComplaintRecord:
    values = dict(row._mapping)
    values["escalated_at"] = _aware(values["escalated_at"])
    values["created_at"] = _aware(values["created_at"])
    return ComplaintRecord(**values)


class CitizenRepository:
    def __init__(self, session: Db) -> None:
        self._session = session

    # --- citizens -------------------------------------------------------------------------------

    async def citizen_id(self, pseudonym: str) -> int:
        """The citizen known by `pseudonym`, created on first sight."""
        found = await self._session.scalar(
            select(Citizen.id).where(Citizen.pseudonym == pseudonym)
        )
        if found is not None:
            return int(found)
        insert = insert_for(self._session, Citizen.__table__)  # type: ignore[arg-type]
        await self._session.execute(
            insert.values(pseudonym=pseudonym).on_conflict_do_nothing(index_elements=["pseudonym"])
        )
        return int(
            await self._session.scalar(select(Citizen.id).where(Citizen.pseudonym == pseudonym))
        )

    async def pseudonym_of(self, citizen_id: int | None) -> str | None:
        if citizen_id is None:
            return None
        found = await self._session.scalar(
            select(Citizen.pseudonym).where(Citizen.id == citizen_id)
        )
        return str(found) if found is not None else None

    async def staff_unit(self, channel: str, external_id: str) -> int | None:
        """The unit of the active ASN whose staff-bot account this is, if any."""
        found = await self._session.scalar(
            select(Employee.unit_id)
            .join(Identity, Identity.employee_id == Employee.id)
            .where(
                Identity.channel == channel,
                Identity.external_id == external_id,
                Employee.active.is_(True),
            )
        )
        return int(found) if found is not None else None

    async def reply_address(self, pseudonym: str, channel: str) -> str | None:
        """The sealed address of the citizen's latest complaint with consent on `channel`."""
        found = await self._session.scalar(
            select(CitizenComplaint.reply_to)
            .join(Citizen, Citizen.id == CitizenComplaint.citizen_id)
            .where(
                Citizen.pseudonym == pseudonym,
                CitizenComplaint.reply_channel == channel,
                CitizenComplaint.reply_to.is_not(None),
            )
            .order_by(CitizenComplaint.id.desc())
            .limit(1)
        )
        return str(found) if found is not None else None

    # --- catalog --------------------------------------------------------------------------------

    async def add_service(self, code: str, name: str, unit_id: int, officer_id: int | None) -> int:
        statement = (
            insert(CitizenService)
            .values(code=code, name=name, unit_id=unit_id, officer_id=officer_id, active=True)
            .returning(CitizenService.id)
        )
        return int((await self._session.execute(statement)).scalar_one())

    async def update_service(
        self, service_id: int, *, name: str, officer_id: int | None, active: bool
    ) -> None:
        await self._session.execute(
            update(CitizenService)
            .where(CitizenService.id == service_id)
            .values(name=name, officer_id=officer_id, active=active)
        )

    async def service(self, code: str) -> ServiceRecord | None:
        row = (
            await self._session.execute(_service_query().where(CitizenService.code == code))
        ).one_or_none()
        return ServiceRecord(**row._mapping) if row is not None else None

    async def service_by_id(self, service_id: int) -> ServiceRecord | None:
        row = (
            await self._session.execute(_service_query().where(CitizenService.id == service_id))
        ).one_or_none()
        return ServiceRecord(**row._mapping) if row is not None else None

    async def services(
        self, unit_ids: Collection[int] | None = None, *, active_only: bool = False
    ) -> list[ServiceRecord]:
        query = _service_query().order_by(CitizenService.code)
        if unit_ids is not None:
            query = query.where(CitizenService.unit_id.in_(list(unit_ids)))
        if active_only:
            query = query.where(CitizenService.active.is_(True))
        return [ServiceRecord(**row._mapping) for row in await self._session.execute(query)]

    async def add_counter(self, service_id: int, code: str, officer_id: int | None) -> int:
        statement = (
            insert(CitizenCounter)
            .values(service_id=service_id, code=code, officer_id=officer_id)
            .returning(CitizenCounter.id)
        )
        return int((await self._session.execute(statement)).scalar_one())

    async def set_counter_officer(self, counter_id: int, officer_id: int | None) -> None:
        await self._session.execute(
            update(CitizenCounter)
            .where(CitizenCounter.id == counter_id)
            .values(officer_id=officer_id)
        )

    async def counter(self, service_id: int, code: str) -> CounterRecord | None:
        row = (
            await self._session.execute(
                select(
                    CitizenCounter.id,
                    CitizenCounter.service_id,
                    CitizenCounter.code,
                    CitizenCounter.officer_id,
                ).where(CitizenCounter.service_id == service_id, CitizenCounter.code == code)
            )
        ).one_or_none()
        return CounterRecord(**row._mapping) if row is not None else None

    async def counters(self, service_id: int) -> list[CounterRecord]:
        rows = await self._session.execute(
            select(
                CitizenCounter.id,
                CitizenCounter.service_id,
                CitizenCounter.code,
                CitizenCounter.officer_id,
            )
            .where(CitizenCounter.service_id == service_id)
            .order_by(CitizenCounter.code)
        )
        return [CounterRecord(**row._mapping) for row in rows]

    async def employee_id_by_nip(self, nip: str) -> int | None:
        found = await self._session.scalar(
            select(Employee.id).where(Employee.nip == nip, Employee.active.is_(True))
        )
        return int(found) if found is not None else None

    async def unit_id_by_code(self, code: str) -> int | None:
        found = await self._session.scalar(select(Unit.id).where(Unit.code == code))
        return int(found) if found is not None else None

    async def unit_parents(self) -> dict[int, int | None]:
        rows = await self._session.execute(select(Unit.id, Unit.parent_id))
        return {int(row.id): row.parent_id for row in rows}

    async def admin_unit_of(self, employee_id: int) -> int | None:
        found = await self._session.scalar(
            select(Employee.admin_unit_id).where(Employee.id == employee_id)
        )
        return int(found) if found is not None else None

    async def unit_admins(self, unit_ids: Collection[int]) -> list[int]:
        """Admins responsible for any of `unit_ids`: their unit admins, else instansi admins."""
        rows = await self._session.execute(
            select(Employee.id, Employee.admin_unit_id).where(
                Employee.role == "admin", Employee.active.is_(True)
            )
        )
        unit_admins, instansi = [], []
        for row in rows:
            if row.admin_unit_id is None:
                instansi.append(int(row.id))
            elif row.admin_unit_id in unit_ids:
                unit_admins.append(int(row.id))
        return unit_admins or instansi

    # --- ratings --------------------------------------------------------------------------------

    async def rate(
        self,
        *,
        citizen_id: int,
        service_id: int,
        counter_id: int | None,
        officer_id: int | None,
        day: date,
        quick: int,
        channel: str,
        now: datetime,
    ) -> int:
        """Record the day's quick rating, or update the one given earlier that day."""
        now = _utc(now)
        insert = insert_for(self._session, CitizenRating.__table__)  # type: ignore[arg-type]
        statement = insert.values(
            citizen_id=citizen_id,
            service_id=service_id,
            counter_id=counter_id,
            officer_id=officer_id,
            day=day,
            quick=quick,
            complete=False,
            channel=channel,
            created_at=now,
            updated_at=now,
        ).on_conflict_do_update(
            index_elements=["citizen_id", "service_id", "day"],
            set_={
                "quick": insert.excluded.quick,
                "counter_id": insert.excluded.counter_id,
                "officer_id": insert.excluded.officer_id,
                "updated_at": insert.excluded.updated_at,
            },
        )
        await self._session.execute(statement)
        found = await self._session.scalar(
            select(CitizenRating.id).where(
                CitizenRating.citizen_id == citizen_id,
                CitizenRating.service_id == service_id,
                CitizenRating.day == day,
            )
        )
        return int(found)

    async def rating_owner(self, rating_id: int) -> int | None:
        found = await self._session.scalar(
            select(CitizenRating.citizen_id).where(CitizenRating.id == rating_id)
        )
        return int(found) if found is not None else None

    async def answer_element(
        self, rating_id: int, pseudonym: str, element: int, score: int, now: datetime
    ) -> bool | None:
        """Store one SKM answer of the citizen's own rating (one statement, ownership in its
        WHERE); True when this made the survey complete, None when it is not theirs."""
        column = ELEMENT_COLUMNS[element - 1]
        owner = select(Citizen.id).where(Citizen.pseudonym == pseudonym).scalar_subquery()
        row = (
            await self._session.execute(
                update(CitizenRating)
                .where(CitizenRating.id == rating_id, CitizenRating.citizen_id == owner)
                .values({column: score, "updated_at": _utc(now)})
                .returning(*(CitizenRating.__table__.c[c] for c in ELEMENT_COLUMNS))
            )
        ).one_or_none()
        if row is None:
            return None
        complete = all(value is not None for value in row)
        if complete:
            await self._session.execute(
                update(CitizenRating).where(CitizenRating.id == rating_id).values(complete=True)
            )
        return complete

    async def set_comment(self, rating_id: int, comment: str, now: datetime) -> None:
        await self._session.execute(
            update(CitizenRating)
            .where(CitizenRating.id == rating_id)
            .values(comment=comment, updated_at=_utc(now))
        )

    async def surveys(
        self, service_ids: Collection[int], first: date, last: date
    ) -> list[tuple[int, ...]]:
        """Complete surveys' nine answers, for the IKM."""
        if not service_ids:
            return []
        rows = await self._session.execute(
            select(*(CitizenRating.__table__.c[c] for c in ELEMENT_COLUMNS)).where(
                CitizenRating.service_id.in_(list(service_ids)),
                CitizenRating.day.between(first, last),
                CitizenRating.complete.is_(True),
            )
        )
        return [tuple(int(v) for v in row) for row in rows]

    async def rating_counts(
        self, service_ids: Collection[int], first: date, last: date
    ) -> tuple[int, int, dict[int, int]]:
        """(quick ratings, complete surveys, quick ratings by score)."""
        if not service_ids:
            return 0, 0, {}
        rows = await self._session.execute(
            select(
                CitizenRating.quick,
                func.count(),
                func.sum(func.cast(CitizenRating.complete, type_=CitizenRating.quick.type)),
            )
            .where(
                CitizenRating.service_id.in_(list(service_ids)),
                CitizenRating.day.between(first, last),
            )
            .group_by(CitizenRating.quick)
        )
        by_score: dict[int, int] = {}
        total = complete = 0
        for quick, count, done in rows:
            by_score[int(quick)] = int(count)
            total += int(count)
            complete += int(done or 0)
        return total, complete, by_score

    async def comments(
        self, service_ids: Collection[int], first: date, last: date, limit: int = 20
    ) -> list[CommentRecord]:
        if not service_ids:
            return []
        rows = await self._session.execute(
            select(
                CitizenService.code, CitizenRating.day, CitizenRating.quick, CitizenRating.comment
            )
            .join(CitizenService, CitizenService.id == CitizenRating.service_id)
            .where(
                CitizenRating.service_id.in_(list(service_ids)),
                CitizenRating.day.between(first, last),
                CitizenRating.comment.is_not(None),
            )
            .order_by(CitizenRating.updated_at.desc())
            .limit(limit)
        )
        return [CommentRecord(r.code, r.day, int(r.quick), str(r.comment)) for r in rows]

    async def officer_ratings(self, officer_id: int, first: date, last: date) -> tuple[int, float]:
        """How many quick ratings an ASN received and their average (attribution)."""
        row = (
            await self._session.execute(
                select(func.count(), func.avg(CitizenRating.quick)).where(
                    CitizenRating.officer_id == officer_id,
                    CitizenRating.day.between(first, last),
                )
            )
        ).one()
        return int(row[0]), float(row[1] or 0)

    async def ratings_since(self, service_id: int, since: datetime) -> int:
        return int(
            await self._session.scalar(
                select(func.count()).where(
                    CitizenRating.service_id == service_id,
                    CitizenRating.updated_at >= _utc(since),
                )
            )
            or 0
        )

    # --- complaints -----------------------------------------------------------------------------

    async def add_complaint(self, **values: Any) -> int:
        values["created_at"] = values["updated_at"] = _utc(values.pop("now"))
        statement = insert(CitizenComplaint).values(**values).returning(CitizenComplaint.id)
        return int((await self._session.execute(statement)).scalar_one())

    async def complaint(self, complaint_id: int) -> ComplaintRecord | None:
        row = (
            await self._session.execute(
                _complaint_query().where(CitizenComplaint.id == complaint_id)
            )
        ).one_or_none()
        return _complaint(row) if row is not None else None

    async def complaint_by_ticket(self, ticket: str) -> ComplaintRecord | None:
        row = (
            await self._session.execute(
                _complaint_query().where(CitizenComplaint.ticket == ticket)
            )
        ).one_or_none()
        return _complaint(row) if row is not None else None

    async def complaints_of_citizen(
        self, citizen_id: int, limit: int = 5
    ) -> list[ComplaintRecord]:
        rows = await self._session.execute(
            _complaint_query()
            .where(CitizenComplaint.citizen_id == citizen_id)
            .order_by(CitizenComplaint.id.desc())
            .limit(limit)
        )
        return [_complaint(row) for row in rows]

    async def complaints(
        self, unit_ids: Collection[int] | None, statuses: Sequence[str], limit: int = 20
    ) -> list[ComplaintRecord]:
        query = (
            _complaint_query()
            .where(CitizenComplaint.status.in_(list(statuses)))
            .order_by(CitizenComplaint.due_on, CitizenComplaint.id)
            .limit(limit)
        )
        if unit_ids is not None:
            query = query.where(CitizenComplaint.unit_id.in_(list(unit_ids)))
        return [_complaint(row) for row in await self._session.execute(query)]

    async def set_complaint(self, complaint_id: int, now: datetime, **values: Any) -> None:
        values["updated_at"] = _utc(now)
        await self._session.execute(
            update(CitizenComplaint).where(CitizenComplaint.id == complaint_id).values(**values)
        )

    # --- flags ----------------------------------------------------------------------------------

    async def flag(
        self, service_id: int, window_start: datetime, count: int, now: datetime
    ) -> bool:
        insert = insert_for(self._session, CitizenFlag.__table__)  # type: ignore[arg-type]
        result = await self._session.execute(
            insert.values(
                service_id=service_id,
                window_start=_utc(window_start),
                count=count,
                created_at=_utc(now),
            ).on_conflict_do_nothing(index_elements=["service_id", "window_start"])
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    async def flags(
        self, unit_ids: Collection[int] | None, since: datetime, limit: int = 10
    ) -> list[FlagRecord]:
        query = (
            select(CitizenService.code, CitizenFlag.window_start, CitizenFlag.count)
            .join(CitizenService, CitizenService.id == CitizenFlag.service_id)
            .where(CitizenFlag.created_at >= _utc(since))
            .order_by(CitizenFlag.created_at.desc())
            .limit(limit)
        )
        if unit_ids is not None:
            query = query.where(CitizenService.unit_id.in_(list(unit_ids)))
        return [
            FlagRecord(r[0], _aware(r[1]), int(r[2])) for r in await self._session.execute(query)
        ]

    # --- retention ------------------------------------------------------------------------------

    async def forget_before(self, cutoff: datetime, channels: Sequence[str]) -> tuple[int, int]:
        """Retention: ratings older than `cutoff` lose their citizen and comment (the scores
        stay for the IKM); closed complaints older than it are deleted; citizens left with
        nothing, their chat accounts and conversation states go. (ratings, complaints)."""
        cutoff = _utc(cutoff)
        ratings = await self._session.execute(
            update(CitizenRating)
            .where(CitizenRating.updated_at < cutoff)
            .where((CitizenRating.citizen_id.is_not(None)) | (CitizenRating.comment.is_not(None)))
            .values(citizen_id=None, comment=None)
        )
        complaints = await self._session.execute(
            delete(CitizenComplaint).where(
                CitizenComplaint.closed_at.is_not(None), CitizenComplaint.closed_at < cutoff
            )
        )
        used = (
            select(CitizenComplaint.citizen_id)
            .where(CitizenComplaint.citizen_id.is_not(None))
            .union(select(CitizenRating.citizen_id).where(CitizenRating.citizen_id.is_not(None)))
        )
        stale = select(Citizen.id, Citizen.pseudonym).where(
            Citizen.created_at < cutoff, Citizen.id.not_in(used)
        )
        gone = list(await self._session.execute(stale))
        if gone:
            pseudonyms = [row.pseudonym for row in gone]
            await self._session.execute(
                delete(ConversationState).where(
                    ConversationState.channel.in_(list(channels)),
                    ConversationState.external_id.in_(pseudonyms),
                )
            )
            await self._session.execute(
                delete(Identity).where(
                    Identity.channel.in_(list(channels)), Identity.external_id.in_(pseudonyms)
                )
            )
            await self._session.execute(
                delete(Citizen).where(Citizen.id.in_([row.id for row in gone]))
            )
        return (
            int(getattr(ratings, "rowcount", 0) or 0),
            int(getattr(complaints, "rowcount", 0) or 0),
        )
