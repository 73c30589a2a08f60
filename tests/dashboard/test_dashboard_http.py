"""The admin dashboard over HTTP, as a browser uses it: the chat link, the login button, every
page, and every way in that must fail (no session, a spent or expired link, a tampered cookie, a
non-admin, a logged-out session). Runs on each database backend."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from aiohttp import web
from pydantic import ValidationError
from pytest_aiohttp import AiohttpClient
from sqlalchemy import insert, select, update

from bot.app import DASHBOARD, DISPATCHER
from bot.chat.dispatcher import Dispatcher
from bot.chat.i18n import Catalogs
from bot.config import Settings
from bot.dashboard import Dashboard, Section, charts, routes
from bot.dashboard.auth import COOKIE
from handlers import ROUTERS
from kinerja.services.dashboard import LoginRefused, Viewer, issue_link
from storage.models import CitizenRating, Employee, Unit
from storage.uow import SessionFactory, UnitOfWork
from tests.dashboard.conftest import (
    NOW,
    Client,
    ask_link,
    log_in,
    make_app,
    populate,
    token_of,
)
from tests.support.chat import ADMIN, STAFF, Chat

PAGES = (
    "/admin",
    "/admin/idle",
    "/admin/approvals",
    "/admin/broadcasts",
    "/admin/charts",
    "/admin/ikm",
)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def cells(html: str, table_id: str) -> list[list[str]]:
    """The text of each body row of a table, cell by cell (tags stripped)."""
    table = re.search(rf'<table id="{table_id}">(.*?)</table>', html, re.S)
    assert table is not None, f"no table {table_id}"
    body = re.search(r"<tbody>(.*?)</tbody>", table.group(1), re.S)
    assert body is not None
    rows = re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S)
    return [
        [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", cell)).strip() for cell in
         re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        for row in rows
    ]  # fmt: skip


async def test_without_a_session_every_page_redirects_to_the_login_help(client: Client) -> None:
    for page in PAGES:
        response = await client.get(page, allow_redirects=False)
        assert response.status == 303, page
        assert response.headers["Location"] == "/admin/help"
    help_page = await client.get("/admin/help")
    assert help_page.status == 200
    body = await help_page.text()
    assert "/dasbor" in body and "Masuk ke dasbor" in body
    assert 'lang="id"' in body


async def test_admin_logs_in_with_a_chat_link_and_gets_a_strict_session_cookie(
    client: Client,
) -> None:
    path = await ask_link(client.app)
    # Opening the link (as a link preview would) only shows the login button.
    for _ in range(2):
        landing = await client.get(path)
        assert landing.status == 200
        assert 'action="/admin/login"' in await landing.text()
        assert landing.headers["Referrer-Policy"] == "no-referrer"
    response = await client.post("/admin/login", data={"t": token_of(path)}, allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/admin"
    cookie = response.cookies[COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and cookie["path"] == "/admin"
    assert not cookie["secure"]  # plain http here; see the https test
    home = await client.get("/admin")
    assert home.status == 200
    html = await home.text()
    assert "Rina Marlina" in html and "semua unit" in html
    assert home.headers["Cache-Control"] == "no-store"
    assert "script-src" not in home.headers["Content-Security-Policy"]  # default-src 'none'


async def test_units_page_counts_staff_logged_and_pending_in_each_units_zone(
    client: Client,
) -> None:
    await log_in(client)
    html = await (await client.get("/admin")).text()
    rows = cells(html, "units")
    assert [row[0].split()[0] for row in rows] == ["BKPSDM", "DISKOMINFO", "UPT-TIMUR"]
    by_code = {row[0].split()[0]: row for row in rows}
    assert by_code["BKPSDM"][1:] == ["25/11 10.00 WIB", "1", "0 (0%)", "0"]
    assert by_code["DISKOMINFO"][1:] == ["25/11 10.00 WIB", "4", "1 (25%)", "2"]
    assert by_code["UPT-TIMUR"][1:] == ["25/11 11.00 WITA", "2", "1 (50%)", "0"]


async def test_idle_page_lists_who_has_not_logged_today_without_those_on_leave(
    client: Client,
) -> None:
    await log_in(client)
    html = await (await client.get("/admin/idle")).text()
    kominfo = html.split('id="idle-')[2]  # units in code order: BKPSDM, DISKOMINFO, UPT-TIMUR
    assert "Budi Santoso" in kominfo and "Dewi Lestari" in kominfo
    assert "Drs. Ahmad Fauzi" in kominfo and "Siti Nurhaliza" not in kominfo
    assert "3 dari 4 pegawai belum mencatat" in kominfo
    timur = html.split('id="idle-')[3]
    assert "Nurul Hidayah" not in timur  # on leave
    assert "Semua pegawai sudah mencatat atau sedang cuti." in timur


async def test_idle_page_on_a_day_off_lists_nobody(
    db_url: str, sessions: SessionFactory, aiohttp_client: AiohttpClient
) -> None:
    await populate(sessions)
    saturday = NOW + timedelta(days=3)
    client = await aiohttp_client(make_app(db_url, lambda: saturday))
    await log_in(client)
    html = await (await client.get("/admin/idle")).text()
    assert html.count("Hari ini bukan hari kerja (hari libur).") == 3
    assert "Dewi Lestari" not in html


async def test_approvals_page_shows_count_and_oldest_age_per_atasan(client: Client) -> None:
    await log_in(client)
    html = await (await client.get("/admin/approvals")).text()
    assert cells(html, "approvals") == [
        ["Drs. Ahmad Fauzi, M.Si.", "DISKOMINFO", "2", "23/11 09.00 WIB", "2 hari 1 jam"]
    ]


async def test_broadcasts_page_shows_progress_from_the_outbox(client: Client) -> None:
    await log_in(client)
    html = await (await client.get("/admin/broadcasts")).text()
    [row] = cells(html, "broadcasts")
    assert row[0] == "1"
    assert row[1].startswith("Apel &lt;b&gt;pagi&lt;/b&gt; besok")  # the admin's text, escaped
    assert row[2:7] == ["25/11 10.00 WIB", "Sedang dikirim", "1", "1", "2"]
    assert '<progress max="4" value="2"' in html


async def test_charts_page_draws_minutes_per_unit_as_inline_svg(client: Client) -> None:
    await log_in(client)
    html = await (await client.get("/admin/charts")).text()
    assert "Menit kegiatan per unit, November 2026" in html
    svg = html.split('<svg class="chart" id="chart-minutes"', 1)[1].split("</svg>", 1)[0]
    labels = re.findall(r'text-anchor="end">([^<]+)</text>', svg)
    assert labels == ["DISKOMINFO", "UPT-TIMUR", "BKPSDM"]  # most minutes first
    # The rejected 500 minutes and October's entry do not count.
    assert "210 menit" in svg and "60 menit" in svg and ">0 menit<" in svg
    widths = [float(w) for w in re.findall(r'<rect x="\d+" y="\d+" width="([\d.]+)"', svg)]
    span = charts.WIDTH - charts.LABEL_WIDTH - charts.VALUE_WIDTH
    assert widths[0] == span and widths[1] == pytest.approx(span * 60 / 210, abs=0.1)
    assert widths[2] == 0
    assert 'role="img"' in svg and "<title" in svg


async def test_unit_admin_sees_only_their_unit(client: Client) -> None:
    async with UnitOfWork(client.app[DASHBOARD].sessions) as uow:
        kominfo = await uow.session.scalar(select(Unit.id).where(Unit.code == "DISKOMINFO"))
        await uow.session.execute(
            update(Employee).where(Employee.nip == ADMIN).values(admin_unit_id=kominfo)
        )
        await uow.commit()
    await log_in(client)
    units = await (await client.get("/admin")).text()
    assert [row[0].split()[0] for row in cells(units, "units")] == ["DISKOMINFO"]
    assert "unit BKPSDM" in units  # the scope line names the admin's own unit
    idle = await (await client.get("/admin/idle")).text()
    assert "Dewi Lestari" in idle and "Wilayah Timur" not in idle
    charts = await (await client.get("/admin/charts")).text()
    assert "UPT-TIMUR" not in charts and "BKPSDM" not in charts.split("<main", 1)[1]
    # The broadcast was sent by an admin of BKPSDM, outside this scope.
    broadcasts = await (await client.get("/admin/broadcasts")).text()
    assert "Belum ada siaran." in broadcasts


async def test_staff_cannot_ask_for_a_link_and_a_demoted_admin_gets_403(client: Client) -> None:
    app = client.app
    siti = Chat(app[DISPATCHER], "siti")
    await siti.send("/dasbor")
    assert "/admin/login" not in siti.text
    sessions = app[DASHBOARD].sessions
    async with UnitOfWork(sessions) as uow:
        person = await uow.employees.person_by_nip(STAFF)
        assert person is not None
        with pytest.raises(LoginRefused):
            await issue_link(uow, person, NOW, 10)
    # A link issued to an admin who is no longer one by the time it is used: 403, and spent.
    path = await ask_link(app)
    await _set_role(sessions, "pegawai")
    refused = await client.post("/admin/login", data={"t": token_of(path)})
    assert refused.status == 403
    assert "Akses ditolak" in await refused.text()
    await _set_role(sessions, "admin")
    again = await client.post("/admin/login", data={"t": token_of(path)})
    assert again.status == 400
    # A session whose owner is demoted meanwhile: 403 at the next page.
    await log_in(client)
    await _set_role(sessions, "pegawai")
    for page in PAGES:
        response = await client.get(page, allow_redirects=False)
        assert response.status == 403, page
        assert "Akses ditolak" in await response.text()


async def _set_role(sessions: SessionFactory, role: str) -> None:
    async with UnitOfWork(sessions) as uow:
        await uow.session.execute(update(Employee).where(Employee.nip == ADMIN).values(role=role))
        await uow.commit()


async def test_a_link_works_once(client: Client) -> None:
    path = await ask_link(client.app)
    first = await client.post("/admin/login", data={"t": token_of(path)}, allow_redirects=False)
    assert first.status == 303
    client.session.cookie_jar.clear()
    second = await client.post("/admin/login", data={"t": token_of(path)}, allow_redirects=False)
    assert second.status == 400
    assert "Tautan sudah dipakai" in await second.text()
    assert COOKIE not in second.cookies
    reopened = await client.get(path)
    assert reopened.status == 400 and "Tautan sudah dipakai" in await reopened.text()
    assert (await client.get("/admin", allow_redirects=False)).status == 303


async def test_an_expired_link_is_refused(
    db_url: str, sessions: SessionFactory, aiohttp_client: AiohttpClient
) -> None:
    await populate(sessions)
    now = [NOW]
    client = await aiohttp_client(make_app(db_url, lambda: now[0]))
    path = await ask_link(client.app)
    now[0] = NOW + timedelta(minutes=10, seconds=1)
    response = await client.post("/admin/login", data={"t": token_of(path)})
    assert response.status == 400
    assert "Tautan kedaluwarsa" in await response.text()


@pytest.mark.parametrize(
    "token", ["", "short", "x" * 65, "bad token with spaces", "A" * 43, "<script>" * 4]
)
async def test_bad_or_unknown_links_get_a_clear_page(client: Client, token: str) -> None:
    for response in (
        await client.get("/admin/login", params={"t": token}),
        await client.post("/admin/login", data={"t": token}),
    ):
        assert response.status == 400
        html = await response.text()
        assert "/dasbor" in html and "<script>" not in html


async def test_tampered_or_forged_cookies_are_turned_away(client: Client) -> None:
    await log_in(client)
    good = client.session.cookie_jar.filter_cookies(client.make_url("/admin"))[COOKIE].value
    session, signature = good.split(".")
    forged = [
        f"{session}.{_flip(signature)}",  # signature altered
        f"{_flip(session)}.{signature}",  # token altered
        f"{'B' * 43}.{signature}",  # a made-up session
        "garbage",
        "",
    ]
    for value in forged:
        client.session.cookie_jar.clear()
        response = await client.get(
            "/admin", headers={"Cookie": f"{COOKIE}={value}"}, allow_redirects=False
        )
        assert response.status == 303, value
        assert response.headers["Location"] == "/admin/help"
    client.session.cookie_jar.clear()
    ok = await client.get("/admin", headers={"Cookie": f"{COOKIE}={good}"})
    assert ok.status == 200


def _flip(value: str) -> str:
    """`value` with its first character changed."""
    return ("B" if value[0] == "A" else "A") + value[1:]


async def test_logout_needs_the_forms_token_and_ends_the_session(client: Client) -> None:
    await log_in(client)
    html = await (await client.get("/admin")).text()
    cookie = client.session.cookie_jar.filter_cookies(client.make_url("/admin"))[COOKIE].value
    assert (await client.post("/admin/logout", data={})).status == 400
    assert (await client.post("/admin/logout", data={"csrf": "x" * 43})).status == 400
    assert (await client.get("/admin")).status == 200  # still logged in
    assert (await client.get("/admin/logout")).status == 405
    out = await client.post("/admin/logout", data={"csrf": csrf_of(html)})
    assert out.status == 200
    assert "Anda telah keluar" in await out.text()
    assert out.cookies[COOKIE].value == ""
    # The old cookie, replayed, no longer opens anything.
    client.session.cookie_jar.clear()
    replay = await client.get(
        "/admin", headers={"Cookie": f"{COOKIE}={cookie}"}, allow_redirects=False
    )
    assert replay.status == 303 and replay.headers["Location"] == "/admin/help?expired=1"


async def test_sessions_expire(
    db_url: str, sessions: SessionFactory, aiohttp_client: AiohttpClient
) -> None:
    await populate(sessions)
    now = [NOW]
    client = await aiohttp_client(make_app(db_url, lambda: now[0], dashboard_session_minutes=30))
    await log_in(client)
    now[0] = NOW + timedelta(minutes=29)
    assert (await client.get("/admin")).status == 200
    now[0] = NOW + timedelta(minutes=30)
    expired = await client.get("/admin", allow_redirects=False)
    assert expired.status == 303 and expired.headers["Location"] == "/admin/help?expired=1"
    page = await client.get("/admin/help?expired=1")
    assert "Sesi Anda sudah berakhir" in await page.text()


async def test_cookie_is_secure_when_the_public_url_is_https(
    db_url: str, sessions: SessionFactory, aiohttp_client: AiohttpClient
) -> None:
    await populate(sessions)
    client = await aiohttp_client(
        make_app(db_url, lambda: NOW, public_url="https://kinerja.example.go.id")
    )
    chat = Chat(client.app[DISPATCHER], "rina")
    await chat.send("/dasbor")
    assert "https://kinerja.example.go.id/admin/login?t=" in chat.text
    assert "berlaku 10 menit" in chat.text
    token = chat.text.split("?t=", 1)[1].split()[0]
    response = await client.post("/admin/login", data={"t": token}, allow_redirects=False)
    assert response.status == 303
    assert response.cookies[COOKIE]["secure"]


async def test_pages_in_english_on_request(client: Client) -> None:
    await log_in(client)
    english = await client.get("/admin/approvals?lang=en")
    html = await english.text()
    assert 'lang="en"' in html and "Pending approvals by supervisor" in html
    assert "2 d 1 h" in html and "23/11 09:00 WIB" in html
    # The choice sticks for the next page.
    assert "Units today" in await (await client.get("/admin")).text()
    assert "Unit kerja hari ini" in await (await client.get("/admin?lang=id")).text()


async def test_unknown_pages_and_methods_get_a_polite_page(client: Client) -> None:
    await log_in(client)
    missing = await client.get("/admin/nothing-here")
    assert missing.status == 404
    assert "Halaman tidak ditemukan" in await missing.text()
    assert (await client.post("/admin/charts")).status == 405
    oversized = await client.post(
        "/admin/login",
        data=io.BytesIO(b"t=" + b"x" * (2 * 1024 * 1024)),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert oversized.status in (400, 413)


async def test_long_lists_are_cut_with_a_count(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(routes, "SHOWN_ROWS", 2)
    await log_in(client)
    html = await (await client.get("/admin/idle")).text()
    kominfo = html.split('id="idle-')[2]
    assert kominfo.count('<th scope="row">') == 2
    assert "3 dari 4 pegawai belum mencatat" in kominfo
    assert "… dan 1 lainnya tidak ditampilkan." in kominfo


async def test_a_later_feature_adds_a_section_with_its_own_template(
    sessions: SessionFactory, catalogs: Catalogs, aiohttp_client: AiohttpClient, tmp_path: Path
) -> None:
    """How a later page plugs in (as the IKM page could have): a section, a template directory,
    nothing edited."""
    await populate(sessions)
    (tmp_path / "extra.html").write_text(
        '{% extends "base.html" %}{% block content %}'
        "<h1>Extra</h1><p>{{ units|join(', ') }} for {{ page.viewer.person.name }}</p>"
        "{% endblock %}"
    )

    async def load(uow: UnitOfWork, viewer: Viewer, now: datetime) -> dict[str, object]:
        return {"units": [u.code for u in await uow.dashboard.units(viewer.units)]}

    dashboard = Dashboard(
        sessions,
        catalogs,
        clock=lambda: NOW,
        sections=(Section("extra", "dash.nav.charts", "extra.html", load),),
        template_dirs=(tmp_path,),
    )
    app = web.Application(middlewares=[dashboard.errors])
    app.router.add_routes(dashboard.routes())
    client = await aiohttp_client(app)
    async with UnitOfWork(sessions) as uow:
        admin = await uow.employees.person_by_nip(ADMIN)
        assert admin is not None
        token = await issue_link(uow, admin, NOW, 10)
        await uow.commit()
    assert (await client.post("/admin/login", data={"t": token})).status == 200
    page = await client.get("/admin/extra")
    assert page.status == 200
    html = await page.text()
    assert "BKPSDM, DISKOMINFO, UPT-TIMUR for Rina Marlina, S.Kom." in html
    assert 'href="/admin/extra" aria-current="page"' in html


def test_the_link_address_defaults_to_where_browsers_reach_the_service() -> None:
    assert Settings(public_url="https://kinerja.example.go.id/").dashboard_url == (
        "https://kinerja.example.go.id"
    )
    webhook = Settings(
        telegram_webhook_url="https://bot.example.go.id/webhooks/telegram",
        telegram_webhook_secret="s3cret",
    )
    assert webhook.dashboard_url == "https://bot.example.go.id"
    listening_everywhere = Settings(http_host="0.0.0.0", http_port=9000)  # noqa: S104
    assert listening_everywhere.dashboard_url == "http://127.0.0.1:9000"
    with pytest.raises(ValidationError):
        Settings(public_url="kinerja.example.go.id")


async def test_without_the_composition_root_the_feature_says_the_address_is_not_set(
    sessions: SessionFactory, catalogs: Catalogs
) -> None:
    await populate(sessions)
    dispatcher = Dispatcher(ROUTERS, sessions, catalogs, clock=lambda: NOW)
    rina = Chat(dispatcher, "rina")
    await rina.send("/dasbor")
    assert "PUBLIC_URL" in rina.text and "/admin/login" not in rina.text
    await rina.send("/menu")
    assert "Dasbor web" in rina.labels()
    siti = Chat(dispatcher, "siti")
    await siti.send("/menu")
    assert "Dasbor web" not in siti.labels()


async def test_ikm_page_shows_each_units_ikm_grade_and_elements(client: Client) -> None:
    """Two complete surveys (all 4s, all 3s) give averages of 3.5: IKM 87.50, grade B. An
    incomplete one does not count; a unit without services is not listed."""
    async with UnitOfWork(client.app[DASHBOARD].sessions) as uow:
        units = {unit.code: unit.id for unit in await uow.units.all()}
        kominfo = await uow.citizen.add_service("KTP", "Layanan KTP", units["DISKOMINFO"], None)
        timur = await uow.citizen.add_service("IZIN", "Izin usaha", units["UPT-TIMUR"], None)
        for service, answers, complete in (
            (kominfo, [4] * 9, True),
            (kominfo, [3] * 9, True),
            (kominfo, [1] * 4 + [None] * 5, False),
            (timur, [2] + [None] * 8, False),
        ):
            await uow.session.execute(
                insert(CitizenRating).values(
                    service_id=service,
                    day=NOW.date(),
                    quick=answers[0],
                    complete=complete,
                    channel="citizen-web",
                    created_at=NOW,
                    updated_at=NOW,
                    **{f"u{n}": value for n, value in enumerate(answers, 1)},
                )
            )
        await uow.commit()
    await log_in(client)
    response = await client.get("/admin/ikm")
    assert response.status == 200
    html = await response.text()
    assert "IKM per unit tahun 2026" in html
    main = html.split("<main", 1)[1]
    assert "DISKOMINFO" in main and "UPT-TIMUR" in main and "BKPSDM" not in main
    svg = main.split('id="chart-ikm"', 1)[1].split("</svg>", 1)[0]
    assert "87,50 (B)" in svg and "—" in svg
    rows = re.findall(r"<tr>\s*<th scope=\"row\">(.*?)</tr>", main, re.S)
    kominfo_row = re.sub(r"<[^>]+>", " ", rows[0]).split()
    assert kominfo_row[:3] == ["DISKOMINFO", "Dinas", "Komunikasi"]
    assert "87,50" in kominfo_row and "B" in kominfo_row and kominfo_row.count("3,50") == 9
    assert "belum ada survei lengkap" in rows[1]
    english = await (await client.get("/admin/ikm?lang=en")).text()
    assert "IKM per unit, 2026" in english and "no complete survey yet" in english
