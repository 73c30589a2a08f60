"""Who may look at (and comment on) someone else's SKP, and what a comment may be.

An SKP is agreed between an ASN and their atasan (PermenPANRB 6/2022), so the current atasan
reads it and says what they think; admins (BKPSDM/BKD) may read any. Nobody else may: not a
colleague, not a former atasan, not a Plt/Plh (who decides daily entries, not the SKP).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from kinerja.errors import RuleViolation
from kinerja.people import Person, Role

COMMENT_MIN = 3
COMMENT_MAX = 1000


class SkpReviewError(RuleViolation):
    """A look or a comment that is not allowed; `code` is a catalog key."""


@dataclass(frozen=True, slots=True)
class CommentItem:
    """A comment on an employee's SKP of one year, on one RHK (by number) or on all of it.

    The RHK is kept by number, not by row: a re-imported SKP keeps its comments.
    """

    id: int
    employee_id: int
    year: int
    rhk_number: int | None
    author_id: int
    author_name: str
    text: str
    created_at: datetime


def check_may_view(
    viewer: Person, employee: Person | None, admin_units: frozenset[int] | None
) -> Person:
    """`employee` when `viewer` is them, their current atasan or an admin whose scope holds
    them (`admin_units`: a unit admin's unit tree; None for an admin of the whole
    organisation); else SkpReviewError."""
    if employee is None or not employee.active:
        raise SkpReviewError("skp.review.not_your_staff")
    if viewer.id == employee.id:
        return employee
    if viewer.role is Role.ADMIN and (admin_units is None or employee.unit_id in admin_units):
        return employee
    if employee.supervisor_nip is not None and employee.supervisor_nip == viewer.nip:
        return employee
    raise SkpReviewError("skp.review.not_your_staff")


def check_may_comment(
    viewer: Person, employee: Person | None, admin_units: frozenset[int] | None
) -> Person:
    """The atasan or an admin (within their scope) comments; nobody on their own SKP."""
    found = check_may_view(viewer, employee, admin_units)
    if found.id == viewer.id:
        raise SkpReviewError("skp.review.not_your_staff")
    return found


def clean_comment(text: str) -> str:
    cleaned = " ".join(text.split())
    if len(cleaned) < COMMENT_MIN:
        raise SkpReviewError("skp.review.comment_short", {"min": COMMENT_MIN})
    if len(cleaned) > COMMENT_MAX:
        raise SkpReviewError("skp.review.comment_long", {"max": COMMENT_MAX})
    return cleaned
