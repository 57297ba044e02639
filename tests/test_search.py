"""Search: the query language over a small archive with known answers, every
plan giving the same rows, snippets, and the ``search`` command."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from archiver.ingest.importer import import_downloads
from archiver.read import search as search_module
from archiver.read.search import (
    CLOSE,
    OPEN,
    parse_period,
    parse_query,
    plan_search,
    render_brackets,
    search,
    snippet_parts,
)
from archiver.store.database import Database
from archiver.store.opening import DB_NAME, open_archive
from tests.support.cli import run
from tests.support.downloads import write_thread
from tests.support.searching import (
    ANA,
    CHLOE,
    FB,
    ME,
    OPTIONAL_INDEXES,
    build_archive,
    ms,
    msg,
    newest_first,
)


@pytest.fixture(scope="module")
def archive_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_archive(tmp_path_factory.mktemp("search"))


@pytest.fixture(scope="module")
def db(archive_dir: Path) -> Iterator[Database]:
    database = open_archive(archive_dir, readonly=True)
    yield database
    database.conn.close()


def label(hit: search_module.SearchHit) -> str:
    """A hit by its text, or by the file name its snippet shows."""
    return hit.text or "".join(text for text, _ in snippet_parts(hit.snippet))


LONG_TEA = "maybe some tea later with lemonade plus cookies, whatever you like best"
CAFES = {"Café com leite amanhã?", "Sure, the usual café", "Dinner at Café de Flore?",
         "cafe crawl this weekend?"}
ANA_SAYS = {"Café com leite amanhã?", "I don't like C at all", "Happy birthday Jordan!",
            "Receita boa", "The video chat ended.", "Oui! Très bien",
            "maybe some tea later with lemonade plus cookies, whatever you like best"}
CLUB = {"Next book: Naïve Super", "Zoë, great pick!", "Jordan Lee named the group Book club 📚.",
        "dance.gif", "voice_note.mp4", "thumbs.png", "reading_list.pdf", "watch this trailer",
        "NEAR the end AND OR NOT"}
MAYA = {"cafe crawl this weekend?", "Count me in, coffee and croissants", "photo dump",
        "birthday party on Saturday"}
IN_2023 = {"Happy birthday Jordan!", "Look at our tree", "Receita boa", "dance.gif",
           "voice_note.mp4", "thumbs.png", "reading_list.pdf", "watch this trailer",
           "NEAR the end AND OR NOT", "photo dump"}

# query -> the exact set of texts found (times in UTC).
CASES: list[tuple[str, set[str]]] = [
    # words, case and accents
    ("cafe", CAFES),
    ("CAFÉ", CAFES),
    ("zoe", {"Zoë, great pick!"}),
    ("naive", {"Next book: Naïve Super"}),
    ("tres bien", {"Oui! Très bien"}),
    ("birthday", {"Happy birthday Jordan!", "birthday party on Saturday"}),
    # phrases and prefixes
    ('"happy birthday"', {"Happy birthday Jordan!"}),
    ('"birthday happy"', set()),
    ("birth*", {"Happy birthday Jordan!", "birthday party on Saturday"}),
    ("croiss*", {"Count me in, coffee and croissants"}),
    ('"usual caf"*', {"Sure, the usual café"}),
    # exclusion and OR
    ("cafe -flore", CAFES - {"Dinner at Café de Flore?"}),
    ('cafe -"de flore"', CAFES - {"Dinner at Café de Flore?"}),
    ("cafe OR coffee", CAFES | {"Count me in, coffee and croissants"}),
    ("cafe OR coffee -crawl", CAFES - {"cafe crawl this weekend?"}
     | {"Count me in, coffee and croissants"}),
    ("lemonade OR cookies OR croissants", {
        "maybe some tea later with lemonade plus cookies, whatever you like best",
        "Count me in, coffee and croissants"}),
    ("-cafe from:maya", {"photo dump", "birthday party on Saturday"}),
    # share text and attachment names are searched too
    ("xmas", {"Look at our tree"}),
    ("bolo", {"Receita boa"}),
    ("tradicional receita", {"Receita boa"}),
    ("reading_list", {"reading_list.pdf"}),
    # punctuation and FTS5 syntax are words, never errors
    ("c++", {"I love c++ templates", "I don't like C at all"}),
    ("don't", {"I don't like C at all"}),
    ("AND", {"NEAR the end AND OR NOT", "Count me in, coffee and croissants"}),
    ("NEAR(", {"NEAR the end AND OR NOT"}),
    ("NOT", {"NEAR the end AND OR NOT"}),
    ("or", {"NEAR the end AND OR NOT"}),
    ('"', set()),
    ('cafe "crawl', {"cafe crawl this weekend?"}),
    ("-", set()),
    ("OR", set()),
    ("*", set()),
    ("😂", set()),
    ("foo:bar", set()),
    ("has:banana", set()),
    ("(book)", {"Next book: Naïve Super", "Jordan Lee named the group Book club 📚."}),
    # from:
    ("from:ana", ANA_SAYS),
    ('from:"ana maria"', ANA_SAYS),
    ("from:GONZALEZ", ANA_SAYS),
    ("from:zoe", {"Next book: Naïve Super", "voice_note.mp4", "watch this trailer"}),
    (f'from:"{CHLOE}"', {"Zoë, great pick!", "dance.gif", "reading_list.pdf",
                          "NEAR the end AND OR NOT"}),
    ("from:connor", {"dup one", "dup three"}),
    ("from:aria", set()),  # names match from the start of a word
    ("from:nobody", set()),
    ("from:ana cafe", {"Café com leite amanhã?"}),
    ("-from:ana cafe", CAFES - {"Café com leite amanhã?"}),
    ("from:moreau cafe", set()),
    # in:
    ("in:book", CLUB),
    ('in:"book club" zoe', {"Zoë, great pick!"}),
    ("in:maya", MAYA),
    ("in:nosuchthread", set()),
    ("-in:book -in:maya -in:ana", {"dup one", "dup two", "dup three"}),
    # platform:
    ("platform:instagram", MAYA),
    ("platform:facebook cafe", CAFES - {"cafe crawl this weekend?"}),
    ("platform:messenger", set()),
    ("-platform:facebook", MAYA),
    # has:
    ("has:photo", {"Look at our tree", "photo dump"}),
    ("has:video", {"watch this trailer"}),
    ("has:audio", {"voice_note.mp4"}),
    ("has:file", {"reading_list.pdf"}),
    ("has:gif", {"dance.gif"}),
    ("has:sticker", {"thumbs.png"}),
    ("has:attachment", {"Look at our tree", "photo dump", "dance.gif", "voice_note.mp4",
                        "thumbs.png", "reading_list.pdf", "watch this trailer"}),
    ("has:link", {"Receita boa"}),
    ("has:reaction", {"Dinner at Café de Flore?"}),
    ("cafe -has:reaction", CAFES - {"Dinner at Café de Flore?"}),
    # is:
    ("is:unsent", {"You unsent a message"}),
    ("is:call", {"The video chat ended."}),
    ("is:system", {"Jordan Lee named the group Book club 📚."}),
    # dates (whole periods)
    ("on:2023-12", {"Happy birthday Jordan!", "Look at our tree", "Receita boa", "photo dump"}),
    ('on:"Dec 2023"', {"Happy birthday Jordan!", "Look at our tree", "Receita boa",
                       "photo dump"}),
    ("on:2023-12-01", {"Happy birthday Jordan!", "photo dump"}),
    ('on:"1 December 2023"', {"Happy birthday Jordan!", "photo dump"}),
    ("on:2023", IN_2023),
    ("after:2023", {"The video chat ended.", "You unsent a message", "Dinner at Café de Flore?",
                    "Oui! Très bien", "birthday party on Saturday",
                    "maybe some tea later with lemonade plus cookies, whatever you like best"}),
    ("before:2021", {"Next book: Naïve Super", "Zoë, great pick!",
                     "Jordan Lee named the group Book club 📚.", "tea tea tea, always tea"}),
    ("after:2021-03-05 before:2022-07-14", {
        "cafe crawl this weekend?", "Count me in, coffee and croissants",
        "dup one", "dup two", "dup three"}),
    ("after:2024 before:2023", set()),
    ("on:2023-13-45", set()),  # not a date: the words "on 2023 13 45"
    # combinations
    ("-on:2023 -on:2024 from:ana", {"Café com leite amanhã?", "I don't like C at all"}),
    ("has:photo platform:instagram", {"photo dump"}),
    ("birthday after:2023", {"birthday party on Saturday"}),
    ("birthday after:2024", set()),  # after the whole of 2024
    ("café from:jordan in:ana", {"Sure, the usual café", "Dinner at Café de Flore?"}),
    ("has:attachment from:zoe on:2023-06", {"voice_note.mp4", "watch this trailer"}),
    ("tea OR cafe from:jordan before:2022", {"Sure, the usual café", "tea tea tea, always tea"}),
]

DRIVERS = ("fts", "time", "time-probe", "thread-probe", "sender", "conversation", "platform",
           "kind", "attachment", "reaction")


@pytest.mark.parametrize(("query", "expected"), CASES, ids=[q for q, _ in CASES])
def test_query_finds_exactly(db, query: str, expected: set[str]) -> None:
    hits = search(db, query, tz="UTC")
    assert {label(h) for h in hits} == expected
    assert len(hits) == len(expected)  # each message once
    times = [h.timestamp_ms for h in hits]
    assert times == sorted(times, reverse=True)


@pytest.mark.parametrize(("query", "expected"), CASES, ids=[q for q, _ in CASES])
def test_every_plan_gives_the_same_rows(db, query: str, expected: set[str]) -> None:
    chosen = search(db, query, tz="UTC")
    for driver in DRIVERS:
        forced = search(db, query, tz="UTC", driver=driver)
        assert [h.id for h in forced] == [h.id for h in chosen], driver


def test_newest_first_and_paging(db) -> None:
    order = ["Dinner at Café de Flore?", "cafe crawl this weekend?", "Sure, the usual café",
             "Café com leite amanhã?"]
    assert [h.text for h in search(db, "cafe")] == order
    assert [h.text for h in search(db, "cafe", limit=2)] == order[:2]
    assert [h.text for h in search(db, "cafe", limit=2, offset=2)] == order[2:]
    assert search(db, "cafe", limit=0) == []


def test_rank_orders_by_relevance(db) -> None:
    long = "maybe some tea later with lemonade plus cookies, whatever you like best"
    short = "tea tea tea, always tea"
    assert [h.text for h in search(db, "tea")] == [long, short]
    assert [h.text for h in search(db, "tea", rank=True)] == [short, long]
    assert [h.text for h in search(db, "tea", rank=True, limit=1)] == [short]
    ranked = [h.text for h in search(db, "tea OR cafe from:jordan", rank=True)]
    assert ranked[0] == short and set(ranked) == {short, "Sure, the usual café",
                                                  "Dinner at Café de Flore?"}


def test_conversation_id_restricts(db) -> None:
    (ana,) = {h.conversation_id for h in search(db, "from:gonzalez")}
    assert {h.text for h in search(db, "cafe", conversation_id=ana)} == {
        "Café com leite amanhã?", "Sure, the usual café", "Dinner at Café de Flore?"}
    assert search(db, "croissants", conversation_id=ana) == []
    # in: by id works the same way
    assert {h.text for h in search(db, f"cafe in:{ana}")} == {
        "Café com leite amanhã?", "Sure, the usual café", "Dinner at Café de Flore?"}


def test_dates_are_whole_periods_in_the_display_zone(db) -> None:
    # 2023-12-01T00:30Z is still 30 November in New York.
    assert [h.text for h in search(db, "on:2023-11-30", tz="America/New_York")] == [
        "Happy birthday Jordan!"]
    assert search(db, "on:2023-11-30", tz="UTC") == []
    assert {h.text for h in search(db, "on:2023-12-01", tz="America/New_York")} == {
        "photo dump"}


def test_hits_carry_thread_sender_and_time(db) -> None:
    (hit,) = search(db, "lemonade")
    assert hit.thread == ANA and hit.sender == ANA
    assert hit.timestamp_ms == ms("2024-04-01T08:00")
    assert hit.as_json()["time"] == "2024-04-01T08:00:00.000Z"
    (dup,) = search(db, '"dup two"')
    assert dup.thread == "Sam O'Connor"


def test_snippets_mark_matches(db) -> None:
    (hit,) = search(db, "leite")
    assert hit.snippet == f"Café com {OPEN}leite{CLOSE} amanhã?"
    assert render_brackets(hit.snippet) == "Café com [leite] amanhã?"
    (hit,) = search(db, "cafe from:ana")
    assert render_brackets(hit.snippet) == "[Café] com leite amanhã?"
    (hit,) = search(db, "leite", open_mark="<b>", close_mark="</b>")
    assert hit.snippet == "Café com <b>leite</b> amanhã?"
    # A match in an attachment name shows that name.
    (hit,) = search(db, "xmas")
    assert render_brackets(hit.snippet) == "[xmas]_tree.jpg"
    (hit,) = search(db, '"happy birthday"')
    assert render_brackets(hit.snippet) == "[Happy birthday] Jordan!"


def test_filter_only_snippet_is_the_start_of_the_text(db) -> None:
    (hit,) = search(db, "is:system")
    assert hit.snippet == "Jordan Lee named the group Book club 📚."
    (hit,) = search(db, "has:gif")
    assert hit.text is None and hit.snippet == "dance.gif"


def test_filter_only_queries_do_not_use_full_text(db) -> None:
    plan = plan_search(db, "has:photo from:ana")
    assert plan is not None and plan.match is None and "messages_fts" not in plan.sql
    assert plan_search(db, "") is None
    assert plan_search(db, "😂 -") is None


def test_duplicates_and_unplaced_messages_are_never_hits(archive_dir: Path,
                                                        tmp_path: Path) -> None:
    copy = tmp_path / "archive"
    shutil.copytree(archive_dir, copy)
    conn = sqlite3.connect(copy / DB_NAME)
    with conn:
        tree, tea = (conn.execute("SELECT id FROM messages WHERE text = ?", (t,)).fetchone()[0]
                     for t in ("Look at our tree", "tea tea tea, always tea"))
        conn.execute("UPDATE messages SET duplicate_of = ? WHERE id = ?", (tea, tree))
        conn.execute("UPDATE messages SET position = NULL WHERE id = ?", (tea,))
    conn.close()
    db = open_archive(copy, readonly=True)
    try:
        for driver in DRIVERS:
            assert [h.text for h in search(db, "tree OR tea", driver=driver)] == [LONG_TEA]
            assert [h.text for h in search(db, "has:photo", driver=driver)] == ["photo dump"]
        assert [h.text for h in search(db, "tree OR tea", rank=True)] == [LONG_TEA]
    finally:
        db.conn.close()


def test_rank_reaches_past_dropped_duplicates(tmp_path: Path) -> None:
    # Ranking reads only the best few hits first; when the duplicate rule drops
    # most of those, it must rank them all rather than return too few.
    short = [msg(ME, f"2022-01-01T10:{i:02d}", "echo") for i in range(28)]
    long = [msg(ANA, f"2022-01-02T10:{i:02d}", f"echo and many other words here {i}")
            for i in range(3)]
    write_thread(tmp_path / "dl" / f"{FB}/echo_1", newest_first(short + long), title="Echo")
    archive = tmp_path / "archive"
    import_downloads(archive, [tmp_path / "dl"], copy_media=False)
    conn = sqlite3.connect(archive / DB_NAME)
    with conn:
        keep = conn.execute("SELECT id FROM messages WHERE text = 'echo'").fetchone()[0]
        conn.execute("UPDATE messages SET duplicate_of = ? WHERE text = 'echo' AND id <> ?",
                     (keep, keep))
    conn.close()
    db = open_archive(archive, readonly=True)
    try:
        ranked = [h.text for h in search(db, "echo", rank=True, limit=5)]
        assert ranked[0] == "echo" and len(ranked) == 4
    finally:
        db.conn.close()


def test_same_answers_without_optional_indexes(archive_dir: Path, db, tmp_path: Path) -> None:
    # An archive without the sender/kind indexes, and one read while a first
    # import has not yet rebuilt its time index.
    copy = tmp_path / "archive"
    shutil.copytree(archive_dir, copy)
    conn = sqlite3.connect(copy / DB_NAME)
    with conn:
        for name in (*OPTIONAL_INDEXES, "idx_messages_timestamp_ms"):
            conn.execute(f"DROP INDEX IF EXISTS {name}")
    conn.close()
    bare = open_archive(copy, readonly=True)
    try:
        for query, _ in CASES:
            expected = [h.id for h in search(db, query, tz="UTC")]
            assert [h.id for h in search(bare, query, tz="UTC")] == expected, query
    finally:
        bare.conn.close()


def test_parse_query_structure() -> None:
    q = parse_query('cafe OR coffee "a phrase" pre* -no from:"Ana María" on:2023 has:Photo')
    assert [[t.text for t in g] for g in q.groups] == [["cafe", "coffee"], ["a phrase"], ["pre"]]
    assert q.groups[2][0].prefix and q.groups[1][0].phrase
    assert [t.text for t in q.excluded] == ["no"]
    assert [(f.name, f.value) for f in q.filters] == [
        ("from", "Ana María"), ("on", "2023"), ("has", "photo")]
    assert q.match_expression() == (
        '(("cafe" OR "coffee") AND "a phrase" AND "pre" *) NOT ("no")')
    # Every word is an FTS5 string; a quote inside one is doubled; an unclosed
    # quote runs to the end.
    assert parse_query('AND NEAR(x) c++ say"hi -').match_expression() == (
        '"AND" AND "NEAR(x)" AND "c++" AND "say""hi"')
    assert parse_query('cafe "au lait').match_expression() == '"cafe" AND "au lait"'
    assert parse_query("a OR").match_expression() == '"a"'
    assert parse_query("-a OR b").match_expression() == '("b") NOT ("a")'
    assert parse_query("😂 tea").ignored == ["😂"]


def test_parse_period() -> None:
    assert (p := parse_period("2023")) and (p.start.isoformat(), p.unit) == ("2023-01-01", "year")
    assert (p := parse_period("2023-12")) and p.unit == "month"
    assert (p := parse_period("Dec 2023")) and (p.start.month, p.unit) == (12, "month")
    assert (p := parse_period("2023-12-01")) and p.unit == "day"
    for bad in ("Dec", "soon", "2023-13", "10:30", "99999999999999999999"):
        assert parse_period(bad) is None, bad


def test_snippet_helpers() -> None:
    s = f"a {OPEN}b{CLOSE} c {OPEN}d"
    assert snippet_parts(s) == [("a ", False), ("b", True), (" c ", False), ("d", True)]
    assert render_brackets(s) == "a [b] c [d]"


# --------------------------------------------------------------------------- the command


def test_cli_json_shape(archive_dir: Path) -> None:
    code, out, _ = run(archive_dir, "search", "--json", "--tz", "UTC", "cafe")
    assert code == 0
    hits = json.loads(out)
    assert [h["text"] for h in hits] == ["Dinner at Café de Flore?", "cafe crawl this weekend?",
                                         "Sure, the usual café", "Café com leite amanhã?"]
    first = hits[0]
    assert set(first) == {"id", "thread_id", "thread", "sender", "time", "text", "snippet"}
    assert first["thread"] == ANA and first["sender"] == ME
    assert first["time"] == "2024-02-14T21:00:00.000Z"
    assert first["snippet"] == "Dinner at [Café] de Flore?"
    assert isinstance(first["id"], int) and isinstance(first["thread_id"], int)


def test_cli_lines_when_piped(archive_dir: Path) -> None:
    code, out, _ = run(archive_dir, "search", "--tz", "UTC", "from:ana", "cafe")
    assert code == 0
    assert out == f"2021-03-05 09:00  {ANA}  in {ANA}: [Café] com leite amanhã?\n"
    assert "\x1b[" not in out


def test_cli_query_words_are_joined(archive_dir: Path) -> None:
    _, out, _ = run(archive_dir, "search", "--json", '"happy', 'birthday"')
    assert [h["text"] for h in json.loads(out)] == ["Happy birthday Jordan!"]


def test_cli_options(archive_dir: Path) -> None:
    _, out, _ = run(archive_dir, "search", "--json", "--limit", "1", "cafe")
    assert [h["text"] for h in json.loads(out)] == ["Dinner at Café de Flore?"]
    _, out, _ = run(archive_dir, "search", "--json", "--rank", "tea")
    assert json.loads(out)[0]["text"] == "tea tea tea, always tea"
    _, out, _ = run(archive_dir, "search", "--json", "--thread", "Book club", "zoe")
    assert [h["text"] for h in json.loads(out)] == ["Zoë, great pick!"]
    code, out, err = run(archive_dir, "search", "nothing-matches-this")
    assert code == 0 and out == "" and "No messages match" in err


def test_cli_errors(archive_dir: Path, tmp_path: Path) -> None:
    code, out, err = run(archive_dir, "search", "--thread", "no such thread", "cafe")
    assert code == 2 and out == ""
    assert err.startswith("chatkeep: ") and err.count("\n") == 1 and "no such thread" in err
    code, _, err = run(archive_dir, "search", "--tz", "Mars/Olympus", "cafe")
    assert code == 2 and "Mars/Olympus" in err
    code, _, _ = run(archive_dir, "search", "--limit", "0", "cafe")
    assert code == 2
    code, _, err = run(tmp_path / "empty", "search", "cafe")
    assert code == 2 and "No archive" in err


def test_terminal_lines_colour_matches_and_show_control_characters() -> None:
    from archiver.cli.base import terminal_text
    from archiver.cli.searching import hit_line

    snippet = f"say {OPEN}hi{CLOSE}\x1b[2J"
    coloured = hit_line("2024-01-01 10:00", terminal_text("Eve\x1b]0;x\x07"), "Chat", snippet,
                     True)
    assert "\x1b[2J" not in coloured and "\x07" not in coloured and "[hi]" not in coloured
    assert click.unstyle(coloured) == "2024-01-01 10:00  Eve␛]0;x␇  in Chat: say hi␛[2J"
    plain = hit_line("2024-01-01 10:00", "Eve", "Chat", snippet, False)
    assert plain == "2024-01-01 10:00  Eve  in Chat: say [hi]␛[2J"


@pytest.mark.parametrize("query, text, marked", [
    ("cafe", "A café in Porto. Cafe!", ["café", "Cafe"]),
    ("port*", "Porto or Portugal, not a sport", ["Porto", "Portugal"]),
    # Punctuation separates words, as it does for search itself.
    ('"see you"', "see you soon, I see, you know", ["see you", "see, you"]),
    ('"see you"', "see me, you know", []),
    ("zoe from:ana", "Zoë said hi", ["Zoë"]),
    ("from:ana", "nothing to mark", []),
    ("c++ NEAR(", "c++ is near", ["c", "near"]),  # FTS syntax is searched as words
])
def test_mark_matches_marks_what_search_matches(query: str, text: str, marked: list[str]) -> None:
    from archiver.read.search import mark_matches

    parts = mark_matches(query, text)
    assert "".join(piece for piece, _ in parts) == text
    assert [piece for piece, hit in parts if hit] == marked


@pytest.fixture(scope="module")
def boundary_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """Messages one second apart across new year, in UTC and in Tokyo (UTC+9)."""
    root = tmp_path_factory.mktemp("bounds")
    write_thread(root / "dl" / FB / "years_1", newest_first([
        msg(ANA, "2024-01-01T00:00:00", "utc new year"),
        msg(ANA, "2023-12-31T23:59:59", "utc old year"),
        msg(ANA, "2023-12-31T15:00:00", "tokyo new year"),
        msg(ANA, "2023-12-31T14:59:59", "tokyo old year"),
    ]))
    import_downloads(root / "archive", [root / "dl"])
    db = open_archive(root / "archive", readonly=True)
    yield db
    db.conn.close()


@pytest.mark.parametrize(("tz", "old", "new"), [
    ("UTC", {"utc old year", "tokyo new year", "tokyo old year"}, {"utc new year"}),
    ("Asia/Tokyo", {"tokyo old year"}, {"tokyo new year", "utc old year", "utc new year"}),
])
def test_period_bounds_at_midnight(boundary_db, tz: str, old: set[str], new: set[str]) -> None:
    """A period ends where the next begins: the first second of 2024 is in
    on:2024, never in on:2023 or before:2024; the last of 2023 the reverse."""
    def texts(query: str, driver: str | None) -> set[str]:
        return {h.text for h in search(boundary_db, query, tz=tz, driver=driver)}

    for driver in (None, *DRIVERS):
        assert texts("on:2023", driver) == old, driver
        assert texts("before:2024", driver) == old, driver
        assert texts("on:2024", driver) == new, driver
        assert texts("after:2023", driver) == new, driver
        assert texts("on:2023-12-31 year", driver) == old, driver


def test_a_query_too_large_for_sqlite_gets_a_sentence(archive_dir: Path, db) -> None:
    """Hundreds of negated periods nest deeper than SQLite's 1,000 levels."""
    from archiver.read.search import QueryTooComplex

    query = " ".join(f"-on:20{10 + i % 15}-{1 + i % 12:02d}-{1 + i % 28:02d}" for i in range(1500))
    with pytest.raises(QueryTooComplex, match="too many words and filters"):
        search(db, query, tz="UTC")
    code, out, err = run(archive_dir, "search", query, "--tz", "UTC")
    assert code == 2 and out == ""
    assert err == ("chatkeep: the search has too many words and filters to run (SQLite's "
                   "limit); use fewer, a few hundred at most\n")


def imported(tmp_path: Path, threads: dict[str, tuple[str, list[dict]]]) -> Database:
    """An archive of one Facebook download holding ``threads`` (folder: title
    and messages), opened for reading."""
    for folder, (title, messages) in threads.items():
        write_thread(tmp_path / "dl" / f"{FB}/{folder}", newest_first(messages), title=title)
    archive = tmp_path / "archive"
    import_downloads(archive, [tmp_path / "dl"], copy_media=False)
    return open_archive(archive, readonly=True)


def test_a_big_time_window_is_not_taken_for_a_small_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The planner counts a filter's messages only up to a cap. A time window
    # past it ("after:2020" on a large archive holds millions) must still be
    # costed at its size: leading newest first through it would read it all
    # to find a quieter conversation's hits, where leading by the
    # conversation reads those alone. Caps made small, so that a small
    # archive is "large".
    monkeypatch.setattr(search_module.planner, "PROBE_CAP", 100)
    monkeypatch.setattr(search_module.planner, "RECENT_SAMPLE", 500)

    def hourly(title: str, first: str, n: int, word: str) -> list[dict]:
        return [{"sender_name": ANA if i % 2 else ME, "timestamp_ms": ms(first) + i * 3_600_000,
                 "content": f"{word} sure" if i % 3 == 0 else f"{title} words {i}"}
                for i in range(n)]

    club = hourly("club", "2020-01-01T00:00", 2000, "haha")
    daily = hourly("daily", "2021-01-01T00:00", 3000, "haha")
    db = imported(tmp_path, {"bookclub_1": ("Book club", club), "daily_2": ("Daily", daily)})
    try:
        query = 'haha in:"book club" after:2019'
        plan = plan_search(db, query, tz="UTC")
        assert plan is not None and plan.driver == "conversation", plan.costs
        hits = search(db, query, tz="UTC")
        newest = [m["timestamp_ms"] for m in club if m["content"].startswith("haha")][::-1][:50]
        assert [h.timestamp_ms for h in hits] == newest
        for driver in DRIVERS:
            assert [h.id for h in search(db, query, tz="UTC", driver=driver)] == [h.id for h in hits]
    finally:
        db.conn.close()


def test_many_photos_are_not_taken_for_a_few(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Photos past the count's cap are counted from where the cap was reached
    # (ids are spread over the archive), not guessed at a few times the cap:
    # leading by every photo to find one person's in one year reads them all,
    # where leading by that person's messages, newest first, reads a handful.
    monkeypatch.setattr(search_module.planner, "PROBE_CAP", 20)
    monkeypatch.setattr(search_module.planner, "RECENT_SAMPLE", 200)
    start = ms("2021-01-01T00:00")
    people = [ANA, ME, "Anabel Ruiz", CHLOE]  # from:ana names two of them
    chat = [{"sender_name": people[i % 4], "timestamp_ms": start + i * 3_600_000,
             "content": f"words {i}",
             **({"photos": [{"uri": f"photos/p{i}.jpg"}]} if i % 2 == 0 else {})}
            for i in range(4000)]
    db = imported(tmp_path, {"group_1": ("Group", chat)})
    try:
        query = "has:photo from:ana on:2021"
        plan = plan_search(db, query, tz="UTC")
        assert plan is not None and plan.driver != "attachment", plan.costs
        hits = search(db, query, tz="UTC")
        assert len(hits) == 50 and {h.sender for h in hits} == {ANA, "Anabel Ruiz"}
        for driver in DRIVERS:
            assert [h.id for h in search(db, query, tz="UTC", driver=driver)] == [h.id for h in hits]
    finally:
        db.conn.close()


def test_words_in_one_conversation_read_it_newest_first(tmp_path: Path) -> None:
    # Searching one conversation (in: naming it, or the reader's search in the
    # open one) reads that thread newest first and asks the index about each
    # message, instead of gathering every hit of a word the whole archive
    # uses. Equal times (a burst within one second) keep the order every plan
    # gives: newest first, then the later-written first.
    start = ms("2021-01-01T00:00")
    daily = [{"sender_name": ANA if i % 2 else ME,
              "timestamp_ms": start + (i // 4) * 60_000,  # four to a minute
              "content": "haha sure" if i % 3 == 0 else f"daily words {i}"}
             for i in range(2000)]
    later = ms("2022-01-01T00:00")  # a busier, newer chat full of the same word
    other = [{"sender_name": CHLOE, "timestamp_ms": later + i * 1000, "content": "haha elsewhere"}
             for i in range(6000)]
    db = imported(tmp_path, {"daily_1": ("Daily", daily), "chloe_2": ("Chloé", other)})
    try:
        plan = plan_search(db, "haha in:daily", tz="UTC")
        assert plan is not None and plan.driver == "thread-probe", plan.costs
        for query in ("haha in:daily", "haha in:daily -elsewhere", "sure in:daily before:2021-01-02"):
            hits = search(db, query, tz="UTC", limit=30, offset=10)
            for driver in DRIVERS:
                forced = search(db, query, tz="UTC", limit=30, offset=10, driver=driver)
                assert [h.id for h in forced] == [h.id for h in hits], (query, driver)
        hits = search(db, "haha in:daily", tz="UTC", limit=30, offset=10)
        wanted = sorted((m for m in daily if m["content"].startswith("haha")),
                        key=lambda m: -m["timestamp_ms"])[10:40]
        assert [h.timestamp_ms for h in hits] == [m["timestamp_ms"] for m in wanted]
        assert {h.thread for h in hits} == {"Daily"}
        conv = hits[0].conversation_id
        plan = plan_search(db, "haha", tz="UTC", conversation_id=conv)
        assert plan is not None and plan.driver == "thread-probe"
    finally:
        db.conn.close()
