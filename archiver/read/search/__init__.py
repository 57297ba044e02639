"""Searching the archive: the query language, and the one place that turns a
query into SQL.

The language::

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

The package, in the order a search runs:

- ``query``: the language, parsed into words, phrases, prefixes and filters
  (``dates``: the dates every filter and option takes);
- ``resolve``: filters resolved against one archive (names, conversation ids,
  UTC bounds), the names kept while the archive is unchanged;
- ``planner``: the count probes and the cost model that choose what leads;
- ``sql``: the one place search SQL is written;
- ``run``: running a plan, counting hits, what was not understood;
- ``snippets``: the words that matched, marked in snippets and whole messages
  (``scratch``: the in-memory FTS table that marks them).
"""

from .dates import DATE_FORMS, Period, date_problem, parse_period
from .planner import SearchPlan, plan_search
from .query import Filter, Query, Term, parse_query
from .resolve import Condition, resolve
from .run import COUNT_CAP, QueryTooComplex, SearchHit, count_hits, query_notes, search
from .snippets import CLOSE, OPEN, mark_matches, render_brackets, snippet_parts

__all__ = [
    "CLOSE", "COUNT_CAP", "DATE_FORMS", "OPEN", "Condition", "Filter", "Period", "Query",
    "QueryTooComplex", "SearchHit", "SearchPlan", "Term", "count_hits", "date_problem",
    "mark_matches", "parse_period", "parse_query", "plan_search", "query_notes",
    "render_brackets", "resolve", "search", "snippet_parts",
]
