"""Conversation state rows, with optimistic versioning (DESIGN.md rule 3)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import CursorResult, bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

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


_LOAD = select(
    ConversationState.flow,
    ConversationState.step,
    ConversationState.data,
    ConversationState.version,
).where(
    ConversationState.channel == bindparam("channel"),
    ConversationState.external_id == bindparam("external_id"),
)


class ConversationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def load(self, channel: str, external_id: str) -> SavedState:
        """The saved state, or an empty one at version 0 for a first contact."""
        row = (
            await self._session.execute(_LOAD, {"channel": channel, "external_id": external_id})
        ).one_or_none()
        if row is None:
            return SavedState()
        return SavedState(row.flow, row.step, dict(row.data or {}), row.version)

    async def save(self, channel: str, external_id: str, state: SavedState) -> int:
        """Write `state` if nobody wrote since it was loaded; return the new version."""
        new_version = state.version + 1
        if state.version == 0:
            statement = (
                insert_for(self._session, TABLE)  # type: ignore[arg-type]
                .values(
                    channel=channel,
                    external_id=external_id,
                    flow=state.flow,
                    step=state.step,
                    data=state.data,
                    version=new_version,
                )
                .on_conflict_do_nothing(index_elements=["channel", "external_id"])
            )
        else:
            statement = (
                update(ConversationState)
                .where(
                    ConversationState.channel == channel,
                    ConversationState.external_id == external_id,
                    ConversationState.version == state.version,
                )
                .values(
                    flow=state.flow,
                    step=state.step,
                    data=state.data,
                    version=new_version,
                    updated_at=func.now(),
                )
            )
        result = await self._session.execute(statement)
        assert isinstance(result, CursorResult)
        if result.rowcount != 1:
            raise StaleStateError(f"{channel}:{external_id} changed since version {state.version}")
        return new_version
