"""What each simulated user sends in the ingest benchmark: `SCENARIOS`, chosen by `--scenario`.

A scenario turns a Telegram user id into that user's updates, in the order the user sends them
(the load generator waits for each answer before sending the next, as a person would). Payload
shapes come from `tests/support/fake_telegram.py`'s factories, so they match what Telegram sends.

Adding one: write `def build(user_id: int) -> list[Update]` and register a `Scenario` below.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.support.fake_telegram import callback_update, command_update, text_update

Update = dict[str, Any]

# Ids of messages the bot "sent earlier" that users press buttons on (any positive id will do).
_bot_message_ids = itertools.count(500_000)


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    build: Callable[[int], list[Update]]
    # None when the scenario can run; otherwise why not (printed, and the run is skipped).
    unavailable: str | None = None


def _press(user_id: int, data: str, label: str, prompt: str) -> Update:
    """A press on `label` (callback `data`) under the bot's earlier `prompt` message.

    Telegram sends the pressed message with its inline keyboard, so the keyboard is added to the
    factory's shape: a bot that shows the choice on the prompt (ours does) edits it, as in
    production.
    """
    update = callback_update(user_id, data, message_id=next(_bot_message_ids), message_text=prompt)
    keyboard = [[{"text": label, "callback_data": data}]]
    update["callback_query"]["message"]["reply_markup"] = {"inline_keyboard": keyboard}
    return update


def menu(user_id: int) -> list[Update]:
    """A registered ASN looks around: /start, "Profil saya" pressed, /profil, then "halo"."""
    return [
        command_update(user_id, "start"),
        _press(user_id, "prof", "Profil saya", "Silakan pilih menu:"),
        command_update(user_id, "profil"),
        text_update(user_id, "halo"),
    ]


# --- activity: DESIGN.md section 6's target traffic, "a registered ASN logging an activity" ----
#
# Two entries by quick form, each confirmed with the summary's [Simpan] (`lg:save`, see
# handlers/activity.py). "kemarin" keeps the entries in the past and in an open month whatever
# the hour of the run; each save is a real write (dedupe, state, activity row, audit entry).
ACTIVITY_ENTRIES = (
    "kemarin 08.00-09.30 Menyusun laporan keuangan triwulan III",
    "kemarin 09.30-11.00 Rapat koordinasi layanan aplikasi",
)
ACTIVITY_CONFIRM = "lg:save"
ACTIVITY_CONFIRM_LABEL = "Simpan"
ACTIVITY_PREVIEW_PROMPT = "Ringkasan kegiatan"


def activity(user_id: int) -> list[Update]:
    """A registered ASN logs two activities by quick form, confirming each summary."""
    updates: list[Update] = []
    for entry in ACTIVITY_ENTRIES:
        updates.append(text_update(user_id, entry))
        updates.append(
            _press(user_id, ACTIVITY_CONFIRM, ACTIVITY_CONFIRM_LABEL, ACTIVITY_PREVIEW_PROMPT)
        )
    return updates


SCENARIOS: dict[str, Scenario] = {
    "menu": Scenario("menu", "/start, Profil saya button, /profil, 'halo'", menu),
    "activity": Scenario(
        "activity", "two quick-form activity entries, each confirmed with Simpan", activity
    ),
}
