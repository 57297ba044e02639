"""Streaming a JSON object whose one big member is a list.

Meta's thread files are ``{"participants": …, "messages": [ … ], "title": …}``;
the list can be huge while the rest is small, and the small keys may come after
the list. :func:`iter_object` yields both without ever holding the whole list:
files up to ``BUFFERED_LIMIT`` bytes go through ijson's C ``kvitems`` (fastest;
a Meta part file holds at most 10,000 messages, a few MB), larger ones through
an event stream that builds one list item at a time.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from typing import IO, Any

import ijson
from ijson.common import ObjectBuilder

BOM = b"\xef\xbb\xbf"
BUFFERED_LIMIT = 24 * 1024 * 1024

if ijson.backend != "yajl2_c":  # pragma: no cover - depends on the install
    warnings.warn(
        f"ijson is using its {ijson.backend} backend; imports will be several times slower. "
        "Reinstall ijson with its C extension (yajl2_c).",
        stacklevel=1,
    )


WHOLE_LIST = "\x00list"  # a key no JSON object of Meta's uses


class NotAnObject(ValueError):
    """The file's top level is not a JSON object."""


MAX_DEPTH = 256  # Meta's files nest about six levels deep


class TooDeep(ijson.JSONError):
    """The file nests arrays or objects deeper than :data:`MAX_DEPTH`."""


class DepthGuard:
    """A file wrapper that stops a JSON text nesting deeper than ``max_depth``.

    ijson builds a prefix string for every event, so a few hundred thousand
    nested brackets cost it time and memory quadratic in the depth (tens of GB
    for ``[[[…]]]`` 100,000 deep), and the readers' recursive helpers would
    overflow the stack. This counts the depth of each chunk before ijson sees
    it, at C speed: escapes and string contents are dropped (a regex,
    ``translate`` and ``split``) and only the brackets left are counted.
    """

    __slots__ = ("_depth", "_f", "_in_string", "_max", "_skip_first")

    def __init__(self, f: IO[bytes], max_depth: int = MAX_DEPTH) -> None:
        self._f = f
        self._max = max_depth
        self._depth = 0
        self._in_string = False
        self._skip_first = False  # the chunk before ended in the middle of an escape

    def read(self, n: int = -1) -> bytes:
        data = self._f.read(n)
        if data:
            self._scan(data)
        return data

    def _scan(self, data: bytes) -> None:
        if self._skip_first:
            data = data[1:]
            self._skip_first = False
        if data.endswith(b"\\"):
            run = len(data) - len(data.rstrip(b"\\"))
            if run % 2:  # the last backslash escapes the next chunk's first byte
                data = data[:-1]
                self._skip_first = True
        if b"\\" in data:
            data = _ESCAPE.sub(b"", data)
        s = data.translate(None, _NOT_STRUCTURE)
        if self._in_string or b'"' in s:
            parts = s.split(b'"')
            # Every other piece is inside a string, starting as the chunk starts.
            s = b"".join(parts[1::2] if self._in_string else parts[0::2])
            if len(parts) % 2 == 0:
                self._in_string = not self._in_string
        opens = s.count(b"[") + s.count(b"{")
        if self._depth + opens > self._max:
            self._check_closely(s)
        self._depth = max(0, self._depth + 2 * opens - len(s))

    def _check_closely(self, s: bytes) -> None:
        # Balanced groups inside the chunk are removed a level or two a pass;
        # what is left bounds the depth the chunk can reach.
        passes = 0
        rest = s
        while passes < 8:
            shorter = rest.replace(b"{}", b"").replace(b"[]", b"")
            if shorter == rest:
                break
            rest = shorter
            passes += 1
        if self._depth + rest.count(b"[") + rest.count(b"{") + 2 * passes <= self._max:
            return
        depth = self._depth
        for c in s:
            if c in _OPENERS:
                depth += 1
                if depth > self._max:
                    raise TooDeep(f"its values nest more than {self._max} levels deep")
            elif depth:
                depth -= 1


_OPENERS = frozenset(b"[{")
# An escaped backslash or quote. Matched left to right, as JSON pairs them, so
# the quotes left open and close strings.
_ESCAPE = re.compile(rb'\\[\\"]')
_NOT_STRUCTURE = bytes(c for c in range(256) if c not in b'[]{}"')


def skip_bom(f: IO[bytes]) -> IO[bytes]:
    """Consume a UTF-8 byte-order mark at the start of ``f`` if there is one."""
    peek = getattr(f, "peek", None)
    head = peek(3)[:3] if peek else b""
    if head == BOM:
        f.read(3)
    return f


def iter_object(
    f: IO[bytes], list_key: str, size: int, *, buffered_limit: int | None = None,
    whole_list: bool = False,
) -> Iterator[tuple[str, Any]]:
    """Yield ``("item", value)`` for each element of the top-level ``list_key``
    and ``(key, value)`` for every other top-level key, in file order.

    ``whole_list`` lets a buffered file hand over its list at once as ``(WHOLE_LIST, list)``
    (the fast path: no per-item generator step); large files still stream
    ``("item", value)`` one by one.

    Raises ijson's errors on malformed JSON (TooDeep, one of them, when it nests
    deeper than MAX_DEPTH) and NotAnObject when the top level is not an object.
    """
    skip_bom(f)
    limit = BUFFERED_LIMIT if buffered_limit is None else buffered_limit
    if size <= limit:
        yield from _iter_buffered(f, list_key, whole_list)
    else:
        yield from _iter_streamed(DepthGuard(f), list_key)


def _iter_buffered(
    f: IO[bytes], list_key: str, whole_list: bool
) -> Iterator[tuple[str, Any]]:
    seen_any = False
    for key, value in ijson.kvitems(DepthGuard(f), "", use_float=True):
        seen_any = True
        if key == list_key and isinstance(value, list):
            if whole_list:
                yield WHOLE_LIST, value
            else:
                for item in value:
                    yield "item", item
        else:
            yield key, value
    if not seen_any:
        _check_top_level_is_object(f)


def _check_top_level_is_object(f: IO[bytes]) -> None:
    # kvitems yields nothing for an empty object, a list or a scalar; tell them apart.
    f.seek(0)
    skip_bom(f)
    for _prefix, event, _value in ijson.parse(f):
        if event != "start_map":
            raise NotAnObject("the file's top level is not a JSON object")
        return
    raise NotAnObject("the file is empty")


def _iter_streamed(f: IO[bytes], list_key: str) -> Iterator[tuple[str, Any]]:
    events = ijson.parse(f, use_float=True)
    first = next(events, None)
    if first is None:
        raise NotAnObject("the file is empty")
    if first[1] != "start_map":
        raise NotAnObject("the file's top level is not a JSON object")
    item_prefix = f"{list_key}.item"
    builder: ObjectBuilder | None = None
    target = ""
    depth = 0
    for prefix, event, value in events:
        if builder is not None:
            builder.event(event, value)
            if event in ("start_map", "start_array"):
                depth += 1
            elif event in ("end_map", "end_array"):
                depth -= 1
                if depth == 0:
                    yield target, builder.value
                    builder = None
            continue
        if event == "map_key" or prefix == "":
            continue
        if prefix == list_key and event in ("start_array", "end_array"):
            continue
        if prefix == item_prefix or "." not in prefix:
            target = "item" if prefix == item_prefix else prefix
            if event in ("start_map", "start_array"):
                builder = ObjectBuilder()
                builder.event(event, value)
                depth = 1
            else:
                yield target, value
