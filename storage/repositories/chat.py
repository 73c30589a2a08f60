"""Everything the dispatcher needs about a chat user, in one query: runs on every update."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, and_, bindparam, func, literal_column, select, true
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


# First key of the per-user advisory locks (PostgreSQL), so other advisory locks never collide.
USER_LOCK_SPACE = 7301
_SPACE: Any = literal_column(str(USER_LOCK_SPACE))


def _user_lock_key() -> Any:
    """The second key: a hash of "channel:external id" (a collision only makes two users wait
    for each other now and then)."""
    channel = bindparam("channel", type_=String)
    return func.hashtext(channel + literal_column("':'") + bindparam("external_id", type_=String))


def _claim_and_load_query() -> Any:
    """PostgreSQL: the dedupe claim, the user's lock and the load in one statement (one round
    trip, not three).

    The claim is a data-modifying CTE, run whatever the rest reads; `claimed` is 1 when it
    inserted and 0 for a redelivery. The load is joined to it so that exactly one row comes back,
    its columns NULL when the account is unknown. The load does not read `processed_updates`, so
    seeing the database as it was when the statement began changes nothing.

    `locked` serialises one user's updates across workers (several processes on one database):
    a transaction-scoped advisory lock on (channel, user), held until this update commits or
    rolls back. It is only *tried* here: a statement reads the database as it was when it
    began, so had it waited for the lock, it would have read the state from before the other
    worker's commit. When the lock is taken (nearly always: one process serialises its own
    users in memory first), the load is current as far as the other workers go; when it is
    not, `claim_and_load` waits for it and loads again, two statements more on that rare path.
    One narrow window is left: another worker that commits and releases the lock between this
    statement's start and its try leaves this load one step behind; a handler that then saves
    state is refused by the state's version (`StaleStateError`, which the dispatcher retries).
    """
    claim = (
        postgresql.insert(ProcessedUpdate)
        .values(channel=bindparam("channel"), update_key=bindparam("update_key"))
        .on_conflict_do_nothing(index_elements=["channel", "update_key"])
        .returning(ProcessedUpdate.update_key)
        .cte("claim")
    )
    claimed = select(func.count().label("claimed")).select_from(claim).subquery("claimed")
    # A CTE with a volatile function is evaluated once, and only because it is referenced.
    lock = select(func.pg_try_advisory_xact_lock(_SPACE, _user_lock_key()).label("locked")).cte(
        "user_lock"
    )
    loaded = _load_query().subquery("loaded")
    return (
        select(claimed.c.claimed, lock.c.locked, *loaded.c)
        .select_from(claimed)
        .join(lock, true())
        .outerjoin(loaded, true())
    )


_LOAD = Hot(_load_query())
_CLAIM_AND_LOAD = Hot(_claim_and_load_query())
_WAIT_FOR_USER = Hot(select(func.pg_advisory_xact_lock(_SPACE, _user_lock_key())))


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

        One round trip on PostgreSQL (every update starts here), two statements elsewhere. On
        PostgreSQL it also takes the user's advisory lock for the rest of the transaction, so
        several workers never process one user's updates at once; SQLite has one process.
        """
        if self._session.dialect.name != "postgresql":
            if not await ProcessedUpdateRepository(self._session).claim(channel, update_key):
                return None
            return await self.load(channel, external_id)
        parameters = {"channel": channel, "update_key": update_key, "external_id": external_id}
        (row,) = await self._session.fetch(_CLAIM_AND_LOAD, parameters)
        if not row.claimed:
            return None
        if not row.locked:  # another worker is on this user: wait, then read what it saved
            lock = {"channel": channel, "external_id": external_id}
            await self._session.write(_WAIT_FOR_USER, lock)
            return await self.load(channel, external_id)
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
