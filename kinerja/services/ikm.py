"""IKM per unit and per service for a period: the one function chat, XLSX and the dashboard use.

`ikm_per_unit` is the entry point for other views (the admin dashboard): give it a unit id and
a date range, get the unit's IKM (all its services' complete surveys together) and each
service's own, computed by `kinerja.ikm` (exact 1/9 weights, x 25, grade A-D).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from kinerja.ikm import Ikm, compute_ikm
from storage.repositories.citizen import ServiceRecord
from storage.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class ServiceIkm:
    service: ServiceRecord
    ikm: Ikm
    ratings: int  # quick ratings in the period (complete surveys or not)


@dataclass(frozen=True, slots=True)
class UnitIkm:
    unit_id: int
    unit_code: str
    unit_name: str
    first: date
    last: date
    ikm: Ikm  # over every complete survey of the unit's services
    ratings: int
    services: tuple[ServiceIkm, ...]


async def ikm_per_unit(uow: UnitOfWork, unit_id: int, first: date, last: date) -> UnitIkm | None:
    """The unit's IKM from `first` to `last` (inclusive); None for an unknown unit.

    A unit without services, or without complete surveys, has an IKM of 0 respondents and no
    grade: the caller says so instead of showing a number.
    """
    unit = next((u for u in await uow.units.all() if u.id == unit_id), None)
    if unit is None:
        return None
    services = await uow.citizen.services([unit_id])
    rows: list[ServiceIkm] = []
    every: list[tuple[int, ...]] = []
    ratings = 0
    for service in services:
        surveys = await uow.citizen.surveys([service.id], first, last)
        count, _complete, _by = await uow.citizen.rating_counts([service.id], first, last)
        every.extend(surveys)
        ratings += count
        rows.append(ServiceIkm(service, compute_ikm(surveys), count))
    return UnitIkm(
        unit_id=unit.id,
        unit_code=unit.code,
        unit_name=unit.name,
        first=first,
        last=last,
        ikm=compute_ikm(every),
        ratings=ratings,
        services=tuple(rows),
    )


async def ikm_per_service(
    uow: UnitOfWork, service: ServiceRecord, first: date, last: date
) -> ServiceIkm:
    surveys = await uow.citizen.surveys([service.id], first, last)
    count, _complete, _by = await uow.citizen.rating_counts([service.id], first, last)
    return ServiceIkm(service, compute_ikm(surveys), count)
