"""The one path every event takes: dedupe, serialise per user, load state, route, save, render.

All database work for one update happens in one short transaction, committed after the handler
returns; a failure rolls it back, including the dedupe claim, so the platform's retry is processed.
Queued pushes (the outbox) are rendered here too, by `render_push`, with the same context a
handler gets, so a feature's push looks like its replies.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from time import perf_counter
from typing import Any, Protocol

from bot.chat.capabilities import Capabilities, Outgoing, present
from bot.chat.context import ChatContext, State
from bot.chat.events import ButtonPress, Inbound, TextMessage
from bot.chat.i18n import Catalogs
from bot.chat.replies import Document, Image, Reply, StoredMedia, Text
from bot.chat.router import (
    SKIP,
    HandlerResult,
    PushRenderer,
    Route,
    Router,
    Skip,
    matching_routes,
)
from kinerja.activities import WorkPolicy
from kinerja.people import Person
from storage.errors import is_unavailable
from storage.repositories.conversations import SavedState, StaleStateError
from storage.uow import SessionFactory, UnitOfWork

log = logging.getLogger(__name__)
CHOICES_KEY = "_choices"
# "channel:update id" of the update this task is handling, for log lines (bot/logging_setup.py).
CURRENT_UPDATE: ContextVar[str | None] = ContextVar("current_update", default=None)


class UpdateObserver(Protocol):
    """Told about every update once it is done (metrics): outcome is "ok", "duplicate",
    "failed" (the handler raised; the user got the polite error) or "error" (nothing saved)."""

    def __call__(self, channel: str, outcome: str, seconds: float, replies: int) -> None: ...


class UserLocks:
    """One asyncio lock per (channel, user); dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[tuple[str, str], tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: tuple[str, str]) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    def __len__(self) -> int:
        return len(self._locks)


class Dispatcher:
    def __init__(
        self,
        routers: Sequence[Router],
        sessions: SessionFactory,
        catalogs: Catalogs,
        default_language: str = "id",
        max_transactions: int = 5,
        policy: WorkPolicy | None = None,
        clock: Callable[[], datetime] | None = None,
        observer: UpdateObserver | None = None,
    ) -> None:
        self.routers = tuple(routers)
        self.observer = observer
        self.sessions = sessions
        self.catalogs = catalogs
        self.default_language = default_language
        self.locks = UserLocks()
        # A fair gate in front of the connection pool: the pool's own queue lets newcomers barge
        # past waiters, which starves some updates for seconds under load (measured p99 3 s).
        self.transactions = asyncio.Semaphore(max_transactions)
        self.policy = policy or WorkPolicy()
        self.clock = clock or (lambda: datetime.now(UTC))
        self.menu_items = tuple(item for router in self.routers for item in router.menu)
        self.pushes = _push_renderers(self.routers)

    async def handle(self, event: Inbound, caps: Capabilities) -> list[Outgoing]:
        """Process one event and return what to send back, laid out for `caps`.

        A redelivered event returns nothing. Replies are laid out inside the transaction (numbered
        choices are part of the saved state) and returned only once it has committed, so nothing
        is sent for work that was not saved.
        """
        CURRENT_UPDATE.set(f"{event.channel}:{event.update_id}")
        started = perf_counter()
        outcome, outgoing = "error", list[Outgoing]()
        try:
            async with self.locks.hold((event.channel, event.user_id)):
                for attempt in (1, 2):
                    try:
                        async with self.transactions:
                            outcome, outgoing = await self._handle_once(event, caps)
                            return outgoing
                    except StaleStateError:
                        if attempt == 2:
                            raise
                        log.info("state of %s changed underneath; retrying", event.user_id)
                        continue
            raise AssertionError("unreachable")
        finally:
            if self.observer is not None:
                self.observer(event.channel, outcome, perf_counter() - started, len(outgoing))

    async def _handle_once(self, event: Inbound, caps: Capabilities) -> tuple[str, list[Outgoing]]:
        """The outcome (for `UpdateObserver`) and what to send back."""
        async with UnitOfWork(self.sessions) as uow:
            loaded = await uow.chat.claim_and_load(event.channel, event.update_id, event.user_id)
            if loaded is None:
                log.info("duplicate update %s:%s ignored", event.channel, event.update_id)
                return "duplicate", []
            identity = loaded.identity or await uow.identities.ensure(event.channel, event.user_id)
            if loaded.unreachable:  # they unblocked the bot: reminders and broadcasts again
                await uow.identities.set_reachable(identity.id)
            person, saved = loaded.person, loaded.state
            state = State(saved.flow, saved.step, dict(saved.data))
            before = state.snapshot()
            ctx = ChatContext(
                identity=identity,
                person=person,
                state=state,
                catalogs=self.catalogs,
                language=self._language(identity.language, event.language_hint),
                uow=uow,
                menu_items=self.menu_items,
                caps=caps,
                policy=self.policy,
                clock=self.clock,
            )
            event = self._resolve_numbered_choice(event, state)
            try:
                replies = await self._route(ctx, event)
            except Exception as error:
                if is_unavailable(error):
                    # Not the handler's bug: the database went away mid-update. Answering
                    # "error" would acknowledge an update that was not applied; raising makes
                    # the webhook answer 503, so the platform delivers it again.
                    raise
                log.exception("handler failed for %s update %s", event.channel, event.update_id)
                await uow.rollback()
                failed = self._present([Text(text=ctx.t("error.internal"))], caps, ctx.language)
                return "failed", failed
            outgoing = self._present(replies, caps, ctx.language)
            _remember_numbered_choices(state, outgoing)
            if ctx.new_language:
                await uow.identities.set_language(identity.id, ctx.new_language)
            if state.snapshot() != before:
                await uow.conversations.save(
                    event.channel,
                    event.user_id,
                    SavedState(state.flow, state.step, state.data, saved.version),
                )
            await uow.commit()
            return "ok", outgoing

    @asynccontextmanager
    async def push_turn(self, channel: str, recipient: str) -> AsyncIterator[None]:
        """Hold this before opening the unit of work that renders a push to `recipient`.

        The recipient's own updates and their pushes then take turns (a push saves state too,
        its numbered choices), and the push waits at the same fair gate as updates, so a
        broadcast cannot starve interactive replies of connections. Taken in this order, outside
        the transaction, like `handle` does: waiting for the user while holding SQLite's one
        write turn would deadlock against that user's update waiting for the turn.
        """
        async with self.locks.hold((channel, recipient)), self.transactions:
            yield

    async def render_push(
        self,
        uow: UnitOfWork,
        channel: str,
        recipient: str,
        purpose: str,
        payload: Mapping[str, Any],
        caps: Capabilities,
    ) -> list[Outgoing]:
        """Render a queued push for its recipient now, laid out for `caps`.

        Returns [] when there is nothing to send: an unknown purpose (logged), a recipient whose
        account no longer exists or whose person was deactivated, or a renderer that returns
        nothing (the card is obsolete). State the renderer changed, and numbered choices the
        push offers, are saved in `uow`; committing is the caller's, before sending. May raise
        `StaleStateError` when another process saved the recipient's state meanwhile.

        The context is built as `_handle_once` builds it; that path is left alone because it is
        the hot one (one query, no extra branches), and this one runs once per push.
        """
        renderer = self.pushes.get(purpose)
        if renderer is None:
            log.error("no renderer for push purpose %r (to %s:%s)", purpose, channel, recipient)
            return []
        loaded = await uow.chat.load(channel, recipient)
        identity, person, saved = loaded.identity, loaded.person, loaded.state
        if identity is None:
            log.info("push %s to %s:%s: no such account any more", purpose, channel, recipient)
            return []
        if person is not None and not person.active:
            log.info("push %s to %s:%s: person deactivated", purpose, channel, recipient)
            return []
        state = State(saved.flow, saved.step, dict(saved.data))
        before = state.snapshot()
        ctx = ChatContext(
            identity=identity,
            person=person,
            state=state,
            catalogs=self.catalogs,
            language=self._language(identity.language, None),
            uow=uow,
            menu_items=self.menu_items,
            caps=caps,
            policy=self.policy,
            clock=self.clock,
        )
        replies = list(await renderer(ctx, payload))
        outgoing = self._present(replies, caps, ctx.language)
        if any(out.layout == "numbered" for out in outgoing):
            # Only a push that numbers choices replaces the pending ones: a plain notice in
            # the middle of a numbered question must not make the user's "2" meaningless.
            _remember_numbered_choices(state, outgoing)
        if ctx.new_language:
            await uow.identities.set_language(identity.id, ctx.new_language)
        if state.snapshot() != before:
            await uow.conversations.save(
                channel,
                recipient,
                SavedState(state.flow, state.step, state.data, saved.version),
            )
        return outgoing

    def _present(self, replies: list[Reply], caps: Capabilities, language: str) -> list[Outgoing]:
        return present(replies, caps, self.catalogs.text(language, "chat.answer_with_number"))

    async def _route(self, ctx: ChatContext, event: Inbound) -> list[Reply]:
        for route in matching_routes(self.routers, event, ctx.state.flow):
            refusal = self._refusal(route, ctx)
            if refusal is not None:
                if isinstance(event, ButtonPress):
                    log.warning(
                        "refused %s press %r by %s:%s",
                        route.access.name,
                        event.payload,
                        event.channel,
                        event.user_id,
                    )
                return [refusal]
            result = await route.handler(ctx, event)
            if result is not SKIP:
                return _as_list(result)
        return [Text(text=ctx.t("chat.unknown"))]

    def _refusal(self, route: Route, ctx: ChatContext) -> Reply | None:
        if route.access.allows(ctx.person):
            return None
        person: Person | None = ctx.person
        if person is None:
            return Text(text=ctx.t("auth.not_registered"))
        if not person.active:
            return Text(text=ctx.t("auth.inactive"))
        return Text(text=ctx.t("auth.forbidden"), buttons=ctx.back_to_menu())

    def _language(self, saved: str | None, hint: str | None) -> str:
        if saved and self.catalogs.supports(saved):
            return saved
        short = (hint or "").split("-")[0].lower()
        if short and self.catalogs.supports(short):
            return short
        return self.default_language

    @staticmethod
    def _resolve_numbered_choice(event: Inbound, state: State) -> Inbound:
        """Turn "2" into a press of the second offered choice, when choices were numbered."""
        choices = state.data.get(CHOICES_KEY)
        if not choices or not isinstance(event, TextMessage):
            return event
        answer = event.text.strip().rstrip(".")
        if answer.isdigit() and 1 <= int(answer) <= len(choices):
            return ButtonPress(
                channel=event.channel,
                user_id=event.user_id,
                update_id=event.update_id,
                display_name=event.display_name,
                language_hint=event.language_hint,
                sender_phone=event.sender_phone,
                payload=choices[int(answer) - 1],
            )
        return event


def _remember_numbered_choices(state: State, outgoing: list[Outgoing]) -> None:
    """Keep choices shown as numbered text so a typed "2" answers them.

    Only numbered layouts are remembered: elsewhere a typed number is ordinary input.
    """
    numbered = [out for out in outgoing if out.layout == "numbered"]
    if numbered:
        state.data[CHOICES_KEY] = [choice.payload for choice in numbered[-1].choices]
    else:
        state.data.pop(CHOICES_KEY, None)


def _push_renderers(routers: Sequence[Router]) -> dict[str, PushRenderer]:
    """Every router's push renderers by purpose; one purpose has one renderer."""
    found: dict[str, PushRenderer] = {}
    for router in routers:
        for purpose, renderer in router.pushes.items():
            if purpose in found:
                raise ValueError(f"push purpose {purpose!r} is rendered by two routers")
            found[purpose] = renderer
    return found


def _as_list(result: HandlerResult) -> list[Reply]:
    if result is None or isinstance(result, Skip):
        return []
    if isinstance(result, Text | Image | Document | StoredMedia):
        return [result]
    return list(result)
