"""Search finds words glued to an emoji or a symbol, those Unicode has not
assigned yet included; an archive indexed before is re-indexed once."""

from __future__ import annotations

import sqlite3
import unicodedata
from pathlib import Path

import pytest

from archiver.read.search import mark_matches
from archiver.store.opening import DB_NAME, open_archive
from archiver.store.schema import FTS_TOKENIZE_SQL
from tests.support.cli import db_rows, run, run_json
from tests.support.downloads import write_thread

FB = "your_facebook_activity/messages/inbox"
T0 = 1_650_000_000_000
TEXTS = [
    "được🤗 rồi",  # U+1F917, Unicode 8: unicode61 takes it for a letter
    "love🫶you",  # U+1FAF6, Unicode 14
    "wow\U0001FAE8",  # U+1FAE8, Unicode 15: not assigned in Python 3.11's tables
    "ok\U0001FAEFlater",  # not assigned in any Unicode yet
    "sale\ue000price",  # private use
    "plain words",
]


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("symbols")
    write_thread(root / "facebook-jordanlee-2025" / FB / "linh_1", [
        {"sender_name": "Linh", "timestamp_ms": T0 - 60_000 * i, "content": text}
        for i, text in enumerate(TEXTS)
    ], title="Linh", participants=("Linh", "Jordan Lee"))
    archive = root / "archive"
    code, _out, err = run(archive, "import", str(root / "facebook-jordanlee-2025"))
    assert code == 0, err
    return archive


@pytest.mark.parametrize(("query", "found"), [
    ("duoc", "được🤗 rồi"),
    ("được🤗", "được🤗 rồi"),
    ("love", "love🫶you"),
    ("you", "love🫶you"),
    ("wow", "wow\U0001FAE8"),
    ("later", "ok\U0001FAEFlater"),
    ("price", "sale\ue000price"),
])
def test_a_word_next_to_a_symbol_is_found(archive: Path, query: str, found: str) -> None:
    assert [h["text"] for h in run_json(archive, "search", query)] == [found]


def test_the_found_word_is_marked_without_its_emoji() -> None:
    assert [p for p, hit in mark_matches("duoc", "được🤗 rồi") if hit] == ["được"]


def test_an_emoji_alone_is_no_word(archive: Path) -> None:
    assert run_json(archive, "search", "🤗") == []


def test_every_symbol_separates_words() -> None:
    """The frozen list covers what Unicode calls neither a letter, a number
    nor a mark, and every unassigned code point among the symbols."""
    conn = sqlite3.connect(":memory:")
    conn.execute(f"CREATE VIRTUAL TABLE t USING fts5(x, tokenize={FTS_TOKENIZE_SQL})")
    conn.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance')")
    symbols = [
        c for c in range(0x80, 0x20000)
        if not 0xD800 <= c < 0xE000 and (
            unicodedata.category(chr(c))[0] not in "LNMC"
            or (unicodedata.category(chr(c)) == "Cn"
                and (0x2000 <= c <= 0x2BFF or 0x1F000 <= c <= 0x1FFFF)))
    ]
    conn.executemany("INSERT INTO t (rowid, x) VALUES (?, ?)",
                     [(c, f"q{chr(c)}z") for c in symbols])
    glued = [c for (c,) in conn.execute("SELECT doc FROM v GROUP BY doc HAVING COUNT(*) < 2")]
    assert [hex(c) for c in glued] == []
    assert len(symbols) > 5000


def test_an_archive_indexed_before_is_reindexed_once(archive: Path, tmp_path: Path) -> None:
    import shutil

    old = tmp_path / "old"
    shutil.copytree(archive, old)
    conn = sqlite3.connect(old / DB_NAME)
    with conn:  # the index as schema 6 made it
        conn.execute("DROP TABLE messages_fts")
        conn.execute("CREATE VIRTUAL TABLE messages_fts USING fts5(text, extra_text, "
                     "tokenize='unicode61 remove_diacritics 2', "
                     "content='messages_fts_source', content_rowid='id')")
        conn.execute("INSERT INTO messages_fts (messages_fts) VALUES ('rebuild')")
        conn.execute("PRAGMA user_version = 6")
    conn.close()
    open_archive(old).conn.close()
    assert [h["text"] for h in run_json(old, "search", "duoc")] == ["được🤗 rồi"]
    assert FTS_TOKENIZE_SQL in db_rows(
        old, "SELECT sql FROM sqlite_master WHERE name = 'messages_fts'")[0][0]
    code, out, _err = run(old, "check")
    assert code == 0 and out.startswith("archive OK")
