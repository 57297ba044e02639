"""The query language, parsed: words, phrases, prefixes, OR, exclusions and
filters. Never raises: anything it does not understand is searched as words,
with a note saying so."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache

from ...folding import fold_letters
from ...records import KINDS, PLATFORMS
from .dates import Period, date_problem, parse_period
from .scratch import scratch_table

FILTER_NAMES = ("from", "in", "after", "before", "on", "has", "platform", "is")
IS_KINDS = KINDS  # is:unsent|call|system, and every other kind too
# has:KIND -> attachment kinds (None: any attachment). "image" is what some
# dialects call a photo.
HAS_ATTACHMENT: dict[str, tuple[str, ...] | None] = {
    "photo": ("photo", "image"), "video": ("video",), "audio": ("audio",), "file": ("file",),
    "gif": ("gif",), "sticker": ("sticker",), "attachment": None,
}
HAS_OTHER = ("link", "reaction")


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


@lru_cache(maxsize=4096)
def _has_tokens(text: str) -> bool:
    """Whether the index could find ``text``: a string with tokens matches itself."""
    if not text or text.isspace():
        return False
    if text.isascii():
        return any(c.isalnum() for c in text)
    with scratch_table() as db:
        db.execute("INSERT INTO scratch (rowid, text) VALUES (1, ?)", (fold_letters(text),))
        found = db.execute(
            "SELECT count(*) FROM scratch WHERE scratch MATCH ?", (Term(text).fts(),)
        ).fetchone()[0]
    return bool(found)
