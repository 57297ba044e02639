"""Reading a JSON object whose one big member is a list.

Meta's thread files are ``{"participants": …, "messages": [ … ], "title": …}``;
the list can be huge while the rest is small, and the small keys may come after
the list. :func:`iter_object` yields both. A file up to ``WHOLE_LIMIT`` bytes (a
Meta part file holds at most 10,000 messages, a few MB) is read whole and
decoded by msgspec's C parser, the fastest way from bytes to Python objects;
a larger file streams through ijson's C parser, which builds one list item at
a time. What the parsers cannot be left to handle has a module each, and
works at C speed too:

- ``guard``: nesting deeper than ``MAX_DEPTH`` and one value longer than
  ``MAX_VALUE`` are refused before a parser sees them, so time stays linear
  and memory bounded whatever the file holds;
- ``surrogates``: a ``\\u`` escape of a lone UTF-16 surrogate (``\\udfff``, or
  a ``\\ud83d`` with no low half after it) is text no UTF-8 column can hold
  (msgspec refuses it, ijson fails or writes "?"); before a parser sees the
  bytes, each is rewritten as ``\\ufffd`` (U+FFFD) and counted, so the reader
  can say so and keep the rest of the file;
- ``odd_numbers``: numbers no 64-bit column holds (``NaN``, ``Infinity``,
  ``1e400``) make msgspec fail; a whole file holding them is decoded again by
  the standard library, which keeps each as :class:`RawNumber` text. A
  streamed file passes through :class:`OddNumberStream`, which writes each as
  a string for ijson and notes which string it is; the reader turns exactly
  those strings back into the values the whole-file path gives.

Anything else msgspec refuses goes through ijson, whose error messages name
the problem.
"""

from __future__ import annotations

import io
import warnings
from collections import deque
from collections.abc import Callable, Iterator
from typing import IO, Any

import ijson
import msgspec
from ijson.common import ObjectBuilder

from .guard import DepthGuard
from .odd_numbers import OddNumberStream, decode_leniently, rewritten_number
from .surrogates import SurrogateStream, replace_lone_surrogates

BOM = b"\xef\xbb\xbf"
# Files up to this size are read whole (their bytes and objects together stay
# well inside an import's 100 MB); larger ones stream.
WHOLE_LIMIT = 8 * 1024 * 1024
# ijson re-reads a token that spans its buffer: a large buffer keeps a long
# string's cost linear (with 64 KB, a 32 MB string takes minutes).
STREAM_BUFFER = 1024 * 1024

if ijson.backend != "yajl2_c":  # pragma: no cover - depends on the install
    warnings.warn(
        f"ijson is using its {ijson.backend} backend; imports will be several times slower. "
        "Reinstall ijson with its C extension (yajl2_c).",
        stacklevel=1,
    )


WHOLE_LIST = "\x00list"  # a key no JSON object of Meta's uses


class NotAnObject(ValueError):
    """The file's top level is not a JSON object."""


def skip_bom(f: IO[bytes]) -> IO[bytes]:
    """Consume a UTF-8 byte-order mark at the start of ``f`` if there is one."""
    peek = getattr(f, "peek", None)
    head = peek(3)[:3] if peek else b""
    if head == BOM:
        f.read(3)
    return f


def iter_object(
    f: IO[bytes], list_key: str, size: int, *, whole_limit: int | None = None,
    whole_list: bool = False, replaced: Callable[[int], None] | None = None,
) -> Iterator[tuple[str, Any]]:
    """Yield ``("item", value)`` for each element of the top-level ``list_key``
    and ``(key, value)`` for every other top-level key, in file order.

    ``whole_list`` lets a file read whole hand over its list at once as
    ``(WHOLE_LIST, list)`` (the fast path: no per-item generator step); large
    files still stream ``("item", value)`` one by one. ``replaced`` is called
    with the number of lone surrogates read as U+FFFD, when there were any.

    Raises ijson's errors on malformed JSON (TooDeep, one of them, when it nests
    deeper than MAX_DEPTH), TooLong, and NotAnObject when the top level is not
    an object.
    """
    skip_bom(f)
    limit = WHOLE_LIMIT if whole_limit is None else whole_limit
    if size <= limit:
        data = f.read(limit + 1)
        if len(data) <= limit:
            data, count = replace_lone_surrogates(data)
            if count and replaced is not None:
                replaced(count)
            yield from _iter_whole(data, list_key, whole_list)
            return
        f = _Prefixed(data, f)  # the file is longer than it said
    odd = OddNumberStream(DepthGuard(f))
    stream = SurrogateStream(odd)
    yield from _iter_streamed(stream, odd.rewritten, list_key)
    if stream.replaced and replaced is not None:
        replaced(stream.replaced)


class _Prefixed(io.RawIOBase):
    """``head`` followed by the rest of ``f``, as one file."""

    def __init__(self, head: bytes, f: IO[bytes]) -> None:
        self._head = head
        self._f = f

    def read(self, n: int = -1) -> bytes:
        if self._head:
            if n < 0:
                out, self._head = self._head + self._f.read(), b""
            else:
                out, self._head = self._head[:n], self._head[n:]
            return out
        return self._f.read(n)


_DECODER = msgspec.json.Decoder()


def _iter_whole(data: bytes, list_key: str, whole_list: bool) -> Iterator[tuple[str, Any]]:
    """A file held in memory: checked by the guard, decoded at C speed."""
    DepthGuard(None).scan_all(data)
    try:
        doc = _DECODER.decode(data)
    except (msgspec.DecodeError, RecursionError):
        doc = decode_leniently(data)
        if doc is None:  # let ijson say what is wrong with it
            yield from _iter_buffered(io.BytesIO(data), list_key, whole_list)
            return
    if type(doc) is not dict or data.count(f'"{list_key}"'.encode()) > 1:
        # Not an object (ijson says what it is), or a file that repeats its
        # list's key: ijson yields both lists, as it always did.
        yield from _iter_buffered(io.BytesIO(data), list_key, whole_list)
        return
    for key, value in doc.items():
        yield from _entries(key, value, list_key, whole_list)


def _entries(key: str, value: Any, list_key: str, whole_list: bool) -> Iterator[tuple[str, Any]]:
    """One top-level entry as the readers take it: the list of ``list_key``
    whole or item by item, anything else as ``(key, value)``."""
    if key == list_key and type(value) is list:
        if whole_list:
            yield WHOLE_LIST, value
        else:
            for item in value:
                yield "item", item
    else:
        yield key, value


def _iter_buffered(
    f: IO[bytes], list_key: str, whole_list: bool
) -> Iterator[tuple[str, Any]]:
    """ijson's ``kvitems`` over a file held in memory (already guarded): the
    files msgspec refuses, so that ijson's messages say what is wrong."""
    seen_any = False
    for key, value in ijson.kvitems(f, "", use_float=True, buf_size=STREAM_BUFFER):
        seen_any = True
        yield from _entries(key, value, list_key, whole_list)
    if not seen_any:
        _check_top_level_is_object(f)


def _check_top_level_is_object(f: IO[bytes]) -> None:
    # kvitems yields nothing for an empty object, a list or a scalar; tell them apart.
    f.seek(0)
    for _prefix, event, _value in ijson.parse(f):
        if event != "start_map":
            raise NotAnObject("the file's top level is not a JSON object")
        return
    raise NotAnObject("the file is empty")


def _iter_streamed(stream: SurrogateStream, rewritten: deque[int],
                   list_key: str) -> Iterator[tuple[str, Any]]:
    strings = 0  # strings (keys included) seen so far
    events = ijson.parse(stream, use_float=True, buf_size=STREAM_BUFFER)
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
        if event == "string" or event == "map_key":
            if rewritten and rewritten[0] == strings:
                rewritten.popleft()
                value = rewritten_number(value)
            strings += 1
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
