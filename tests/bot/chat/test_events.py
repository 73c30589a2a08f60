from __future__ import annotations

from bot.chat.events import Command, TextMessage, text_event


def event(text: str) -> TextMessage | Command:
    return text_event(channel="web", user_id="u", update_id="1", text=text)


def test_commands_are_recognised_with_args_and_bot_suffix() -> None:
    command = event("/Bahasa@kinerja_bot en")
    assert isinstance(command, Command)
    assert (command.name, command.args) == ("bahasa", "en")


def test_plain_text_and_slash_in_the_middle_are_text() -> None:
    assert isinstance(event("rapat 08.00-10.00 / koordinasi"), TextMessage)
    assert isinstance(event("/"), TextMessage)
    assert isinstance(event("/tanda-hubung"), TextMessage)
