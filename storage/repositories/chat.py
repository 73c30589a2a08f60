"""Everything the dispatcher needs about a chat user, in one query: runs on every update."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, bindparam, func, select, true
from sqlalchemy.dialects import postgresql

from kinerja.people import Person
from storage.database import Db
from storage.hot import Hot
from storage.models import ConversationState, Employee, Identity, ProcessedUpdate, Unit
from storage.repositories.conversations import SavedState
from storage.repositories.employees import PERSON_COLUMNS, SUPERVISOR, person_from_row
from storage.repositories.identities import IdentityRecord
from storage.repositories.updates import ProcessedUpdateRepository


@dataclass(frozen=True, slots=True)
class ChatUser:
    identity: IdentityRecord | None
    person: Person | None
    state: SavedState
    # The outbox gave up on this account (it blocked the bot): a message from it clears that.
    unreachable: bool = False


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
            Identity.unreachable_at,
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


def _claim_and_load_query() -> Any:
    """PostgreSQL: the dedupe claim and the load in one statement (one round trip, not two).

    The claim is a data-modifying CTE, run whatever the rest reads; `claimed` is 1 when it
    inserted and 0 for a redelivery. The load is joined to it so that exactly one row comes back,
    its columns NULL when the account is unknown. The load does not read `processed_updates`, so
    seeing the database as it was when the statement began changes nothing.
    """
    claim = (
        postgresql.insert(ProcessedUpdate)
        .values(channel=bindparam("channel"), update_key=bindparam("update_key"))
        .on_conflict_do_nothing(index_elements=["channel", "update_key"])
        .returning(ProcessedUpdate.update_key)
        .cte("claim")
    )
    claimed = select(func.count().label("claimed")).select_from(claim).subquery("claimed")
    loaded = _load_query().subquery("loaded")
    return select(claimed.c.claimed, *loaded.c).select_from(claimed).outerjoin(loaded, true())


_LOAD = Hot(_load_query())
_CLAIM_AND_LOAD = Hot(_claim_and_load_query())


class ChatRepository:
    def __init__(self, session: Db) -> None:
        self._session = session

    async def load(self, channel: str, external_id: str) -> ChatUser:
        rows = await self._session.fetch(_LOAD, {"channel": channel, "external_id": external_id})
        return _chat_user(rows[0] if rows else None, channel, external_id)

    async def claim_and_load(
        self, channel: str, update_key: str, external_id: str
    ) -> ChatUser | None:
        """`ProcessedUpdateRepository.claim`, then `load`; None when the update was a redelivery.

        One round trip on PostgreSQL (every update starts here), two statements elsewhere.
        """
        if self._session.dialect.name != "postgresql":
            if not await ProcessedUpdateRepository(self._session).claim(channel, update_key):
                return None
            return await self.load(channel, external_id)
        parameters = {"channel": channel, "update_key": update_key, "external_id": external_id}
        (row,) = await self._session.fetch(_CLAIM_AND_LOAD, parameters)
        if not row.claimed:
            return None
        return _chat_user(row if row.identity_id is not None else None, channel, external_id)


def _chat_user(row: Any, channel: str, external_id: str) -> ChatUser:
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
    return ChatUser(identity, person, state, row.unreachable_at is not None)
