"""Account questions a channel needs answered outside a conversation (the web chat's sessions)."""

from __future__ import annotations

from bot.chat.i18n import Catalogs
from kinerja.people import Person
from kinerja.services.directory import link_identity, person_by_nip, pickable_people
from storage.uow import SessionFactory, UnitOfWork


class Accounts:
    def __init__(self, sessions: SessionFactory, catalogs: Catalogs) -> None:
        self.sessions = sessions
        self.catalogs = catalogs

    async def pickable(self) -> list[Person]:
        async with UnitOfWork(self.sessions) as uow:
            return await pickable_people(uow)

    async def open(self, channel: str, external_id: str, nip: str | None) -> Person | None:
        """Create the account; with `nip` (demo only), link it to that active employee.

        Returns the linked person, or None for an anonymous account. Raises `LookupError` when
        `nip` names nobody active.
        """
        async with UnitOfWork(self.sessions) as uow:
            person = await person_by_nip(uow, nip) if nip else None
            if nip and (person is None or not person.active):
                raise LookupError(nip)
            if person:
                await link_identity(uow, channel, external_id, person)
            else:
                await uow.identities.ensure(channel, external_id)
            await uow.commit()
            return person

    async def exists(self, channel: str, external_id: str) -> bool:
        async with UnitOfWork(self.sessions) as uow:
            return await uow.identities.find(channel, external_id) is not None

    async def language(self, channel: str, external_id: str) -> str:
        """The account's chosen language, or the default until they choose."""
        async with UnitOfWork(self.sessions) as uow:
            identity = await uow.identities.find(channel, external_id)
        chosen = identity.language if identity else None
        return chosen if chosen and self.catalogs.supports(chosen) else self.catalogs.default
