"""`/tenggat`: deadlines set, listed and cancelled from chat, within the admin's scope."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest

from bot.chat.dispatcher import Dispatcher
from bot.chat.i18n import Catalogs
from handlers import ROUTERS
from handlers.deadline import AUDIENCE, CANCEL
from kinerja.reminders import AudienceKind
from kinerja.roster import parse_roster
from kinerja.services import reminders
from kinerja.services.demo_seed import ROSTER
from kinerja.services.roster_import import import_roster
from storage.uow import SessionFactory, UnitOfWork
from tests.support.chat import ADMIN, ATASAN, STAFF, Chat, link, seed

NOW = datetime(2026, 11, 18, 3, 0, tzinfo=UTC)  # Wednesday 10.00 WIB
NURUL = "199603172020122005"  # UPT-TIMUR, made its unit admin


@pytest.fixture
async def dispatcher(sessions: SessionFactory, catalogs: Catalogs) -> Dispatcher:
    await seed(sessions)
    row = next(row for row in ROSTER if row[0] == NURUL)
    data = io.StringIO()
    csv.writer(data).writerows([ROSTER[0], (*row[:6], "admin_unit")])
    async with UnitOfWork(sessions) as uow:
        await import_roster(
            uow,
            parse_roster(data.getvalue().encode(), "r.csv"),
            default_timezone="Asia/Jakarta",
            partial=True,
        )
        await uow.commit()
    for user, nip in (("rina", ADMIN), ("ahmad", ATASAN), ("siti", STAFF), ("nurul", NURUL)):
        await link(sessions, "web", user, nip)
    return Dispatcher(ROUTERS, sessions, catalogs, clock=lambda: NOW)


def chat(dispatcher: Dispatcher, user: str) -> Chat:
    return Chat(dispatcher, user)


async def test_an_admin_sets_a_deadline_sees_it_and_cancels_it(
    dispatcher: Dispatcher, catalogs: Catalogs
) -> None:
    t = catalogs.translator("id")
    rina = chat(dispatcher, "rina")
    await rina.send("/menu")
    assert str(t("btn.deadline")) in rina.labels()
    await rina.send("/tenggat")
    assert str(t("deadline.none")) in rina.text

    await rina.send("Unggah SKP 2027 31/01/2027")
    assert rina.text == str(t("deadline.ask_audience"))
    assert str(t("btn.audience_idle")) not in rina.labels()
    await rina.press(str(t("btn.audience_all")))
    assert "Unggah SKP 2027" in rina.text and "31 Januari 2027" in rina.text
    assert "4 orang" in rina.text  # the four linked accounts
    await rina.press(str(t("btn.save_skip_skp")))
    assert "disimpan" in rina.text

    async with UnitOfWork(dispatcher.sessions) as uow:
        [saved] = await uow.reminders.deadlines(date(2026, 11, 18))
    assert (saved.title, saved.due_on, saved.offsets) == (
        "Unggah SKP 2027",
        date(2027, 1, 31),
        (7, 3, 1, 0),
    )
    assert (saved.audience.kind, saved.exclude_done) == (AudienceKind.ALL, "skp")

    # The reminder job reaches the audience at H-7 (Sunday 24/01 is off: Friday 22/01).
    async with UnitOfWork(dispatcher.sessions) as uow:
        queued = await reminders.queue_deadlines(
            uow, "Asia/Jakarta", datetime(2027, 1, 22, 1, 0, tzinfo=UTC)
        )
        await uow.commit()
    assert queued == 3  # Rina, Ahmad and Siti in WIB; Nurul is in WITA

    await rina.send("/tenggat")
    assert "#1" in rina.text and "Unggah SKP 2027" in rina.text
    await rina.press(str(t("btn.cancel_deadline", id=saved.id)))
    assert rina.text == str(t("deadline.cancelled", id=saved.id))
    async with UnitOfWork(dispatcher.sessions) as uow:
        assert await uow.reminders.deadlines(date(2026, 11, 18)) == []


@pytest.mark.parametrize(
    ("typed", "key", "params"),
    [
        ("Unggah", "deadline.ask_format", {}),
        ("SK 31/01/2027", "deadline.bad_title", {"min": 3, "max": 120}),
        ("Unggah SKP 01/11/2026", "deadline.past", {}),
        ("Unggah SKP 01/01/2030", "deadline.too_far", {}),
        ("Unggah SKP besok", "calendar.bad_date", {"text": "besok"}),
    ],
)
async def test_bad_deadlines_are_explained_and_nothing_is_saved(
    dispatcher: Dispatcher, catalogs: Catalogs, typed: str, key: str, params: dict[str, object]
) -> None:
    rina = chat(dispatcher, "rina")
    await rina.send("/tenggat")
    await rina.send(typed)
    assert rina.text == str(catalogs.translator("id")(key, **params))
    async with UnitOfWork(dispatcher.sessions) as uow:
        assert await uow.reminders.deadlines(date(2026, 1, 1)) == []


async def test_forged_presses_and_other_roles_change_nothing(
    dispatcher: Dispatcher, catalogs: Catalogs
) -> None:
    t = catalogs.translator("id")
    rina = chat(dispatcher, "rina")
    await rina.send("/tenggat")
    await rina.send("Rapat evaluasi 30/11/2026")
    await rina.press_payload(AUDIENCE.pack(k=AudienceKind.NO_ACTIVITY.value))
    assert rina.text == str(t("deadline.bad_audience"))
    await rina.press_payload(AUDIENCE.pack(k=AudienceKind.ATASAN.value))
    await rina.press(str(t("btn.save")))
    async with UnitOfWork(dispatcher.sessions) as uow:
        [saved] = await uow.reminders.deadlines(date(2026, 11, 18))

    # A unit admin neither sees nor cancels another admin's deadline, nor reaches other units.
    nurul = chat(dispatcher, "nurul")
    await nurul.send("/tenggat")
    assert str(t("deadline.none")) in nurul.text
    await nurul.press_payload(CANCEL.pack(id=saved.id))
    assert nurul.text == str(t("deadline.not_yours"))
    await nurul.send("/tenggat")
    await nurul.send("Laporan triwulan 15/12/2026")
    await nurul.press(str(t("btn.audience_other")))
    await nurul.send("DISKOMINFO")
    assert nurul.text == str(t("deadline.other_unit"))
    await nurul.send("UPT-TIMUR")
    assert "Laporan triwulan" in nurul.text and "1 orang" in nurul.text

    # Staff and atasan without the admin role cannot reach the flow at all.
    for user in ("siti", "ahmad"):
        other = chat(dispatcher, user)
        await other.send("/tenggat")
        assert other.text == str(t("auth.forbidden"))
        await other.press_payload(CANCEL.pack(id=saved.id))
        assert other.text == str(t("auth.forbidden"))
    async with UnitOfWork(dispatcher.sessions) as uow:
        assert [d.id for d in await uow.reminders.deadlines(date(2026, 11, 18))] == [saved.id]
