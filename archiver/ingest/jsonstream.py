"""Reading a JSON object whose one big member is a list.

Meta's thread files are ``{"participants": …, "messages": [ … ], "title": …}``;
the list can be huge while the rest is small, and the small keys may come after
the list. :func:`iter_object` yields both. A file up to ``WHOLE_LIMIT`` bytes (a
Meta part file holds at most 10,000 messages, a few MB) is read whole and
decoded by msgspec's C parser, the fastest way from bytes to Python objects;
a larger file streams through ijson's C parser, which builds one list item at
a time. Both are guarded: nesting deeper than ``MAX_DEPTH`` and one value
longer than ``MAX_VALUE`` are refused before a parser sees them, so time stays
linear and memory bounded whatever the file holds.

A ``\\u`` escape of a lone UTF-16 surrogate (``\\udfff``, or a ``\\ud83d``
with no low half after it) is text no UTF-8 column can hold: msgspec refuses
it, and ijson fails or writes "?". Before any parser sees the bytes, each is
rewritten as ``\\ufffd`` (U+FFFD, the replacement character) and counted, so
the reader can say so and keep the rest of the file.

Numbers that no 64-bit column holds (``NaN``, ``Infinity``, ``1e400``) make
msgspec fail; a whole file holding them is decoded again by the standard
library, which keeps each such token as :class:`RawNumber` text. Anything else
msgspec refuses goes through ijson, whose error messages name the problem.
ijson refuses those numbers too (and integers past 63 bits), so a streamed
file passes through :class:`OddNumberStream`, which writes each such token as
a string for ijson and notes which string it is; the reader turns exactly
those strings back into the same values the whole-file path gives.
"""

from __future__ import annotations

import io
import json
import math
import re
import warnings
from collections import deque
from collections.abc import Callable, Iterator
from typing import IO, Any

import ijson
import msgspec
from ijson.common import ObjectBuilder

BOM = b"\xef\xbb\xbf"
# Files up to this size are read whole (their bytes and objects together stay
# well inside an import's 100 MB); larger ones stream.
WHOLE_LIMIT = 8 * 1024 * 1024
# ijson re-reads a token that spans its buffer: a large buffer keeps a long
# string's cost linear (with 64 KB, a 32 MB string takes minutes).
STREAM_BUFFER = 1024 * 1024
# The longest single value read; a file holding a longer one is refused.
MAX_VALUE = 64 * 1024 * 1024

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


class TooLong(ValueError):
    """The file holds one value longer than :data:`MAX_VALUE` bytes."""


class RawNumber(str):
    """A number no column can hold (``NaN``, ``Infinity``, ``1e400``), kept as
    the text the file has it."""

    __slots__ = ()


class DepthGuard:
    """A file wrapper that stops a JSON text nesting deeper than ``max_depth``,
    or holding one string longer than ``max_value`` bytes.

    ijson builds a prefix string for every event, so a few hundred thousand
    nested brackets cost it time and memory quadratic in the depth (tens of GB
    for ``[[[…]]]`` 100,000 deep), and the readers' recursive helpers would
    overflow the stack. This counts the depth of each chunk before ijson sees
    it, at C speed: escapes and string contents are dropped (a regex,
    ``translate`` and ``split``) and only the brackets left are counted. The
    string still open at the end of a chunk is measured on the way.
    """

    __slots__ = ("_depth", "_f", "_in_string", "_max", "_max_value", "_run", "_skip_first",
                 "quotes")

    def __init__(
        self, f: IO[bytes] | None, max_depth: int = MAX_DEPTH, max_value: int | None = None
    ) -> None:
        self._f = f
        self._max = max_depth
        self._max_value = MAX_VALUE if max_value is None else max_value
        self._depth = 0
        self._in_string = False
        self._run = 0  # bytes of the string still open
        self._skip_first = False  # the chunk before ended in the middle of an escape
        self.quotes = 0  # quotes that opened or closed a string so far

    def read(self, n: int = -1) -> bytes:
        assert self._f is not None
        data = self._f.read(n)
        if data:
            self._scan(data)
        return data

    def scan_all(self, data: bytes, chunk: int = 256 * 1024) -> None:
        """Check a whole document held in memory (in slices, which is faster)."""
        for start in range(0, len(data), chunk):
            self._scan(data[start:start + chunk])

    def _scan(self, data: bytes) -> None:
        was_in_string = self._in_string
        size = len(data)
        if self._skip_first:
            data = data[1:]
            self._skip_first = False
        if data.endswith(b"\\"):
            run = len(data) - len(data.rstrip(b"\\"))
            if run % 2:  # the last backslash escapes the next chunk's first byte
                data = data[:-1]
                self._skip_first = True
        # Only an escaped backslash or quote can hide a quote from the count
        # below; Meta's \u00XX escapes, everywhere in its files, cannot. They
        # are removed whether or not there are any: with a backslash every few
        # bytes, looking for them first costs twice what removing them does.
        data = _ESCAPE.sub(b"", data)
        s = data.translate(None, _NOT_STRUCTURE)
        if self._in_string or b'"' in s:
            parts = s.split(b'"')
            self.quotes += len(parts) - 1
            # Every other piece is inside a string, starting as the chunk starts.
            s = b"".join(parts[1::2] if self._in_string else parts[0::2])
            if len(parts) % 2 == 0:
                self._in_string = not self._in_string
            if was_in_string:  # the string open before runs on to this chunk's first quote
                end = data.find(b'"')
                self._run += size if end < 0 else end
                self._check_run()
            if self._in_string and len(parts) > 1:  # a string opens and runs on
                self._run = len(data) - data.rfind(b'"')
                self._check_run()
        opens = s.count(b"[") + s.count(b"{")
        if self._depth + opens > self._max:
            self._check_closely(s)
        self._depth = max(0, self._depth + 2 * opens - len(s))

    def _check_run(self) -> None:
        if self._run > self._max_value:
            raise TooLong(
                f"holds a value longer than {self._max_value // (1024 * 1024)} MB, "
                "more than any message needs; the file was not read"
            )

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
        doc = _decode_leniently(data)
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


def _integer(text: str) -> int | RawNumber:
    """An integer's text as an int when 64 bits hold it, else as RawNumber."""
    value = int(text) if len(text) < 4000 else None
    return value if value is not None and -(1 << 63) <= value < (1 << 63) else RawNumber(text)


def _odd_number(text: str) -> int | RawNumber:
    """A number OddNumberStream turned into a string, as the whole-file path
    reads it: an integer of exactly 64 bits (ijson refuses -2**63) stays one."""
    if text in ("NaN", "Infinity", "-Infinity") or any(c in text for c in ".eE"):
        return RawNumber(text)  # only non-finite floats are rewritten
    return _integer(text)


def _decode_leniently(data: bytes) -> Any:
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
            if len(self._pending) > MAX_VALUE:
                raise TooLong(
                    f"holds a value longer than {MAX_VALUE // (1024 * 1024)} MB, "
                    "more than any message needs; the file was not read"
                )

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
                value = _odd_number(value)
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
