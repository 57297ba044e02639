"""Interrupted imports: a kill at any moment, Ctrl-C, a full disk, two imports
at once, and reading while an import writes.

The promise (a bad file never stops an import): an interrupted import
leaves the archive consistent, and running it again completes it, giving the
same archive as one clean import.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from archiver.ingest import importer
from archiver.read.audit import audit_archive
from archiver.read.check import check_archive
from archiver.store import writer
from archiver.store.opening import open_archive
from tests.support.cli import run, without
from tests.support.generate import generate_facebook
from tests.support.paths import REPO

MESSAGES = 4000
# A small batch, so that a kill lands between many commits (the real batch of
# 50,000 messages would make this download a single transaction).
SMALL_BATCH = 300
IMPORT = (
    "import sys, time; import archiver.store.writer as w; w.BATCH_MESSAGES = int(sys.argv.pop(1)); "
    "delay = float(sys.argv.pop(1)); import archiver.ingest.dialects.meta_dyi as m; "
    "plain = m.plain_message; "
    "m.plain_message = (lambda raw: (time.sleep(delay), plain(raw))[1]) if delay else plain; "
    "from archiver.cli import main; main()"
)
# Tests that act on an import mid-way read slowly (4 s for the download), so
# that it is still running once its first batch is saved.
SLOW = 0.001
WORDS = ("the", "ok", "haha", "you*", "caf*")


@pytest.fixture(scope="module")
def download(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("crash") / "facebook-jordanlee-2025"
    generate_facebook(path, MESSAGES, 11, media=True)
    return path


def start_import(archive: Path, download: Path, batch: int = SMALL_BATCH,
                 delay: float = 0.0) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", IMPORT, str(batch), str(delay), "--archive", str(archive),
         "import", "--json", str(download)],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,  # its own process group: a kill takes any helper too
    )


def finish(proc: subprocess.Popen) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=300)
    return proc.returncode, out, err


@pytest.fixture(scope="module")
def clean(download: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, float]:
    """One uninterrupted import, and how long it took."""
    archive = tmp_path_factory.mktemp("clean") / "archive"
    started = time.perf_counter()
    code, _out, err = finish(start_import(archive, download))
    assert code == 0, err
    return archive, time.perf_counter() - started


def committed_messages(archive: Path) -> int:
    """Messages a reader sees now (0 while there is no archive yet). Read with
    plain SQLite, so that polling costs little beside a fast import."""
    if not (archive / "chatkeep.db").exists():
        return 0
    try:
        conn = sqlite3.connect(f"file:{archive / 'chatkeep.db'}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error:
        return 0
    try:
        return conn.execute("SELECT COUNT(*) FROM messages").fetchone()[0]
    except sqlite3.Error:
        return 0  # not created far enough yet
    finally:
        conn.close()


def db_threads_with_messages(archive: Path) -> int:
    conn = sqlite3.connect(archive / "chatkeep.db")
    try:
        return conn.execute("SELECT COUNT(DISTINCT thread_id) FROM messages").fetchone()[0]
    finally:
        conn.close()


def wait_for_first_commit(archive: Path, proc: subprocess.Popen, timeout: float = 60) -> bool:
    """True once some messages are committed; False if the import ended first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        if committed_messages(archive):
            return True
        time.sleep(0.005)
    raise AssertionError("the import committed nothing in time")



def snapshot(archive: Path) -> dict[str, Any]:
    """What an archive holds, without its row ids (which may differ)."""
    conn = sqlite3.connect(archive / "chatkeep.db")
    try:
        counts = {
            table: conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            for table in ("messages", "reactions", "attachments", "message_downloads",
                          "threads", "conversations", "participants", "thread_parts",
                          "downloads", "imported_files")
        }
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        indexed = conn.execute("SELECT COUNT(*) FROM messages_fts_docsize").fetchone()[0]
        assert indexed == counts["messages"]
        found = {
            word: sorted(r[0] for r in conn.execute(
                "SELECT m.fingerprint FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid"
                " WHERE messages_fts MATCH ?", (word,)))
            for word in WORDS
        }
        unplaced = conn.execute(
            "SELECT COUNT(*) FROM messages WHERE position IS NULL AND duplicate_of IS NULL"
        ).fetchone()[0]
    finally:
        conn.close()
    checked = check_archive(archive)
    assert checked.ok, checked.problems
    threads = json.loads(run(archive, "threads", "--json")[1])
    shown = [
        strip_ids(json.loads(run(archive, "show", str(t["id"]), "--json")[1]))
        for t in (*threads[:3], max(threads, key=lambda t: t["messages"]))
    ]
    media = sorted(p.relative_to(archive).as_posix() for p in (archive / "media").rglob("*")
                   if p.is_file())
    return {"counts": counts, "found": found, "unplaced": unplaced,
            "threads": strip_ids(threads), "shown": shown, "media": media}


@pytest.fixture(scope="module")
def clean_snapshot(clean: tuple[Path, float]) -> dict[str, Any]:
    snap = snapshot(clean[0])
    assert snap["counts"]["messages"] == MESSAGES
    assert snap["counts"]["attachments"] and snap["counts"]["reactions"]
    assert all(snap["found"].values())
    return snap


@pytest.mark.parametrize("when", ["10%", "40%", "80%", "95%", "after the first commit"])
def test_a_killed_import_completes_when_run_again(
    when: str, download: Path, clean: tuple[Path, float], clean_snapshot: dict[str, Any],
    tmp_path: Path,
) -> None:
    archive = tmp_path / "archive"
    proc = start_import(archive, download)
    if when.endswith("%"):
        time.sleep(clean[1] * int(when[:-1]) / 100)
    else:
        wait_for_first_commit(archive, proc)
    if proc.poll() is None:  # it may have finished already: the test still holds
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)

    if (archive / "chatkeep.db").exists():
        # Whatever was committed is consistent even before the second run.
        conn = sqlite3.connect(archive / "chatkeep.db")
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        conn.close()
    code, _out, err = finish(start_import(archive, download))
    assert code == 0, err
    assert "Traceback" not in err
    assert not list((archive / "media").glob(".incoming-*"))
    assert snapshot(archive) == clean_snapshot


def test_ctrl_c_keeps_what_was_imported_and_says_so(
    download: Path, clean_snapshot: dict[str, Any], tmp_path: Path
) -> None:
    archive = tmp_path / "archive"
    proc = start_import(archive, download, delay=SLOW)
    if wait_for_first_commit(archive, proc):
        proc.send_signal(signal.SIGINT)
        code, _out, err = finish(proc)
        # 0: it finished before the signal arrived; -SIGINT: it had finished and
        # was exiting when it came (the run below then adds nothing).
        if code not in (0, -signal.SIGINT):
            assert code == 1
            # It says what the archive holds of it, and what is left.
            said = re.fullmatch(
                r"chatkeep: import interrupted; kept ([\d,]+) conversations?, ([\d,]+) new "
                r"messages?; (?:([\d,]+) not read yet|everything was read): run the same "
                r"command to finish\.", err.strip())
            assert said, err
            kept, messages, unread = (int((g or "0").replace(",", "")) for g in said.groups())
            assert messages == committed_messages(archive) > 0
            assert kept == db_threads_with_messages(archive)
            (listed,) = [d["not_read"] for d in audit_archive(archive).downloads]
            assert len(listed) == unread
    else:
        finish(proc)
    code, _out, err = finish(start_import(archive, download))
    assert code == 0, err
    assert snapshot(archive) == clean_snapshot


def test_a_full_disk_stops_cleanly_and_a_second_run_completes(
    download: Path, clean_snapshot: dict[str, Any], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The disk filling up is simulated with SQLite's max_page_count."""
    archive = tmp_path / "archive"
    # An empty archive first, to measure how many pages it takes.
    open_archive(archive).conn.close()
    pages = room_for_part_of_the_import(archive)
    real_open = importer.open_archive

    def full_disk_open(directory: Path, *, readonly: bool = False):
        db = real_open(directory, readonly=readonly)
        db.conn.execute(f"PRAGMA max_page_count = {pages}")
        return db

    monkeypatch.setattr(importer, "open_archive", full_disk_open)
    monkeypatch.setattr(writer, "BATCH_MESSAGES", SMALL_BATCH)
    code, _out, err = run(archive, "import", str(download))
    assert code == 2
    assert err == (
        f"chatkeep: {archive}: the disk is full (or the archive reached its size limit); "
        "everything imported before this point is kept. Free some space and run the same "
        "command again to finish the import.\n"
    )
    kept = committed_messages(archive)
    assert 0 < kept < MESSAGES
    conn = sqlite3.connect(archive / "chatkeep.db")
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert conn.execute("SELECT COUNT(*) FROM messages_fts_docsize").fetchone()[0] == kept
    conn.close()
    problems = check_archive(archive).problems
    # Only the work the next import finishes first may be pending.
    assert all(p.startswith("positions: ") for p in problems), problems

    monkeypatch.setattr(importer, "open_archive", real_open)
    code, _out, err = run(archive, "import", str(download))
    assert code == 0, err
    assert snapshot(archive) == clean_snapshot


def test_a_second_import_refuses_while_one_holds_the_lock(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    archive.mkdir()
    with open(archive / ".import.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        code, out, err = run(archive, "import", str(tmp_path))
    assert code == 2
    assert err == (
        f"chatkeep: another chatkeep import is writing to {archive}; wait for it to finish\n"
    )
    assert out == ""


def test_two_imports_at_once_and_readers_meanwhile(
    download: Path, clean_snapshot: dict[str, Any], tmp_path: Path
) -> None:
    """A running import, frozen mid-way: a second import refuses, readers read."""
    archive = tmp_path / "archive"
    proc = start_import(archive, download, delay=SLOW)
    try:
        if not wait_for_first_commit(archive, proc):
            pytest.skip("the import finished before it could be paused")
        os.killpg(proc.pid, signal.SIGSTOP)
        if proc.poll() is not None or committed_messages(archive) == MESSAGES:
            pytest.skip("the import finished before it could be paused")
        code, _out, err = run(archive, "import", str(download))
        assert code == 2, err
        assert "another chatkeep import is writing to" in err
        assert "Traceback" not in err
        # The reader keeps working: what was committed is there.
        code, out, err = run(archive, "threads", "--json")
        assert code == 0, err
        assert sum(t["messages"] for t in json.loads(out)) <= committed_messages(archive)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGCONT)
    code, _out, err = finish(proc)
    assert code == 0, err
    assert snapshot(archive) == clean_snapshot


def test_a_reader_reads_while_a_write_transaction_is_open(tmp_path: Path) -> None:
    from tests.support.downloads import write_thread

    write_thread(tmp_path / "d" / "messages" / "inbox" / "ana_1",
                 [{"sender_name": "Ana", "timestamp_ms": 1600000000000, "content": "hello"}])
    archive = tmp_path / "archive"
    assert run(archive, "import", str(tmp_path / "d"))[0] == 0
    writer = sqlite3.connect(archive / "chatkeep.db", isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE messages SET text = 'changed, not committed'")
    try:
        db = open_archive(archive, readonly=True)
        assert db.conn.execute("SELECT text FROM messages").fetchall() == [("hello",)]
        db.conn.close()
        code, out, _err = run(archive, "show", "Thread", "--json")
        assert code == 0 and json.loads(out)["messages"][0]["text"] == "hello"
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def room_for_part_of_the_import(archive: Path) -> int:
    """A page count for the empty archive that leaves about 400 KB free: room
    for some batches of the download, not for all of it."""
    conn = sqlite3.connect(archive / "chatkeep.db")
    pages, size = (conn.execute(f"PRAGMA {p}").fetchone()[0] for p in ("page_count", "page_size"))
    conn.close()
    return pages + 400_000 // size


def test_a_full_disk_in_a_real_process(
    download: Path, clean_snapshot: dict[str, Any], tmp_path: Path
) -> None:
    """The same, end to end in a process of its own, through the environment
    variable that archiver/store/opening.py reads to cap the database's size."""
    archive = tmp_path / "archive"
    open_archive(archive).conn.close()
    pages = room_for_part_of_the_import(archive)
    proc = subprocess.run(
        [sys.executable, "-c", IMPORT, str(SMALL_BATCH), "0", "--archive", str(archive), "import",
         str(download)],
        cwd=REPO, capture_output=True, text=True, timeout=300, check=False,
        env={**os.environ, "CHATKEEP_MAX_PAGE_COUNT": str(pages)},
    )
    assert proc.returncode == 2
    [line] = proc.stderr.splitlines()
    assert "the disk is full (or the archive reached its size limit); everything imported " \
           "before this point is kept" in line
    assert 0 < committed_messages(archive) < MESSAGES
    code, _out, err = finish(start_import(archive, download))
    assert code == 0, err
    assert snapshot(archive) == clean_snapshot


def test_a_schema_left_half_made_is_made_again(tmp_path: Path, shared_fixtures: Path) -> None:
    # A kill while the first import creates the schema leaves some tables and
    # no schema version; the next run must not trip over them.
    archive = tmp_path / "archive"
    archive.mkdir()
    conn = sqlite3.connect(archive / "chatkeep.db")
    conn.execute("CREATE TABLE downloads (id INTEGER PRIMARY KEY)")
    conn.execute("CREATE VIRTUAL TABLE messages_fts USING fts5(text)")
    conn.commit()
    conn.close()
    code, out, err = run(archive, "import", "--json",
                         str(shared_fixtures / "msgvault" / "json_simple"))
    assert code == 0, err
    assert json.loads(out)["messages_added"] == 4


def strip_ids(value: Any) -> Any:
    return without(value, "id", "thread_id", "file")  # "file" names the archive folder
