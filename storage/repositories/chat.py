"""Everything the dispatcher needs about a chat user, in one query: runs on every update."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

from kinerja.people import Person
from storage.models import ConversationState, Employee, Identity, Unit
from storage.repositories.conversations import SavedState
from storage.repositories.employees import PERSON_COLUMNS, SUPERVISOR, person_from_row
from storage.repositories.identities import IdentityRecord


@dataclass(frozen=True, slots=True)
class ChatUser:
    identity: IdentityRecord | None
    person: Person | None
    state: SavedState


def _load_query() -> Any:
    """Identity, its employee (with unit, atasan and staff count) and the conversation state.

    One round trip instead of three; built once so SQLAlchemy reuses its compiled form.
    """
    return (
        select(
            Identity.id.label("identity_id"),
            Identity.employee_id,
            Identity.citizen_id,
            Identity.language,
            *PERSON_COLUMNS,
            ConversationState.flow,
            ConversationState.step,
            ConversationState.data,
            ConversationState.version,
        )
        .select_from(Identity)
        .outerjoin(Employee, Employee.id == Identity.employee_id)
        .outerjoin(Unit, Unit.id == Employee.unit_id)
        .outerjoin(SUPERVISOR, SUPERVISOR.id == Employee.supervisor_id)
        .outerjoin(
            ConversationState,
            and_(
                ConversationState.channel == Identity.channel,
                ConversationState.external_id == Identity.external_id,
            ),
        )
        .where(
            Identity.channel == bindparam("channel"),
            Identity.external_id == bindparam("external_id"),
        )
    )


_LOAD = _load_query()


class ChatRepository:
    def __init__(self, session: AsyncConnection) -> None:
        self._session = session

    async def load(self, channel: str, external_id: str) -> ChatUser:
        row = (
            await self._session.execute(_LOAD, {"channel": channel, "external_id": external_id})
        ).one_or_none()
        if row is None:
            return ChatUser(None, None, SavedState())
        identity = IdentityRecord(
            row.identity_id, channel, external_id, row.employee_id, row.citizen_id, row.language
        )
        person = person_from_row(row) if row.employee_id is not None else None
        state = (
            SavedState(row.flow, row.step, dict(row.data or {}), row.version)
            if row.version is not None
            else SavedState()
        )
        return ChatUser(identity, person, state)
