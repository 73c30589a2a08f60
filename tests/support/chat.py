"""Scripted conversations through the real dispatcher: send, press, expect."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from bot.chat.capabilities import WEB, Capabilities, Outgoing
from bot.chat.dispatcher import Dispatcher
from bot.chat.events import ButtonPress, Inbound, text_event
from bot.chat.replies import Button, Text
from kinerja.people import Person
from kinerja.services.demo_seed import seed_demo
from kinerja.services.directory import link_identity, person_by_nip
from storage.uow import SessionFactory, UnitOfWork

_update_ids = itertools.count(1)

# Demo roster NIPs, named by role (kinerja/services/demo_seed.py).
ADMIN = "198507072010012004"
ATASAN = "197503152000031002"
STAFF = "199008242015032001"
ATASAN_WITA = "198811302012121001"


@dataclass
class Chat:
    """One user talking to the bot; `last` holds the bot's latest answer."""

    dispatcher: Dispatcher
    user_id: str
    channel: str = "web"
    caps: Capabilities = WEB
    language_hint: str | None = None
    last: list[Outgoing] = field(default_factory=list)

    async def send(self, text: str, update_id: str | None = None) -> list[Outgoing]:
        event = text_event(
            channel=self.channel,
            user_id=self.user_id,
            update_id=update_id or str(next(_update_ids)),
            text=text,
            language_hint=self.language_hint,
        )
        return await self.deliver(event)

    async def press(self, label: str) -> list[Outgoing]:
        """Press the button with this label (or payload) on the bot's latest message."""
        button = self.button(label)
        return await self.press_payload(button.payload)

    async def press_payload(self, payload: str, update_id: str | None = None) -> list[Outgoing]:
        event = ButtonPress(
            channel=self.channel,
            user_id=self.user_id,
            update_id=update_id or str(next(_update_ids)),
            payload=payload,
        )
        return await self.deliver(event)

    async def deliver(self, event: Inbound) -> list[Outgoing]:
        self.last = await self.dispatcher.handle(event, self.caps)
        return self.last

    @property
    def text(self) -> str:
        """All text of the latest answer, joined."""
        return "\n".join(out.reply.text for out in self.last if isinstance(out.reply, Text))

    def buttons(self) -> list[Button]:
        found: list[Button] = []
        for out in self.last:
            found.extend(button for row in out.keyboard for button in row)
            found.extend(out.choices)
        return found

    def labels(self) -> list[str]:
        return [button.label for button in self.buttons()]

    def button(self, label: str) -> Button:
        """By exact label or payload, else by a label prefix that only one button has."""
        for button in self.buttons():
            if label in (button.label, button.payload):
                return button
        prefixed = [button for button in self.buttons() if button.label.startswith(label)]
        if len(prefixed) == 1:
            return prefixed[0]
        raise AssertionError(f"no single button {label!r} in {self.labels()}")


async def seed(sessions: SessionFactory, *, with_skp: bool = False) -> None:
    """The demo roster; its SKP only on request, so tests control RHKs themselves."""
    async with UnitOfWork(sessions) as uow:
        await seed_demo(uow, with_skp=with_skp)
        await uow.commit()


async def link(sessions: SessionFactory, channel: str, user_id: str, nip: str) -> Person:
    async with UnitOfWork(sessions) as uow:
        person = await person_by_nip(uow, nip)
        assert person is not None
        await link_identity(uow, channel, user_id, person)
        await uow.commit()
        return person
