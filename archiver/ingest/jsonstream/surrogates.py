"""Lone UTF-16 surrogates written as U+FFFD before a parser sees them.

A ``\\u`` escape of a lone surrogate (``\\udfff``, or a ``\\ud83d`` with no
low half after it) is text no UTF-8 column can hold: msgspec refuses it, and
ijson fails or writes "?". Each is rewritten as ``\\ufffd`` (the replacement
character) and counted, in a file held whole or in a stream, so the reader can
say so and keep the rest of the file. A complete pair (an emoji written as two
escapes) is kept.
"""

from __future__ import annotations

import re
from typing import Any

# A \u escape of a UTF-16 surrogate, or an escaped backslash: matched left to
# right from a place where no escape is open, the backslash pairs come first,
# so ``\\udfff`` (a backslash, then "udfff") is never taken for an escape.
_SURROGATE_HINT = re.compile(rb"\\u[dD][89a-fA-F]")
_SURROGATE_ESCAPE = re.compile(
    rb"\\\\"
    rb"|\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}"  # a pair: kept
    rb"|\\u[dD][89a-fA-F][0-9a-fA-F]{2}"  # a lone surrogate (6 bytes)
)
_HIGH_SURROGATE = re.compile(rb"\\u[dD][89abAB][0-9a-fA-F]{2}")


def replace_lone_surrogates(data: bytes) -> tuple[bytes, int]:
    """``data`` with every escape of a lone UTF-16 surrogate written as
    ``\\ufffd``, and how many there were. ``data`` starts where no escape is
    open; a complete pair (an emoji written as two escapes) is kept."""
    if not _SURROGATE_HINT.search(data):
        return data, 0
    count = 0

    def one(match: re.Match[bytes]) -> bytes:
        nonlocal count
        if len(match[0]) != 6:
            return match[0]
        count += 1
        return rb"\ufffd"

    return _SURROGATE_ESCAPE.sub(one, data), count


def _escape_start(data: bytes, at: int) -> int:
    """``at`` (a backslash), or ``at - 1`` when that backslash is the escaped
    half of a pair: where an escape can begin."""
    run = at - len(data[:at].rstrip(b"\\"))
    return at - run % 2


class SurrogateStream:
    """A file wrapper that passes on what it reads with lone surrogate escapes
    replaced (:func:`replace_lone_surrogates`), counted in :attr:`replaced`.
    A chunk is never cut inside an escape or between the two halves of a
    pair: up to 18 bytes wait for the next read."""

    __slots__ = ("_f", "_pending", "replaced")

    def __init__(self, f: Any) -> None:
        self._f = f
        self._pending = b""
        self.replaced = 0

    def read(self, n: int = -1) -> bytes:
        while True:
            chunk = self._f.read(n)
            data = self._pending + chunk if self._pending else chunk
            if not chunk:
                self._pending = b""
                cut = len(data)
            else:
                cut = self._cut(data)
                self._pending = data[cut:]
            if cut or not chunk:
                out, count = replace_lone_surrogates(data[:cut])
                self.replaced += count
                return out

    @staticmethod
    def _cut(data: bytes) -> int:
        at = data.find(b"\\", max(0, len(data) - 12))  # a pair is 12 bytes
        if at < 0:
            return len(data)
        cut = _escape_start(data, at)
        if cut >= 6 and _HIGH_SURROGATE.fullmatch(data, cut - 6, cut) and _escape_start(
                data, cut - 6) == cut - 6:
            cut -= 6  # its low half may follow
        return cut
