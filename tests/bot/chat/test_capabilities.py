from __future__ import annotations

from bot.chat.capabilities import TELEGRAM, WEB, WHATSAPP, Outgoing, present
from bot.chat.replies import Button, Document, Text, keyboard

HINT = "Balas dengan nomor."


def text_of(out: Outgoing) -> str:
    assert isinstance(out.reply, Text)
    return out.reply.text


def buttons(count: int, label: str = "Pilihan") -> tuple[tuple[Button, ...], ...]:
    return keyboard((Button(f"{label} {n}", f"p:{n}") for n in range(1, count + 1)), per_row=3)


def test_three_buttons_stay_buttons_on_whatsapp() -> None:
    [out] = present([Text(text="Pilih", buttons=buttons(3))], WHATSAPP, HINT)
    assert out.layout == "buttons"
    assert all(len(row) == 1 for row in out.keyboard)


def test_four_to_ten_become_a_list_on_whatsapp_but_buttons_on_telegram() -> None:
    reply = Text(text="Pilih", buttons=buttons(7))
    [whatsapp] = present([reply], WHATSAPP, HINT)
    assert whatsapp.layout == "list" and len(whatsapp.choices) == 7
    [telegram] = present([reply], TELEGRAM, HINT)
    assert telegram.layout == "buttons"


def test_more_than_ten_become_numbered_text() -> None:
    [out] = present([Text(text="Pilih", buttons=buttons(12))], WHATSAPP, HINT)
    assert out.layout == "numbered"
    assert "1. Pilihan 1" in text_of(out) and "12. Pilihan 12" in text_of(out)
    assert text_of(out).endswith(HINT)
    assert [choice.payload for choice in out.choices][-1] == "p:12"


def test_labels_too_long_for_buttons_fall_back_to_list_then_numbers() -> None:
    long21 = Button("x" * 21, "a")
    [out] = present([Text(text="t", buttons=((long21,),))], WHATSAPP, HINT)
    assert out.layout == "list"
    long25 = Button("y" * 25, "b")
    [out] = present([Text(text="t", buttons=((long25,),))], WHATSAPP, HINT)
    assert out.layout == "numbered"


def test_duplicate_labels_are_not_sent_as_buttons_on_whatsapp() -> None:
    dup = ((Button("Sama", "a"), Button("Sama", "b")),)
    [out] = present([Text(text="t", buttons=dup)], WHATSAPP, HINT)
    assert out.layout == "numbered"


def test_numbered_labels_are_escaped() -> None:
    many = keyboard(Button(f"<b>{n}", f"p:{n}") for n in range(30))
    [out] = present([Text(text="t", buttons=many)], WEB, HINT)
    assert "&lt;b&gt;0" in text_of(out)


def test_rows_wider_than_the_channel_are_rewrapped() -> None:
    row = (tuple(Button(str(n), str(n)) for n in range(10)),)
    [out] = present([Text(text="t", buttons=row)], TELEGRAM, HINT)
    assert [len(r) for r in out.keyboard] == [8, 2]


def test_long_text_is_split_at_lines_and_buttons_stay_on_the_last_part() -> None:
    text = "\n".join(f"baris {n} " + "x" * 90 for n in range(100))
    parts = present([Text(text=text, buttons=buttons(2))], TELEGRAM, HINT)
    assert len(parts) >= 3
    assert all(len(text_of(part)) <= 4096 for part in parts)
    assert all(part.layout == "none" for part in parts[:-1]) and parts[-1].layout == "buttons"
    joined = "\n".join(text_of(part) for part in parts)
    assert joined == text


def test_a_single_huge_line_is_split_hard() -> None:
    parts = present([Text(text="z" * 10_000)], WEB, HINT)
    assert [len(text_of(part)) for part in parts] == [4096, 4096, 1808]


def test_captions_are_trimmed_to_the_channel_limit() -> None:
    [out] = present([Document(data=b"x", filename="a.csv", caption="c" * 2000)], TELEGRAM, HINT)
    assert isinstance(out.reply, Document) and len(out.reply.caption) == 1024
