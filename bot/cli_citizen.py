"""`kinerja citizen ...` (the service catalog), `kinerja qr SERVICE` (the poster) and
`kinerja report ikm` (the XLSX export): the admin commands of the citizen channel, registered by
`bot.cli.build_parser`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TypeVar

from bot.cli_work import run_work
from bot.render.qr_poster import PosterText, qr_poster
from handlers.citizen_admin import ikm_workbook
from kinerja.citizen import (
    ServiceLink,
    normalise_code,
    telegram_deep_link,
    valid_counter_code,
    web_link,
)
from kinerja.ikm import period_bounds, to_2dp
from kinerja.services.citizen import CatalogError, add_counter, add_service
from kinerja.services.ikm import UnitIkm, ikm_per_unit
from storage.uow import UnitOfWork

if TYPE_CHECKING:
    from bot.cli import Cli

T = TypeVar("T")


def _run(cli: Cli, work: Callable[[UnitOfWork], Awaitable[T]]) -> T:
    try:
        return run_work(cli, work)
    except CatalogError as error:
        _fail(cli, error.key, **error.values)


def _fail(cli: Cli, key: str, /, **params: object) -> NoReturn:
    """`Cli.fail` for messages whose fields include `code` (its exit-code parameter)."""
    print(cli.t(key, **params), file=sys.stderr)
    raise SystemExit(1)


def service_add(cli: Cli, args: argparse.Namespace) -> None:
    async def work(uow: UnitOfWork) -> str:
        service = await add_service(uow, args.code, args.name, args.unit, args.officer)
        return service.code

    code = _run(cli, work)
    print(cli.t("cli.citizen.service_added", code=code))


def service_counter(cli: Cli, args: argparse.Namespace) -> None:
    async def work(uow: UnitOfWork) -> str:
        counter = await add_counter(uow, args.code, args.counter, args.officer)
        return counter.code

    counter = _run(cli, work)
    print(cli.t("cli.citizen.counter_added", code=normalise_code(args.code), counter=counter))


def service_active(cli: Cli, args: argparse.Namespace, active: bool) -> None:
    async def work(uow: UnitOfWork) -> str:
        service = await uow.citizen.service(normalise_code(args.code))
        if service is None:
            raise CatalogError("citizen.catalog.unknown_service", code=args.code)
        await uow.citizen.update_service(
            service.id, name=service.name, officer_id=service.officer_id, active=active
        )
        return service.code

    code = _run(cli, work)
    print(cli.t("cli.citizen.enabled" if active else "cli.citizen.disabled", code=code))


def service_list(cli: Cli, _args: argparse.Namespace) -> None:
    async def work(uow: UnitOfWork) -> list[str]:
        lines = []
        for service in await uow.citizen.services():
            counters = ",".join(c.code for c in await uow.citizen.counters(service.id))
            state = "" if service.active else " (nonaktif)"
            lines.append(
                f"{service.code}\t{service.unit_code}\t{service.name}{state}\t{counters or '-'}"
            )
        return lines

    for line in _run(cli, work):
        print(line)


def qr(cli: Cli, args: argparse.Namespace) -> None:
    settings = cli.settings()
    code = normalise_code(args.service)
    counter = normalise_code(args.counter) if args.counter else None
    if counter is not None and not valid_counter_code(counter):
        _fail(cli, "citizen.catalog.bad_counter", code=counter)

    async def work(uow: UnitOfWork) -> tuple[str, str]:
        service = await uow.citizen.service(code)
        if service is None:
            raise CatalogError("citizen.catalog.unknown_service", code=code)
        if counter is not None and await uow.citizen.counter(service.id, counter) is None:
            raise CatalogError("cli.citizen.unknown_counter", code=code, counter=counter)
        return service.name, service.unit_name

    name, unit = _run(cli, work)
    link = ServiceLink(code, counter)
    username = args.bot or settings.citizen_telegram_bot_username
    url = (
        telegram_deep_link(username, link)
        if username
        else web_link(settings.citizen_public_url, link)
    )
    poster = qr_poster(
        PosterText(
            agency=settings.citizen_agency,
            service=name,
            unit=unit,
            counter=cli.t("poster.counter", counter=counter) if counter else "",
            heading=cli.t("poster.heading"),
            steps=(cli.t("poster.step1"), cli.t("poster.step2"), cli.t("poster.step3")),
            link=url,
        )
    )
    stem = args.output or f"qr-{code.lower()}" + (f"-{counter.lower()}" if counter else "")
    written = []
    for suffix, data in ((".png", poster.png), (".pdf", poster.pdf)):
        path = Path(stem).with_suffix(suffix) if not stem.endswith(suffix) else Path(stem)
        try:
            path.write_bytes(data)
        except OSError as error:
            cli.fail("cli.error.write", path=path, reason=error.strerror or str(error))
        written.append(str(path))
    print(cli.t("cli.citizen.qr_written", link=url, files=", ".join(written)))


def report_ikm(cli: Cli, args: argparse.Namespace) -> None:
    try:
        first, last = period_bounds(args.period)
    except ValueError:
        cli.fail("cli.citizen.bad_period", period=args.period)
    period = args.period.upper()

    async def work(uow: UnitOfWork) -> UnitIkm:
        unit_id = await uow.citizen.unit_id_by_code(args.unit)
        result = None if unit_id is None else await ikm_per_unit(uow, unit_id, first, last)
        if result is None:
            raise CatalogError("citizen.catalog.unknown_unit", unit=args.unit)
        return result

    result = _run(cli, work)
    data = ikm_workbook(cli.t, result, period)
    path = Path(args.output or f"ikm-{result.unit_code.lower()}-{period.lower()}.xlsx")
    try:
        path.write_bytes(data)
    except OSError as error:
        cli.fail("cli.error.write", path=path, reason=error.strerror or str(error))
    ikm = result.ikm
    value = f"{to_2dp(ikm.converted)} ({ikm.grade.value})" if ikm.grade else "—"
    print(
        cli.t(
            "cli.citizen.ikm_written",
            unit=result.unit_code,
            period=period,
            value=value,
            respondents=ikm.respondents,
            path=path,
        )
    )


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser], cli: Cli) -> None:
    t = cli.t
    citizen = commands.add_parser(
        "citizen", help=t("cli.citizen.help"), description=t("cli.citizen.help")
    )
    sub = citizen.add_subparsers(dest="citizen_command", required=True, metavar="COMMAND")
    add = sub.add_parser(
        "add", help=t("cli.citizen.help_add"), description=t("cli.citizen.help_add")
    )
    add.add_argument("code", metavar="CODE")
    add.add_argument("unit", metavar="UNIT")
    add.add_argument("name", metavar="NAME")
    add.add_argument("--officer", metavar="NIP")
    add.set_defaults(action=lambda args: service_add(cli, args))
    counter = sub.add_parser(
        "counter", help=t("cli.citizen.help_counter"), description=t("cli.citizen.help_counter")
    )
    counter.add_argument("code", metavar="CODE")
    counter.add_argument("counter", metavar="COUNTER")
    counter.add_argument("--officer", metavar="NIP")
    counter.set_defaults(action=lambda args: service_counter(cli, args))
    for name, active in (("enable", True), ("disable", False)):
        toggle = sub.add_parser(
            name, help=t(f"cli.citizen.help_{name}"), description=t(f"cli.citizen.help_{name}")
        )
        toggle.add_argument("code", metavar="CODE")
        toggle.set_defaults(action=lambda args, on=active: service_active(cli, args, on))
    listing = sub.add_parser(
        "list", help=t("cli.citizen.help_list"), description=t("cli.citizen.help_list")
    )
    listing.set_defaults(action=lambda args: service_list(cli, args))

    poster = commands.add_parser(
        "qr", help=t("cli.citizen.help_qr"), description=t("cli.citizen.help_qr")
    )
    poster.add_argument("service", metavar="SERVICE")
    poster.add_argument("--counter", metavar="COUNTER")
    poster.add_argument("--output", "-o", metavar="FILE")
    poster.add_argument("--bot", metavar="USERNAME", help=t("cli.citizen.help_bot"))
    poster.set_defaults(action=lambda args: qr(cli, args))


def add_report_ikm(
    report_commands: argparse._SubParsersAction[argparse.ArgumentParser], cli: Cli
) -> None:
    t = cli.t
    ikm = report_commands.add_parser(
        "ikm", help=t("cli.citizen.help_ikm"), description=t("cli.citizen.help_ikm")
    )
    ikm.add_argument("--unit", required=True, metavar="UNIT")
    ikm.add_argument("--period", default=f"{date.today():%Y}", metavar="2026|2026-Q4|2026-11")
    ikm.add_argument("--output", "-o", metavar="FILE")
    ikm.set_defaults(action=lambda args: report_ikm(cli, args))
