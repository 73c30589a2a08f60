"""The read-only admin dashboard at `/admin`: server-rendered pages (Jinja2, autoescaped), no
script, no build step, everything served by the app itself.

Who may look is decided on every request: the session cookie must carry a good signature and a
live session of a person who is still an active admin; a unit admin's pages only hold their
units. Without a session a page redirects to the login help, a non-admin gets 403, and a bad,
spent or expired link gets a page saying so. Nothing here writes except logging in and out.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import web
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape

from bot.chat.i18n import Catalogs, Translator
from bot.dashboard.auth import COOKIE, LANGUAGE_COOKIE, TOKEN, Signer
from bot.dashboard.charts import Bar, bar_chart
from kinerja.ikm import ELEMENT_KEYS, to_2dp
from kinerja.services import dashboard as service
from kinerja.services.dashboard import LoginRefused, Refusal, Viewer
from storage.uow import SessionFactory, UnitOfWork

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
PREFIX = "/admin"
HELP_PATH = f"{PREFIX}/help"
# Rows shown per table (people per unit, atasan): beyond this a line says how many more. A
# province's 07.00 page would otherwise list tens of thousands of names.
SHOWN_ROWS = 300
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # the login URL carries a token: never pass it on
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
}
log = logging.getLogger(__name__)

Loader = Callable[[UnitOfWork, Viewer, datetime], Awaitable[Mapping[str, Any]]]


@dataclass(frozen=True, slots=True)
class Section:
    """A page of the dashboard: `/admin/<slug>` (the units page has slug ""), titled by a
    catalog key, its data from `load` rendered by `template`.

    Features that arrive later (IKM per unit) add a section of their own, with a template in
    a directory passed as `template_dirs`, instead of editing this module.
    """

    slug: str
    title_key: str
    template: str
    load: Loader


@dataclass
class Page:
    """What every template gets besides its section's data."""

    t: Callable[..., str]
    tr: Translator
    language: str
    viewer: Viewer | None
    sections: Sequence[Section]
    current: str
    path: str
    csrf: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


class Dashboard:
    def __init__(
        self,
        sessions: SessionFactory,
        catalogs: Catalogs,
        *,
        secret: bytes | None = None,
        secure_cookie: bool = False,
        session_minutes: int = 480,
        clock: Callable[[], datetime] | None = None,
        sections: Sequence[Section] = (),
        template_dirs: Sequence[Path] = (),
    ) -> None:
        self.sessions = sessions
        self.catalogs = catalogs
        self.signer = Signer(secret or secrets.token_bytes(32))
        self.secure_cookie = secure_cookie
        self.session_minutes = session_minutes
        self.clock = clock or (lambda: datetime.now(UTC))
        self.sections: tuple[Section, ...] = (*BUILT_IN, *sections)
        self.env = Environment(
            loader=ChoiceLoader([FileSystemLoader(str(d)) for d in (*template_dirs, TEMPLATES)]),
            autoescape=select_autoescape(default=True, default_for_string=True),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def routes(self) -> list[web.AbstractRouteDef]:
        routes: list[web.AbstractRouteDef] = [
            web.get(HELP_PATH, self.help),
            web.get(f"{PREFIX}/login", self.login_page),
            web.post(f"{PREFIX}/login", self.login),
            web.post(f"{PREFIX}/logout", self.logout),
            web.static(f"{PREFIX}/static", STATIC),
            web.get(f"{PREFIX}/", self.to_home),
        ]
        for section in self.sections:
            path = f"{PREFIX}/{section.slug}" if section.slug else PREFIX
            routes.append(web.get(path, self._page_handler(section)))
        return routes

    @web.middleware
    async def errors(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """A polite page for anything that goes wrong under /admin, never a traceback."""
        if request.path != PREFIX and not request.path.startswith(f"{PREFIX}/"):
            return await handler(request)  # type: ignore[no-any-return]
        try:
            return await handler(request)  # type: ignore[no-any-return]
        except web.HTTPNotFound:
            return self._message(request, 404, "dash.error.not_found")
        except web.HTTPMethodNotAllowed:
            return self._message(request, 405, "dash.error.method")
        except web.HTTPRequestEntityTooLarge:
            return self._message(request, 413, "dash.error.bad_request")
        except web.HTTPException:
            raise
        except Exception:
            log.exception("dashboard failed on %s", request.path)
            return self._message(request, 500, "dash.error.internal")

    # --- pages -------------------------------------------------------------------------------

    def _page_handler(self, section: Section) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handle(request: web.Request) -> web.Response:
            session = self.signer.session_of(request.cookies.get(COOKIE))
            if session is None:
                raise self._to_help(request, bad_cookie=COOKIE in request.cookies)
            now = self.clock()
            async with UnitOfWork(self.sessions) as uow:
                try:
                    viewer = await service.viewer_of(uow, session, now)
                except LoginRefused as refused:
                    if refused.reason is Refusal.NOT_ADMIN:
                        return self._message(request, 403, "dash.error.not_admin")
                    raise self._to_help(request, bad_cookie=True, expired=True) from None
                data = await section.load(uow, viewer, now)
            page = self._page(request, viewer, section.slug, csrf=self.signer.csrf(session))
            return self._render(request, section.template, page, 200, **data)

        return handle

    async def to_home(self, _request: web.Request) -> web.Response:
        raise web.HTTPFound(PREFIX)

    async def help(self, request: web.Request) -> web.Response:
        expired = request.query.get("expired") == "1"
        page = self._page(request, None, "help")
        return self._render(request, "help.html", page, 200, expired=expired)

    async def login_page(self, request: web.Request) -> web.Response:
        """The link lands here; logging in takes a button press (a POST), so a chat app's link
        preview, which only GETs, cannot spend the single-use token."""
        token = request.query.get("t", "")
        if not TOKEN.match(token):
            return self._message(request, 400, "dash.error.bad_link")
        async with UnitOfWork(self.sessions) as uow:
            try:
                await service.check_link(uow, token, self.clock())
            except LoginRefused as refused:
                return self._message(request, 400, f"dash.error.link_{refused.reason.value}")
        page = self._page(request, None, "login")
        return self._render(request, "login.html", page, 200, token=token)

    async def login(self, request: web.Request) -> web.Response:
        form = await request.post()
        token = form.get("t")
        if not isinstance(token, str) or not TOKEN.match(token):
            return self._message(request, 400, "dash.error.bad_link")
        now = self.clock()
        async with UnitOfWork(self.sessions) as uow:
            try:
                session, person = await service.exchange_link(
                    uow, token, now, self.session_minutes
                )
            except LoginRefused as refused:
                await uow.commit()  # a link handed to a non-admin is spent all the same
                status = 403 if refused.reason is Refusal.NOT_ADMIN else 400
                return self._message(request, status, f"dash.error.link_{refused.reason.value}")
            await uow.commit()
        log.info("dashboard login: employee %s", person.id)
        response = web.HTTPSeeOther(PREFIX)
        response.set_cookie(
            COOKIE,
            self.signer.cookie(session),
            max_age=self.session_minutes * 60,
            path=PREFIX,
            httponly=True,
            samesite="Strict",
            secure=self.secure_cookie,
        )
        _secure(response)
        raise response

    async def logout(self, request: web.Request) -> web.Response:
        session = self.signer.session_of(request.cookies.get(COOKIE))
        if session is None:
            raise self._to_help(request, bad_cookie=COOKIE in request.cookies)
        form = await request.post()
        csrf = form.get("csrf")
        if not self.signer.csrf_ok(session, csrf if isinstance(csrf, str) else None):
            return self._message(request, 400, "dash.error.bad_form")
        async with UnitOfWork(self.sessions) as uow:
            await service.logout(uow, session, self.clock())
            await uow.commit()
        response = self._message(request, 200, "dash.logged_out")
        response.del_cookie(COOKIE, path=PREFIX)
        return response

    # --- rendering ---------------------------------------------------------------------------

    def _language(self, request: web.Request) -> str:
        for wanted in (request.query.get("lang"), request.cookies.get(LANGUAGE_COOKIE)):
            if self.catalogs.supports(wanted):
                assert wanted is not None
                return wanted
        return self.catalogs.default

    def _page(
        self, request: web.Request, viewer: Viewer | None, current: str, csrf: str = ""
    ) -> Page:
        language = self._language(request)

        def t(key: str, /, **params: object) -> str:
            template = self.catalogs.raw(language, key)
            try:
                return template.format_map(params) if params else template
            except (KeyError, IndexError, ValueError):
                log.warning("locale key %s does not fit %s", key, sorted(params))
                return template

        return Page(
            t=t,
            tr=self.catalogs.translator(language),
            language=language,
            viewer=viewer,
            sections=self.sections,
            current=current,
            path=request.path,
            csrf=csrf,
        )

    def _render(
        self, request: web.Request, template: str, page: Page, status: int, **data: Any
    ) -> web.Response:
        body = self.env.get_template(template).render(page=page, t=page.t, **data)
        response = web.Response(
            text=body, status=status, content_type="text/html", charset="utf-8"
        )
        _secure(response)
        wanted = request.query.get("lang")
        if wanted is not None and self.catalogs.supports(wanted):
            response.set_cookie(
                LANGUAGE_COOKIE,
                wanted,
                max_age=365 * 24 * 3600,
                path=PREFIX,
                samesite="Strict",
                httponly=True,
                secure=self.secure_cookie,
            )
        return response

    def _message(self, request: web.Request, status: int, key: str) -> web.Response:
        page = self._page(request, None, "message")
        return self._render(request, "message.html", page, status, key=key)

    def _to_help(
        self, _request: web.Request, *, bad_cookie: bool, expired: bool = False
    ) -> web.HTTPSeeOther:
        """The redirect (to raise) to the login help, dropping a cookie that let nobody in."""
        response = web.HTTPSeeOther(f"{HELP_PATH}?expired=1" if expired else HELP_PATH)
        if bad_cookie:
            response.del_cookie(COOKIE, path=PREFIX)
        _secure(response)
        return response


def _secure(response: web.StreamResponse) -> None:
    response.headers.update(SECURITY_HEADERS)


# --- the built-in sections -------------------------------------------------------------------


async def _units(uow: UnitOfWork, viewer: Viewer, now: datetime) -> Mapping[str, Any]:
    statuses = await service.unit_statuses(uow, viewer, now)
    return {
        "units": statuses,
        "totals": {
            "staff": sum(s.staff for s in statuses),
            "logged": sum(s.logged for s in statuses),
            "pending": sum(s.pending for s in statuses),
        },
    }


async def _idle(uow: UnitOfWork, viewer: Viewer, now: datetime) -> Mapping[str, Any]:
    return {"groups": await service.idle_today(uow, viewer, now), "limit": SHOWN_ROWS}


async def _approvals(uow: UnitOfWork, viewer: Viewer, now: datetime) -> Mapping[str, Any]:
    return {"rows": await service.approvals(uow, viewer, now), "age": _age, "limit": SHOWN_ROWS}


async def _broadcasts(uow: UnitOfWork, viewer: Viewer, now: datetime) -> Mapping[str, Any]:
    return {"rows": await service.broadcasts(uow, viewer, now)}


async def _charts(uow: UnitOfWork, viewer: Viewer, now: datetime) -> Mapping[str, Any]:
    month, minutes = await service.month_minutes(uow, viewer, now)
    statuses = await service.unit_statuses(uow, viewer, now, pending=False)
    return {
        "month": month,
        "minutes": minutes,
        "statuses": statuses,
        "bar_chart": bar_chart,
        "Bar": Bar,
    }


async def _ikm(uow: UnitOfWork, viewer: Viewer, now: datetime) -> Mapping[str, Any]:
    """IKM per unit this year so far, for the units in the viewer's scope that offer services."""
    year, units = await service.ikm_this_year(uow, viewer, now)
    return {
        "year": year,
        "units": units,
        "elements": ELEMENT_KEYS,
        "average_2dp": to_2dp,
        "bar_chart": bar_chart,
        "Bar": Bar,
    }


def _age(waiting: timedelta | None, t: Callable[..., str]) -> str:
    """ "2 hari 3 jam" / "2 d 3 h": how long the oldest entry has waited."""
    if waiting is None:
        return "—"
    hours = int(waiting.total_seconds() // 3600)
    if hours < 1:
        return t("dash.age.minutes", minutes=int(waiting.total_seconds() // 60))
    if hours < 24:
        return t("dash.age.hours", hours=hours)
    return t("dash.age.days", days=hours // 24, hours=hours % 24)


BUILT_IN = (
    Section("", "dash.nav.units", "units.html", _units),
    Section("idle", "dash.nav.idle", "idle.html", _idle),
    Section("approvals", "dash.nav.approvals", "approvals.html", _approvals),
    Section("broadcasts", "dash.nav.broadcasts", "broadcasts.html", _broadcasts),
    Section("charts", "dash.nav.charts", "charts.html", _charts),
    Section("ikm", "dash.nav.ikm", "ikm.html", _ikm),
)
