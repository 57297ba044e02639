"""Searching the archive: the query language, and the one place that turns a
query into SQL.

The language (SPEC.md, "Search syntax")::

    words            every word must match (case and accents ignored)
    "a phrase"       the words next to each other
    word*            a prefix
    -word            exclude (also -"a phrase", -from:ana, -has:photo ...)
    a OR b           either (OR joins the terms on each side of it)
    from:NAME        sender; matches the start of any word of the name, accents
                     and case ignored (from:ana, from:"Ana María", from:gonz)
    in:THREAD        conversation id, or a piece of a conversation's title
    after:DATE       after the whole period DATE (after:2023 means 2024 on)
    before:DATE      before the whole period DATE
    on:DATE          within DATE: 2023-12-01, 2023-12, 2023, "Dec 2023"
    has:KIND         photo video audio file gif sticker attachment link reaction
    platform:APP     facebook instagram messenger
    is:KIND          unsent call system (and text media sticker share)

Any text is a valid query: every typed word reaches FTS5 as a quoted string, so
``c++``, ``don't``, ``AND`` or a lone quote never make a syntax error, and a
filter that cannot be understood (``foo:bar``, ``has:banana``) is searched as
words. Words with nothing the index keeps (``😂``, ``--``) are ignored.

How a query runs (:func:`plan_search`): filters are resolved against the
archive (names, conversation ids, UTC bounds), then a few cheap, bounded count
probes estimate how many messages each part selects, and a small cost model
picks what drives the query: the full-text index (few hits: fetch them all and
sort), the time index walked newest first (common words: stop after the first
page of hits, checking each message against the set of FTS hits, or for the
commonest words asking FTS about each message), or the index of a selective
filter (one sender, a small conversation, a rare kind). Every plan returns the
same rows; only the speed differs.
"""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from functools import lru_cache
from typing import Any

import sqlite_utils

from ..folding import fold, fold_letters, unfold_marks
from ..records import KINDS, PLATFORMS
from ..timefmt import resolve_tz
from .views import conversations_named, iso, title_index

OPEN = "\x02"  # marks where a match starts in a snippet
CLOSE = "\x03"  # and where it ends
SNIPPET_TOKENS = 16
PREVIEW_CHARS = 120
# Count probes stop here, so that each costs a few milliseconds at most.
FTS_PROBE_CAP = 20_000  # hits of a phrase cost more to count than index entries
PROBE_CAP = 10_000
RECENT_SAMPLE = 5_000  # newest messages on which the time plan's cost is measured
COUNT_CAP = 10_000  # "showing 50 of N" counts hits up to here ("of more than …" past it)

FILTER_NAMES = ("from", "in", "after", "before", "on", "has", "platform", "is")
IS_KINDS = KINDS  # is:unsent|call|system, and every other kind too
# has:KIND -> attachment kinds (None: any attachment). "image" is what some
# dialects call a photo.
HAS_ATTACHMENT: dict[str, tuple[str, ...] | None] = {
    "photo": ("photo", "image"), "video": ("video",), "audio": ("audio",), "file": ("file",),
    "gif": ("gif",), "sticker": ("sticker",), "attachment": None,
}
HAS_OTHER = ("link", "reaction")

# Indexes a plan may name (INDEXED BY). The last three are optional: a plan that
# needs one that is missing is simply not considered.
TIME_INDEX = "idx_messages_timestamp_ms"
CONVERSATION_INDEX = "idx_messages_conversation_id_position"
THREAD_INDEX = "idx_messages_thread_id_timestamp_ms"
SENDER_INDEX = "idx_messages_sender_timestamp_ms"
KIND_INDEX = "idx_messages_kind_timestamp_ms"

# Cost model, in microseconds per row, measured on a 1M-message archive.
_LOOKUP = 1.0  # fetch a message row by id
_SCAN = 0.08  # step through an index entry and test it against an in-memory set
_SET = 0.1  # put one FTS hit into the set the other plans test against
_SORT = 0.1  # sort one candidate
# Ask the FTS index whether one message matches: a seek per term and segment,
# each further term or phrase word costing more; a prefix expands on every ask.
_PROBE_FIRST = 25.0
_PROBE_MORE = 60.0
_GUESS = 0.1  # selectivity of a filter we cannot count cheaply


# --------------------------------------------------------------------------- parsing


@dataclass(frozen=True)
class Term:
    """A word, phrase or prefix as typed (without quotes, ``*`` or ``-``)."""

    text: str
    phrase: bool = False
    prefix: bool = False

    def fts(self) -> str:
        """The term as an FTS5 string: always quoted, so it is never an operator."""
        text = fold_letters(self.text)  # as the index holds words (folding.py)
        return '"' + text.replace('"', '""') + '"' + (" *" if self.prefix else "")


@dataclass(frozen=True)
class Period:
    """A whole year, month or day, in no particular time zone."""

    start: date
    unit: str  # "year" | "month" | "day"

    def end(self) -> date | None:
        """The first day after the period (None past year 9999)."""
        s = self.start
        try:
            if self.unit == "year":
                return date(s.year + 1, 1, 1)
            if self.unit == "month":
                return date(s.year + (s.month == 12), s.month % 12 + 1, 1)
            return date.fromordinal(s.toordinal() + 1)
        except ValueError:
            return None

    def bounds_ms(self, tz: tzinfo) -> tuple[int | None, int | None]:
        """[start, end) in UTC milliseconds, the period taken in zone ``tz``."""
        return _ms(self.start, tz), _ms(self.end(), tz)


@dataclass(frozen=True)
class Filter:
    name: str  # one of FILTER_NAMES
    value: str  # normalised: lower case for has/is/platform
    negated: bool = False
    period: Period | None = None  # after/before/on


@dataclass
class Query:
    """A parsed query: every group must match (a group is alternatives joined
    by OR), no excluded term may match, and every filter holds."""

    groups: list[tuple[Term, ...]] = field(default_factory=list)
    excluded: list[Term] = field(default_factory=list)
    filters: list[Filter] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)  # words the index cannot find
    # Filters that were not understood or name nothing, in the user's words
    # ("after:garbage is not a date, searched as words"), said beside the results.
    notes: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """Nothing to search for (then a search returns nothing)."""
        return not (self.groups or self.excluded or self.filters)

    def match_expression(self) -> str | None:
        """The FTS5 expression every hit matches, or None without words."""
        if not self.groups:
            return None
        parts = []
        for group in self.groups:
            alts = [t.fts() for t in group]
            parts.append(alts[0] if len(alts) == 1 else "(" + " OR ".join(alts) + ")")
        expr = " AND ".join(parts)
        if self.excluded:
            expr = f"({expr}) NOT ({' OR '.join(t.fts() for t in self.excluded)})"
        return expr

    def exclude_expression(self) -> str | None:
        """Without positive words, the FTS5 expression no hit may match."""
        if self.groups or not self.excluded:
            return None
        return " OR ".join(t.fts() for t in self.excluded)


_OR = object()


@dataclass(frozen=True)
class _Note:
    text: str
_FILTER_PREFIX = re.compile(r"(" + "|".join(FILTER_NAMES) + r"):", re.IGNORECASE)


def parse_query(text: str) -> Query:
    """Parse what the user typed. Never raises: anything unusual is a word."""
    query = Query()
    pending_or = False
    last_positive = False
    for item in _items(_clean(text or "")):
        if item is _OR:
            pending_or = last_positive
            continue
        if isinstance(item, _Note):
            query.notes.append(item.text)
            continue
        if isinstance(item, Filter):
            query.filters.append(item)
            pending_or = last_positive = False
            continue
        term, negated = item
        if not _has_tokens(term.text):
            if term.text.strip():
                query.ignored.append(term.text)
            continue
        if negated:
            query.excluded.append(term)
            pending_or = last_positive = False
        elif pending_or and query.groups:
            query.groups[-1] = (*query.groups[-1], term)
            pending_or = False
            last_positive = True
        else:
            query.groups.append((term,))
            last_positive = True
    # A repeated word asks nothing more, but would cost a lookup each time.
    query.groups = list(dict.fromkeys(query.groups))
    query.excluded = list(dict.fromkeys(query.excluded))
    return query


def _clean(text: str) -> str:
    """What can reach SQLite: no NUL (it ends an FTS5 query early) and no lone
    surrogates (they cannot be encoded)."""
    text = text.replace("\x00", " ")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text


def _items(text: str) -> Iterator[object]:
    """Terms (with their negation), filters and ORs, left to right."""
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        negated = text[i] == "-" and i + 1 < n and not text[i + 1].isspace()
        if negated:
            i += 1
        if text[i] == '"':
            value, i = _quoted(text, i)
            prefix = i < n and text[i] == "*"
            i += prefix
            yield Term(value, phrase=True, prefix=prefix), negated
            continue
        m = _FILTER_PREFIX.match(text, i)
        if m and m.end() < n and text[m.end()] == '"':
            value, j = _quoted(text, m.end())
            raw = text[i:j]
            i = j
        else:
            j = i
            while j < n and not text[j].isspace():
                j += 1
            raw, i = text[i:j], j
            value = raw[m.end() - m.start():] if m else ""
        if raw == "OR" and not negated:
            yield _OR
            continue
        flt = _filter(m.group(1).lower(), value, negated) if m else None
        if m and flt is None and value.strip():
            yield _Note(_not_understood(m.group(1).lower(), value.strip(), negated))
        if flt is not None:
            yield flt
        elif raw.endswith("*"):
            yield Term(raw.rstrip("*"), prefix=True), negated
        else:
            yield Term(raw), negated


def _quoted(text: str, i: int) -> tuple[str, int]:
    """The text between the quote at ``i`` and the next one (or the end)."""
    end = text.find('"', i + 1)
    if end < 0:
        return text[i + 1:], len(text)
    return text[i + 1:end], end + 1


def _not_understood(name: str, value: str, negated: bool) -> str:
    """Why a filter's value was taken as words, in one phrase."""
    typed = f"{'-' if negated else ''}{name}:{value}"
    if name in ("after", "before", "on"):
        why = date_problem(value)
    elif name == "has":
        why = "is not one of " + ", ".join((*HAS_ATTACHMENT, *HAS_OTHER))
    elif name == "platform":
        why = "is not one of " + ", ".join(PLATFORMS)
    else:
        why = "is not one of " + ", ".join(IS_KINDS)
    return f"{typed} {why}, searched as words"


def _filter(name: str, value: str, negated: bool) -> Filter | None:
    """A filter, or None when its value makes no sense (then it is words)."""
    value = value.strip()
    if not value:
        return None
    low = value.lower()
    if name in ("from", "in"):
        return Filter(name, value, negated)
    if name == "has" and (low in HAS_ATTACHMENT or low in HAS_OTHER):
        return Filter(name, low, negated)
    if name == "is" and low in IS_KINDS:
        return Filter(name, low, negated)
    if name == "platform" and low in PLATFORMS:
        return Filter(name, low, negated)
    if name in ("after", "before", "on"):
        period = parse_period(value)
        if period is not None:
            return Filter(name, value, negated, period)
    return None


_ISO_DATE = re.compile(r"(\d{4})(?:[-/.](\d{1,2})(?:[-/.](\d{1,2}))?)?")
# Day and month in either order, then the year: 01/12/2023 is 1 December in
# Lisbon and 12 January in New York, so it is refused with both readings.
_NUMERIC_DATE = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})")
_TIME = re.compile(r"\d{1,2}:\d{2}|\d\s*[ap]\.?m\b|T\d", re.IGNORECASE)

# The forms every date option and filter takes, for the messages that refuse one.
DATE_FORMS = '2023-12-01, 2023-12, 2023 or "Dec 2023"'


def parse_period(text: str) -> Period | None:
    """``2023-12-01``, ``2023-12``, ``2023``, ``Dec 2023``, ``1 Dec 2023`` … as a
    whole day, month or year; None when it is not a date with a year, when
    its numbers could be read two ways (``01/12/2023``: only the year-first
    ISO order is read), or when it holds a time (a date is a whole day)."""
    text = text.strip()
    try:
        m = _ISO_DATE.fullmatch(text)
        if m:
            year, month, day = m.groups()
            unit = "day" if day else "month" if month else "year"
            return _period(date(int(year), int(month or 1), int(day or 1)), unit)
        if not any(c.isalpha() for c in text) or _TIME.search(text):
            return None
        from dateutil import parser

        # Parse twice with different defaults: a field that differs was not typed.
        a = parser.parse(text, default=datetime(2000, 1, 1))
        b = parser.parse(text, default=datetime(2001, 2, 2, 1, 1))
    except (ValueError, OverflowError, TypeError):
        return None
    if a.year != b.year or a.hour == b.hour:
        return None
    unit = "year" if a.month != b.month else "month" if a.day != b.day else "day"
    return _period(a.date(), unit)


def date_problem(text: str) -> str:
    """Why ``text`` is not a date, as the words that follow it in a message:
    ``is ambiguous (2023-12-01 or 2023-01-12?)``, ``holds a time …``, or
    ``is not a date``."""
    text = text.strip()
    m = _NUMERIC_DATE.fullmatch(text)
    if m:
        first, second, year = (int(g) for g in m.groups())
        readings = []
        for day, month in ((first, second), (second, first)):
            try:
                readings.append(date(year, month, day).isoformat())
            except ValueError:
                continue
        readings = list(dict.fromkeys(readings))
        if len(readings) == 2:
            return f"is ambiguous ({readings[0]} or {readings[1]}?)"
        if readings:
            return f"is not in year-first order (write {readings[0]})"
    if _TIME.search(text) and parse_period(_TIME.split(text)[0].strip(" ,T")) is not None:
        return f"holds a time; dates are whole days (write {_TIME.split(text)[0].strip(' ,T')})"
    return "is not a date"


def _period(start: date, unit: str) -> Period | None:
    if not 1000 <= start.year <= 9998:
        return None
    return Period(start, unit)


def _ms(day: date | None, tz: tzinfo) -> int | None:
    if day is None:
        return None
    return int(datetime(day.year, day.month, day.day, tzinfo=tz).timestamp() * 1000)


# An in-memory FTS5 table with the archive's tokenizer: it tells whether a word
# holds anything the index keeps (unicode61 keeps some emoji and drops others),
# and it marks snippets for hits found without the archive's FTS table.
_SCRATCH_LOCK = threading.Lock()
_scratch: sqlite3.Connection | None = None


def _scratch_db() -> sqlite3.Connection:
    global _scratch
    if _scratch is None:
        from ..store.schema import FTS_TOKENIZE_SQL

        conn = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        conn.execute(
            f"CREATE VIRTUAL TABLE scratch USING fts5(text, extra_text, tokenize={FTS_TOKENIZE_SQL})"
        )
        _scratch = conn
    return _scratch


@lru_cache(maxsize=4096)
def _has_tokens(text: str) -> bool:
    """Whether the index could find ``text``: a string with tokens matches itself."""
    if not text or text.isspace():
        return False
    if text.isascii():
        return any(c.isalnum() for c in text)
    with _SCRATCH_LOCK:
        db = _scratch_db()
        db.execute("INSERT INTO scratch (rowid, text) VALUES (1, ?)", (fold_letters(text),))
        try:
            found = db.execute(
                "SELECT count(*) FROM scratch WHERE scratch MATCH ?", (Term(text).fts(),)
            ).fetchone()[0]
        finally:
            db.execute("DELETE FROM scratch")
    return bool(found)


# --------------------------------------------------------------------------- resolving


@dataclass(frozen=True)
class Condition:
    """A filter resolved against one archive.

    ``field`` is sender | conversation | platform | kind | attachment | reaction
    | link | time; ``values`` are exact sender names, conversation ids,
    platforms, the message kind, attachment kinds (empty: any) or a UTC
    [start, end) in milliseconds (None: open).
    """

    field: str
    values: tuple[Any, ...] = ()
    negated: bool = False


def resolve(
    db: Any, query: Query, tz: tzinfo, conversation_id: int | None = None
) -> list[Condition] | None:
    """The query's filters as conditions on this archive; None when a filter
    names nothing at all (from:nobody), so nothing can match."""
    conn = _conn(db)
    conditions: list[Condition] = []
    if conversation_id is not None:
        conditions.append(Condition("conversation", (int(conversation_id),)))
    senders: list[tuple[str, str]] | None = None
    titles: list[tuple[int, str, str | None]] | None = None
    start: int | None = None
    end: int | None = None
    for f in query.filters:
        if f.name == "from":
            senders = senders if senders is not None else _remembered(conn, _senders)
            wanted = fold(f.value)
            names = tuple(n for n, folded in senders if wanted and f" {wanted}" in folded)
            if names:
                conditions.append(Condition("sender", names, f.negated))
            else:
                query.notes.append(f"{'-' * f.negated}from:{f.value} matches no sender")
                if not f.negated:
                    return None
        elif f.name == "in":
            titles = titles if titles is not None else _remembered(conn, _titles)
            ids = conversations_named(f.value, titles)
            if ids:
                conditions.append(Condition("conversation", ids, f.negated))
            else:
                query.notes.append(f"{'-' * f.negated}in:{f.value} matches no conversation")
                if not f.negated:
                    return None
        elif f.name == "platform":
            # Said positively, so that the thread index can serve "-platform:x" too.
            apps = tuple(p for p in PLATFORMS if (p == f.value) != f.negated)
            conditions.append(Condition("platform", apps))
        elif f.name == "is":
            conditions.append(Condition("kind", (f.value,), f.negated))
        elif f.name == "has" and f.value in HAS_ATTACHMENT:
            conditions.append(Condition("attachment", HAS_ATTACHMENT[f.value] or (), f.negated))
        elif f.name == "has":
            conditions.append(Condition(f.value, (), f.negated))
        elif f.period is not None:
            lo, hi = f.period.bounds_ms(tz)
            if f.name == "after":
                lo, hi = hi, None
            elif f.name == "before":
                lo, hi = None, lo
            if f.negated:
                conditions.append(Condition("time", (lo, hi), True))
                continue
            # Positive periods narrow one window, which the time index serves.
            if lo is not None:
                start = lo if start is None else max(start, lo)
            if hi is not None:
                end = hi if end is None else min(end, hi)
    if start is not None or end is not None:
        if start is not None and end is not None and start >= end:
            return None
        conditions.append(Condition("time", (start, end)))
    if any(Condition(c.field, c.values, True) in conditions for c in conditions
           if not c.negated):
        return None  # a filter and its negation: nothing can match
    return conditions


def _conn(db: Any) -> sqlite3.Connection:
    return getattr(db, "conn", db)


_MEMO: dict[tuple[int, str], tuple[sqlite3.Connection, tuple[int, int], Any]] = {}
_MEMO_LOCK = threading.Lock()


def _remembered(conn: sqlite3.Connection, compute: Callable[[sqlite3.Connection], Any]) -> Any:
    """``compute(conn)``, kept while the archive is unchanged: searching as the
    user types asks for the same names again and again."""
    stamp = (conn.execute("PRAGMA data_version").fetchone()[0], conn.total_changes)
    key = (id(conn), compute.__name__)
    with _MEMO_LOCK:
        held = _MEMO.get(key)
    # The entry holds the connection itself, so its id cannot be reused meanwhile.
    if held is not None and held[0] is conn and held[1] == stamp:
        return held[2]
    value = compute(conn)
    with _MEMO_LOCK:
        if len(_MEMO) >= 16:
            _MEMO.clear()
        _MEMO[key] = (conn, stamp, value)
    return value


def _senders(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """Every sender name with its folded form (led by a space, so that a
    match at the start of any word is ``" " + query in folded``)."""
    if _has_index(conn, SENDER_INDEX):
        # Skip through the index: one seek per distinct name, not a table scan.
        rows = conn.execute(
            "WITH RECURSIVE s(name) AS (SELECT MIN(sender) FROM messages UNION ALL "
            "SELECT (SELECT MIN(sender) FROM messages WHERE sender > s.name) FROM s "
            "WHERE s.name IS NOT NULL) SELECT name FROM s WHERE name IS NOT NULL"
        ).fetchall()
    else:
        rows = conn.execute("SELECT DISTINCT sender FROM messages").fetchall()
    return [(r[0], " " + fold(r[0])) for r in rows if r[0]]


def _titles(conn: sqlite3.Connection) -> list[tuple[int, str, str | None]]:
    return title_index(conn)


def _hint(conn: sqlite3.Connection, index: str) -> str:
    """``INDEXED BY index`` where it exists: a first import builds some indexes
    only at its end, and a reader may look meanwhile."""
    return f" INDEXED BY {index}" if _has_index(conn, index) else ""


def _has_index(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?", (name,)
    ).fetchone() is not None


# --------------------------------------------------------------------------- planning


@dataclass
class SearchPlan:
    """Everything needed to run a search, and why it runs that way."""

    sql: str
    params: list[Any]
    # What leads: "fts" (every hit, sorted), "time" (newest first against the
    # FTS hit set), "time-probe" (newest first, asking FTS per message), or the
    # field of the filter whose index leads ("sender", "conversation", ...).
    driver: str
    match: str | None  # the FTS5 expression snippets are marked with
    costs: dict[str, float] = field(default_factory=dict)  # estimated, microseconds
    # Ranking that read only the best hits: how many, and the SQL that reads them
    # all, for when the rules on duplicates dropped too many of them.
    rank_window: int | None = None
    unwindowed: tuple[str, list[Any]] | None = None


@dataclass
class _Estimate:
    count: float | None  # messages it keeps (a guess past the probe's cap); None: unknown
    recent: float | None = None  # its share of the newest messages, where the time plan reads
    ordered: bool = False  # its index lists a single sender or kind newest first

    def selectivity(self, total: int) -> float:
        if self.count is None:
            return _GUESS
        return min(1.0, max(self.count, 0.5) / max(total, 1))

    def recent_selectivity(self, total: int) -> float:
        return self.selectivity(total) if self.recent is None else self.recent


def plan_search(
    db: Any, text: str | Query, *, limit: int = 50, rank: bool = False,
    conversation_id: int | None = None, tz: tzinfo | str | None = None, offset: int = 0,
    driver: str | None = None,
) -> SearchPlan | None:
    """Turn query text into the SQL that answers it (None: nothing can match).

    ``driver`` forces a plan (see :class:`SearchPlan`) where the query allows
    it, for tests and benchmarks; every plan returns the same rows.
    """
    conn = _conn(db)
    query = parse_query(text) if isinstance(text, str) else text
    if query.empty or limit <= 0:
        return None
    zone = tz if isinstance(tz, tzinfo) else resolve_tz(tz)
    conditions = resolve(conn, query, zone, conversation_id)
    if conditions is None:
        return None
    match = query.match_expression()
    fetch = limit + max(offset, 0)
    if rank and match:
        chosen, costs = "fts", {}
    else:
        chosen, costs = _choose(conn, match, query.exclude_expression(), conditions, fetch)
        # A forced driver must be one this query can use.
        if driver in costs or driver in ("time", "time-probe"):
            chosen = driver
    def build(window: int | None) -> tuple[str, list[Any]]:
        return _build_sql(query, conditions, chosen, limit=limit, offset=max(offset, 0),
                          rank=rank and match is not None, rank_window=window,
                          time_index=_has_index(conn, TIME_INDEX))

    if rank and match and not conditions:
        # Ranking scores every hit; without filters the best few are enough,
        # and only the implicit rules (no duplicates) can drop one of them.
        window = fetch * 2 + 20
        return SearchPlan(*build(window), chosen, match, costs, window, build(None))
    return SearchPlan(*build(None), chosen, match, costs)


def _choose(
    conn: sqlite3.Connection, match: str | None, exclude: str | None,
    conditions: list[Condition], fetch: int,
) -> tuple[str, dict[str, float]]:
    """Pick what leads the query, by estimated cost in microseconds.

    Filters are taken as independent of each other, but not of time: a sender
    or a conversation may have gone quiet years ago. The time plan reads the
    newest messages first, so it is costed with each filter's share of the
    newest :data:`RECENT_SAMPLE` messages, the other plans with overall counts.
    Reorders ``conditions`` smallest first: of two on one field, that one leads.
    """
    total = conn.execute("SELECT MAX(id) FROM messages").fetchone()[0] or 1
    window = next((c for c in conditions if c.field == "time" and not c.negated), None)
    lo, hi = window.values if window else (None, None)
    since = _recent_start(conn, lo, hi)
    estimates = [(c, _estimate(conn, c, since, hi)) for c in conditions]
    estimates.sort(key=lambda ce: float("inf") if ce[1].count is None else ce[1].count)
    conditions[:] = [c for c, _ in estimates]
    hits = _Estimate(_fts_hits(conn, match, total)) if match else None
    excluded = _fts_hits(conn, exclude, total) if exclude else 0.0
    # The share of messages the words keep, then the filters (overall, and
    # among the newest messages, where the time plan reads).
    text_keep = hits.selectivity(total) if hits else 1.0 - min(excluded / total, 0.9)
    filters_keep = recent_filters_keep = 1.0
    for c, est in estimates:
        if c.negated:
            filters_keep *= 1.0 - min(est.selectivity(total), 0.9)
            recent_filters_keep *= 1.0 - min(est.recent_selectivity(total), 0.9999)
        else:
            filters_keep *= est.selectivity(total)
            if c is not window:  # the time plan reads only the window
                recent_filters_keep *= est.recent_selectivity(total)
    keep = max(text_keep * filters_keep, 1e-9)
    recent_keep = max(text_keep * recent_filters_keep, 1e-9)
    # Building the FTS hit set that the other plans test each message against.
    hit_set = ((hits.count or 0) if hits else excluded) * _SET
    # The FTS test needs only the index entry; a message is read once it passes.
    per_row = _SCAN + _LOOKUP * (text_keep if hits else 1.0)

    in_window = total
    if window is not None:
        in_window = next(e.count for c, e in estimates if c is window) or 0.0
    scanned = min(in_window, fetch / recent_keep)
    costs = {"time": hit_set + scanned * per_row}
    probe = _probe_cost(match or exclude)
    if probe is not None:
        # Without the hit set: read each message, then ask the index about those
        # the filters keep (SQLite tests correlated subqueries last).
        costs["time-probe"] = scanned * (_SCAN + _LOOKUP + recent_filters_keep * probe)
    if hits:
        costs["fts"] = (hits.count or 0) * (_LOOKUP + _SORT)
    for c, est in estimates:
        if c.negated or c.field in costs or est.count is None or not _can_drive(conn, c):
            continue
        if est.ordered:
            read = min(est.count, fetch * est.selectivity(total) / keep)
            costs[c.field] = hit_set + read * per_row
        else:
            survivors = est.count * text_keep
            costs[c.field] = hit_set + est.count * _SCAN + survivors * (_LOOKUP + _SORT)
    best = min(costs, key=lambda k: costs[k])
    return best, costs


def _fts_hits(conn: sqlite3.Connection, expression: str, total: int) -> float:
    """How many messages match an FTS5 expression, counting at most a few."""
    n, last = conn.execute(
        "SELECT count(*), MAX(rowid) FROM (SELECT rowid FROM messages_fts "
        f"WHERE messages_fts MATCH ? LIMIT {FTS_PROBE_CAP})", (expression,)
    ).fetchone()
    # Hits come in id order and ids are spread evenly over the words used,
    # so where the cap was reached tells how many hits there are in all.
    return float(n) if n < FTS_PROBE_CAP else n * total / max(last, 1)


def _recent_start(conn: sqlite3.Connection, lo: int | None, hi: int | None) -> int | None:
    """The time from which the window's newest RECENT_SAMPLE messages run (None:
    it holds fewer, and reading all of it is cheap anyway)."""
    row = conn.execute(
        f"SELECT timestamp_ms FROM messages{_hint(conn, TIME_INDEX)} WHERE timestamp_ms >= ? "
        "AND timestamp_ms < ? ORDER BY timestamp_ms DESC LIMIT 1 OFFSET ?",
        (_lowest(lo), _highest(hi), RECENT_SAMPLE - 1),
    ).fetchone()
    return row[0] if row else None


def _lowest(lo: int | None) -> int:
    return lo if lo is not None else -(2**62)


def _highest(hi: int | None) -> int:
    return hi if hi is not None else 2**62


def _probe_cost(match: str | None) -> float | None:
    """Microseconds to ask whether one message matches; None for prefixes."""
    if match is None or '" *' in match:
        return None
    words = len(_FTS_WORDS.findall(match))
    return _PROBE_FIRST + _PROBE_MORE * max(words - 1, 0)


_FTS_WORDS = re.compile(r'"(?:[^"]|"")*"')


def _counted(n: int, cap: int) -> float:
    """A probe's count; past its cap, a guess at "many"."""
    return float(n) if n < cap else cap * 5.0


def _estimate(
    conn: sqlite3.Connection, c: Condition, since: int | None, until: int | None
) -> _Estimate:
    """How many messages a condition keeps overall and among the newest (from
    ``since`` to ``until``), from bounded probes on its index."""
    values = json.dumps(list(c.values))
    count: float | None = None
    recent_sql: str | None = None  # counts the condition's messages in [since, until)
    ordered = False
    if c.field == "conversation":
        count = float(conn.execute(
            "SELECT COALESCE(SUM(message_count), 0) FROM conversations "
            "WHERE id IN (SELECT value FROM json_each(?))", (values,)
        ).fetchone()[0])
        recent_sql = (f"SELECT count(*) FROM messages{_hint(conn, THREAD_INDEX)} WHERE thread_id "
                      "IN (SELECT id FROM threads WHERE conversation_id IN "
                      "(SELECT value FROM json_each(?)))")
    elif c.field == "platform":
        recent_sql = (f"SELECT count(*) FROM messages{_hint(conn, THREAD_INDEX)} WHERE thread_id "
                      "IN (SELECT id FROM threads "
                      "WHERE platform IN (SELECT value FROM json_each(?)))")
    elif c.field == "sender" and _has_index(conn, SENDER_INDEX):
        recent_sql = (f"SELECT count(*) FROM messages INDEXED BY {SENDER_INDEX} "
                      "WHERE sender IN (SELECT value FROM json_each(?))")
        ordered = len(c.values) == 1
    elif c.field == "kind" and _has_index(conn, KIND_INDEX):
        values = c.values[0]
        recent_sql = f"SELECT count(*) FROM messages INDEXED BY {KIND_INDEX} WHERE kind = ?"
        ordered = True
    elif c.field in ("attachment", "reaction"):
        kinds = " WHERE kind IN (SELECT value FROM json_each(?))" if c.values else ""
        sql = f"SELECT DISTINCT message_id FROM {c.field}s{kinds}"
        count = _counted(_probe(conn, sql, [values] if c.values else []), PROBE_CAP)
    elif c.field == "time":
        sql = (f"SELECT 1 FROM messages{_hint(conn, TIME_INDEX)} "
               "WHERE timestamp_ms >= ? AND timestamp_ms < ?")
        count = _counted(_probe(conn, sql, [_lowest(c.values[0]), _highest(c.values[1])]),
                         PROBE_CAP)
    if recent_sql is None:
        return _Estimate(count)
    if count is None:
        listing = recent_sql.replace("count(*)", "1", 1)
        count = _counted(_probe(conn, listing, [values]), PROBE_CAP)
    recent = None
    if since is not None:
        n = conn.execute(f"{recent_sql} AND timestamp_ms >= ? AND timestamp_ms < ?",
                         (values, since, _highest(until))).fetchone()[0]
        recent = max(n, 0.5) / RECENT_SAMPLE
    return _Estimate(count, recent, ordered)


def _probe(conn: sqlite3.Connection, sql: str, params: Sequence[Any],
           cap: int = PROBE_CAP) -> int:
    """How many rows ``sql`` lists, counting no further than ``cap``."""
    return conn.execute(f"SELECT count(*) FROM ({sql} LIMIT {cap})", params).fetchone()[0]


def _can_drive(conn: sqlite3.Connection, c: Condition) -> bool:
    if c.field in ("attachment", "reaction"):
        return True
    index = _DRIVER_INDEX.get(c.field)
    return index is not None and _has_index(conn, index)


_DRIVER_INDEX = {"sender": SENDER_INDEX, "kind": KIND_INDEX, "platform": THREAD_INDEX,
                 "conversation": CONVERSATION_INDEX}


# --------------------------------------------------------------------------- SQL


def _condition_sql(c: Condition) -> tuple[str, list[Any]]:
    """One condition as SQL over ``m`` (messages)."""
    values = json.dumps(list(c.values))
    if c.field == "sender":
        sql, params = ("m.sender = ?", [c.values[0]]) if len(c.values) == 1 else (
            "m.sender IN (SELECT value FROM json_each(?))", [values])
    elif c.field == "conversation":
        sql, params = ("m.conversation_id = ?", [c.values[0]]) if len(c.values) == 1 else (
            "m.conversation_id IN (SELECT value FROM json_each(?))", [values])
    elif c.field == "platform":
        sql = ("m.thread_id IN (SELECT id FROM threads "
               "WHERE platform IN (SELECT value FROM json_each(?)))")
        params = [values]
    elif c.field == "kind":
        sql, params = "m.kind = ?", [c.values[0]]
    elif c.field == "attachment":
        kinds = " AND a.kind IN (SELECT value FROM json_each(?))" if c.values else ""
        sql = f"EXISTS (SELECT 1 FROM attachments a WHERE a.message_id = m.id{kinds})"
        params = [values] if c.values else []
    elif c.field == "reaction":
        sql, params = "EXISTS (SELECT 1 FROM reactions r WHERE r.message_id = m.id)", []
    elif c.field == "link":
        sql, params = "COALESCE(m.share_link, '') <> ''", []
    else:  # time
        lo, hi = c.values
        parts = [p for p, v in (("m.timestamp_ms >= ?", lo), ("m.timestamp_ms < ?", hi))
                 if v is not None]
        sql = " AND ".join(parts) or "1"
        params = [v for v in (lo, hi) if v is not None]
    if c.negated:
        return f"NOT IFNULL(({sql}), 0)", params
    return sql, params


def _build_sql(
    query: Query, conditions: list[Condition], driver: str, *, limit: int, offset: int,
    rank: bool, rank_window: int | None, time_index: bool = True,
) -> tuple[str, list[Any]]:
    """The search as one SQL statement: the page of hits in a CTE, then their
    rows, titles and scores in order. The one place search SQL is written."""
    match = query.match_expression()
    exclude = query.exclude_expression()
    where = ["m.duplicate_of IS NULL", "m.position IS NOT NULL"]
    params: list[Any] = []
    lead = next((c for c in conditions if c.field == driver and not c.negated), None)

    if driver == "fts" and match:
        if rank_window:
            source = (
                "(SELECT rowid AS id, bm25(messages_fts) AS score FROM messages_fts "
                "WHERE messages_fts MATCH ? ORDER BY bm25(messages_fts) LIMIT ?) AS f "
                "CROSS JOIN messages m ON m.id = f.id"
            )
            params += [match, rank_window]
            score = "f.score"
        else:
            # CROSS JOIN keeps the FTS table outermost: read every hit once.
            source = "messages_fts CROSS JOIN messages m ON m.id = messages_fts.rowid"
            where.append("messages_fts MATCH ?")
            params.append(match)
            score = "bm25(messages_fts)" if rank else "0"
    else:
        score = "0"
        if lead is not None and lead.field in ("attachment", "reaction"):
            table = "attachments" if lead.field == "attachment" else "reactions"
            kinds = (" WHERE kind IN (SELECT value FROM json_each(?))"
                     if lead.field == "attachment" and lead.values else "")
            source = (f"(SELECT DISTINCT message_id AS id FROM {table}{kinds}) AS d "
                      "CROSS JOIN messages m ON m.id = d.id")
            if kinds:
                params.append(json.dumps(list(lead.values)))
        else:
            index = _DRIVER_INDEX.get(driver, TIME_INDEX if time_index else None)
            # INDEXED BY: the planner cannot see FTS selectivity, so it is told.
            source = f"messages m INDEXED BY {index}" if index else "messages m"
        if match:
            where.append(_fts_test(negated=False, probe=driver == "time-probe"))
            params.append(match)
    if exclude:
        where.append(_fts_test(negated=True, probe=driver == "time-probe"))
        params.append(exclude)
    for c in conditions:
        if c is lead and c.field in ("attachment", "reaction"):
            continue
        sql, p = _condition_sql(c)
        where.append(sql)
        params += p
    order = ("score, " if rank else "") + "m.timestamp_ms DESC, m.id DESC"
    sql = (
        f"WITH hits AS (SELECT m.id AS id, {score} AS score FROM {source} "
        f"WHERE {' AND '.join(where)} ORDER BY {order} LIMIT ? OFFSET ?) "
        "SELECT m.id, m.conversation_id, COALESCE(c.title, 'Conversation ' || m.conversation_id), "
        "m.sender, m.timestamp_ms, m.text, m.extra_text, m.kind, m.time_precision "
        "FROM hits h JOIN messages m ON m.id = h.id "
        "LEFT JOIN conversations c ON c.id = m.conversation_id "
        f"ORDER BY {'h.score, ' if rank else ''}m.timestamp_ms DESC, m.id DESC"
    )
    return sql, params + [limit, offset]


# --------------------------------------------------------------------------- results


@dataclass
class SearchHit:
    id: int
    conversation_id: int
    thread: str
    sender: str
    timestamp_ms: int
    text: str | None
    snippet: str  # matches between OPEN and CLOSE (or the marks asked for)
    time_precision: int | None = None  # see views.iso

    def as_json(self, open_mark: str = OPEN, close_mark: str = CLOSE) -> dict[str, Any]:
        """The ``search --json`` shape; matches in the snippet as ``[...]``."""
        return {
            "id": self.id, "thread_id": self.conversation_id, "thread": self.thread,
            "sender": self.sender, "time": iso(self.timestamp_ms, self.time_precision),
            "text": self.text,
            "snippet": render_brackets(self.snippet, open_mark, close_mark),
        }


class QueryTooComplex(sqlite3.OperationalError):
    """A query SQLite refuses for its size (hundreds of negated filters, say).
    A subclass of SQLite's own error, so that callers that show "search
    failed" for a damaged archive show this sentence too."""


# SQLite's words for a statement past its limits (depth of the expression
# tree, bound variables, FTS5's own expression depth).
_TOO_COMPLEX = ("expression tree is too large", "too many sql variables",
                "parser stack overflow", "fts expression tree is too large")


@contextlib.contextmanager
def _size_limits() -> Iterator[None]:
    """Turn SQLite's refusal of a statement too large into a sentence."""
    try:
        yield
    except sqlite3.OperationalError as exc:
        if any(words in str(exc).lower() for words in _TOO_COMPLEX):
            raise QueryTooComplex(
                "the search has too many words and filters to run (SQLite's limit); "
                "use fewer, a few hundred at most"
            ) from None
        raise


def search(
    db: sqlite_utils.Database | sqlite3.Connection, text: str, *, limit: int = 50,
    rank: bool = False, conversation_id: int | None = None, tz: tzinfo | str | None = None,
    offset: int = 0, open_mark: str = OPEN, close_mark: str = CLOSE, driver: str | None = None,
) -> list[SearchHit]:
    """Messages matching ``text``, newest first (``rank``: most relevant first).

    Never raises on the query text, except :class:`QueryTooComplex` for one
    too large for SQLite. ``tz`` (a zone or an IANA name; default the
    machine's) is where dates such as ``on:2023-12-01`` begin and end;
    ``conversation_id`` keeps one conversation; ``offset`` pages; snippets mark
    matches with ``open_mark`` and ``close_mark``; ``driver`` as in
    :func:`plan_search`.
    """
    with _size_limits():
        return _search(db, text, limit=limit, rank=rank, conversation_id=conversation_id,
                       tz=tz, offset=offset, open_mark=open_mark, close_mark=close_mark,
                       driver=driver)


def _search(
    db: sqlite_utils.Database | sqlite3.Connection, text: str, *, limit: int,
    rank: bool, conversation_id: int | None, tz: tzinfo | str | None,
    offset: int, open_mark: str, close_mark: str, driver: str | None,
) -> list[SearchHit]:
    conn = _conn(db)
    plan = plan_search(conn, text, limit=limit, rank=rank, conversation_id=conversation_id,
                       tz=tz, offset=offset, driver=driver)
    if plan is None:
        return []
    rows = conn.execute(plan.sql, plan.params).fetchall()
    if plan.unwindowed and plan.rank_window and len(rows) < limit \
            and _fts_count(conn, plan) >= plan.rank_window:
        rows = conn.execute(*plan.unwindowed).fetchall()
    snippets = _snippets(plan.match, rows, open_mark, close_mark)
    return [
        SearchHit(id=r[0], conversation_id=r[1], thread=r[2], sender=r[3], timestamp_ms=r[4],
                  text=r[5], snippet=snippets.get(r[0]) or _preview(r[5], r[6], r[7]),
                  time_precision=r[8])
        for r in rows
    ]


def query_notes(
    db: sqlite_utils.Database | sqlite3.Connection, text: str, *,
    conversation_id: int | None = None, tz: tzinfo | str | None = None,
) -> list[str]:
    """What in ``text`` was not understood or names nothing, one phrase each
    (said on standard error by the CLI and under the reader's search box)."""
    query = parse_query(text)
    zone = tz if isinstance(tz, tzinfo) else resolve_tz(tz)
    if query.filters:
        # Every filter is looked at, even after one that names nothing.
        for f in query.filters:
            resolve(db, Query(filters=[f], notes=query.notes), zone, conversation_id)
    return list(dict.fromkeys(query.notes))


def count_hits(
    db: sqlite_utils.Database | sqlite3.Connection, text: str, *, cap: int = 10_000,
    conversation_id: int | None = None, tz: tzinfo | str | None = None,
) -> int:
    """How many messages match ``text``, counting at most ``cap`` (so that
    saying "showing 50 of 108" never costs more than a search of ``cap``)."""
    conn = _conn(db)
    with _size_limits():
        plan = plan_search(conn, text, limit=cap, conversation_id=conversation_id, tz=tz)
        if plan is None:
            return 0
        return int(conn.execute(f"SELECT COUNT(*) FROM ({plan.sql})", plan.params).fetchone()[0])


def _fts_test(*, negated: bool, probe: bool) -> str:
    """The condition that message ``m`` does (or does not) match an FTS
    expression: asked of FTS one message at a time when the time index drives
    (``probe``), else as a set of ids."""
    if probe:
        return (f"{'NOT ' if negated else ''}EXISTS (SELECT 1 FROM messages_fts "
                "WHERE messages_fts MATCH ? AND messages_fts.rowid = m.id)")
    # "+" keeps the id test a filter, never a way to look rows up.
    test = "m.id NOT IN" if negated else "+m.id IN"
    return f"{test} (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?)"


def _fts_count(conn: sqlite3.Connection, plan: SearchPlan) -> int:
    return _probe(conn, "SELECT 1 FROM messages_fts WHERE messages_fts MATCH ?", [plan.match],
                  FTS_PROBE_CAP)


def _snippets(
    match: str | None, rows: list[tuple[Any, ...]], open_mark: str, close_mark: str
) -> dict[int, str]:
    """Marked snippets for a page of hits, made in the scratch FTS table so the
    cost is the same whichever plan found them (probing the archive's index by
    id costs a prefix query its whole expansion, once per hit)."""
    if not match or not rows:
        return {}
    with _SCRATCH_LOCK:
        db = _scratch_db()
        db.execute("BEGIN")
        try:
            db.executemany(
                "INSERT INTO scratch (rowid, text, extra_text) VALUES (?, ?, ?)",
                [(r[0], r[5] and fold_letters(r[5]), r[6] and fold_letters(r[6])) for r in rows],
            )
            found = db.execute(
                "SELECT rowid, snippet(scratch, -1, ?, ?, '…', ?) FROM scratch "
                "WHERE scratch MATCH ?",
                (open_mark, close_mark, SNIPPET_TOKENS, match),
            ).fetchall()
        finally:
            db.execute("ROLLBACK")
    texts = {r[0]: (r[5], r[6]) for r in rows}
    return {rowid: " ".join(_unfolded(s, texts[rowid], open_mark, close_mark).split())
            for rowid, s in found if s and s.strip()}


def _unfolded(snippet: str, texts: tuple[str | None, str | None], open_mark: str,
              close_mark: str) -> str:
    """The snippet in the message's own letters (it was made on folded text)."""
    for text in texts:
        if text and fold_letters(text) != text:
            unfolded = unfold_marks(text, snippet, open_mark, close_mark)
            if unfolded != snippet:
                return unfolded
    return snippet


def _preview(text: str | None, extra: str | None, kind: str) -> str:
    """The start of a message, as the snippet of a hit found by filters alone."""
    body = " ".join((text or extra or f"({kind})").split())
    if len(body) <= PREVIEW_CHARS:
        return body
    cut = body.rfind(" ", 0, PREVIEW_CHARS)
    return body[: cut if cut > PREVIEW_CHARS // 2 else PREVIEW_CHARS] + "…"


def mark_matches(
    query: str, text: str, open_mark: str = OPEN, close_mark: str = CLOSE
) -> list[tuple[str, bool]]:
    """``text`` cut into (piece, is_match) pieces by the words of ``query``,
    matched as search matches them (case, accents, prefixes, phrases), so a
    reader can show where a hit is inside its message."""
    terms = [t.fts() for group in parse_query(query).groups for t in group]
    if not terms or not text:
        return [(text, False)] if text else []
    with _SCRATCH_LOCK:
        db = _scratch_db()
        db.execute("BEGIN")
        try:
            db.execute("INSERT INTO scratch (rowid, text) VALUES (1, ?)", (fold_letters(text),))
            row = db.execute(
                "SELECT highlight(scratch, 0, ?, ?) FROM scratch WHERE scratch MATCH ?",
                (open_mark, close_mark, " OR ".join(terms)),
            ).fetchone()
        except sqlite3.Error:
            row = None
        finally:
            db.execute("ROLLBACK")
    if not row or row[0] is None:
        return [(text, False)]
    return snippet_parts(unfold_marks(text, row[0], open_mark, close_mark), open_mark, close_mark)


def snippet_parts(
    snippet: str, open_mark: str = OPEN, close_mark: str = CLOSE
) -> list[tuple[str, bool]]:
    """The snippet as (text, is_match) pieces."""
    parts: list[tuple[str, bool]] = []
    rest = snippet
    while rest:
        start = rest.find(open_mark)
        if start < 0:
            parts.append((rest, False))
            break
        if start:
            parts.append((rest[:start], False))
        rest = rest[start + len(open_mark):]
        end = rest.find(close_mark)
        if end < 0:
            parts.append((rest, True))
            break
        parts.append((rest[:end], True))
        rest = rest[end + len(close_mark):]
    return [p for p in parts if p[0]]


def render_brackets(snippet: str, open_mark: str = OPEN, close_mark: str = CLOSE) -> str:
    """The snippet with matches as ``[match]``."""
    return "".join(f"[{t}]" if hit else t for t, hit in snippet_parts(snippet, open_mark,
                                                                       close_mark))

