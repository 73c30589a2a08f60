"""Activities and evaluations written straight to the database, for progress and recap tests."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import insert, select

from kinerja.services.demo_seed import seed_demo
from storage.models import Activity, Employee, Evaluation, Rhk
from storage.uow import SessionFactory, UnitOfWork

YEAR = 2026


async def seed_with_skp(sessions: SessionFactory) -> None:
    async with UnitOfWork(sessions) as uow:
        await seed_demo(uow, today=date(YEAR, 11, 25), with_skp=True)
        await uow.commit()


async def employee_id(sessions: SessionFactory, nip: str) -> int:
    async with UnitOfWork(sessions) as uow:
        return int(await uow.session.scalar(select(Employee.id).where(Employee.nip == nip)))


async def rhk_id(sessions: SessionFactory, owner: int, number: int) -> int:
    async with UnitOfWork(sessions) as uow:
        return int(
            await uow.session.scalar(
                select(Rhk.id).where(
                    Rhk.employee_id == owner, Rhk.year == YEAR, Rhk.number == number
                )
            )
        )


async def add_entry(
    sessions: SessionFactory,
    owner: int,
    day: date,
    minutes: int,
    status: str = "disetujui",
    *,
    rhk: int | None = None,
    quantity: str | None = None,
    on_time: bool = True,
) -> None:
    async with UnitOfWork(sessions) as uow:
        await uow.session.execute(
            insert(Activity).values(
                employee_id=owner,
                work_date=day,
                minutes=minutes,
                description="Kegiatan uji",
                rhk_id=rhk,
                quantity=Decimal(quantity) if quantity is not None else None,
                status=status,
                on_time=on_time,
                submitted_at=datetime(day.year, day.month, day.day, 9, tzinfo=UTC),
            )
        )
        await uow.commit()


async def add_evaluation(
    sessions: SessionFactory, owner: int, evaluator: int, period: str, predikat: str
) -> None:
    async with UnitOfWork(sessions) as uow:
        await uow.session.execute(
            insert(Evaluation).values(
                employee_id=owner,
                evaluator_id=evaluator,
                period=period,
                hasil_kerja="sesuai",
                perilaku_kerja="sesuai",
                predikat=predikat,
                feedback="Baik.",
            )
        )
        await uow.commit()
