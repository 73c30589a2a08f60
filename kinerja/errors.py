"""Base error for domain rule violations.

Rules never carry human text: a violation is a stable ``code`` plus ``params``, and the
presentation layer renders it through the locale catalogs (``roster.error.<code>``), so the
same error reads correctly in every language and channel.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType


class RuleViolation(Exception):
    """A broken rule, identified by a catalog code.

    Deliberately a plain class rather than a frozen dataclass: a frozen exception rejects
    ``add_note`` and attribute writes made by tooling. ``params`` is still read-only.
    """

    code: str
    params: Mapping[str, object]

    def __init__(self, code: str, params: Mapping[str, object] | None = None) -> None:
        frozen = MappingProxyType(dict(params or {}))
        super().__init__(code, dict(frozen))
        self.code = code
        self.params = frozen

    def __reduce__(self) -> tuple[type[RuleViolation], tuple[str, dict[str, object]]]:
        # MappingProxyType cannot be pickled; rebuild from a plain dict (process pools, queues).
        return type(self), (self.code, dict(self.params))

    def __str__(self) -> str:
        return self.code if not self.params else f"{self.code} {dict(self.params)!r}"
