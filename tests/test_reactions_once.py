"""A reaction counts once per person and emoji on a message, everywhere, even
when a file lists every reaction twice; an archive made before is mended."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from archiver.store.opening import DB_NAME, open_archive
from tests.support.cli import db_rows, run, run_json
from tests.support.downloads import write_thread

T0 = 1_650_000_000_000
ANA, BO, ME = "Ana Silva", "Bo Chen", "Jordan Lee"


def twice(*pairs: tuple[str, str]) -> list[dict]:
    """Reactions the way some files list them: each one twice."""
    return [{"reaction": r, "actor": a} for r, a in pairs for _ in range(2)]


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("twice")
    download = root / "facebook-jordanlee-2025"
    write_thread(download / "your_facebook_activity/messages/inbox/crew_1", [
        {"sender_name": ME, "timestamp_ms": T0 + 60_000, "content": "second",
         "reactions": twice(("👍", ANA))},
        {"sender_name": ME, "timestamp_ms": T0, "content": "first",
         "reactions": twice(("❤", ANA), ("😂", BO), ("❤", BO))},
    ], title="Crew", participants=(ANA, BO, ME))
    archive = root / "archive"
    code, _out, err = run(archive, "import", str(download))
    assert code == 0, err
    return archive


def test_the_archive_keeps_each_reaction_once(archive: Path) -> None:
    assert db_rows(archive, "SELECT actor, reaction FROM reactions ORDER BY rowid") == [
        (ANA, "❤"), (BO, "😂"), (BO, "❤"), (ANA, "👍")]


def test_stats_count_each_reaction_once(archive: Path) -> None:
    stats = run_json(archive, "stats", "crew")
    assert stats["reactions"] == {"❤": 2, "👍": 1, "😂": 1}
    assert stats["reactions_given"] == {ANA: {"❤": 1, "👍": 1}, BO: {"❤": 1, "😂": 1}}
    whole = run_json(archive, "stats")
    assert whole["reactions"] == {"❤": 2, "👍": 1, "😂": 1}


def test_show_and_exports_list_each_reaction_once(archive: Path, tmp_path: Path) -> None:
    code, out, _err = run(archive, "show", "crew")
    assert code == 0 and out.count(f"❤ {ANA}") == 1 and out.count(f"😂 {BO}") == 1
    md = tmp_path / "crew.md"
    assert run(archive, "export", "crew", "-o", str(md))[0] == 0
    assert md.read_text(encoding="utf-8").count(f"> ❤ {ANA}") == 1


def test_an_archive_that_kept_them_twice_is_mended_once(archive: Path, tmp_path: Path) -> None:
    old = tmp_path / "old"
    shutil.copytree(archive, old)
    conn = sqlite3.connect(old / DB_NAME)
    with conn:  # what schema 7 kept: every row the file had
        conn.execute("INSERT INTO reactions (message_id, actor, reaction, timestamp_ms) "
                     "SELECT message_id, actor, reaction, timestamp_ms FROM reactions")
        conn.execute("UPDATE messages SET text = 'Bo Chen liked a message', kind = 'text' "
                     "WHERE text = 'second'")
        conn.execute("PRAGMA user_version = 7")
    conn.close()
    assert db_rows(old, "SELECT COUNT(*) FROM reactions") == [(8,)]
    open_archive(old).conn.close()
    assert run_json(old, "stats", "crew")["reactions"] == {"❤": 2, "👍": 1, "😂": 1}
    assert db_rows(old, "SELECT COUNT(*) FROM reactions") == [(4,)]
    assert db_rows(old, "SELECT kind FROM messages WHERE text LIKE '%liked%'") == [("system",)]
