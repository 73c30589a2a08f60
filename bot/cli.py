"""The `kinerja` command: run the service, the demo, migrations, roster import/export, SKP import.

Operator messages go through the locale catalogs like chat text; a bad setting or input ends with
one clear line and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import NoReturn

from aiohttp import web
from sqlalchemy.engine import make_url
from telegram import Bot
from telegram.error import TelegramError

from bot import redact
from bot.app import StartupError, build_app
from bot.channels.telegram_request import AiohttpRequest
from bot.chat.i18n import Catalogs
from bot.cli_citizen import add_commands as add_citizen_commands
from bot.cli_citizen import add_report_ikm
from bot.cli_schedule import add_commands as add_schedule_commands
from bot.config import Settings, SettingsError, load_settings
from bot.logging_setup import configure_logging
from bot.render.recap_file import recap_csv, recap_filename, recap_xlsx
from bot.render.roster_file import roster_csv, roster_xlsx
from bot.workers import Supervisor, reuse_port, worker_argv
from kinerja.activities import WorkPolicy
from kinerja.errors import RuleViolation
from kinerja.evaluation import PeriodKind
from kinerja.recap import Recap, parse_month
from kinerja.roster import RowError, parse_roster
from kinerja.services.approvals import handover
from kinerja.services.citizen import seed_demo_services
from kinerja.services.demo_seed import seed_demo
from kinerja.services.recap import UnknownUnit, monthly_recap
from kinerja.services.registration import create_invite, unlink_employee
from kinerja.services.roster_import import ImportSummary, import_roster
from kinerja.services.skp_import import SkpImportSummary, import_skp
from kinerja.skp import check_year, error_key, parse_skp, warning_key
from kinerja.tabular import MAX_FILE_BYTES, MAX_FILE_MB, TableRow
from storage.database import create_database
from storage.migrate import upgrade
from storage.uow import UnitOfWork, session_factory

EXIT_BAD_INPUT = 1
EXIT_BAD_SETTING = 2
DEMO_DB = "kinerja-demo.db"


class Cli:
    """Holds the catalogs and language for one invocation; each method is one subcommand."""

    def __init__(self, catalogs: Catalogs, language: str) -> None:
        self.catalogs = catalogs
        self.language = language

    def t(self, key: str, /, **params: object) -> str:
        return (
            self.catalogs.raw(self.language, key).format(**params)
            if params
            else (self.catalogs.raw(self.language, key))
        )

    def fail(self, key: str, code: int = EXIT_BAD_INPUT, **params: object) -> NoReturn:
        print(self.t(key, **params), file=sys.stderr)
        raise SystemExit(code)

    def settings(self, **overrides: object) -> Settings:
        try:
            return load_settings(**overrides)
        except SettingsError as error:
            self.fail(
                "cli.error.setting", EXIT_BAD_SETTING, variable=error.variable, reason=error.reason
            )

    # --- run / demo ---------------------------------------------------------------------------

    def run(self, args: argparse.Namespace) -> None:
        overrides = _port_overrides(args)
        if args.workers is not None:
            overrides["workers"] = args.workers
        settings = self.settings(**overrides)
        if settings.workers > 1 and not reuse_port():
            self.supervise(settings, args)
        self.serve(settings)

    def supervise(self, settings: Settings, args: argparse.Namespace) -> NoReturn:
        """Start `settings.workers` service processes on one port (bot/workers.py)."""
        if settings.is_sqlite:
            self.fail("cli.error.workers_sqlite", EXIT_BAD_SETTING)
        url = f"http://{settings.http_host}:{settings.http_port}"
        print(self.t("cli.workers.running", url=url, workers=settings.workers, pid=os.getpid()))
        print(self.t("cli.stop_hint"), flush=True)

        def say(key: str, params: dict[str, object]) -> None:
            print(self.t(key, **params), file=sys.stderr, flush=True)

        argv = worker_argv(args.host, args.port)
        raise SystemExit(Supervisor(argv, settings.workers, say=say).run())

    def demo(self, args: argparse.Namespace) -> None:
        database = Path(args.db)
        if args.reset:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{database}{suffix}").unlink(missing_ok=True)
        settings = self.settings(
            database_url=f"sqlite:///{database}",
            web_chat_enabled=True,
            **_port_overrides(args),
        )
        asyncio.run(_seed(settings))
        self.serve(settings, demo=True)

    def serve(self, settings: Settings, *, demo: bool = False) -> None:
        configure_logging(settings.log_level, settings.log_format, _secrets(settings))
        redact.install(settings)  # PTB logs the token (in every API URL) at DEBUG
        app = build_app(settings, self.catalogs, demo=demo)
        url = f"http://{settings.http_host}:{settings.http_port}"
        chat = f"{url}/chat" if settings.web_chat_enabled or demo else None

        def announce(_message: str) -> None:
            print(self.t("cli.running", url=url))
            if chat:
                print(self.t("cli.chat_at", url=chat))
            print(self.t("cli.stop_hint"), flush=True)

        try:
            web.run_app(
                app,
                host=settings.http_host,
                port=settings.http_port,
                print=announce,
                access_log=None,
                handle_signals=True,
                reuse_port=reuse_port() or None,
            )
        except StartupError as error:
            self.fail("cli.error.startup", reason=str(error))
        except OSError as error:
            self.fail("cli.error.listen", url=url, reason=error.strerror or str(error))

    # --- db -----------------------------------------------------------------------------------

    def db_upgrade(self, _args: argparse.Namespace) -> None:
        settings = self.settings()
        try:
            asyncio.run(_upgrade(settings))
        except OSError as error:
            self.fail("cli.error.database", reason=str(error))
        print(self.t("cli.db.upgraded"))

    # --- roster -------------------------------------------------------------------------------

    def roster_import(self, args: argparse.Namespace) -> None:
        settings = self.settings()
        path = Path(args.file)
        if not path.is_file():
            self.fail("cli.error.no_file", path=path)
        size = path.stat().st_size
        if size > 20 * 1024 * 1024:
            self.fail("roster.error.file.too_large", max_mb=20)
        try:
            rows = parse_roster(path.read_bytes(), path.name)
        except RuleViolation as violation:
            self.fail(f"roster.error.{violation.code}", EXIT_BAD_INPUT, **violation.params)
        progress = _ProgressBar(self) if sys.stderr.isatty() else None
        summary = asyncio.run(
            _import(
                settings,
                rows,
                strict=args.strict,
                partial=args.partial,
                dry_run=args.dry_run,
                progress=progress,
            )
        )
        if progress:
            progress.finish()
        self.report(summary, dry_run=args.dry_run)
        if summary.errors:
            raise SystemExit(EXIT_BAD_INPUT)

    def report(self, summary: ImportSummary, *, dry_run: bool) -> None:
        lines = [self.row_error(error) for error in summary.errors]
        if not self.problems(lines, len(summary.errors), applied=summary.applied):
            return
        print(
            self.t(
                "cli.roster.summary",
                rows=summary.rows,
                created=summary.created,
                updated=summary.updated,
                unchanged=summary.unchanged,
                deactivated=summary.deactivated,
                reactivated=summary.reactivated,
            )
        )
        if summary.units_created:
            print(self.t("cli.roster.units_created", units=", ".join(summary.units_created)))
        if dry_run:
            print(self.t("cli.roster.dry_run"))

    def problems(self, lines: list[str], bad_rows: int, *, applied: bool) -> bool:
        """Print an import's bad rows and their count; False when `--strict` applied nothing."""
        for line in lines:
            print(line, file=sys.stderr)
        if bad_rows:
            print(self.t("cli.roster.bad_rows", count=bad_rows), file=sys.stderr)
        if not applied:
            print(self.t("cli.roster.strict_nothing"), file=sys.stderr)
        return applied

    def row_error(self, error: RowError) -> str:
        reason = self.t(f"roster.error.{error.code}", **error.params)
        if error.column:
            column = self.t(f"roster.column.{error.column}")
            return self.t("cli.roster.row_column", row=error.row, column=column, reason=reason)
        return self.t("cli.roster.row", row=error.row, reason=reason)

    def roster_invite(self, args: argparse.Namespace) -> None:
        settings = self.settings()
        if not 1 <= args.days <= 90:
            self.fail("cli.error.invite_days")
        try:
            code = asyncio.run(_invite(settings, args.nip, args.days))
        except LookupError:
            self.fail("cli.error.unknown_nip", nip=args.nip)
        username = asyncio.run(_bot_username(settings)) if settings.telegram_bot_token else None
        if username:
            print(self.t("cli.invite.link", url=f"https://t.me/{username}?start={code}"))
        print(self.t("cli.invite.code", code=code, days=args.days))

    def roster_unlink(self, args: argparse.Namespace) -> None:
        settings = self.settings()
        try:
            count = asyncio.run(_unlink(settings, args.nip))
        except LookupError:
            self.fail("cli.error.unknown_nip", nip=args.nip)
        print(self.t("cli.unlink.done", nip=args.nip, count=count))

    def roster_export(self, args: argparse.Namespace) -> None:
        settings = self.settings()
        path = Path(args.file)
        rows = asyncio.run(_export(settings))
        data = roster_xlsx(rows) if path.suffix.lower() == ".xlsx" else roster_csv(rows)
        try:
            path.write_bytes(data)
        except OSError as error:
            self.fail("cli.error.write", path=path, reason=error.strerror or str(error))
        print(self.t("cli.roster.exported", count=len(rows), path=path))

    # --- skp ----------------------------------------------------------------------------------

    def skp_import(self, args: argparse.Namespace) -> None:
        settings = self.settings()
        today = date.today()
        if args.year is not None:
            try:
                check_year(args.year, today=today)
            except RuleViolation as violation:
                self.fail(error_key(violation.code), EXIT_BAD_INPUT, **violation.params)
        path = Path(args.file)
        if not path.is_file():
            self.fail("cli.error.no_file", path=path)
        if path.stat().st_size > MAX_FILE_BYTES:
            self.fail("skp.error.file.too_large", max_mb=MAX_FILE_MB)
        try:
            rows = parse_skp(path.read_bytes(), path.name)
        except RuleViolation as violation:
            self.fail(error_key(violation.code), EXIT_BAD_INPUT, **violation.params)
        summary = asyncio.run(
            _import_skp(
                settings,
                rows,
                today=today,
                year=args.year,
                strict=args.strict,
                dry_run=args.dry_run,
            )
        )
        self.skp_report(summary, year=args.year, dry_run=args.dry_run)
        if summary.errors:
            raise SystemExit(EXIT_BAD_INPUT)

    def skp_report(self, summary: SkpImportSummary, *, year: int | None, dry_run: bool) -> None:
        lines = [self.skp_row_error(error) for error in summary.errors]
        if not self.problems(lines, summary.bad_rows, applied=summary.applied):
            return
        for warning in summary.warnings:
            print(self.t(warning_key(warning.code), **warning.params), file=sys.stderr)
        print(
            self.t(
                "skp.cli.summary",
                rows=summary.rows,
                employees=summary.employees,
                created=summary.created,
                updated=summary.updated,
                unchanged=summary.unchanged,
                deleted=summary.deleted,
                kept=summary.kept,
            )
        )
        if summary.skipped:
            print(self.t("skp.cli.skipped", count=summary.skipped, year=year))
        if dry_run:
            print(self.t("cli.roster.dry_run"))

    def skp_row_error(self, error: RowError) -> str:
        reason = self.t(error_key(error.code), **error.params)
        if error.column:
            column = self.t(f"skp.column.{error.column}")
            return self.t("cli.roster.row_column", row=error.row, column=column, reason=reason)
        return self.t("cli.roster.row", row=error.row, reason=reason)

    # --- report -------------------------------------------------------------------------------

    def report_monthly(self, args: argparse.Namespace) -> None:
        settings = self.settings()
        try:
            month = parse_month(args.month)
        except ValueError:
            self.fail("cli.error.month", month=args.month)
        kind = PeriodKind(settings.evaluation_period)
        try:
            recap = asyncio.run(_recap(settings, month, kind, args.unit))
        except UnknownUnit:
            self.fail("cli.error.unknown_unit", unit=args.unit)
        except OSError as error:
            self.fail("cli.error.database", reason=str(error))
        path = Path(args.output or recap_filename(recap, "xlsx"))

        def header(key: str) -> str:
            return self.t(f"recap.column.{key}")

        def predikat(value: str) -> str:
            return self.t(f"predikat.{value}")

        if path.suffix.lower() == ".csv":
            data = recap_csv(recap, header, predikat)
        else:
            data = recap_xlsx(recap, header, predikat, f"{recap.month:%Y-%m}")
        try:
            path.write_bytes(data)
        except OSError as error:
            self.fail("cli.error.write", path=path, reason=error.strerror or str(error))
        print(
            self.t(
                "cli.report.written",
                month=f"{recap.month:%Y-%m}",
                scope=recap.scope,
                count=len(recap.rows),
                entries=recap.entries,
                path=path,
            )
        )


class _ProgressBar:
    """A one-line progress bar on stderr for long imports (only when it is a terminal)."""

    def __init__(self, cli: Cli) -> None:
        self.cli = cli
        self.last = 0.0

    def __call__(self, phase: str, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self.last < 0.1:
            return
        self.last = now
        width = 30
        filled = width * done // max(total, 1)
        label = self.cli.t(f"cli.progress.{phase}")
        bar = "#" * filled + "-" * (width - filled)
        print(f"\r{label:<12} [{bar}] {done}/{total}", end="", file=sys.stderr, flush=True)

    def finish(self) -> None:
        print(file=sys.stderr)


async def _upgrade(settings: Settings) -> None:
    engine = create_database(settings.database_url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


async def _seed(settings: Settings) -> None:
    engine = create_database(settings.database_url)
    try:
        await upgrade(engine)
        async with UnitOfWork(session_factory(engine)) as uow:
            await seed_demo(uow)
            await seed_demo_services(uow)
            await uow.commit()
    finally:
        await engine.dispose()


async def _import(
    settings: Settings,
    rows: Sequence[object],
    *,
    strict: bool,
    partial: bool,
    dry_run: bool,
    progress: Callable[[str, int, int], None] | None,
) -> ImportSummary:
    engine = create_database(settings.database_url)
    try:
        if settings.is_sqlite:
            await upgrade(engine)
        async with UnitOfWork(session_factory(engine)) as uow:
            summary = await import_roster(
                uow,
                rows,  # type: ignore[arg-type]
                default_timezone=settings.timezone,
                strict=strict,
                partial=partial,
                progress=progress,
            )
            if summary.applied and not dry_run:
                await handover(uow, summary.moved, datetime.now(UTC), _policy(settings))
                await uow.commit()
            return summary
    finally:
        await engine.dispose()


def _policy(settings: Settings) -> WorkPolicy:
    return WorkPolicy(
        cutoff_day=settings.activity_cutoff_day,
        daily_minutes=settings.daily_minutes,
        evaluation_period=settings.evaluation_period,
        evaluation_window_days=settings.evaluation_window_days,
    )


async def _import_skp(
    settings: Settings,
    rows: Sequence[TableRow],
    *,
    today: date,
    year: int | None,
    strict: bool,
    dry_run: bool,
) -> SkpImportSummary:
    engine = create_database(settings.database_url)
    try:
        if settings.is_sqlite:
            await upgrade(engine)
        async with UnitOfWork(session_factory(engine)) as uow:
            summary = await import_skp(uow, rows, today=today, only_year=year, strict=strict)
            if summary.applied and not dry_run:
                await uow.commit()
            return summary
    finally:
        await engine.dispose()


async def _recap(settings: Settings, month: date, kind: PeriodKind, unit: str) -> Recap:
    engine = create_database(settings.database_url)
    try:
        if settings.is_sqlite:
            await upgrade(engine)
        async with UnitOfWork(session_factory(engine)) as uow:
            return await monthly_recap(uow, month, kind, unit_code=unit)
    finally:
        await engine.dispose()


async def _export(settings: Settings) -> list[tuple[str, str, str, str, str, str, str]]:
    engine = create_database(settings.database_url)
    try:
        if settings.is_sqlite:
            await upgrade(engine)
        async with UnitOfWork(session_factory(engine)) as uow:
            return await uow.employees.export_rows()
    finally:
        await engine.dispose()


async def _invite(settings: Settings, nip: str, days: int) -> str:
    engine = create_database(settings.database_url)
    try:
        if settings.is_sqlite:
            await upgrade(engine)
        async with UnitOfWork(session_factory(engine)) as uow:
            code = await create_invite(uow, nip, now=datetime.now(UTC), days=days)
            await uow.commit()
            return code
    finally:
        await engine.dispose()


async def _unlink(settings: Settings, nip: str) -> int:
    engine = create_database(settings.database_url)
    try:
        if settings.is_sqlite:
            await upgrade(engine)
        async with UnitOfWork(session_factory(engine)) as uow:
            count = await unlink_employee(uow, nip)
            await uow.commit()
            return count
    finally:
        await engine.dispose()


async def _bot_username(settings: Settings) -> str | None:
    """The bot's @username for the deep link; None (code only) if the Bot API cannot say."""
    assert settings.telegram_bot_token is not None
    root = settings.telegram_api_url
    bot = Bot(
        settings.telegram_bot_token.get_secret_value(),
        base_url=f"{root}/bot",
        request=AiohttpRequest(),
    )
    try:
        async with bot:
            return bot.username
    except TelegramError:
        return None


def _port_overrides(args: argparse.Namespace) -> dict[str, object]:
    overrides: dict[str, object] = {}
    if getattr(args, "host", None):
        overrides["http_host"] = args.host
    if getattr(args, "port", None):
        overrides["http_port"] = args.port
    return overrides


def _secrets(settings: Settings) -> list[str]:
    """Values no log line may show: the channels' secrets and the database password."""
    values = [
        secret.get_secret_value()
        for secret in (
            settings.telegram_bot_token,
            settings.telegram_webhook_secret,
            settings.whatsapp_token,
            settings.whatsapp_app_secret,
            settings.whatsapp_verify_token,
        )
        if secret is not None
    ]
    password = make_url(settings.database_url).password
    return [*values, str(password)] if password else values


def build_parser(cli: Cli) -> argparse.ArgumentParser:
    t = cli.t
    parser = argparse.ArgumentParser(prog="kinerja", description=t("cli.help.main"))
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help=t("cli.help.run"), description=t("cli.help.run"))
    demo = commands.add_parser("demo", help=t("cli.help.demo"), description=t("cli.help.demo"))
    for sub in (run, demo):
        sub.add_argument("--host", help=t("cli.help.host"))
        sub.add_argument("--port", type=int, help=t("cli.help.port"))
    run.add_argument("--workers", type=int, help=t("cli.help.workers"))
    demo.add_argument("--db", default=DEMO_DB, help=t("cli.help.demo_db"))
    demo.add_argument("--reset", action="store_true", help=t("cli.help.demo_reset"))
    run.set_defaults(action=cli.run)
    demo.set_defaults(action=cli.demo)

    db = commands.add_parser("db", help=t("cli.help.db"), description=t("cli.help.db"))
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="COMMAND")
    db_commands.add_parser(
        "upgrade", help=t("cli.help.db_upgrade"), description=t("cli.help.db_upgrade")
    ).set_defaults(action=cli.db_upgrade)

    roster = commands.add_parser(
        "roster", help=t("cli.help.roster"), description=t("cli.help.roster")
    )
    roster_commands = roster.add_subparsers(
        dest="roster_command", required=True, metavar="COMMAND"
    )
    imp = roster_commands.add_parser(
        "import", help=t("cli.help.roster_import"), description=t("cli.help.roster_import")
    )
    imp.add_argument("file", metavar="FILE", help=t("cli.help.roster_file"))
    imp.add_argument("--strict", action="store_true", help=t("cli.help.strict"))
    imp.add_argument("--partial", action="store_true", help=t("cli.help.partial"))
    imp.add_argument("--dry-run", action="store_true", help=t("cli.help.dry_run"))
    imp.set_defaults(action=cli.roster_import)
    inv = roster_commands.add_parser(
        "invite", help=t("cli.help.roster_invite"), description=t("cli.help.roster_invite")
    )
    inv.add_argument("nip", metavar="NIP", help=t("cli.help.nip"))
    inv.add_argument("--days", type=int, default=7, help=t("cli.help.invite_days"))
    inv.set_defaults(action=cli.roster_invite)
    unlink = roster_commands.add_parser(
        "unlink", help=t("cli.help.roster_unlink"), description=t("cli.help.roster_unlink")
    )
    unlink.add_argument("nip", metavar="NIP", help=t("cli.help.nip"))
    unlink.set_defaults(action=cli.roster_unlink)
    exp = roster_commands.add_parser(
        "export", help=t("cli.help.roster_export"), description=t("cli.help.roster_export")
    )
    exp.add_argument("file", metavar="FILE", help=t("cli.help.export_file"))
    exp.set_defaults(action=cli.roster_export)
    _add_skp_commands(commands, cli)
    add_schedule_commands(commands, cli)
    add_citizen_commands(commands, cli)
    _add_report_commands(commands, cli)
    return parser


def _add_skp_commands(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], cli: Cli
) -> None:
    t = cli.t
    skp = commands.add_parser("skp", help=t("skp.help.skp"), description=t("skp.help.skp"))
    skp_commands = skp.add_subparsers(dest="skp_command", required=True, metavar="COMMAND")
    imp = skp_commands.add_parser(
        "import", help=t("skp.help.import"), description=t("skp.help.import")
    )
    imp.add_argument("file", metavar="FILE", help=t("skp.help.file"))
    imp.add_argument("--strict", action="store_true", help=t("cli.help.strict"))
    imp.add_argument("--dry-run", action="store_true", help=t("cli.help.dry_run"))
    imp.add_argument("--year", type=int, metavar="YYYY", help=t("skp.help.year"))
    imp.set_defaults(action=cli.skp_import)


def _add_report_commands(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], cli: Cli
) -> None:
    t = cli.t
    report = commands.add_parser(
        "report", help=t("cli.help.report"), description=t("cli.help.report")
    )
    report_commands = report.add_subparsers(
        dest="report_command", required=True, metavar="COMMAND"
    )
    monthly = report_commands.add_parser(
        "monthly", help=t("cli.help.report_monthly"), description=t("cli.help.report_monthly")
    )
    monthly.add_argument("--unit", required=True, metavar="UNIT", help=t("cli.help.unit"))
    monthly.add_argument("--month", required=True, metavar="YYYY-MM", help=t("cli.help.month"))
    monthly.add_argument("--output", "-o", metavar="FILE", help=t("cli.help.report_output"))
    monthly.set_defaults(action=cli.report_monthly)
    add_report_ikm(report_commands, cli)


def main(argv: Sequence[str] | None = None) -> None:
    # Bot API durations (retry_after) as timedeltas: PTB's announced default, without its warning.
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    language = os.environ.get("DEFAULT_LANGUAGE", "id")
    catalogs = Catalogs.load(default=language if language in ("id", "en") else "id")
    cli = Cli(catalogs, catalogs.default)
    args = build_parser(cli).parse_args(argv)
    args.action(args)


if __name__ == "__main__":  # pragma: no cover
    main()
