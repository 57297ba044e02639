"""Numbers no 64-bit column holds (``NaN``, ``Infinity``, ``1e400``,
integers past 63 bits), kept as the text the file has them.

msgspec fails on them: a whole file holding them is decoded again by the
standard library (:func:`decode_leniently`), which keeps each such token as
:class:`RawNumber` text. ijson refuses them too, so a streamed file passes
through :class:`OddNumberStream`, which writes each such token as a string for
ijson and notes which string it is; the reader turns exactly those strings
back (:func:`rewritten_number`) into the values the whole-file path gives.
"""

from __future__ import annotations

import json
import math
import re
from collections import deque
from typing import Any

from .guard import DepthGuard


class RawNumber(str):
    """A number no column can hold (``NaN``, ``Infinity``, ``1e400``), kept as
    the text the file has it."""

    __slots__ = ()


def _integer(text: str) -> int | RawNumber:
    """An integer's text as an int when 64 bits hold it, else as RawNumber."""
    value = int(text) if len(text) < 4000 else None
    return value if value is not None and -(1 << 63) <= value < (1 << 63) else RawNumber(text)


def rewritten_number(text: str) -> int | RawNumber:
    """A number OddNumberStream turned into a string, as the whole-file path
    reads it: an integer of exactly 64 bits (ijson refuses -2**63) stays one."""
    if text in ("NaN", "Infinity", "-Infinity") or any(c in text for c in ".eE"):
        return RawNumber(text)  # only non-finite floats are rewritten
    return _integer(text)


def decode_leniently(data: bytes) -> Any:
    """The document with its odd numbers as RawNumber text; None when it has
    none, or some other fault."""
    odd = 0

    def raw(text: str) -> RawNumber:
        nonlocal odd
        odd += 1
        return RawNumber(text)

    def number(text: str) -> float | RawNumber:
        value = float(text)
        return value if math.isfinite(value) else raw(text)

    def integer(text: str) -> int | RawNumber:
        value = _integer(text)
        return raw(text) if type(value) is RawNumber else value

    try:
        doc = json.loads(data.decode("utf-8"), parse_constant=raw, parse_float=number,
                         parse_int=integer)
    except (ValueError, RecursionError):
        return None
    return doc if odd else None


# The numbers ijson refuses are NaN and infinities, integers of 19 digits or
# more (2**63 has 19) and floats with 19 digits or a 3-digit exponent. To look
# for them at C speed, a chunk is translated into classes of bytes (digits and
# points as 0, what may come before a value as ":", spaces dropped) and
# searched for those shapes; a hit may be inside a string, and is then looked
# at closely. A long number must follow ":", "," or "[" (or start the chunk),
# so the long digit runs of Meta's file names (``…_8474003212167347286_n.jpg``)
# are no hit.
_CLASSES = bytes(
    c if c in b"0:-+e" else ord("x")
    for c in bytes.maketrans(b"0123456789.:,[-+eE", b"00000000000:::-+ee")
)
_SPACES = b" \t\r\n"
_LONG = b"0" * 19
_ODD_SHAPES = (b":" + _LONG, b":-" + _LONG, b"0e000", b"0e+000")
_LONG_FIRST = (_LONG, b"-" + _LONG)  # the ":" before it ended the chunk before


def _maybe_odd(data: bytes) -> bool:
    """False when ``data`` surely holds no number ijson refuses."""
    if b"NaN" in data or b"Infinity" in data:
        return True
    shapes = data.translate(_CLASSES, _SPACES)
    return any(shape in shapes for shape in _ODD_SHAPES) or shapes.startswith(_LONG_FIRST)


# In a chunk that has one: the next string, or the next number-like token.
_STRING_OR_TOKEN = re.compile(rb'"|(NaN|-?Infinity|-?\d[\d.eE+-]*)')
_STRING_REST = re.compile(rb'[^"\\]*+(?:\\.[^"\\]*+)*+"', re.DOTALL)
_JSON_NUMBER = re.compile(rb"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?")
# Bytes a number or literal is made of: a chunk ending in them outside a
# string may end in the middle of one, so they wait for the next chunk.
_TOKEN_BYTES = b"+-.0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _ijson_refuses(token: bytes) -> bool:
    if token in (b"NaN", b"Infinity", b"-Infinity"):
        return True
    if not _JSON_NUMBER.fullmatch(token):
        return False  # not a number: ijson says what is wrong with it
    if any(c in token for c in b".eE"):
        return not math.isfinite(float(token))
    return len(token) > 20 or not -(1 << 63) < int(token) < (1 << 63)


class OddNumberStream:
    """A file wrapper that writes each number ijson refuses (``NaN``,
    ``Infinity``, ``1e400``, integers past 63 bits) as a JSON string, and
    keeps in :attr:`rewritten` the position of each such string among all the
    file's strings (keys included), so that the reader can tell them from
    strings the file has.

    Where strings begin and end is known from the quotes the depth guard
    below counts; only a chunk where :func:`_maybe_odd` finds something is
    walked token by token. A chunk never ends in the middle of a number or of
    an escape: those bytes wait for the next read.
    """

    __slots__ = ("_f", "_pending", "_quotes", "_written", "rewritten")

    def __init__(self, f: DepthGuard) -> None:
        self._f = f
        self._pending = b""
        self._quotes = 0  # quotes passed on so far, the ones written here included
        self._written = 0  # numbers written as strings
        self.rewritten: deque[int] = deque()

    def read(self, n: int = -1) -> bytes:
        while True:
            chunk = self._f.read(n)
            if not chunk:
                data, self._pending = self._pending, b""
                return self._take(data, final=True) if data else b""
            head = self._take(self._pending + chunk if self._pending else chunk, final=False)
            if head:
                return head
            # A number (or what may be one) held back past the guard's limit.
            self._f.check_length(len(self._pending))

    def _take(self, data: bytes, final: bool) -> bytes:
        """The part of ``data`` that can go to ijson now, rewritten if need be."""
        if final:
            cut = len(data)
        elif self._f.quotes % 2:  # ends inside a string: keep an escape whole
            run = len(data) - len(data.rstrip(b"\\"))
            cut = len(data) - run % 2
        else:
            cut = len(data.rstrip(_TOKEN_BYTES))
        head, self._pending = data[:cut], data[cut:]
        if _maybe_odd(head):
            return self._rewrite(head)
        # The bytes held back hold no quote: every quote the guard counted is
        # in what went out, and each string written here added two.
        self._quotes = self._f.quotes + 2 * self._written
        return head

    def _rewrite(self, data: bytes) -> bytes:
        out: list[bytes] = []
        done = pos = 0
        quotes = self._quotes
        size = len(data)
        while pos < size:
            if quotes % 2:  # inside a string: to its end
                m = _STRING_REST.match(data, pos)
                if m is None:
                    break
                quotes += 1
                pos = m.end()
                continue
            m = _STRING_OR_TOKEN.search(data, pos)
            if m is None:
                break
            token = m.group(1)
            if token is None:
                quotes += 1
                pos = m.end()
            elif _ijson_refuses(token):
                out += (data[done:m.start()], b'"', token, b'"')
                self.rewritten.append(quotes // 2)
                self._written += 1
                quotes += 2
                pos = done = m.end()
            else:
                pos = m.end()
        out.append(data[done:])
        self._quotes = quotes
        return b"".join(out)
