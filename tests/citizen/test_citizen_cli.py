"""`kinerja citizen`, `kinerja qr` (the poster decoded back to its deep link) and
`kinerja report ikm`, against a SQLite file as an operator would run them."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
import zxingcpp
from openpyxl import load_workbook
from PIL import Image as PILImage

from storage.database import create_database
from storage.migrate import upgrade
from storage.uow import UnitOfWork, session_factory
from tests.support.chat import seed
from tests.support.cli import isolate, kinerja


@pytest.fixture
async def database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    isolate(monkeypatch, tmp_path)
    url = f"sqlite:///{tmp_path / 'k.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    database = create_database(url)
    try:
        await upgrade(database)
        await seed(session_factory(database))
    finally:
        await database.dispose()
    return url


def decoded(path: Path) -> list[str]:
    return [found.text for found in zxingcpp.read_barcodes(PILImage.open(path))]


async def test_catalog_and_qr_poster_decode_to_the_deep_link(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await kinerja("citizen", "add", "ktp", "DISKOMINFO", "Perekaman KTP-el") == 0
    assert await kinerja("citizen", "add", "KTP", "DISKOMINFO", "Lagi") == 1
    assert "sudah ada" in capsys.readouterr().err
    assert await kinerja("citizen", "add", "K_1", "DISKOMINFO", "Kode salah") == 1
    assert await kinerja("citizen", "add", "SIM", "NOPE", "Unit salah") == 1
    assert "NOPE" in capsys.readouterr().err
    assert await kinerja("citizen", "counter", "KTP", "L2", "--officer", "199201102019031003") == 0
    assert await kinerja("citizen", "counter", "KTP", "L3", "--officer", "123") == 1
    capsys.readouterr()
    assert await kinerja("citizen", "list") == 0
    assert "KTP\tDISKOMINFO\tPerekaman KTP-el\tL2" in capsys.readouterr().out

    assert await kinerja("qr", "KTP", "--counter", "L2", "--bot", "warga_kab_bot") == 0
    out = capsys.readouterr().out
    link = "https://t.me/warga_kab_bot?start=svc_KTP_L2"
    assert link in out
    png, pdf = tmp_path / "qr-ktp-l2.png", tmp_path / "qr-ktp-l2.pdf"
    assert decoded(png) == [link]
    with PILImage.open(png) as image:  # A5 at 300 dpi: 148 x 210 mm
        assert image.size == (1748, 2480)
    assert pdf.read_bytes().startswith(b"%PDF")
    box = re.search(rb"/MediaBox \[ 0 0 ([\d.]+) ([\d.]+) \]", pdf.read_bytes())
    assert box is not None  # A5 in points: 148 mm and 210 mm at 72/25.4
    assert (round(float(box[1]), 1), round(float(box[2]), 1)) == (419.5, 595.3)

    # Without a bot username the poster links to the web chat.
    assert await kinerja("qr", "KTP", "--output", "plain") == 0
    assert decoded(tmp_path / "plain.png") == ["http://127.0.0.1:8080/layanan?start=svc_KTP"]
    assert await kinerja("citizen", "disable", "KTP") == 0
    assert await kinerja("citizen", "list") == 0
    assert "Perekaman KTP-el (nonaktif)" in capsys.readouterr().out
    assert await kinerja("citizen", "enable", "ktp") == 0
    assert await kinerja("citizen", "disable", "NOPE") == 1
    assert await kinerja("qr", "NOPE") == 1
    assert await kinerja("qr", "KTP", "--counter", "L9") == 1
    assert "L9" in capsys.readouterr().err


async def test_report_ikm_writes_the_workbook(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await kinerja("citizen", "add", "KTP", "DISKOMINFO", "Perekaman KTP-el") == 0
    assert await kinerja("report", "ikm", "--unit", "DISKOMINFO", "--period", "2026-Q4") == 0
    assert "0 responden" in capsys.readouterr().out
    sheet = load_workbook(
        io.BytesIO((tmp_path / "ikm-diskominfo-2026-q4.xlsx").read_bytes())
    ).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][:3] == ("Layanan", "Responden (survei lengkap)", "Penilaian cepat")
    assert rows[2][0] == "KTP Perekaman KTP-el" and rows[2][1] == 0 and rows[2][14] == "—"
    assert await kinerja("report", "ikm", "--unit", "DISKOMINFO", "--period", "2026-13") == 1
    assert await kinerja("report", "ikm", "--unit", "NOPE") == 1


async def test_demo_seed_offers_services_twice_harmlessly(tmp_path: Path) -> None:
    from bot.cli import _seed
    from bot.config import load_settings

    settings = load_settings(database_url=f"sqlite:///{tmp_path / 'demo.db'}")
    await _seed(settings)
    await _seed(settings)
    database = create_database(settings.database_url)
    try:
        async with UnitOfWork(session_factory(database)) as uow:
            services = {s.code: s for s in await uow.citizen.services()}
            counters = [c.code for c in await uow.citizen.counters(services["KTP"].id)]
    finally:
        await database.dispose()
    assert sorted(services) == ["IZIN", "KTP"] and counters == ["L1", "L2"]
