"""An import whose writing fails ends its reading processes at once.

A large import reads in helper processes (archiver/ingest/pipeline.py) while
the importing process writes. When writing fails part-way (the disk is full,
SQLite finds the database damaged), the import stops with one line saying
why; the reading processes end with it, at once: none is left running, and
the command does not wait (up to 5 s each) for them to notice. What was saved
before the failure stays, and the same command run again finishes the import.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from archiver.ingest import pipeline, threads
from archiver.ingest.dialects import meta_dyi
from archiver.read.check import check_archive
from archiver.store import writer
from tests.support.cli import db_rows, run
from tests.support.downloads import write_thread
from tests.support.processes import alive, children

READERS = 3
QUICK = 20  # messages in each quick thread
# Each long thread: a first chunk read at once, then messages that cost its
# reading process 50 ms each, so that after the first chunk it sends nothing
# for 10 s: it ends because the import ends it, or the import waits for it.
FIRST = pipeline.CHUNK
SLOW = 200
SLOW_SECONDS = 0.05
# What the import would wait for each reading process it did not end. Ended,
# they go in milliseconds; a bound of one such wait for all three cannot flake.
JOIN_WAIT = 5.0
EPOCH = 1_600_000_000_000
ARCHIVE = "ARCHIVE"  # stands for the archive's folder in the expected lines

# SQLite's error (its code and name as the sqlite3 module gives them), and
# the one line the user reads.
FAULTS = {
    "disk full": (
        "database or disk is full", "SQLITE_FULL",
        ("chatkeep: ARCHIVE: the disk is full (or the archive reached its size limit); "
         "everything imported before this point is kept. Free some space and run the same "
         "command again to finish the import."),
    ),
    "damaged database": (
        "database disk image is malformed", "SQLITE_CORRUPT",
        ("chatkeep: ARCHIVE/chatkeep.db is damaged (SQLite: database disk image is "
         "malformed). Run chatkeep check to see what is wrong, and restore the file from a "
         "backup if it cannot be read."),
    ),
}

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="finds the reading processes through /proc")


@pytest.fixture(scope="module")
def download(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three quick threads, then three long ones: each reading process takes
    one quick thread, then one long one (source i goes to reader i mod 3)."""
    path = tmp_path_factory.mktemp("writer-errors") / "download"
    inbox = path / "messages" / "inbox"
    for n in range(1, READERS + 1):
        write_thread(inbox / f"a{n}_quick", [
            {"sender_name": f"Quick {n}", "timestamp_ms": EPOCH + n * 10**8 + i,
             "content": f"quick {n} message {i}"} for i in reversed(range(QUICK))],
            title=f"Quick {n}", participants=(f"Quick {n}", "Jordan Lee"))
    for n in range(1, READERS + 1):
        # Read oldest first: the first chunk is the oldest messages.
        write_thread(inbox / f"b{n}_long", [
            {"sender_name": f"Long {n}", "timestamp_ms": EPOCH + 10**10 + n * 10**8 + i,
             "content": f"{'long' if i < FIRST else 'slow'} {n} message {i}"}
            for i in reversed(range(FIRST + SLOW))],
            title=f"Long {n}", participants=(f"Long {n}", "Jordan Lee"))
    return path


def sqlite_error(message: str, name: str) -> sqlite3.Error:
    """The error SQLite's module raises for ``name``."""
    cls = sqlite3.OperationalError if name == "SQLITE_FULL" else sqlite3.DatabaseError
    exc = cls(message)
    exc.sqlite_errorname = name
    exc.sqlite_errorcode = getattr(sqlite3, name)
    return exc


@pytest.mark.parametrize("fault", list(FAULTS))
def test_a_writing_error_ends_the_reading_processes_and_keeps_what_was_saved(
    fault: str, download: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    message, name, said = FAULTS[fault]
    plain = meta_dyi.plain_message

    def slow_plain(raw: Any) -> Any:
        if type(raw) is dict and str(raw.get("content", "")).startswith("slow"):
            time.sleep(SLOW_SECONDS)
        return plain(raw)

    # Set before the reading processes are forked: they read slowly too.
    monkeypatch.setattr(meta_dyi, "plain_message", slow_plain)
    monkeypatch.setattr(pipeline, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(pipeline, "reading_processes", lambda: READERS)
    monkeypatch.setattr(writer, "BATCH_MESSAGES", 1)  # each thread is saved once written
    write_rows = threads.ThreadWriter.rows
    before = set(children(os.getpid()))
    readers: list[int] = []
    failed: list[float] = []

    def failing_rows(self: threads.ThreadWriter, t: threads.ThreadWrite, event: pipeline.Rows,
                     download_id: int) -> None:
        """Writing the first long thread fails, with part of it written (not saved)."""
        write_rows(self, t, event, download_id)
        if "b1_long" in t.source.where:
            readers.extend(c for c in children(os.getpid()) if c not in before)
            failed.append(time.monotonic())
            raise sqlite_error(message, name)

    monkeypatch.setattr(threads.ThreadWriter, "rows", failing_rows)
    archive = tmp_path / "archive"
    try:
        code, out, err = run(archive, "import", str(download))
        ended = time.monotonic()
        left = [pid for pid in readers if alive(pid)]
    finally:
        for pid in readers:  # whatever the outcome, none outlives the test
            if alive(pid):
                os.kill(pid, signal.SIGKILL)

    assert len(readers) == READERS, "the reading processes were not running at the failure"
    assert code == 2
    assert out == ""
    assert err == said.replace(ARCHIVE, str(archive)) + "\n"
    assert left == [], "reading processes outlived the import"
    stopping = ended - failed[0]
    assert stopping < JOIN_WAIT, f"the import took {stopping:.1f} s to stop"

    # Saved before the failure: the quick threads, whole; of the long one, nothing.
    assert db_rows(archive, "SELECT COUNT(*), COUNT(DISTINCT text) FROM messages") == [
        (READERS * QUICK, READERS * QUICK)]
    assert db_rows(archive, "SELECT COUNT(*) FROM messages WHERE text LIKE 'quick %'") == [
        (READERS * QUICK,)]
    assert db_rows(archive, "SELECT title FROM threads ORDER BY title") == [
        (f"Quick {n}",) for n in range(1, READERS + 1)]
    assert db_rows(archive, "PRAGMA integrity_check") == [("ok",)]
    problems = check_archive(archive).problems
    # Only the work the next import finishes first may be pending.
    assert all(p.startswith("positions: ") for p in problems), problems

    monkeypatch.undo()
    code, out, err = run(archive, "import", "--json", str(download))
    assert code == 0, err
    report = json.loads(out)
    total = READERS * (QUICK + FIRST + SLOW)
    assert report["messages_added"] == total - READERS * QUICK
    assert report["errors"] == []
    assert db_rows(archive, "SELECT COUNT(*), COUNT(DISTINCT text) FROM messages") == [
        (total, total)]
    assert check_archive(archive).problems == []
