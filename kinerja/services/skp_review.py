"""An atasan (or admin) reads a staff member's SKP with its realisation and comments on it.

Every read and write is authorised here from the roster as it is now (`kinerja.skp_review`),
whatever button or command asked: a forwarded or stale button shows nothing it should not.
The employee hears of a comment through the outbox, written in the comment's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from kinerja.people import Person, local_now
from kinerja.progress import RhkProgress
from kinerja.services.admin_scope import scope_of
from kinerja.skp import RhkItem
from kinerja.skp_review import (
    CommentItem,
    SkpReviewError,
    check_may_comment,
    check_may_view,
    clean_comment,
)
from storage.uow import UnitOfWork

COMMENT = "skp_comment"  # outbox purpose: tell the employee
SHOWN_COMMENTS = 10


@dataclass(frozen=True, slots=True)
class SkpView:
    """An SKP as the chat shows it: each RHK with its target and realisation, and comments."""

    employee: Person
    year: int
    rhk: tuple[tuple[RhkItem, RhkProgress], ...]
    comments: tuple[CommentItem, ...]


async def staff_of(uow: UnitOfWork, atasan: Person) -> list[tuple[int, str]]:
    """(employee id, name) of the atasan's direct, active staff, by name."""
    return await uow.employees.staff_ids(atasan.id)


async def skp_view(uow: UnitOfWork, viewer: Person, employee_id: int, now: datetime) -> SkpView:
    """The SKP of this year (in the viewer's zone) if `viewer` may see it; else SkpReviewError."""
    employee = check_may_view(
        viewer, await uow.employees.person(employee_id), await _admin_units(uow, viewer)
    )
    year = local_now(viewer, now).year
    return await _view(uow, employee, year)


async def _admin_units(uow: UnitOfWork, viewer: Person) -> frozenset[int] | None:
    """The units an admin viewer may see into (None: all of them)."""
    scope = await scope_of(uow, viewer)
    return None if scope is None else scope.unit_ids


async def own_view(uow: UnitOfWork, person: Person, now: datetime) -> SkpView:
    return await _view(uow, person, local_now(person, now).year)


async def _view(uow: UnitOfWork, employee: Person, year: int) -> SkpView:
    items = await uow.rhk.for_employee(employee.id, year)
    totals = {
        number: RhkProgress(number, title, target, unit, approved, pending)
        for number, title, target, unit, approved, pending in await uow.performance.rhk_totals(
            employee.id, year
        )
    }
    rhk = tuple(
        (
            item,
            totals.get(item.number)
            or RhkProgress(
                item.number, item.title, item.target, item.unit, Decimal(0), Decimal(0)
            ),
        )
        for item in items
    )
    comments = await uow.rhk.comments(employee.id, year, SHOWN_COMMENTS)
    return SkpView(employee, year, rhk, tuple(comments))


async def check_commentable(
    uow: UnitOfWork, viewer: Person, employee_id: int, year: int, rhk_number: int | None
) -> Person:
    """The employee if `viewer` may comment on this SKP (and RHK, when given) now."""
    employee = check_may_comment(
        viewer, await uow.employees.person(employee_id), await _admin_units(uow, viewer)
    )
    if rhk_number is not None:
        numbers = {item.number for item in await uow.rhk.for_employee(employee.id, year)}
        if rhk_number not in numbers:
            raise SkpReviewError("skp.review.missing")
    return employee


async def add_comment(
    uow: UnitOfWork,
    viewer: Person,
    employee_id: int,
    year: int,
    rhk_number: int | None,
    text: str,
    *,
    now: datetime,
    channel: str,
) -> CommentItem:
    """Store a comment and queue the employee's notice; SkpReviewError says why not."""
    employee = await check_commentable(uow, viewer, employee_id, year, rhk_number)
    cleaned = clean_comment(text)
    comment_id = await uow.rhk.add_comment(
        employee_id=employee.id,
        year=year,
        rhk_number=rhk_number,
        author_id=viewer.id,
        text=cleaned,
        at=now,
    )
    await uow.audit.record(
        actor=f"employee:{viewer.nip}",
        actor_employee_id=viewer.id,
        action="skp.comment",
        subject_type="skp_comment",
        subject_id=str(comment_id),
        detail={
            "employee": employee.nip,
            "year": year,
            "rhk": rhk_number,
            "channel": channel,
        },
    )
    for identity in await uow.identities.of_employee(employee.id):
        await uow.outbox.enqueue(
            channel=identity.channel,
            recipient=identity.external_id,
            purpose=COMMENT,
            payload={"comment_id": comment_id},
            dedupe_key=f"{COMMENT}:{identity.channel}:{identity.external_id}:{comment_id}",
        )
    comment = await uow.rhk.comment(comment_id)
    assert comment is not None
    return comment


async def comment_for(uow: UnitOfWork, viewer: Person, comment_id: int) -> CommentItem | None:
    """The comment if it is on `viewer`'s own SKP (what the notice shows)."""
    comment = await uow.rhk.comment(comment_id)
    if comment is None or comment.employee_id != viewer.id:
        return None
    return comment
