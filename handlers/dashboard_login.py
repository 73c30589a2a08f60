"""`/dasbor` for admins: a one-time link that logs this admin in to the web dashboard.

The chat is where admins already are and already proved who they are, so it is the login: the
link holds a random token, valid for a few minutes and usable once, that the dashboard exchanges
for a browser session. Opening it shows a "log in" button first, so a link preview fetched by
the chat app cannot spend it.

The link needs the service's public address, which only the composition root knows:
`router_for(url)` builds this feature for it, and `bind()` swaps it into a routers tuple.
`router` (registered in `handlers.ROUTERS`) is the unbound feature, which says the address is
not configured.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.chat.callbacks import Payload
from bot.chat.context import ChatContext
from bot.chat.events import Inbound
from bot.chat.replies import Text
from bot.chat.router import Access, Router
from kinerja.people import MenuRole
from kinerja.services.dashboard import issue_link

NAME = "dashboard_login"
START = Payload("dsb")
LOGIN_PATH = "/admin/login"
DEFAULT_MINUTES = 10


def router_for(base_url: str | None, minutes: int = DEFAULT_MINUTES) -> Router:
    """This feature, with links to the dashboard at `base_url` valid for `minutes`."""
    router = Router(NAME)
    router.menu_item("btn.dashboard", START.pack(), MenuRole.ADMIN, order=24)

    @router.command("dasbor", "dashboard", access=Access.ADMIN)
    @router.button(START, access=Access.ADMIN)
    async def login_link(ctx: ChatContext, _event: Inbound) -> Text:
        assert ctx.person is not None
        if base_url is None:
            return Text(text=ctx.t("dashboard.not_configured"), buttons=ctx.back_to_menu())
        token = await issue_link(ctx.uow, ctx.person, ctx.now(), minutes)
        url = f"{base_url.rstrip('/')}{LOGIN_PATH}?t={token}"
        return Text(
            text=ctx.t("dashboard.link", url=url, minutes=minutes), buttons=ctx.back_to_menu()
        )

    return router


def bind(routers: Sequence[Router], base_url: str, minutes: int) -> tuple[Router, ...]:
    """`routers` with this feature (if present) pointing at `base_url`."""
    return tuple(router_for(base_url, minutes) if r.name == NAME else r for r in routers)


router = router_for(None)
