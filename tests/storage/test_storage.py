"""Repositories and the unit of work, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, select

from storage.database import Database
from storage.migrate import is_current, upgrade
from storage.models import Base, Unit
from storage.repositories.conversations import SavedState, StaleStateError
from storage.uow import SessionFactory, UnitOfWork


async def test_migrations_match_the_models(database: Database) -> None:
    diff = await database.run_sync(
        lambda sync: compare_metadata(
            MigrationContext.configure(sync, opts={"compare_type": True}), Base.metadata
        )
    )
    assert diff == []
    assert await is_current(database)


async def test_upgrade_twice_is_harmless(database: Database) -> None:
    await upgrade(database)
    assert await is_current(database)


async def test_unit_of_work_rolls_back_unless_committed(sessions: SessionFactory) -> None:
    async with UnitOfWork(sessions) as uow:
        await uow.units.create("A", "Unit A", "Asia/Jakarta")
    async with UnitOfWork(sessions) as uow:
        await uow.units.create("B", "Unit B", "Asia/Makassar")
        await uow.commit()
    async with UnitOfWork(sessions) as uow:
        assert [unit.code for unit in await uow.units.all()] == ["B"]


async def test_unit_of_work_rolls_back_on_error(sessions: SessionFactory) -> None:
    with pytest.raises(RuntimeError):
        async with UnitOfWork(sessions) as uow:
            await uow.units.create("C", "Unit C", "Asia/Jayapura")
            raise RuntimeError("boom")
    async with UnitOfWork(sessions) as uow:
        assert await uow.session.scalar(select(func.count(Unit.id))) == 0


async def test_update_claim_is_once_per_channel(sessions: SessionFactory) -> None:
    async with UnitOfWork(sessions) as uow:
        assert await uow.updates.claim("telegram", "1")
        assert not await uow.updates.claim("telegram", "1")
        assert await uow.updates.claim("whatsapp", "1")
        await uow.commit()
    async with UnitOfWork(sessions) as uow:
        assert not await uow.updates.claim("telegram", "1")


async def test_rolled_back_claim_lets_the_retry_through(sessions: SessionFactory) -> None:
    async with UnitOfWork(sessions) as uow:
        assert await uow.updates.claim("web", "x")
    async with UnitOfWork(sessions) as uow:
        assert await uow.updates.claim("web", "x")


async def test_conversation_state_is_versioned(sessions: SessionFactory) -> None:
    async with UnitOfWork(sessions) as uow:
        state = await uow.conversations.load("web", "u")
        assert state == SavedState()
        version = await uow.conversations.save(
            "web", "u", SavedState("activity", "time", {"text": "rapat"}, 0)
        )
        await uow.commit()
    assert version == 1
    async with UnitOfWork(sessions) as uow:
        loaded = await uow.conversations.load("web", "u")
        assert (loaded.flow, loaded.step, loaded.data, loaded.version) == (
            "activity",
            "time",
            {"text": "rapat"},
            1,
        )
        await uow.conversations.save("web", "u", SavedState(None, None, {}, 1))
        await uow.commit()
    async with UnitOfWork(sessions) as uow:
        with pytest.raises(StaleStateError):
            await uow.conversations.save("web", "u", SavedState("x", None, {}, 1))
        with pytest.raises(StaleStateError):
            await uow.conversations.save("web", "u", SavedState("x", None, {}, 0))


async def test_identity_ensure_is_race_safe(sessions: SessionFactory) -> None:
    async def ensure() -> int:
        async with UnitOfWork(sessions) as uow:
            identity = await uow.identities.ensure("telegram", "42")
            await uow.commit()
            return identity.id

    ids = await asyncio.gather(*(ensure() for _ in range(5)))
    assert len(set(ids)) == 1


async def test_identity_language_and_link(sessions: SessionFactory) -> None:
    async with UnitOfWork(sessions) as uow:
        unit = await uow.units.create("U", "Unit", "Asia/Jakarta")
        await uow.employees.insert_many(
            [
                {
                    "nip": "199001012015031001",
                    "name": "A",
                    "position": "",
                    "unit_id": unit,
                    "phone": None,
                    "role": "pegawai",
                    "active": True,
                }
            ]
        )
        identity = await uow.identities.ensure("web", "s")
        employee_id = (await uow.employees.ids_by_nip())["199001012015031001"]
        await uow.identities.link_employee(identity.id, employee_id)
        await uow.identities.set_language(identity.id, "en")
        await uow.commit()
    async with UnitOfWork(sessions) as uow:
        found = await uow.identities.find("web", "s")
        assert found is not None
        assert (found.employee_id, found.language) == (employee_id, "en")
        assert [i.external_id for i in await uow.identities.of_employee(employee_id)] == ["s"]
        person = await uow.employees.person(employee_id)
        assert person is not None and person.unit_code == "U" and person.staff_count == 0
