"""Hypothesis strategies for fuzzing inputs: random JSON, and real payloads mutated a little.

Mutating a real payload (one from `reference/` or a factory checked against it) reaches deeper
than random JSON: most of it still looks right, so the code under test gets past the first
checks before meeting the broken part.
"""

from __future__ import annotations

import copy
import os
from typing import Any

from hypothesis import strategies as st

# Values that have broken JSON handlers before: NUL (PostgreSQL refuses it in text), a lone
# surrogate (not encodable as UTF-8), huge or non-finite numbers, very long strings, markup.
NASTY_STRINGS = (
    "",
    " ",
    "\x00",
    "a\x00b",
    "\ud800",
    "\U0001f600" * 50,
    "x" * 5000,
    "<b>bold</b> & <script>",
    "/start " + "A" * 80,
    "/start inv_" + "z" * 40,
    "ap:1:ok",
    "ap:999999999999999999999:ok",
    "-1",
    "1e400",
    "NaN",
)
NASTY_NUMBERS = (0, -1, 2**31, 2**63, -(2**63) - 1, 10**30, 1.5, float("inf"))

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.sampled_from(NASTY_NUMBERS)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
    | st.sampled_from(NASTY_STRINGS)
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)


def budget(examples: int) -> int:
    """A test's example count, scaled by `FUZZ_SCALE` (e.g. 10 for a long local search)."""
    return max(1, int(examples * float(os.environ.get("FUZZ_SCALE", "1"))))


def _slots(value: Any, found: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    """Every (container, key) pair inside `value`, depth first."""
    if isinstance(value, dict):
        for key, child in value.items():
            found.append((value, key))
            _slots(child, found)
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found.append((value, index))
            _slots(child, found)
    return found


@st.composite
def mutated(draw: st.DrawFn, base: Any, *, max_mutations: int = 3) -> Any:
    """`base` with one to `max_mutations` changes: a field dropped, replaced by random JSON or
    a nasty value, retyped (a string as a number and back), or a random field added."""
    value = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, max_mutations))):
        slots = _slots(value, [])
        if not slots:
            return draw(json_values)
        container, key = draw(st.sampled_from(slots))
        action = draw(st.sampled_from(("drop", "replace", "retype", "add")))
        if action == "drop":
            del container[key]
        elif action == "replace":
            container[key] = draw(json_values)
        elif action == "retype":
            current = container[key]
            if isinstance(current, str):
                container[key] = draw(st.integers() | st.sampled_from(NASTY_NUMBERS))
            elif isinstance(current, int | float):
                container[key] = str(current) if draw(st.booleans()) else [current]
            else:
                container[key] = draw(st.sampled_from(NASTY_STRINGS))
        elif isinstance(container, dict):
            container[draw(st.text(max_size=12))] = draw(json_values)
        else:
            container.append(draw(json_values))
    return value
