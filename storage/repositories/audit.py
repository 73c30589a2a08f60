"""Append-only audit trail."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import insert, select

from storage.database import Db
from storage.hot import Hot
from storage.models import AuditEntry

_INSERT = Hot(insert(AuditEntry))  # values come as parameters: no per-call statement building


class AuditRepository:
    def __init__(self, session: Db) -> None:
        self._session = session

    async def record(
        self,
        *,
        actor: str,
        action: str,
        subject_type: str,
        subject_id: str | None = None,
        actor_employee_id: int | None = None,
        detail: Mapping[str, object] | None = None,
    ) -> None:
        await self._session.write(
            _INSERT,
            {
                "actor": actor,
                "actor_employee_id": actor_employee_id,
                "action": action,
                "subject_type": subject_type,
                "subject_id": subject_id,
                "detail": dict(detail or {}),
            },
        )

    async def actions(self, subject_type: str) -> list[str]:
        """Actions recorded for a kind of subject, oldest first (for reports and tests)."""
        rows = await self._session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.subject_type == subject_type)
            .order_by(AuditEntry.id)
        )
        return list(rows)
