"""Insights: what a conversation (or the whole archive) looks like over the years.

:func:`insights` answers every figure with a handful of aggregate queries over
the message indexes and returns plain data (:class:`Insights`) that the CLI,
the reader and the HTML export draw each in their own way.

How it stays fast on a million messages:

- Times are counted per UTC hour (per quarter hour in zones whose offset is not
  whole hours) in SQL; Python then places each bucket in the chosen zone, so
  months, days, the weekday × hour grid, streaks and silences are all in
  ``--tz`` and right across DST changes, from at most one row per hour.
- Only kept messages count (``duplicate_of IS NULL``): a cross-app message seen
  in two downloads counts once. The covering index
  ``idx_messages_conversation_id_position_timestamp_ms_sender`` serves every
  per-conversation query without reading the table.
- A reply is a message whose previous message in its conversation (by
  ``position``) was someone else's; its reply time is the gap. Pairs are found
  by an index join on ``position - 1`` (a window function is three times
  slower), and the median comes from per-second counts.
- The owner's names in each app are one person everywhere (senders, reaction
  actors, and who replied to whom).
"""

from __future__ import annotations

import sqlite3
from array import array
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from itertools import pairwise
from typing import Any, TypeVar

from ..store import crossapp
from ..store.database import Database
from ..store.opening import reading_connection
from ..timefmt import iso, tz_name
from .search import DATE_FORMS, date_problem, parse_period

HOUR_MS = 3_600_000
QUARTER_MS = 900_000
DAY_MS = 86_400_000
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
UNKNOWN = "Unknown sender"
_T = TypeVar("_T")


class BadPeriod(ValueError):
    """An ``--after``/``--before`` value that is not a date."""


@dataclass
class Span:
    """A run of days (a streak, or a silence between two messages), in the zone's dates."""

    days: int = 0
    start: date | None = None
    end: date | None = None  # inclusive

    def as_json(self) -> dict[str, Any]:
        return {
            "days": self.days,
            "from": self.start.isoformat() if self.start else None,
            "to": self.end.isoformat() if self.end else None,
        }


@dataclass
class Insights:
    """Every figure, already shaped for drawing (dicts are in display order)."""

    tz: str
    messages: int = 0
    first_ms: int | None = None
    last_ms: int | None = None
    by_month: dict[str, int] = field(default_factory=dict)  # "YYYY-MM", every month first..last
    by_year: dict[str, int] = field(default_factory=dict)
    by_person: dict[str, int] = field(default_factory=dict)  # most first
    by_weekday_hour: list[list[int]] = field(
        default_factory=lambda: [[0] * 24 for _ in range(7)]
    )  # Monday first
    streak: Span = field(default_factory=Span)
    silence: Span = field(default_factory=Span)
    busiest_day: tuple[date, int] | None = None
    active_days: int = 0
    media: dict[str, int] = field(default_factory=dict)  # attachment kind → count, most first
    reactions: dict[str, int] = field(default_factory=dict)  # emoji → count, most first
    reactions_given: dict[str, dict[str, int]] = field(default_factory=dict)  # actor → emoji
    reply_seconds_median: dict[str, int] = field(default_factory=dict)
    replies: dict[str, int] = field(default_factory=dict)  # how many replies each median is of

    def share(self, person: str) -> float:
        """``person``'s part of all messages, 0..1."""
        return self.by_person.get(person, 0) / self.messages if self.messages else 0.0

    def as_json(self) -> dict[str, Any]:
        busiest = (
            {"date": self.busiest_day[0].isoformat(), "messages": self.busiest_day[1]}
            if self.busiest_day else None
        )
        return {
            "messages": self.messages,
            "tz": self.tz,
            "first": iso(self.first_ms),
            "last": iso(self.last_ms),
            "by_month": self.by_month,
            "by_year": self.by_year,
            "by_person": self.by_person,
            "by_person_share": {p: round(self.share(p), 4) for p in self.by_person},
            "by_weekday_hour": self.by_weekday_hour,
            "longest_streak_days": self.streak.days,
            "longest_streak": self.streak.as_json(),
            "longest_silence_days": self.silence.days,
            "longest_silence": self.silence.as_json(),
            "busiest_day": busiest,
            "active_days": self.active_days,
            "media": self.media,
            "reactions": self.reactions,
            "reactions_given": self.reactions_given,
            "reply_seconds_median": self.reply_seconds_median,
            "replies": self.replies,
        }


def period_bounds(
    after: str | None, before: str | None, tz: tzinfo
) -> tuple[int | None, int | None]:
    """[start, end) in UTC ms for ``--after``/``--before``, read as search reads
    ``after:``/``before:`` (the whole period named is excluded: ``--after 2023``
    starts in 2024). Raises BadPeriod naming the option and value."""
    start = end = None
    for option, value in (("--after", after), ("--before", before)):
        if value is None:
            continue
        period = parse_period(value)
        if period is None:
            raise BadPeriod(f"{option} '{value}' {date_problem(value)} (use {DATE_FORMS})")
        lo, hi = period.bounds_ms(tz)
        if option == "--after":
            start = hi
        else:
            end = lo
    return start, end


def insights(
    db: Database, conversation_id: int | None = None, *, tz: tzinfo,
    start_ms: int | None = None, end_ms: int | None = None,
) -> Insights:
    """Every figure for conversation ``conversation_id`` (None: the whole
    archive), for messages in [start_ms, end_ms), dates in ``tz``."""
    conn = db.conn
    aliases = crossapp.owner_aliases(db)
    scope = _Scope(conversation_id, start_ms, end_ms, _index_hint(conn))
    result = Insights(tz=tz_name(tz))
    # Reply pairs are the costliest query: for a big conversation or the whole
    # archive they run on a second connection beside the others (SQLite lets
    # go of the GIL); a small conversation is quicker without the thread.
    if _big(conn, scope):
        replies = _in_background(conn, lambda c: _replies(c, scope, aliases))
    else:
        replies = lambda: _replies(conn, scope, aliases)
    _times(conn, scope, tz, result)
    if result.messages:
        result.by_person = _people(conn, scope, aliases)
        result.media = _media(conn, scope)
        result.reactions, result.reactions_given = _reactions(conn, scope, aliases)
    result.reply_seconds_median, result.replies = replies()
    return result


def _in_background(
    conn: sqlite3.Connection, work: Callable[[sqlite3.Connection], _T]
) -> Callable[[], _T]:
    """Start ``work`` on its own read-only connection to the same file in a
    thread; returns a function that waits for its result (or raises its
    error). An archive that is not a file runs it in place, and so does a
    connection reading one snapshot (an export): another connection would
    see the archive as it is now."""
    path = next((r[2] for r in conn.execute("PRAGMA database_list") if r[1] == "main"), "")
    if not path or conn.in_transaction:
        return lambda: work(conn)

    def run() -> _T:
        other = reading_connection(path)
        try:
            return work(other)
        finally:
            other.close()

    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="insights")
    future = pool.submit(run)
    pool.shutdown(wait=False)
    return future.result


INSIGHTS_INDEX = "idx_messages_conversation_id_position_timestamp_ms_sender"
COPIES_INDEX = "idx_messages_duplicate_of"


def _index_hint(conn: sqlite3.Connection, name: str = INSIGHTS_INDEX) -> str:
    """``INDEXED BY name`` where that index exists. The planner would rather
    scan the table (or an index that saves a sort) than a partial index; and
    a first import builds the indexes only at its end."""
    found = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?", (name,)
    ).fetchone()
    return f" INDEXED BY {name}" if found else ""


@dataclass(frozen=True)
class _Scope:
    """Which messages count: one conversation or all, within a time window."""

    conversation_id: int | None
    start_ms: int | None
    end_ms: int | None
    hint: str = ""  # INDEXED BY the insights index, when it exists

    @property
    def everything(self) -> bool:
        return self.conversation_id is None and self.start_ms is None and self.end_ms is None

    def where(self, alias: str = "m", *, kept: bool = True) -> tuple[str, list[Any]]:
        """A WHERE condition on messages ``alias`` and its parameters."""
        parts = [f"{alias}.duplicate_of IS NULL"] if kept else []
        params: list[Any] = []
        if self.conversation_id is not None:
            parts.append(f"{alias}.conversation_id = ?")
            params.append(self.conversation_id)
        if self.start_ms is not None:
            parts.append(f"{alias}.timestamp_ms >= ?")
            params.append(self.start_ms)
        if self.end_ms is not None:
            parts.append(f"{alias}.timestamp_ms < ?")
            params.append(self.end_ms)
        return " AND ".join(parts) or "1", params


def _name_sql(column: str, aliases: dict[str, str]) -> tuple[str, list[str]]:
    """SQL for ``column`` with the owner's other names replaced by the shown one."""
    pairs = [(k, v) for k, v in aliases.items() if k != v]
    if not pairs:
        return column, []
    whens = " ".join("WHEN ? THEN ?" for _ in pairs)
    return f"(CASE {column} {whens} ELSE {column} END)", [x for pair in pairs for x in pair]


# -- times -------------------------------------------------------------------


def _bucket_ms(conn: sqlite3.Connection, tz: tzinfo) -> int:
    """An hour, unless the zone's offset over the archive's years is not whole
    hours (India, Nepal, Newfoundland…): then a quarter hour."""
    # Two subqueries, each one step down the time index: MIN and MAX in one
    # query read every entry (a second for ten million messages).
    lo, hi = conn.execute(
        "SELECT (SELECT MIN(timestamp_ms) FROM messages), (SELECT MAX(timestamp_ms) FROM messages)"
    ).fetchone()
    if lo is None:
        return HOUR_MS
    first_year = datetime.fromtimestamp(lo / 1000, UTC).year
    last_year = datetime.fromtimestamp(hi / 1000, UTC).year
    for year in range(max(first_year, 1900), min(last_year, 9998) + 1):
        for month in (1, 4, 7, 10):
            offset = datetime(year, month, 1, tzinfo=UTC).astimezone(tz).utcoffset()
            if offset is not None and offset.total_seconds() % 3600:
                return QUARTER_MS
    return HOUR_MS


def _times(conn: sqlite3.Connection, scope: _Scope, tz: tzinfo, result: Insights) -> None:
    """Count per bucket in SQL, then place the buckets in ``tz``."""
    size = _bucket_ms(conn, tz)
    where, params = scope.where()
    rows = conn.execute(
        f"SELECT m.timestamp_ms / {size} AS b, COUNT(*) FROM messages m{scope.hint} "
        f"WHERE {where} GROUP BY b ORDER BY b",
        params,
    ).fetchall()
    if not rows:
        return
    result.first_ms, result.last_ms = _first_last(conn, scope)
    grid = result.by_weekday_hour
    days: Counter[int] = Counter()
    offsets = _Offsets(tz)
    total = 0
    for bucket, count in rows:
        start = bucket * size
        local_ms = start + offsets.at(start)
        day = local_ms // DAY_MS
        grid[(day + 3) % 7][(local_ms // HOUR_MS) % 24] += count  # 1970-01-01 was a Thursday
        days[day] += count
        total += count
    result.messages = total
    _days(days, result)


def _first_last(conn: sqlite3.Connection, scope: _Scope) -> tuple[int, int]:
    """The first and last message's times, each read from an index's end."""
    where, params = scope.where()
    # Within a conversation positions follow time; across them, the time index.
    order = "m.position" if scope.conversation_id is not None else "m.timestamp_ms"
    hint = scope.hint if scope.conversation_id is not None else ""
    first, last = (
        conn.execute(
            f"SELECT m.timestamp_ms FROM messages m{hint} WHERE {where} "
            f"ORDER BY {order} {direction} LIMIT 1", params,
        ).fetchone()[0]
        for direction in ("ASC", "DESC")
    )
    return first, last


class _Offsets:
    """The zone's UTC offset in ms at a time, asked once per UTC day unless
    the offset changes during that day."""

    def __init__(self, tz: tzinfo) -> None:
        self.tz = tz
        self.days: dict[int, int | None] = {}

    def _offset(self, ms: int) -> int:
        offset = datetime.fromtimestamp(ms / 1000, self.tz).utcoffset()
        return int(offset.total_seconds() * 1000) if offset is not None else 0

    def at(self, ms: int) -> int:
        day = ms // DAY_MS
        if day not in self.days:
            first = self._offset(day * DAY_MS)
            last = self._offset(day * DAY_MS + DAY_MS - 1)
            self.days[day] = first if first == last else None
        steady = self.days[day]
        return steady if steady is not None else self._offset(ms)


def _days(days: Counter[int], result: Insights) -> None:
    """Months, years, the busiest day, the longest streak and silence, from
    per-day counts (days numbered from 1970-01-01 in the zone)."""
    ordered = sorted(days)
    to_date = {d: date.fromordinal(_EPOCH_ORDINAL + d) for d in ordered}
    months: Counter[str] = Counter()
    for d in ordered:
        months[f"{to_date[d].year:04d}-{to_date[d].month:02d}"] += days[d]
    first, last = to_date[ordered[0]], to_date[ordered[-1]]
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        key = f"{year:04d}-{month:02d}"
        result.by_month[key] = months.get(key, 0)
        result.by_year[f"{year:04d}"] = result.by_year.get(f"{year:04d}", 0) + months.get(key, 0)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    busiest = max(ordered, key=lambda d: (days[d], -d))
    result.busiest_day = (to_date[busiest], days[busiest])
    result.active_days = len(ordered)
    run_start = ordered[0]
    streak = (1, ordered[0], ordered[0])
    silence = (0, None, None)
    for prev, d in pairwise(ordered):
        if d == prev + 1:
            if d - run_start + 1 > streak[0]:
                streak = (d - run_start + 1, run_start, d)
        else:
            run_start = d
            if d - prev - 1 > silence[0]:
                silence = (d - prev - 1, prev + 1, d - 1)
    result.streak = Span(streak[0], to_date[streak[1]], to_date[streak[2]])
    if silence[0]:
        result.silence = Span(silence[0], date.fromordinal(_EPOCH_ORDINAL + silence[1]),
                              date.fromordinal(_EPOCH_ORDINAL + silence[2]))


# -- people, media, reactions, replies ---------------------------------------------


def _people(conn: sqlite3.Connection, scope: _Scope, aliases: dict[str, str]) -> dict[str, int]:
    if scope.conversation_id is None:
        # Across conversations the (sender, time) index counts every row
        # without a sort; the few other-app copies are then taken away.
        where, params = scope.where(kept=False)
        counts = _named(conn.execute(
            f"SELECT m.sender, COUNT(*) FROM messages m WHERE {where} GROUP BY m.sender", params
        ), aliases)
        counts.subtract(_named(conn.execute(
            f"SELECT m.sender, COUNT(*) FROM messages m{_index_hint(conn, COPIES_INDEX)} "
            f"WHERE {where} AND m.duplicate_of IS NOT NULL GROUP BY m.sender", params
        ), aliases))
    else:
        where, params = scope.where()
        counts = _named(conn.execute(
            f"SELECT m.sender, COUNT(*) FROM messages m{scope.hint} WHERE {where} "
            "GROUP BY m.sender", params
        ), aliases)
    return _most_first(+counts)


def _named(rows: Any, aliases: dict[str, str]) -> Counter[str]:
    out: Counter[str] = Counter()
    for name, count in rows:
        name = name or UNKNOWN
        out[aliases.get(name, name)] += count
    return out


def _most_first(counts: Counter[str]) -> dict[str, int]:
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


# A conversation this big has more messages than the archive has attachments
# or reactions: those tables lead the join; smaller ones lead from the messages.
_LEAD_BY_MESSAGES = 50_000


def _big(conn: sqlite3.Connection, scope: _Scope) -> bool:
    """Whether ``scope`` holds more messages than :data:`_LEAD_BY_MESSAGES`."""
    if scope.conversation_id is None:
        return True
    row = conn.execute(
        "SELECT message_count FROM conversations WHERE id = ?", (scope.conversation_id,)
    ).fetchone()
    return bool(row) and (row[0] or 0) >= _LEAD_BY_MESSAGES


def _join(conn: sqlite3.Connection, scope: _Scope, table: str, alias: str,
          *, kept: bool = True) -> str:
    """``table`` joined to its messages, the side that reads fewer rows first
    (``kept``: only kept messages count, so the insights index can lead)."""
    if not _big(conn, scope):
        hint = scope.hint if kept else ""
        return f"messages m{hint} JOIN {table} {alias} ON {alias}.message_id = m.id"
    # CROSS JOIN keeps the order as written.
    return f"{table} {alias} CROSS JOIN messages m ON m.id = {alias}.message_id"


def _media(conn: sqlite3.Connection, scope: _Scope) -> dict[str, int]:
    if scope.everything:
        # Every attachment from its (kind, message) index, minus other-app copies'.
        counts = Counter(dict(conn.execute(
            "SELECT kind, COUNT(*) FROM attachments GROUP BY kind"
        ).fetchall()))
        counts.subtract(dict(conn.execute(
            f"SELECT a.kind, COUNT(*) FROM messages m{_index_hint(conn, COPIES_INDEX)} "
            "CROSS JOIN attachments a ON a.message_id = m.id "
            "WHERE m.duplicate_of IS NOT NULL GROUP BY a.kind"
        ).fetchall()))
        return _most_first(+counts)
    where, params = scope.where()
    return _most_first(Counter(dict(conn.execute(
        f"SELECT a.kind, COUNT(*) FROM {_join(conn, scope, 'attachments', 'a')} "
        f"WHERE {where} GROUP BY a.kind", params
    ).fetchall())))


def _reactions(
    conn: sqlite3.Connection, scope: _Scope, aliases: dict[str, str]
) -> tuple[dict[str, int], dict[str, dict[str, int]]]:
    """Emoji counts, and who gave which. A reaction that both apps' copies of
    a message hold counts once: every copy's reactions are counted, then those
    an earlier copy (the kept one, or a lower id) already holds are taken away."""
    where, params = scope.where(kept=False)
    if scope.everything:
        rows = conn.execute(
            "SELECT actor, reaction, COUNT(*) FROM reactions GROUP BY actor, reaction"
        ).fetchall()
    else:
        rows = conn.execute(
            f"SELECT r.actor, r.reaction, COUNT(*) FROM {_join(conn, scope, 'reactions', 'r', kept=False)} "
            f"WHERE {where} GROUP BY r.actor, r.reaction", params
        ).fetchall()
    actor, alias_r = _name_sql("r.actor", aliases)
    earlier, alias_o = _name_sql("o.actor", aliases)
    twice = conn.execute(
        f"SELECT r.actor, r.reaction, COUNT(*) FROM messages m{_index_hint(conn, COPIES_INDEX)} "
        "CROSS JOIN reactions r ON r.message_id = m.id "
        f"WHERE {where} AND m.duplicate_of IS NOT NULL AND EXISTS ("
        "SELECT 1 FROM messages c JOIN reactions o ON o.message_id = c.id "
        "WHERE (c.id = m.duplicate_of OR (c.duplicate_of = m.duplicate_of AND c.id < m.id)) "
        f"AND o.reaction = r.reaction AND {earlier} = {actor}) GROUP BY r.actor, r.reaction",
        [*params, *alias_o, *alias_r],
    ).fetchall()
    emoji: Counter[str] = Counter()
    given: dict[str, Counter[str]] = {}
    for rows_, sign in ((rows, 1), (twice, -1)):
        for who, reaction, count in rows_:
            who = aliases.get(who, who) if who else UNKNOWN
            emoji[reaction] += sign * count
            given.setdefault(who, Counter())[reaction] += sign * count
    totals = {who: sum((+c).values()) for who, c in given.items()}
    by_total = sorted((kv for kv in given.items() if totals[kv[0]]),
                      key=lambda kv: (-totals[kv[0]], kv[0]))
    return _most_first(+emoji), {who: _most_first(+c) for who, c in by_total}


def _replies(
    conn: sqlite3.Connection, scope: _Scope, aliases: dict[str, str]
) -> tuple[dict[str, int], dict[str, int]]:
    """Each person's median reply time in seconds, and how many replies it is of."""
    where, params = scope.where("a")
    sender, alias_a = _name_sql("a.sender", aliases)
    previous, alias_b = _name_sql("b.sender", aliases)
    rows = conn.execute(
        f"SELECT {sender}, (a.timestamp_ms - b.timestamp_ms) / 1000 AS gap, COUNT(*) "
        f"FROM messages a{scope.hint} JOIN messages b{scope.hint} "
        "ON b.conversation_id = a.conversation_id "
        "AND b.position = a.position - 1 AND b.duplicate_of IS NULL "
        f"WHERE {where} AND {sender} IS NOT {previous} GROUP BY 1, 2 ORDER BY 1, 2",
        [*alias_a, *params, *alias_a, *alias_b],
    )
    # Read as a stream into two arrays of numbers per person: ten million
    # messages give millions of (person, gap) rows, 224 MB as tuples.
    gaps: dict[str, tuple[array[int], array[int]]] = {}
    runs: Counter[str] = Counter()  # more than one: no name and "Unknown sender" met apart
    last: str | None = None
    for who, gap, count in rows:
        key = who or UNKNOWN
        if key != last:
            runs[key] += 1
            last = key
        values, counts = gaps.setdefault(key, (array("q"), array("q")))
        values.append(gap)
        counts.append(count)
    medians: dict[str, int] = {}
    replies: dict[str, int] = {}
    for who, (values, counts) in gaps.items():
        n = sum(counts)
        replies[who] = n
        pairs = zip(values, counts, strict=True)
        medians[who] = median_of_counts(sorted(pairs) if runs[who] > 1 else pairs, n)
        del values[:], counts[:]
    order = sorted(medians, key=lambda w: (-replies[w], w))
    return {w: medians[w] for w in order}, {w: replies[w] for w in order}


def median_of_counts(counts: Iterable[tuple[int, int]], n: int) -> int:
    """The median of values given as sorted (value, how many) pairs, to the
    nearest whole second (halves up)."""
    lower_rank, upper_rank = (n - 1) // 2, n // 2
    seen = 0
    lower = upper = None
    for value, count in counts:
        if lower is None and seen + count > lower_rank:
            lower = value
        if seen + count > upper_rank:
            upper = value
            break
        seen += count
    assert lower is not None and upper is not None
    return (lower + upper + 1) // 2
