"""Feature routers: each `handlers/*.py` declares what it answers, and who may use it.

Access is declared next to the handler and enforced by the dispatcher for every event, button
presses included, so no feature can forget to check it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import TYPE_CHECKING, Any

from bot.chat.callbacks import Payload
from bot.chat.events import (
    ButtonPress,
    Command,
    ContactShared,
    DocumentMessage,
    Inbound,
    LocationShared,
    PhotoMessage,
    TextMessage,
)
from bot.chat.replies import Reply
from kinerja.people import MenuRole, Person, Role

if TYPE_CHECKING:
    from bot.chat.context import ChatContext


class Skip:
    """Returned by a handler that matched but declines, so the next matching route answers."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "SKIP"


SKIP = Skip()
HandlerResult = Reply | Sequence[Reply] | Skip | None
Handler = Callable[["ChatContext", Any], Awaitable[HandlerResult]]
# Renders a queued push (an outbox row's payload) for its recipient, at send time, so it shows the
# current state in the recipient's language; an empty list means "nothing to send any more".
# Accounts that are gone or deactivated are skipped before the renderer runs; `ctx.person` is
# None for an account that was unlinked since (a lost phone), so a renderer of staff data should
# return nothing then. It may change `ctx.state` (saved with the push) but must not commit.
PushRenderer = Callable[["ChatContext", Mapping[str, Any]], Awaitable[Sequence[Reply]]]


class Access(IntEnum):
    """Who may reach a handler; checked on the server before the handler runs."""

    PUBLIC = 0
    REGISTERED = 1
    ATASAN = 2
    ADMIN = 3
    ORG_ADMIN = 4  # an admin of the whole organisation (BKPSDM/BKD), not a unit admin

    def allows(self, person: Person | None) -> bool:
        if self is Access.PUBLIC:
            return True
        if person is None or not person.active:
            return False
        if self is Access.ATASAN:
            return person.is_supervisor or person.role is Role.ADMIN
        if self is Access.ADMIN:
            return person.role is Role.ADMIN
        if self is Access.ORG_ADMIN:
            return person.role is Role.ADMIN and not person.is_unit_admin
        return True


@dataclass(frozen=True, slots=True)
class Route:
    kind: type[Inbound]
    handler: Handler
    access: Access
    commands: frozenset[str] = frozenset()
    payload: Payload | None = None
    flow: str | None = None
    idle: bool = False

    def matches(self, event: Inbound, flow: str | None) -> bool:
        if not isinstance(event, self.kind):
            return False
        if isinstance(event, Command):
            return event.name in self.commands or (not self.commands and self.flow == flow)
        if isinstance(event, ButtonPress):
            return self.payload is not None and self.payload.matches(event.payload)
        if self.idle:
            return flow is None
        return self.flow is None or self.flow == flow


@dataclass(frozen=True, slots=True)
class MenuItem:
    """A main-menu button contributed by a feature, shown to the roles that may use it."""

    label_key: str
    payload: str
    roles: frozenset[MenuRole]
    order: int
    access: Access = Access.PUBLIC  # a further check, for items some of a role may not use


@dataclass
class Router:
    """One feature's routes, matched in declaration order."""

    name: str
    routes: list[Route] = field(default_factory=list)
    menu: list[MenuItem] = field(default_factory=list)
    pushes: dict[str, PushRenderer] = field(default_factory=dict)

    def command(
        self, *names: str, access: Access = Access.REGISTERED
    ) -> Callable[[Handler], Handler]:
        return self._add(Command, access, commands=frozenset(n.lower() for n in names))

    def button(
        self, payload: Payload, access: Access = Access.REGISTERED
    ) -> Callable[[Handler], Handler]:
        return self._add(ButtonPress, access, payload=payload)

    def text(
        self, flow: str | None = None, access: Access = Access.REGISTERED, *, idle: bool = False
    ) -> Callable[[Handler], Handler]:
        """Free text; with `flow`, only while the user is in that flow; with `idle`, only
        outside any flow."""
        return self._add(TextMessage, access, flow=flow, idle=idle)

    def contact(self, access: Access = Access.PUBLIC) -> Callable[[Handler], Handler]:
        return self._add(ContactShared, access)

    def photo(
        self, flow: str | None = None, access: Access = Access.REGISTERED
    ) -> Callable[[Handler], Handler]:
        return self._add(PhotoMessage, access, flow=flow)

    def document(
        self, flow: str | None = None, access: Access = Access.REGISTERED
    ) -> Callable[[Handler], Handler]:
        return self._add(DocumentMessage, access, flow=flow)

    def location(
        self, flow: str | None = None, access: Access = Access.REGISTERED
    ) -> Callable[[Handler], Handler]:
        return self._add(LocationShared, access, flow=flow)

    def any(self, access: Access = Access.PUBLIC) -> Callable[[Handler], Handler]:
        """Everything not answered before: the fallback router's catch-all."""
        return self._add(Inbound, access)

    def push(self, purpose: str) -> Callable[[PushRenderer], PushRenderer]:
        """Declare how this feature renders outbox messages of `purpose` (see `PushRenderer`)."""

        def register(renderer: PushRenderer) -> PushRenderer:
            self.pushes[purpose] = renderer
            return renderer

        return register

    def menu_item(
        self,
        label_key: str,
        payload: str,
        *roles: MenuRole,
        order: int = 100,
        access: Access = Access.PUBLIC,
    ) -> None:
        self.menu.append(MenuItem(label_key, payload, frozenset(roles), order, access))

    def _add(
        self,
        kind: type[Inbound],
        access: Access,
        commands: frozenset[str] = frozenset(),
        payload: Payload | None = None,
        flow: str | None = None,
        idle: bool = False,
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.routes.append(Route(kind, handler, access, commands, payload, flow, idle))
            return handler

        return register


def matching_routes(
    routers: Sequence[Router], event: Inbound, flow: str | None
) -> Iterator[Route]:
    for router in routers:
        for route in router.routes:
            if route.matches(event, flow):
                yield route
