"""SKP (PermenPANRB 6/2022): each ASN's yearly Rencana Hasil Kerja with indicators and targets."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class RhkItem:
    """One RHK as the chat shows it; `number` is its 1-based place in the employee's SKP."""

    id: int
    number: int
    title: str
    indicator: str
    target: Decimal
    unit: str
