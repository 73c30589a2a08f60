"""`kinerja calendar`, `kinerja broadcast` and `kinerja deadline`: the admin commands of the
reminders and broadcasts feature (registered by `bot.cli.build_parser`)."""

from __future__ import annotations

import argparse
import html
import re
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar
from zoneinfo import ZoneInfo

from bot.cli_work import run_work
from kinerja.calendar import DayKind
from kinerja.reminders import (
    DEFAULT_DEADLINE_OFFSETS,
    Audience,
    AudienceKind,
    ReminderError,
    parse_day,
    parse_offsets,
    parse_when,
)
from kinerja.services import broadcasts
from storage.uow import UnitOfWork

if TYPE_CHECKING:
    from bot.cli import Cli

T = TypeVar("T")


def _run(cli: Cli, work: Callable[[UnitOfWork], Awaitable[T]]) -> T:
    try:
        return run_work(cli, work)
    except ReminderError as error:
        _refuse(cli, error)


def _refuse(cli: Cli, error: ReminderError) -> NoReturn:
    """A rule's message (written for chat) as one plain line, exit 1."""
    text = re.sub(r"</?[a-z]+>", "", cli.t(error.code, **dict(error.params)))
    print(html.unescape(text), file=sys.stderr)
    raise SystemExit(1)


def _today() -> date:
    return datetime.now(ZoneInfo("Asia/Jakarta")).date()


def _day(cli: Cli, text: str) -> date:
    try:
        return parse_day(text, _today())
    except ReminderError as error:
        _refuse(cli, error)


async def _audience(uow: UnitOfWork, text: str) -> Audience:
    """`all`, `atasan`, `idle`, `pending`, `unit:CODE` or `tree:CODE`."""
    kind, _, code = text.partition(":")
    try:
        audience_kind = AudienceKind(kind)
    except ValueError:
        raise ReminderError("cli.schedule.bad_audience", {"text": text}) from None
    if audience_kind in (AudienceKind.UNIT, AudienceKind.UNIT_TREE):
        unit_id = await uow.reminders.unit_id_by_code(code)
        if unit_id is None:
            raise ReminderError("broadcast.unknown_unit")
        return Audience(audience_kind, unit_id)
    return Audience(audience_kind)


# --- calendar -----------------------------------------------------------------------------------


def calendar_add(cli: Cli, args: argparse.Namespace) -> None:
    day = _day(cli, args.date)
    kind = DayKind.WORKED if args.worked else DayKind.DAY_OFF

    async def work(uow: UnitOfWork) -> None:
        await uow.calendar.set_day(day, kind, args.name, None)
        await uow.audit.record(
            actor="cli",
            action="calendar.set",
            subject_type="calendar_day",
            subject_id=day.isoformat(),
            detail={"kind": kind.value},
        )

    _run(cli, work)
    print(cli.t(f"cli.calendar.added.{kind.value}", day=day.isoformat(), name=args.name))


def calendar_remove(cli: Cli, args: argparse.Namespace) -> None:
    day = _day(cli, args.date)
    removed = _run(cli, lambda uow: uow.calendar.remove_day(day))
    if not removed:
        cli.fail("cli.calendar.not_found", day=day.isoformat())
    print(cli.t("cli.calendar.removed", day=day.isoformat()))


def calendar_list(cli: Cli, args: argparse.Namespace) -> None:
    from kinerja.services.calendar import calendar_for

    year = args.year or _today().year

    async def work(uow: UnitOfWork) -> tuple[Any, Any]:
        first, last = date(year, 1, 1), date(year, 12, 31)
        return await uow.calendar.corrections(first, last), await calendar_for(uow, first, last)

    corrections, calendar = _run(cli, work)
    own = {entry.day: entry for entry in corrections}
    for day, name in sorted(calendar.days_off.items()):
        if day.year == year:
            mark = "*" if day in own else " "
            print(f"{day.isoformat()} {mark} {name}")
    for entry in corrections:
        if entry.kind is DayKind.WORKED:
            print(f"{entry.day.isoformat()} + {entry.name} ({cli.t('cli.calendar.worked')})")
    print(cli.t("cli.calendar.legend"))


# --- broadcasts ---------------------------------------------------------------------------------


def broadcast_send(cli: Cli, args: argparse.Namespace) -> None:
    now = datetime.now(UTC)
    send_at = None
    if args.at:
        try:
            day, hour, minute = parse_when(args.at, _today())
        except ReminderError as error:
            _refuse(cli, error)
        send_at = datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo(args.zone))

    async def work(uow: UnitOfWork) -> tuple[int, int]:
        audience = await _audience(uow, args.audience)
        if args.dry_run:
            return 0, await broadcasts.preview(uow, None, audience, now)
        return await broadcasts.create(uow, None, args.text, audience, now, send_at=send_at)

    broadcast_id, people = _run(cli, work)
    if args.dry_run:
        print(cli.t("cli.broadcast.preview", people=people))
    else:
        print(cli.t("cli.broadcast.queued", id=broadcast_id, people=people))


def broadcast_status(cli: Cli, args: argparse.Namespace) -> None:
    async def work(uow: UnitOfWork) -> list[tuple[Any, Any]]:
        items = await uow.reminders.broadcasts(("scheduled", "sending", "done", "cancelled"))
        if args.id is not None:
            items = [item for item in items if item.id == args.id]
        return [(item, await broadcasts.progress_of(uow, item)) for item in items]

    for item, done in _run(cli, work):
        print(
            cli.t(
                "cli.broadcast.status",
                id=item.id,
                status=item.status,
                when=item.send_at.isoformat(timespec="minutes"),
                sent=done.sent,
                failed=done.failed,
                remaining=done.remaining,
                total=done.total,
            )
        )


def broadcast_cancel(cli: Cli, args: argparse.Namespace) -> None:
    dropped = _run(cli, lambda uow: broadcasts.cancel(uow, None, args.id, datetime.now(UTC)))
    print(cli.t("cli.broadcast.cancelled", id=args.id, dropped=dropped))


# --- deadlines ----------------------------------------------------------------------------------


def deadline_add(cli: Cli, args: argparse.Namespace) -> None:
    due = _day(cli, args.date)
    if due < _today():
        cli.fail("cli.deadline.past")
    try:
        offsets = parse_offsets(args.offsets) if args.offsets else DEFAULT_DEADLINE_OFFSETS
    except ReminderError as error:
        _refuse(cli, error)

    async def work(uow: UnitOfWork) -> int:
        audience = await _audience(uow, args.audience)
        exclude = "skp" if args.exclude_skp else None
        return await uow.reminders.add_deadline(args.title, due, audience, offsets, exclude, None)

    deadline_id = _run(cli, work)
    days = ",".join(str(offset) for offset in offsets)
    print(cli.t("cli.deadline.added", id=deadline_id, day=due.isoformat(), offsets=days))


def deadline_list(cli: Cli, _args: argparse.Namespace) -> None:
    for item in _run(cli, lambda uow: uow.reminders.deadlines(_today() - timedelta(days=1))):
        offsets = ",".join(str(offset) for offset in item.offsets)
        print(f"#{item.id} {item.due_on.isoformat()} H-{offsets} {item.title}")


def deadline_cancel(cli: Cli, args: argparse.Namespace) -> None:
    if not _run(cli, lambda uow: uow.reminders.cancel_deadline(args.id, datetime.now(UTC))):
        cli.fail("cli.deadline.not_found", id=args.id)
    print(cli.t("cli.deadline.cancelled", id=args.id))


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser], cli: Cli) -> None:
    t = cli.t

    def group(name: str) -> argparse._SubParsersAction[argparse.ArgumentParser]:
        parser = commands.add_parser(
            name, help=t(f"cli.help.{name}"), description=t(f"cli.help.{name}")
        )
        return parser.add_subparsers(dest=f"{name}_command", required=True, metavar="COMMAND")

    def command(
        sub: argparse._SubParsersAction[argparse.ArgumentParser],
        name: str,
        key: str,
        action: Callable[[Cli, argparse.Namespace], None],
    ) -> argparse.ArgumentParser:
        parser = sub.add_parser(name, help=t(key), description=t(key))
        parser.set_defaults(action=lambda args: action(cli, args))
        return parser

    cal = group("calendar")
    add = command(cal, "add", "cli.help.calendar_add", calendar_add)
    add.add_argument("date", metavar="DATE")
    add.add_argument("name", metavar="NAME")
    add.add_argument("--worked", action="store_true", help=t("cli.help.calendar_worked"))
    command(cal, "remove", "cli.help.calendar_remove", calendar_remove).add_argument(
        "date", metavar="DATE"
    )
    command(cal, "list", "cli.help.calendar_list", calendar_list).add_argument(
        "--year", type=int, metavar="YYYY"
    )

    bc = group("broadcast")
    send = command(bc, "send", "cli.help.broadcast_send", broadcast_send)
    send.add_argument("text", metavar="TEXT")
    send.add_argument("--audience", default="all", help=t("cli.help.audience"))
    send.add_argument("--at", metavar="'DD/MM HH.MM'", help=t("cli.help.broadcast_at"))
    send.add_argument("--zone", default="Asia/Jakarta", help=t("cli.help.zone"))
    send.add_argument("--dry-run", action="store_true", help=t("cli.help.dry_run"))
    command(bc, "status", "cli.help.broadcast_status", broadcast_status).add_argument(
        "id", type=int, nargs="?"
    )
    command(bc, "cancel", "cli.help.broadcast_cancel", broadcast_cancel).add_argument(
        "id", type=int
    )

    dl = group("deadline")
    dadd = command(dl, "add", "cli.help.deadline_add", deadline_add)
    dadd.add_argument("title", metavar="TITLE")
    dadd.add_argument("date", metavar="DATE")
    dadd.add_argument("--audience", default="all", help=t("cli.help.audience"))
    dadd.add_argument("--offsets", help=t("cli.help.offsets"))
    dadd.add_argument("--exclude-skp", action="store_true", help=t("cli.help.exclude_skp"))
    command(dl, "list", "cli.help.deadline_list", deadline_list)
    command(dl, "cancel", "cli.help.deadline_cancel", deadline_cancel).add_argument("id", type=int)
