"""Streaming a JSON object whose one big member is a list.

Meta's thread files are ``{"participants": …, "messages": [ … ], "title": …}``;
the list can be huge while the rest is small, and the small keys may come after
the list. :func:`iter_object` yields both without ever holding the whole list:
files up to ``BUFFERED_LIMIT`` bytes go through ijson's C ``kvitems`` (fastest;
a Meta part file holds at most 10,000 messages, a few MB), larger ones through
an event stream that builds one list item at a time.
"""

from __future__ import annotations

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


COUNT = "\x00count"  # a key no JSON object of Meta's uses


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
    f: IO[bytes], list_key: str, size: int, *, buffered_limit: int | None = None,
    reverse: bool = False,
) -> Iterator[tuple[str, Any]]:
    """Yield ``("item", value)`` for each element of the top-level ``list_key``
    and ``(key, value)`` for every other top-level key, in file order.

    ``reverse`` asks for the list's items last to first; it is honoured only
    when the file is small enough to be buffered, and then ``(COUNT, n)`` comes
    first so the caller can tell each item's place in the file.

    Raises ijson's errors on malformed JSON and NotAnObject when the top level
    is not an object.
    """
    skip_bom(f)
    limit = BUFFERED_LIMIT if buffered_limit is None else buffered_limit
    if size <= limit:
        yield from _iter_buffered(f, list_key, reverse)
    else:
        yield from _iter_streamed(f, list_key)


def _iter_buffered(f: IO[bytes], list_key: str, reverse: bool) -> Iterator[tuple[str, Any]]:
    seen_any = False
    for key, value in ijson.kvitems(f, "", use_float=True):
        seen_any = True
        if key == list_key and isinstance(value, list):
            if reverse:
                yield COUNT, len(value)
                for item in reversed(value):
                    yield "item", item
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
