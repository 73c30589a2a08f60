"""A seeded organisation with a day of activity, and the app serving the dashboard over it.

The clock is fixed at Wednesday 25 November 2026, 10.00 WIB (11.00 WITA), a working day.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient
from sqlalchemy import insert, select, update

from bot.app import DASHBOARD, DISPATCHER, build_app
from bot.config import Settings
from kinerja.reminders import Audience, AudienceKind
from kinerja.services import broadcasts
from storage.models import Activity, Broadcast, Employee, Leave, OutboxMessage
from storage.uow import SessionFactory, UnitOfWork
from tests.support.chat import ADMIN, ATASAN, ATASAN_WITA, STAFF, Chat, link, seed

Client = TestClient[web.Request, web.Application]
NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
TODAY = date(2026, 11, 25)
BUDI = "199201102019031003"
DEWI = "199405122021212001"
NURUL = "199603172020122005"
BASE = "http://dash.test"
LINK = re.compile(r"(https?://[^/\s]+)/admin/login\?t=([A-Za-z0-9_-]+)")


async def _employee_id(uow: UnitOfWork, nip: str) -> int:
    found = await uow.session.scalar(select(Employee.id).where(Employee.nip == nip))
    assert found is not None
    return int(found)


async def populate(sessions: SessionFactory) -> None:
    """The demo roster, chat accounts, a day of entries, a leave and a broadcast half sent."""
    await seed(sessions)
    for user, nip in (("rina", ADMIN), ("ahmad", ATASAN), ("siti", STAFF), ("andi", ATASAN_WITA)):
        await link(sessions, "web", user, nip)
    async with UnitOfWork(sessions) as uow:
        siti, budi = await _employee_id(uow, STAFF), await _employee_id(uow, BUDI)
        andi, ahmad = await _employee_id(uow, ATASAN_WITA), await _employee_id(uow, ATASAN)
        nurul = await _employee_id(uow, NURUL)
        entries = [
            (siti, TODAY, 120, "diajukan", datetime(2026, 11, 23, 2, 0, tzinfo=UTC)),
            (budi, date(2026, 11, 24), 90, "diajukan", datetime(2026, 11, 24, 9, 0, tzinfo=UTC)),
            (andi, TODAY, 60, "disetujui", datetime(2026, 11, 25, 2, 0, tzinfo=UTC)),
            (ahmad, date(2026, 11, 3), 500, "ditolak", datetime(2026, 11, 3, 9, 0, tzinfo=UTC)),
            (siti, date(2026, 10, 30), 45, "disetujui", datetime(2026, 10, 30, 9, 0, tzinfo=UTC)),
        ]
        for owner, day, minutes, status, submitted in entries:
            await uow.session.execute(
                insert(Activity).values(
                    employee_id=owner,
                    work_date=day,
                    minutes=minutes,
                    description="Kegiatan",
                    status=status,
                    submitted_at=submitted,
                )
            )
        await uow.session.execute(
            insert(Leave).values(
                employee_id=nurul, starts_on=date(2026, 11, 24), ends_on=date(2026, 11, 26)
            )
        )
        admin = await uow.employees.person_by_nip(ADMIN)
        await broadcasts.create(
            uow, admin, "Apel <b>pagi</b> besok", Audience(AudienceKind.ALL), NOW
        )
        rows = list(
            await uow.session.scalars(
                select(OutboxMessage.id)
                .where(OutboxMessage.purpose == "broadcast")
                .order_by(OutboxMessage.id)
            )
        )
        assert len(rows) == 4
        await uow.session.execute(
            update(OutboxMessage).where(OutboxMessage.id == rows[0]).values(status="sent")
        )
        await uow.session.execute(
            update(OutboxMessage).where(OutboxMessage.id == rows[1]).values(status="failed")
        )
        await uow.session.execute(update(Broadcast).values(status="sending"))
        await uow.commit()


def make_app(db_url: str, clock: Callable[[], datetime], **settings: object) -> web.Application:
    options: dict[str, object] = {"database_url": db_url, "public_url": BASE, **settings}
    app = build_app(Settings(**options))  # type: ignore[arg-type]
    app[DISPATCHER].clock = clock
    app[DASHBOARD].clock = clock
    return app


@pytest.fixture
async def client(db_url: str, sessions: SessionFactory, aiohttp_client: AiohttpClient) -> Client:
    await populate(sessions)
    return await aiohttp_client(make_app(db_url, lambda: NOW))


async def ask_link(app: web.Application, user: str = "rina") -> str:
    """What an admin does in chat: `/dasbor`; returns the link's path and query."""
    chat = Chat(app[DISPATCHER], user)
    await chat.send("/dasbor")
    found = LINK.search(chat.text)
    assert found is not None, chat.text
    return f"/admin/login?t={found.group(2)}"


def token_of(path: str) -> str:
    return path.split("t=", 1)[1]


async def log_in(client: Client, user: str = "rina") -> None:
    path = await ask_link(client.app, user)
    response = await client.post("/admin/login", data={"t": token_of(path)})
    assert response.status == 200, await response.text()  # followed the redirect to /admin
    assert str(response.url).endswith("/admin")
