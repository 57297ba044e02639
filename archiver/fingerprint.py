"""Identity for messages that have no ids.

A message is its thread key, sender, time, text and attachment names, plus its
occurrence number among identical tuples in the thread, so that two identical
messages (a double "ok" in the same millisecond) both survive while a second
import of the same download matches every message to itself.
"""

from __future__ import annotations

import functools
import hashlib
from hashlib import blake2b

from .records import Message

_SEP = "\x1f"
_EPOCH_SHIFT = 1 << 46  # times before 1970 stay ordered
_MAX_TIME = (1 << 48) - 1


def attachment_names(msg: Message) -> str:
    """The names of a message's attachments, as its fingerprint holds them."""
    return ",".join(a.uri.rsplit("/", 1)[-1] for a in msg.attachments) if msg.attachments else ""


def content_fingerprint(
    platform: str, thread_key: str, sender: str, timestamp_ms: int, text: str | None, names: str
) -> bytes:
    """16 bytes: the thread (4), the time (6), then the content (6).

    Keeping the thread and time first makes fingerprints of one thread sort
    together, so inserting a thread touches a few neighbouring index pages
    instead of a million random ones; the content hash separates messages of
    the same millisecond.
    """
    thread = thread_prefix(platform, thread_key)
    content = _SEP.join((sender, text or "", names)).encode("utf-8", "surrogatepass")
    when = max(0, min(timestamp_ms + _EPOCH_SHIFT, _MAX_TIME)).to_bytes(6, "big")
    return thread + when + hashlib.blake2b(content, digest_size=6).digest()


@functools.lru_cache(maxsize=64)
def thread_prefix(platform: str, thread_key: str) -> bytes:
    """The first 4 bytes of every fingerprint of a thread."""
    data = f"{platform}{_SEP}{thread_key}".encode("utf-8", "surrogatepass")
    return hashlib.blake2b(data, digest_size=4).digest()


def with_occurrence(base: bytes, occurrence: int) -> bytes:
    if occurrence == 0:
        return base
    tail = hashlib.blake2b(base[10:] + occurrence.to_bytes(4, "big"), digest_size=6).digest()
    return base[:10] + tail


class ThreadFingerprints:
    """The fingerprints of one thread's messages, given in reading order,
    occurrence numbers included: the bytes :func:`content_fingerprint`,
    :class:`OccurrenceCounter` and :func:`with_occurrence` give together,
    with less work per message (an import computes a million of them)."""

    __slots__ = ("_counter", "_prefix")

    def __init__(self, platform: str, thread_key: str) -> None:
        self._prefix = thread_prefix(platform, thread_key)
        self._counter = OccurrenceCounter()

    def next(self, sender: str, timestamp_ms: int, text: str | None, names: str) -> bytes:
        when = timestamp_ms + _EPOCH_SHIFT
        if not 0 <= when <= _MAX_TIME:
            when = max(0, min(when, _MAX_TIME))
        base = (self._prefix + when.to_bytes(6, "big") + blake2b(
            f"{sender}{_SEP}{text or ''}{_SEP}{names}".encode("utf-8", "surrogatepass"),
            digest_size=6).digest())
        occurrence = self._counter.next(base, timestamp_ms)
        return base if occurrence == 0 else with_occurrence(base, occurrence)


class OccurrenceCounter:
    """Numbers identical messages within one thread.

    Identical messages share a timestamp, and Meta's files run in time order,
    so only the current timestamp's tuples need remembering; memory then stays
    flat however long the thread. When a thread turns out not to be in order
    (the encrypted-chat download), every tuple is remembered from then on.
    """

    __slots__ = ("_counts", "_current_ts", "_direction", "_ordered")

    def __init__(self) -> None:
        self._counts: dict[bytes, int] = {}
        self._current_ts: int | None = None
        self._direction = 0
        self._ordered = True

    def next(self, base: bytes, timestamp_ms: int) -> int:
        current = self._current_ts
        if (self._ordered and current is not None and timestamp_ms > current
                and self._direction >= 0):
            # Later than the message before, as most are: the first of its
            # time (what the steps below find, with less work).
            self._current_ts = timestamp_ms
            self._direction = 1
            self._counts.clear()
            self._counts[base] = 1
            return 0
        if self._ordered and timestamp_ms != self._current_ts:
            if self._current_ts is not None:
                step = 1 if timestamp_ms > self._current_ts else -1
                if self._direction == 0:
                    self._direction = step
                elif step != self._direction:
                    self._ordered = False
            if self._ordered:
                self._counts.clear()
            self._current_ts = timestamp_ms
        n = self._counts.get(base, 0)
        self._counts[base] = n + 1
        return n
