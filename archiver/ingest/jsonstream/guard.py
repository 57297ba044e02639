"""Limits that keep reading any JSON file linear in time and bounded in
memory, whatever it holds: how deep it nests (``MAX_DEPTH``) and how long one
value is (``MAX_VALUE``), measured on the bytes before a parser sees them
(:class:`DepthGuard` says why a parser cannot be left to do it)."""

from __future__ import annotations

import re
from typing import IO

import ijson

# The longest single value read; a file holding a longer one is refused.
MAX_VALUE = 64 * 1024 * 1024

MAX_DEPTH = 256  # Meta's files nest about six levels deep


class TooDeep(ijson.JSONError):
    """The file nests arrays or objects deeper than :data:`MAX_DEPTH`."""


class TooLong(ValueError):
    """The file holds one value longer than :data:`MAX_VALUE` bytes."""


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

    __slots__ = ("_depth", "_f", "_in_string", "_max", "_run", "_skip_first", "max_value",
                 "quotes")

    def __init__(
        self, f: IO[bytes] | None, max_depth: int = MAX_DEPTH, max_value: int | None = None
    ) -> None:
        self._f = f
        self._max = max_depth
        self.max_value = MAX_VALUE if max_value is None else max_value
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
        self.check_length(self._run)

    def check_length(self, length: int) -> None:
        """Refuse the file (:class:`TooLong`) for a value ``length`` bytes long,
        if that is longer than this guard lets through."""
        if length > self.max_value:
            raise TooLong(
                f"holds a value longer than {self.max_value // (1024 * 1024)} MB, "
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
