"""What a handler gets besides the event: who the user is, their state, `t()`, and services."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot.chat.callbacks import MAIN_MENU
from bot.chat.capabilities import Capabilities
from bot.chat.i18n import Catalogs, Translator
from bot.chat.replies import Button, Keyboard
from bot.chat.router import MenuItem
from kinerja.activities import WorkPolicy
from kinerja.people import Person
from storage.repositories.identities import IdentityRecord
from storage.uow import UnitOfWork


@dataclass
class State:
    """A user's place in a flow; the dispatcher saves it only if it changed.

    Keys of `data` starting with `_` belong to the core (e.g. pending numbered choices).
    """

    flow: str | None = None
    step: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def enter(self, flow: str, step: str | None = None, **data: Any) -> None:
        self.flow, self.step = flow, step
        self.data = {key: value for key, value in self.data.items() if key.startswith("_")}
        self.data.update(data)

    def clear(self) -> None:
        self.flow = self.step = None
        self.data = {key: value for key, value in self.data.items() if key.startswith("_")}

    def snapshot(self) -> tuple[str | None, str | None, dict[str, Any]]:
        return self.flow, self.step, dict(self.data)


@dataclass
class ChatContext:
    """Per-update context. `uow` is the update's one transaction: commit is the dispatcher's."""

    identity: IdentityRecord
    person: Person | None
    state: State
    catalogs: Catalogs
    language: str
    uow: UnitOfWork
    menu_items: tuple[MenuItem, ...]
    caps: Capabilities
    policy: WorkPolicy
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    new_language: str | None = None

    @property
    def t(self) -> Translator:
        return self.catalogs.translator(self.language)

    def now(self) -> datetime:
        """The current instant (UTC); injectable so date rules can be tested at any hour."""
        return self.clock()

    def became(self, person: Person) -> None:
        """The account was just linked: answer the rest of this update as that person."""
        self.person = person

    def set_language(self, language: str) -> None:
        """Switch language for this reply on and remember it for this account."""
        self.language = language
        self.new_language = language

    def menu(self) -> list[Button]:
        """Main-menu buttons for this person's role, in the features' declared order."""
        role = self.person.menu_role if self.person else None
        return [
            Button(self.t(item.label_key), item.payload)
            for item in sorted(self.menu_items, key=lambda item: item.order)
            if role is not None and role in item.roles and item.access.allows(self.person)
        ]

    def back_to_menu(self) -> Keyboard:
        """The one-button keyboard that ends every answer that is not itself a menu."""
        return ((Button(self.t("btn.menu"), MAIN_MENU.pack()),),)
