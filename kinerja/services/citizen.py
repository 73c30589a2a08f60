"""Use cases of the citizen channel: the service catalog, ratings and the SKM, abuse flags,
who may see what, and retention. Each takes a unit of work and leaves committing to the caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from kinerja.citizen import normalise_code, valid_counter_code, valid_service_code
from kinerja.ikm import ELEMENTS, valid_score
from kinerja.people import Person, Role
from kinerja.reminders import unit_tree

# Re-exported: the records handlers see (handlers may not import storage themselves).
from storage.repositories.citizen import ComplaintRecord as ComplaintRecord
from storage.repositories.citizen import CounterRecord as CounterRecord
from storage.repositories.citizen import ServiceRecord as ServiceRecord
from storage.uow import UnitOfWork

CITIZEN_CHANNELS = ("citizen-telegram", "citizen-whatsapp", "citizen-web")


@dataclass(frozen=True, slots=True)
class CitizenPolicy:
    """Settings of the citizen channel the use cases need (bot/config.py fills it)."""

    response_days: int = 5  # working days to answer a complaint
    retention_days: int = 365
    burst_limit: int = 30  # ratings on one service within `burst_minutes` that raise a flag
    burst_minutes: int = 10
    lapor_url: str = "https://www.lapor.go.id"
    agency: str = "Pemerintah Daerah"


class CatalogError(ValueError):
    """A catalog change that cannot be made; `key` is a locale key, `values` its fields."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


async def add_service(
    uow: UnitOfWork, code: str, name: str, unit_code: str, officer_nip: str | None = None
) -> ServiceRecord:
    code = normalise_code(code)
    if not valid_service_code(code):
        raise CatalogError("citizen.catalog.bad_code", code=code)
    name = " ".join(name.split())
    if not 3 <= len(name) <= 200:
        raise CatalogError("citizen.catalog.bad_name")
    unit_id = await uow.citizen.unit_id_by_code(unit_code.strip())
    if unit_id is None:
        raise CatalogError("citizen.catalog.unknown_unit", unit=unit_code)
    if await uow.citizen.service(code) is not None:
        raise CatalogError("citizen.catalog.duplicate", code=code)
    officer = await _officer(uow, officer_nip)
    service_id = await uow.citizen.add_service(code, name, unit_id, officer)
    found = await uow.citizen.service_by_id(service_id)
    assert found is not None
    return found


async def add_counter(
    uow: UnitOfWork, service_code: str, counter: str, officer_nip: str | None = None
) -> CounterRecord:
    service = await uow.citizen.service(normalise_code(service_code))
    if service is None:
        raise CatalogError("citizen.catalog.unknown_service", code=service_code)
    code = normalise_code(counter)
    if not valid_counter_code(code):
        raise CatalogError("citizen.catalog.bad_counter", code=code)
    officer = await _officer(uow, officer_nip)
    existing = await uow.citizen.counter(service.id, code)
    if existing is not None:
        await uow.citizen.set_counter_officer(existing.id, officer)
    else:
        await uow.citizen.add_counter(service.id, code, officer)
    found = await uow.citizen.counter(service.id, code)
    assert found is not None
    return found


async def _officer(uow: UnitOfWork, nip: str | None) -> int | None:
    if not nip:
        return None
    officer = await uow.citizen.employee_id_by_nip(nip.replace(" ", ""))
    if officer is None:
        raise CatalogError("citizen.catalog.unknown_officer", nip=nip)
    return officer


def local_day(service: ServiceRecord, now: datetime) -> date:
    """The service's local date: "one rating per day" follows the office's calendar."""
    return now.astimezone(ZoneInfo(service.unit_timezone)).date()


async def rate(
    uow: UnitOfWork,
    *,
    citizen_id: int,
    service: ServiceRecord,
    counter: CounterRecord | None,
    score: int,
    channel: str,
    now: datetime,
    policy: CitizenPolicy,
) -> int:
    """Record (or update the day's) quick rating, attributed to the counter's or service's
    officer; a burst of ratings on the service raises a flag for its admins."""
    if not valid_score(score):
        raise ValueError(f"rating {score!r} is not 1-4")
    officer = (counter.officer_id if counter else None) or service.officer_id
    rating_id = await uow.citizen.rate(
        citizen_id=citizen_id,
        service_id=service.id,
        counter_id=counter.id if counter else None,
        officer_id=officer,
        day=local_day(service, now),
        quick=score,
        channel=channel,
        now=now,
    )
    await _watch_burst(uow, service, now, policy)
    return rating_id


async def _watch_burst(
    uow: UnitOfWork, service: ServiceRecord, now: datetime, policy: CitizenPolicy
) -> None:
    window = timedelta(minutes=policy.burst_minutes)
    recent = await uow.citizen.ratings_since(service.id, now - window)
    if recent >= policy.burst_limit:
        # One flag per service per window slot, however many ratings follow.
        slot = int(now.timestamp() // window.total_seconds()) * window.total_seconds()
        start = datetime.fromtimestamp(slot, tz=now.tzinfo)
        await uow.citizen.flag(service.id, start, recent, now)


async def answer_element(
    uow: UnitOfWork, pseudonym: str, rating_id: int, element: int, score: int, now: datetime
) -> bool | None:
    """Store an SKM answer of the citizen's own rating; None when it is not theirs (or the
    element or score is out of range)."""
    if not 1 <= element <= ELEMENTS or not valid_score(score):
        return None
    return await uow.citizen.answer_element(rating_id, pseudonym, element, score, now)


async def scope_of(uow: UnitOfWork, person: Person) -> frozenset[int] | None:
    """Units whose IKM, comments and complaints `person` may see; None = all (instansi admin).

    A unit admin sees their unit and its sub-units; an atasan (not admin) their own unit's.
    """
    parents = await uow.citizen.unit_parents()
    if person.role is Role.ADMIN:
        admin_unit = await uow.citizen.admin_unit_of(person.id)
        return None if admin_unit is None else unit_tree(parents, admin_unit)
    if person.is_supervisor:
        return frozenset({person.unit_id})
    return frozenset()


async def forget_old(uow: UnitOfWork, now: datetime, policy: CitizenPolicy) -> tuple[int, int]:
    """Retention: see `CitizenRepository.forget_before`."""
    return await uow.citizen.forget_before(
        now - timedelta(days=policy.retention_days), CITIZEN_CHANNELS
    )


DEMO_SERVICES = (
    ("KTP", "Perekaman KTP-el", "DISKOMINFO", (("L1", "199201102019031003"), ("L2", None))),
    ("IZIN", "Perizinan Usaha", "UPT-TIMUR", ()),
)


async def seed_demo_services(uow: UnitOfWork) -> None:
    """The demo's public services (for `/layanan` in `kinerja demo`); idempotent."""
    for code, name, unit, counters in DEMO_SERVICES:
        if await uow.citizen.service(code) is None:
            await add_service(uow, code, name, unit)
        for counter, officer in counters:
            await add_counter(uow, code, counter, officer)
