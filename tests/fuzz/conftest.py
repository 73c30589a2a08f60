"""Hypothesis profiles for the fuzz tests: reproducible in CI, exploring on a developer's machine.

CI (`CI=true`) loads "ci": derandomized (the same examples every run, so a red CI is
reproducible and never flaky) and no example database. Elsewhere "dev" draws fresh examples
each run and remembers failing ones in `.hypothesis/`. `HYPOTHESIS_PROFILE` overrides both
(e.g. `HYPOTHESIS_PROFILE=long make pytest` for a deeper search before a release). Example
counts are per test and kept small enough that all fuzz tests take well under a minute.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# One app and database serve every example of a test: the fixtures are function-scoped on
# purpose (each example is checked against a fresh snapshot instead).
_COMMON = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    "print_blob": True,
}
settings.register_profile("ci", derandomize=True, database=None, **_COMMON)  # type: ignore[arg-type]
settings.register_profile("dev", **_COMMON)  # type: ignore[arg-type]
settings.register_profile("long", max_examples=2000, **_COMMON)  # type: ignore[arg-type]
_default = "ci" if os.environ.get("CI", "").lower() == "true" else "dev"
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", _default))
