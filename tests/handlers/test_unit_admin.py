"""A unit admin (`peran` admin_unit in the roster) manages their unit and its sub-units only.

Checked on the server: the buttons offered are scoped, and a forged button or a typed NIP
outside the scope is refused, for the recap, delegations, the evaluation overview and the
organisation-wide calendar.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest

from bot.chat.dispatcher import Dispatcher
from bot.chat.i18n import Catalogs
from handlers import ROUTERS
from handlers.report import FILE, VIEW
from kinerja.roster import parse_roster
from kinerja.services.demo_seed import ATASAN_KOMINFO, ATASAN_TIMUR, ROSTER
from kinerja.services.roster_import import import_roster
from storage.uow import SessionFactory, UnitOfWork
from tests.support.chat import ADMIN, Chat, link, seed

NOW = datetime(2026, 11, 18, 3, 0, tzinfo=UTC)  # a Wednesday, 10.00 WIB
NURUL = "199603172020122005"  # staff of UPT-TIMUR, made its unit admin below


@pytest.fixture
async def dispatcher(sessions: SessionFactory, catalogs: Catalogs) -> Dispatcher:
    await seed(sessions)
    row = next(row for row in ROSTER if row[0] == NURUL)
    data = io.StringIO()
    csv.writer(data).writerows([ROSTER[0], (*row[:6], "admin_unit")])
    async with UnitOfWork(sessions) as uow:
        summary = await import_roster(
            uow,
            parse_roster(data.getvalue().encode(), "r.csv"),
            default_timezone="Asia/Jakarta",
            partial=True,
        )
        assert not summary.errors
        await uow.commit()
    return Dispatcher(ROUTERS, sessions, catalogs, clock=lambda: NOW)


@pytest.fixture
async def unit_admin(dispatcher: Dispatcher) -> Chat:
    await link(dispatcher.sessions, "web", "nurul", NURUL)
    return Chat(dispatcher, "nurul")


@pytest.fixture
async def org_admin(dispatcher: Dispatcher) -> Chat:
    await link(dispatcher.sessions, "web", "rina", ADMIN)
    return Chat(dispatcher, "rina")


async def test_the_recap_offers_and_shows_only_the_units_in_scope(
    unit_admin: Chat, org_admin: Chat, catalogs: Catalogs
) -> None:
    t = catalogs.translator("id")
    await unit_admin.send("/laporan")
    assert unit_admin.labels()[:1] == ["UPT-TIMUR"]
    assert str(t("btn.all_units")) not in unit_admin.labels()
    assert "DISKOMINFO" not in unit_admin.labels()

    await unit_admin.press("UPT-TIMUR")
    assert "Nurul" in unit_admin.text

    unknown = str(t("report.unknown"))
    for forged in (
        VIEW.pack(u="DISKOMINFO", m="2026-11"),
        VIEW.pack(u="ALL", m="2026-11"),
        FILE.pack(u="DISKOMINFO", m="2026-11", f="xlsx"),
        FILE.pack(u="ALL", m="2026-11", f="csv"),
    ):
        await unit_admin.press_payload(forged)
        assert unit_admin.text == unknown, forged

    await org_admin.send("/laporan")
    assert {str(t("btn.all_units")), "DISKOMINFO", "UPT-TIMUR"} <= set(org_admin.labels())


async def test_the_calendar_is_for_admins_of_the_whole_organisation(
    unit_admin: Chat, org_admin: Chat, catalogs: Catalogs
) -> None:
    t = catalogs.translator("id")
    calendar = str(t("btn.calendar"))
    await unit_admin.send("/menu")
    assert calendar not in unit_admin.labels()
    assert str(t("btn.report")) in unit_admin.labels()
    await unit_admin.send("/kalender")
    assert unit_admin.text == str(t("auth.forbidden"))

    await org_admin.send("/menu")
    assert calendar in org_admin.labels()
    await org_admin.send("/kalender")
    assert org_admin.text != str(t("auth.forbidden"))


async def test_a_unit_admin_delegates_only_for_atasan_in_scope(
    unit_admin: Chat, catalogs: Catalogs
) -> None:
    t = catalogs.translator("id")
    await unit_admin.send("/delegasi")
    await unit_admin.send(f"{ATASAN_KOMINFO} {NURUL} 24/11-28/11")
    assert unit_admin.text == str(t("delegation.out_of_scope", nip=ATASAN_KOMINFO))

    await unit_admin.send(f"{ATASAN_TIMUR} {NURUL} 24/11-28/11")
    assert "Nurul" in unit_admin.text and "Andi" in unit_admin.text


async def test_the_evaluation_overview_counts_only_units_in_scope(
    unit_admin: Chat, org_admin: Chat
) -> None:
    await unit_admin.send("/penilaian")
    assert "UPT-TIMUR" in unit_admin.text and "DISKOMINFO" not in unit_admin.text
    await org_admin.send("/penilaian")
    assert "UPT-TIMUR" in org_admin.text and "DISKOMINFO" in org_admin.text


async def test_a_unit_admin_records_leave_only_for_staff_in_scope(
    unit_admin: Chat, catalogs: Catalogs
) -> None:
    t = catalogs.translator("id")
    siti = "199008242015032001"  # DISKOMINFO
    await unit_admin.send("/cuti")
    await unit_admin.send(f"{siti} 24/11-25/11")
    assert unit_admin.text == str(t("leave.out_of_scope", nip=siti))
    async with UnitOfWork(unit_admin.dispatcher.sessions) as uow:
        assert await uow.calendar.on_leave(date(2026, 11, 24)) == set()

    await unit_admin.send("/cuti")
    await unit_admin.send(f"{ATASAN_TIMUR} 24/11-25/11")
    async with UnitOfWork(unit_admin.dispatcher.sessions) as uow:
        assert len(await uow.calendar.on_leave(date(2026, 11, 24))) == 1
