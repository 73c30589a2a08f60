"""Rendering for WhatsApp and the mapping of Graph API errors to the outbox's failures."""

from __future__ import annotations

from bot.channels.whatsapp.channel import OutsideWindow, Templates, delivery_error
from bot.channels.whatsapp.client import GraphError
from bot.channels.whatsapp.render import template_parameter, text_messages, to_whatsapp
from bot.chat.capabilities import WHATSAPP, present
from bot.chat.delivery import MessageRejected, RateLimited, RecipientUnreachable, TransientFailure
from bot.chat.replies import Button, Text, keyboard
from tests.support.fake_whatsapp import FakeGraphApi

HINT = "Balas dengan nomor pilihan Anda."
TO = "6281200000003"


def bodies(reply: Text) -> list[dict[str, object]]:
    fake = FakeGraphApi()
    out = []
    for outgoing in present([reply], WHATSAPP, HINT):
        for body in text_messages(TO, outgoing, "Pilih"):
            assert fake.check_message(body) == []
            out.append(body)
    return out


def test_html_becomes_whatsapp_formatting() -> None:
    html = '<b>Ringkasan</b> &amp; <i>catatan</i> <code>x</code> <a href="https://a.id">situs</a>'
    assert to_whatsapp(html) == "*Ringkasan* & _catatan_ `x` situs (https://a.id)"
    assert to_whatsapp("<pre>a\nb</pre>") == "```a\nb```"
    assert to_whatsapp("plain 1 < 2") == "plain 1 < 2"


def test_layouts_follow_the_capability_table() -> None:
    three = [Button(f"Pilihan {n}", f"p:{n}") for n in range(3)]
    (buttons,) = bodies(Text(text="<b>Pilih</b>", buttons=keyboard(three)))
    assert buttons["interactive"]["type"] == "button"  # type: ignore[index]
    seven = [Button(f"Pilihan {n}", f"p:{n}") for n in range(7)]
    (listed,) = bodies(Text(text="Pilih", buttons=keyboard(seven)))
    assert listed["interactive"]["type"] == "list"  # type: ignore[index]
    twelve = [Button(f"Pilihan {n}", f"p:{n}") for n in range(12)]
    (numbered,) = bodies(Text(text="Pilih", buttons=keyboard(twelve)))
    assert numbered["type"] == "text" and "12. Pilihan 11" in numbered["text"]["body"]  # type: ignore[index]
    long_label = [Button("Label yang jauh lebih panjang dari dua puluh", "p:x")]
    (as_list,) = bodies(Text(text="Pilih", buttons=keyboard(long_label)))
    assert as_list["type"] == "text"  # over 24 characters: numbered


def test_long_texts_and_bodies_are_split() -> None:
    line = "baris " * 15
    long = "\n".join([line] * 100)  # about 9,000 characters
    plain = bodies(Text(text=long))
    assert len(plain) == 3 and all(b["type"] == "text" for b in plain)
    with_buttons = bodies(Text(text=long, buttons=keyboard([Button("Ya", "y")])))
    assert with_buttons[-1]["type"] == "interactive"
    assert all(b["type"] == "text" for b in with_buttons[:-1])


def test_template_parameter_is_one_clipped_line() -> None:
    outgoing = present(
        [Text(text="<b>Judul</b>\n\nisi\tdengan     spasi\n" + "x" * 900)], WHATSAPP, HINT
    )
    parameter = template_parameter(outgoing)
    assert "\n" not in parameter and "\t" not in parameter and "     " not in parameter
    assert parameter.startswith("Judul · isi dengan spasi") and len(parameter) <= 700
    templates = Templates()
    assert templates.for_purpose("reminder_daily") == "kinerja_pengingat"
    assert templates.for_purpose("approval_card") == "kinerja_persetujuan"
    assert templates.for_purpose("broadcast") == "kinerja_pemberitahuan"


def test_graph_errors_map_to_delivery_failures() -> None:
    assert isinstance(delivery_error(GraphError(400, 131047, "re-engagement")), OutsideWindow)
    limited = delivery_error(GraphError(400, 130429, "rate limit hit"))
    assert isinstance(limited, RateLimited) and limited.retry_after > 0
    assert isinstance(delivery_error(GraphError(400, 131056, "pair rate")), TransientFailure)
    assert isinstance(
        delivery_error(GraphError(400, 131026, "undeliverable")), RecipientUnreachable
    )
    assert isinstance(delivery_error(GraphError(500, 131000, "oops")), TransientFailure)
    assert isinstance(delivery_error(GraphError(0, 0, "timeout")), TransientFailure)
    assert isinstance(delivery_error(GraphError(400, 100, "bad parameter")), MessageRejected)
