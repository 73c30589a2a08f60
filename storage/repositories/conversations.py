"""Conversation state rows, with optimistic versioning (DESIGN.md rule 3)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, func, select, update

from storage.database import Db
from storage.hot import Hot
from storage.models import ConversationState
from storage.repositories._dialect import insert_for

TABLE = ConversationState.__table__


class StaleStateError(Exception):
    """Someone else saved this user's state since it was loaded."""


@dataclass(slots=True)
class SavedState:
    flow: str | None = None
    step: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    version: int = 0


_LOAD = Hot(
    select(
        ConversationState.flow,
        ConversationState.step,
        ConversationState.data,
        ConversationState.version,
    ).where(
        ConversationState.channel == bindparam("channel"),
        ConversationState.external_id == bindparam("external_id"),
    )
)


# The update runs for every message in a flow: built once, values passed as parameters.
_UPDATE = Hot(
    update(ConversationState)
    .where(
        ConversationState.channel == bindparam("b_channel"),
        ConversationState.external_id == bindparam("b_external_id"),
        ConversationState.version == bindparam("b_version"),
    )
    .values(
        flow=bindparam("b_flow"),
        step=bindparam("b_step"),
        data=bindparam("b_data", type_=ConversationState.__table__.c.data.type),
        version=bindparam("b_new_version"),
        updated_at=func.now(),
    )
)
_INSERTS: dict[str, Hot] = {}


class ConversationRepository:
    def __init__(self, session: Db) -> None:
        self._session = session

    async def load(self, channel: str, external_id: str) -> SavedState:
        """The saved state, or an empty one at version 0 for a first contact."""
        rows = await self._session.fetch(_LOAD, {"channel": channel, "external_id": external_id})
        if not rows:
            return SavedState()
        row = rows[0]
        return SavedState(row.flow, row.step, dict(row.data or {}), row.version)

    async def save(self, channel: str, external_id: str, state: SavedState) -> int:
        """Write `state` if nobody wrote since it was loaded; return the new version."""
        new_version = state.version + 1
        if state.version == 0:
            written = await self._session.write(
                self._insert_statement(),
                {
                    "channel": channel,
                    "external_id": external_id,
                    "flow": state.flow,
                    "step": state.step,
                    "data": state.data,
                    "version": new_version,
                },
            )
        else:
            written = await self._session.write(
                _UPDATE,
                {
                    "b_channel": channel,
                    "b_external_id": external_id,
                    "b_version": state.version,
                    "b_flow": state.flow,
                    "b_step": state.step,
                    "b_data": state.data,
                    "b_new_version": new_version,
                },
            )
        if written != 1:
            raise StaleStateError(f"{channel}:{external_id} changed since version {state.version}")
        return new_version

    def _insert_statement(self) -> Hot:
        """First save of a user's state; one statement per dialect, built once."""
        dialect = self._session.dialect.name
        statement = _INSERTS.get(dialect)
        if statement is None:
            columns = ("channel", "external_id", "flow", "step", "data", "version")
            statement = Hot(
                insert_for(self._session, TABLE)  # type: ignore[arg-type]
                .values({name: bindparam(name, type_=TABLE.c[name].type) for name in columns})
                .on_conflict_do_nothing(index_elements=["channel", "external_id"])
            )
            _INSERTS[dialect] = statement
        return statement
