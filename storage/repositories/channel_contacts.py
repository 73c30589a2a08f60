"""Where to reach a chat account, and when it last wrote to us (WhatsApp's 24-hour window)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import case, func, select, update

from storage.database import Db
from storage.models import ChannelContact
from storage.repositories._dialect import insert_for

TABLE = ChannelContact.__table__


@dataclass(frozen=True, slots=True)
class ContactRecord:
    channel: str
    external_id: str
    address: str | None
    last_inbound_at: datetime | None


class ChannelContactRepository:
    def __init__(self, session: Db) -> None:
        self._session = session

    async def seen(
        self, channel: str, external_id: str, *, address: str | None, at: datetime
    ) -> None:
        """The account wrote at `at` (from `address`, when the platform says): keep the latest
        time and the last known address."""
        at = _utc(at)
        insert = insert_for(self._session, TABLE)  # type: ignore[arg-type]
        statement = insert.values(
            channel=channel, external_id=external_id, address=address, last_inbound_at=at
        ).on_conflict_do_update(
            index_elements=["channel", "external_id"],
            set_={
                "address": func.coalesce(insert.excluded.address, TABLE.c.address),
                "last_inbound_at": _later(
                    TABLE.c.last_inbound_at, insert.excluded.last_inbound_at
                ),
            },
        )
        await self._session.execute(statement)

    async def get(self, channel: str, external_id: str) -> ContactRecord | None:
        row = (
            await self._session.execute(
                select(ChannelContact.address, ChannelContact.last_inbound_at).where(
                    ChannelContact.channel == channel, ChannelContact.external_id == external_id
                )
            )
        ).one_or_none()
        if row is None:
            return None
        last = row.last_inbound_at
        return ContactRecord(channel, external_id, row.address, _aware(last) if last else None)

    async def close_window(self, channel: str, external_id: str) -> None:
        """The platform says free-form messages no longer reach this account (WhatsApp 131047):
        forget its last message time until it writes again."""
        await self._session.execute(
            update(ChannelContact)
            .where(ChannelContact.channel == channel, ChannelContact.external_id == external_id)
            .values(last_inbound_at=None)
        )


def _later(current: Any, new: Any) -> Any:
    """max() of two timestamps where the current one may be NULL, on SQLite and PostgreSQL."""
    return case((current.is_(None), new), (current < new, new), else_=current)


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
