"""An archive made by the first release, opened by this one, ends as if the
same downloads had been imported fresh."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from archiver.store.opening import open_archive
from archiver.store.schema import SCHEMA_VERSION
from tests.support.cli import db_rows, run, run_json, without
from tests.support.paths import FIXTURES

QUERIES = ("sofa", "cafe", "in:maya", "from:zoe", "has:photo", "is:system", "weekend OR crew",
           "bartlomiej", "in:\"ana maria\" -hello")

# The demo downloads the first-release archive was made from (fixtures/archive_v1).
SAMPLES_V1 = FIXTURES / "samples_v1"


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    archive = tmp_path_factory.mktemp("fresh") / "archive"
    code, _, err = run(archive, "import",
                       *sorted(str(p) for p in SAMPLES_V1.iterdir() if p.is_dir()))
    assert code == 0, err
    return archive


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    archive = tmp_path_factory.mktemp("migrated") / "archive"
    shutil.copytree(FIXTURES / "archive_v1", archive)
    assert db_rows(archive, "PRAGMA user_version") == [(1,)]
    open_archive(archive).conn.close()
    return archive


def comparable(archive: Path, *args: str) -> Any:
    # "file" is an absolute path, so it names the archive's own folder.
    return without(run_json(archive, *args), "id", "imported", "conversation_id", "first_imported",
                   "last_imported", "file")


def test_the_schema_is_current(migrated: Path) -> None:
    assert db_rows(migrated, "PRAGMA user_version") == [(SCHEMA_VERSION,)]


def test_same_conversations_threads_and_counts(fresh: Path, migrated: Path) -> None:
    assert comparable(migrated, "threads") == comparable(fresh, "threads")
    key_sql = ("SELECT t.platform, t.key, t.title, COUNT(m.id) FROM threads t LEFT JOIN messages m "
               "ON m.thread_id = t.id GROUP BY t.id ORDER BY t.platform, t.key")
    assert db_rows(migrated, key_sql) == db_rows(fresh, key_sql)
    assert comparable(migrated, "stats") == comparable(fresh, "stats")


def test_same_messages(fresh: Path, migrated: Path) -> None:
    sql = "SELECT fingerprint, kind, position, text FROM messages ORDER BY fingerprint"
    assert db_rows(migrated, sql) == db_rows(fresh, sql)
    for title in ("Maya Chen", "Zoë Martin", "Lukas"):
        assert comparable(migrated, "show", title) == comparable(fresh, "show", title)


@pytest.mark.parametrize("query", QUERIES)
def test_same_search_answers(fresh: Path, migrated: Path, query: str) -> None:
    assert comparable(migrated, "search", query) == comparable(fresh, "search", query)


def test_check_passes_after_the_upgrade(migrated: Path) -> None:
    code, out, err = run(migrated, "check")
    assert code == 0, out + err


def test_the_upgraded_index_folds_letters(migrated: Path) -> None:
    """The first release's index kept "ł" apart from "l"; it is rebuilt."""
    hits = run_json(migrated, "search", "bartlomiej")
    assert hits and all("Bartłomiej" in h["text"] or "Bartłomiej" in h["sender"] for h in hits)
    assert db_rows(migrated, "SELECT COUNT(*) FROM messages_fts_docsize") == db_rows(
        migrated, "SELECT COUNT(*) FROM messages")


def test_new_archives_take_large_pages_and_old_ones_keep_theirs(
    fresh: Path, tmp_path: Path
) -> None:
    """A new archive is made with 32 KB pages (cheaper large imports); an old
    one keeps its 4 KB pages, takes a new download, and stays whole."""
    assert db_rows(fresh, "PRAGMA page_size") == [(32768,)]
    archive = tmp_path / "archive"
    shutil.copytree(FIXTURES / "archive_v1", archive)
    before = db_rows(archive, "SELECT COUNT(*) FROM messages")[0][0]
    download = tmp_path / "facebook-jordanlee-2026" / "your_facebook_activity" / "messages"
    from tests.support.downloads import write_thread

    write_thread(download / "inbox" / "nadia_10009",
                 [{"sender_name": "Nadia", "timestamp_ms": 1_700_000_000_000 + i,
                   "content": f"jadłem pierogi {i}"} for i in range(3)],
                 title="Nadia", participants=("Nadia", "Jordan Lee"))
    code, _, err = run(archive, "import", str(tmp_path / "facebook-jordanlee-2026"))
    assert code == 0, err
    assert db_rows(archive, "PRAGMA page_size") == [(4096,)]
    assert db_rows(archive, "SELECT COUNT(*) FROM messages")[0][0] == before + 3
    assert len(run_json(archive, "search", "jadlem")) == 3
    assert run(archive, "check")[0] == 0
