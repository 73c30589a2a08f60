"""Linking a chat account to an employee: by a shared phone number or by an invite code.

Phone matching covers most people; an invite (printed by an admin) covers those whose chat number
is not the one on the roster. Both link one account and leave an audit entry; neither ever links
an inactive employee.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from kinerja.people import Person
from kinerja.phone import PhoneError, normalize_phone
from kinerja.services.directory import link_identity
from storage.uow import UnitOfWork

INVITE_PREFIX = "inv_"
INVITE_CODE = re.compile(r"^inv_[A-Za-z0-9_-]{20,60}$")
DEFAULT_INVITE_DAYS = 7


class Problem(StrEnum):
    """Why a registration attempt did not link; each has a message in the catalogs."""

    BAD_PHONE = "bad_phone"
    NO_MATCH = "no_match"
    INVITE_INVALID = "invite_invalid"
    INVITE_EXPIRED = "invite_expired"


@dataclass(frozen=True, slots=True)
class Linked:
    person: Person


async def register_by_phone(
    uow: UnitOfWork, channel: str, external_id: str, phone: str
) -> Linked | Problem:
    """Link the account whose own phone number matches an active employee's."""
    try:
        normalised = normalize_phone(phone)
    except PhoneError:
        return Problem.BAD_PHONE
    person = await uow.employees.active_by_phone(normalised)
    if person is None:
        return Problem.NO_MATCH
    await link_identity(uow, channel, external_id, person)
    return Linked(person)


async def create_invite(
    uow: UnitOfWork, nip: str, *, now: datetime, days: int = DEFAULT_INVITE_DAYS
) -> str:
    """A new single-use code for an active employee (deep-link safe: <= 64 of [A-Za-z0-9_-])."""
    person = await uow.employees.person_by_nip(nip)
    if person is None or not person.active:
        raise LookupError(nip)
    code = INVITE_PREFIX + secrets.token_urlsafe(30)
    await uow.invites.create(_hash(code), person.id, now + timedelta(days=days))
    await uow.audit.record(
        actor="cli",
        action="invite.create",
        subject_type="employee",
        subject_id=person.nip,
        detail={"days": days},
    )
    return code


def looks_like_invite(text: str) -> bool:
    return bool(INVITE_CODE.match(text))


async def redeem_invite(
    uow: UnitOfWork, channel: str, external_id: str, code: str, *, now: datetime
) -> Linked | Problem:
    if not looks_like_invite(code):
        return Problem.INVITE_INVALID
    invite = await uow.invites.find(_hash(code))
    if invite is None or invite.used_at is not None:
        return Problem.INVITE_INVALID
    if invite.expires_at.replace(tzinfo=invite.expires_at.tzinfo or now.tzinfo) < now:
        return Problem.INVITE_EXPIRED
    person = await uow.employees.person(invite.employee_id)
    if person is None or not person.active:
        return Problem.INVITE_INVALID
    identity = await uow.identities.ensure(channel, external_id)
    if not await uow.invites.use(invite.id, identity.id, now):
        return Problem.INVITE_INVALID
    await link_identity(uow, channel, external_id, person)
    return Linked(person)


async def unlink_employee(uow: UnitOfWork, nip: str) -> int:
    """Detach all chat accounts of an employee (lost or changed phone)."""
    person = await uow.employees.person_by_nip(nip)
    if person is None:
        raise LookupError(nip)
    count = await uow.identities.unlink_employee(person.id)
    await uow.audit.record(
        actor="cli",
        action="identity.unlink",
        subject_type="employee",
        subject_id=nip,
        detail={"accounts": count},
    )
    return count


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()
