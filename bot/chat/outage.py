"""Whether a failure means "try again later" (the database is unavailable), for the channels.

Channels may not import `storage` (tests/test_architecture.py), yet each must tell an outage,
answered 503 so the platform redelivers, from a bug; this is their one way to ask.
"""

from __future__ import annotations

from storage.errors import is_unavailable

__all__ = ["is_unavailable"]
