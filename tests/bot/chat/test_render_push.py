"""`Dispatcher.render_push`: a queued push rendered for its recipient, as a handler's reply is."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from bot.chat.capabilities import TELEGRAM, WHATSAPP, Capabilities, Outgoing
from bot.chat.context import ChatContext
from bot.chat.dispatcher import CHOICES_KEY, Dispatcher
from bot.chat.i18n import Catalogs
from bot.chat.replies import Reply, Text
from bot.chat.router import Router
from storage.uow import SessionFactory, UnitOfWork
from tests.support.chat import STAFF, Chat, link, seed
from tests.support.pushes import CARD_PURPOSE, NOTICE_PURPOSE, routers_with_pushes


@pytest.fixture
async def dispatcher(sessions: SessionFactory, catalogs: Catalogs) -> Dispatcher:
    await seed(sessions)
    return Dispatcher(routers_with_pushes(), sessions, catalogs)


async def render(
    dispatcher: Dispatcher,
    recipient: str,
    purpose: str = CARD_PURPOSE,
    payload: Mapping[str, Any] | None = None,
    caps: Capabilities = TELEGRAM,
    channel: str = "telegram",
) -> list[Outgoing]:
    async with (
        dispatcher.push_turn(channel, recipient),
        UnitOfWork(dispatcher.sessions) as uow,
    ):
        outgoing = await dispatcher.render_push(
            uow, channel, recipient, purpose, payload or {"id": "7"}, caps
        )
        await uow.commit()
        return outgoing


def text(outgoing: list[Outgoing]) -> str:
    return "\n".join(out.reply.text for out in outgoing if isinstance(out.reply, Text))


async def test_a_push_is_rendered_for_its_recipient_with_buttons(dispatcher: Dispatcher) -> None:
    await link(dispatcher.sessions, "telegram", "501", STAFF)
    outgoing = await render(dispatcher, "501")
    assert text(outgoing) == "Kartu 7 untuk Siti Nurhaliza, S.T. [id]"
    assert outgoing[-1].layout == "buttons"
    assert [b.payload for b in outgoing[-1].keyboard[0]] == ["tcard:7:1", "tcard:7:2"]


async def test_the_recipients_language_is_used(dispatcher: Dispatcher) -> None:
    person = await link(dispatcher.sessions, "telegram", "502", STAFF)
    async with UnitOfWork(dispatcher.sessions) as uow:
        identity = await uow.identities.find("telegram", "502")
        assert identity is not None and person.active
        await uow.identities.set_language(identity.id, "en")
        await uow.commit()
    assert text(await render(dispatcher, "502")).endswith("[en]")


async def test_nobody_to_render_for_gets_nothing(dispatcher: Dispatcher) -> None:
    assert await render(dispatcher, "no-such-account") == []
    person = await link(dispatcher.sessions, "telegram", "503", STAFF)
    async with UnitOfWork(dispatcher.sessions) as uow:
        await uow.employees.set_active([person.id], False)
        await uow.commit()
    assert await render(dispatcher, "503") == []


async def test_an_obsolete_push_renders_nothing(dispatcher: Dispatcher) -> None:
    await link(dispatcher.sessions, "telegram", "504", STAFF)
    assert await render(dispatcher, "504", payload={"id": "7", "obsolete": True}) == []


async def test_an_unknown_purpose_is_logged_and_renders_nothing(
    dispatcher: Dispatcher, caplog: pytest.LogCaptureFixture
) -> None:
    await link(dispatcher.sessions, "telegram", "505", STAFF)
    with caplog.at_level(logging.ERROR, logger="bot.chat.dispatcher"):
        assert await render(dispatcher, "505", purpose="no_such_purpose") == []
    assert "no_such_purpose" in caplog.text


async def test_numbered_choices_of_a_push_answer_a_typed_number(dispatcher: Dispatcher) -> None:
    """Where buttons do not fit (WhatsApp: at most 10 list rows), the push numbers its choices
    and a later "2" from the user is the second choice's press."""
    await link(dispatcher.sessions, "whatsapp", "62811", STAFF)
    outgoing = await render(
        dispatcher, "62811", payload={"id": "9", "choices": 12}, caps=WHATSAPP, channel="whatsapp"
    )
    assert outgoing[-1].layout == "numbered"
    assert "12. Pilihan 12" in text(outgoing)

    # A plain notice in between keeps the pending choices.
    await render(dispatcher, "62811", NOTICE_PURPOSE, caps=WHATSAPP, channel="whatsapp")
    chat = Chat(dispatcher, "62811", channel="whatsapp", caps=WHATSAPP)
    await chat.send("2")
    assert chat.text == "Dipilih tcard:9:2"
    async with UnitOfWork(dispatcher.sessions) as uow:
        state = await uow.conversations.load("whatsapp", "62811")
    assert CHOICES_KEY not in state.data


async def test_one_purpose_has_one_renderer(sessions: SessionFactory, catalogs: Catalogs) -> None:
    async def render_nothing(ctx: ChatContext, payload: Mapping[str, Any]) -> Sequence[Reply]:
        return []

    first, second = Router("a"), Router("b")
    first.push("same")(render_nothing)
    second.push("same")(render_nothing)
    with pytest.raises(ValueError, match="same"):
        Dispatcher((first, second), sessions, catalogs)
