"""Emoji that terminals and Rich measure differently.

An emoji presentation selector (U+FE0F) after a character that is one cell
wide on its own (``❄️``, ``❤️``, ``☺️``) makes Rich count two cells, while many
terminals, tmux among them, draw one: every cell after it on the line shifts
and borders break. Dropping the selector there shows the same symbol in its
one-cell text form, which everyone measures alike.
"""

from __future__ import annotations

import re

from rich.cells import cell_len

VS16 = "\ufe0f"
_BEFORE_VS16 = re.compile(r"(.)\ufe0f")


def narrow(text: str) -> str:
    """``text`` without emoji selectors after one-cell characters."""
    if VS16 not in text:
        return text
    return _BEFORE_VS16.sub(lambda m: m.group(1) if cell_len(m.group(1)) == 1 else m.group(0), text)
