"""Telegram message entities back to HTML, from the raw JSON.

Editing a prompt to show the user's choice needs its text as HTML; building PTB's objects just
for that was a large share of a button press's cost. Offsets are in UTF-16 code units, as the
Bot API counts them.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

_SIMPLE = {
    "bold": "b",
    "italic": "i",
    "underline": "u",
    "strikethrough": "s",
    "code": "code",
    "spoiler": "tg-spoiler",
    "blockquote": "blockquote",
}


def entities_to_html(text: str, entities: Sequence[Mapping[str, Any]] | None) -> str:
    """`text` with its entities as Telegram HTML; unknown entity kinds keep their plain text."""
    units = text.encode("utf-16-le")
    opens: dict[int, list[tuple[int, str]]] = {}
    closes: dict[int, list[tuple[int, str]]] = {}
    for entity in entities or ():
        tags = _tags(entity)
        if tags is None:
            continue
        start = int(entity["offset"]) * 2
        end = start + int(entity["length"]) * 2
        # Outer entities open first and close last; equal spans keep their order.
        opens.setdefault(start, []).append((-(end - start), tags[0]))
        closes.setdefault(end, []).append((end - start, tags[1]))
    out: list[str] = []
    position = 0
    boundaries = sorted(set(opens) | set(closes) | {len(units)})
    for boundary in boundaries:
        out.append(html.escape(units[position:boundary].decode("utf-16-le"), quote=False))
        position = boundary
        out.extend(tag for _, tag in sorted(closes.get(boundary, []), key=lambda item: item[0]))
        out.extend(tag for _, tag in sorted(opens.get(boundary, []), key=lambda item: item[0]))
    return "".join(out)


def _tags(entity: Mapping[str, Any]) -> tuple[str, str] | None:
    kind = entity.get("type")
    if kind in _SIMPLE:
        tag = _SIMPLE[str(kind)]
        return f"<{tag}>", f"</{tag}>"
    if kind == "pre":
        language = entity.get("language")
        if language:
            return f'<pre><code class="language-{html.escape(str(language))}">', "</code></pre>"
        return "<pre>", "</pre>"
    if kind == "text_link":
        url = str(entity.get("url", "")).replace('"', "&quot;")
        return f'<a href="{url}">', "</a>"
    return None
