"""Choosing who an admin's message or deadline is for: the buttons, a press, a typed unit code.

Shared by `/siaran` (handlers/broadcast.py) and `/tenggat` (handlers/deadline.py); each feature
keeps its own payloads and texts, and its service checks the audience against the admin's scope.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.chat.callbacks import Payload
from bot.chat.context import ChatContext
from bot.chat.replies import Button, Text, keyboard
from kinerja.reminders import Audience, AudienceKind

OTHER_UNIT = "other"  # the press that asks for a unit code


def question(
    ctx: ChatContext, prompt_key: str, kinds: Sequence[AudienceKind], pick: Payload, close: Payload
) -> Text:
    """One button per audience kind, "another unit…", and cancel."""
    buttons = [
        Button(ctx.t(f"btn.audience_{kind.value}"), pick.pack(k=kind.value)) for kind in kinds
    ]
    buttons.append(Button(ctx.t("btn.audience_other"), pick.pack(k=OTHER_UNIT)))
    return Text(
        text=ctx.t(prompt_key),
        buttons=(*keyboard(buttons), (Button(ctx.t("btn.cancel"), close.pack()),)),
    )


def pressed(ctx: ChatContext, pick: Payload, payload: str) -> Audience | None:
    """The audience a press names; None for "another unit" (ask for its code next). "My unit"
    is a unit admin's own unit, else the admin's unit. Raises PayloadError or ValueError for a
    forged payload."""
    assert ctx.person is not None
    value = pick.unpack(payload)["k"]
    if value == OTHER_UNIT:
        return None
    kind = AudienceKind(value)
    if kind not in (AudienceKind.UNIT, AudienceKind.UNIT_TREE):
        return Audience(kind)
    return Audience(kind, ctx.person.admin_unit_id or ctx.person.unit_id)


async def typed_unit(ctx: ChatContext, typed: str) -> Audience | Text:
    """`KODE` (that unit) or `KODE+` (with its sub-units); a Text saying so for an unknown code."""
    code = typed.strip()
    kind = AudienceKind.UNIT
    if code.endswith("+"):
        code, kind = code[:-1].strip(), AudienceKind.UNIT_TREE
    unit_id = await ctx.uow.reminders.unit_id_by_code(code) if code else None
    if unit_id is None:
        return Text(text=ctx.t("broadcast.unknown_unit_code", code=code[:40]))
    return Audience(kind, unit_id)
