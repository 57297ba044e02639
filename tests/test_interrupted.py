"""An interrupted import is honest: it says exactly what the archive kept
of it and what is left, its progress counts what is saved, it saves often
enough that little is lost, and `audit` knows the import did not finish.
"""

from __future__ import annotations

import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from archiver.ingest.importer import import_downloads
from archiver.store import writer
from tests.support.cli import run, run_json
from tests.support.downloads import write_thread
from tests.support.paths import REPO

THREADS = 12
PER_THREAD = 40
# A slow download, simulated: each plain message costs the reading process
# 5 ms (a thread 0.2 s); batches end on time alone (never on size), every
# 0.5 s.
IMPORT = (
    "import time; import archiver.ingest.pipeline as p; "
    "import archiver.ingest.dialects.meta_dyi as m; import archiver.store.writer as w; "
    "p.PARALLEL_MIN_BYTES = 0; w.BATCH_MESSAGES = 10 ** 9; w.BATCH_SECONDS = 0.5; "
    "plain = m.plain_message; m.plain_message = lambda raw: (time.sleep(0.005), plain(raw))[1]; "
    "from archiver.cli import main; main()"
)
SAID = re.compile(
    r"chatkeep: import interrupted; kept ([\d,]+) conversations?, ([\d,]+) new messages?; "
    r"([\d,]+) not read yet: run the same command to finish\.")


@pytest.fixture(scope="module")
def download(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("interrupted") / "facebook-jordanlee-2024-05-01"
    for t in range(THREADS):
        write_thread(path / "messages" / "inbox" / f"friend{t}_{100 + t}", [
            {"sender_name": f"Friend {t}", "timestamp_ms": 1_600_000_000_000 + t * 10**7 + i,
             "content": f"message {i}"} for i in reversed(range(PER_THREAD))],
            title=f"Friend {t}", participants=(f"Friend {t}", "Jordan Lee"))
    return path


def saved(archive: Path, sql: str) -> int:
    """What a reader of the archive sees now (0 before there is one)."""
    try:
        conn = sqlite3.connect(f"{(archive / 'chatkeep.db').as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return 0
    try:
        return conn.execute(sql).fetchone()[0]
    except sqlite3.Error:
        return 0
    finally:
        conn.close()


THREADS_SAVED = "SELECT COUNT(DISTINCT thread_id) FROM messages"


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["Ctrl-C", "SIGTERM"])
def test_an_interrupted_import_says_what_it_kept_and_audit_lists_the_rest(
    signum: int, download: Path, tmp_path: Path
) -> None:
    archive = tmp_path / "archive"
    proc = subprocess.Popen(
        [sys.executable, "-c", IMPORT, "--archive", str(archive), "import", str(download)],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        # Batches end on time alone: three conversations saved well before the end.
        while saved(archive, THREADS_SAVED) < 3:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "nothing was saved while reading"
            time.sleep(0.02)
        time.sleep(0.3)  # a thread more read, its batch not yet saved
        proc.send_signal(signum)
        _out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 1
    said = SAID.fullmatch(err.strip())
    assert said, err
    kept, messages, unread = (int(g.replace(",", "")) for g in said.groups())
    # Exactly what the archive holds of it, and what is left.
    assert 3 <= kept < THREADS
    assert kept == saved(archive, THREADS_SAVED)
    assert messages == saved(archive, "SELECT COUNT(*) FROM messages") == kept * PER_THREAD
    assert unread == THREADS - kept
    # audit knows the import did not finish, and what it did not read.
    (listed,) = run_json(archive, "audit")["downloads"]
    assert len(listed["not_read"]) == unread
    named = {re.search(r"friend\d+_\d+", p).group() for p in listed["not_read"]}  # type: ignore[union-attr]
    assert len(named) == unread
    code, out, _ = run(archive, "audit")
    assert code == 0
    assert f"its import was interrupted: {unread:,} not read yet" in out
    # The same command finishes it: every message once, nothing left unread.
    code, out, err = run(archive, "import", "--json", str(download))
    assert code == 0, err
    (listed,) = run_json(archive, "audit")["downloads"]
    assert listed["not_read"] == [] and listed["held"] == listed["in_archive"] == THREADS * PER_THREAD
    assert saved(archive, "SELECT COUNT(*) FROM messages") == THREADS * PER_THREAD
    code, out, _ = run(archive, "audit")
    assert "interrupted" not in out


def test_progress_counts_what_is_saved(
    download: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each progress call's figures are what a reader of the archive sees at
    that moment: saved, not merely read."""
    monkeypatch.setattr(writer, "BATCH_MESSAGES", 2 * PER_THREAD)
    archive = tmp_path / "archive"
    seen: list[tuple[int, int, int, int, int]] = []

    def progress(conversations: int, found: int, messages: int) -> None:
        seen.append((conversations, found, messages, saved(archive, THREADS_SAVED),
                     saved(archive, "SELECT COUNT(*) FROM messages")))

    report = import_downloads(archive, [download], progress=progress)
    assert report.messages_added == THREADS * PER_THREAD
    assert len(seen) > 3
    for conversations, found, messages, threads_now, messages_now in seen:
        assert (conversations, messages) == (threads_now, messages_now)
        assert found == THREADS
    assert seen[-1][:3] == (THREADS, THREADS, THREADS * PER_THREAD)


class _SignalAfterCommit:
    """The writer's connection, raising ``signum`` the moment the first
    COMMIT that keeps messages returns: the worst moment, what the batch
    wrote being kept but not yet counted."""

    def __init__(self, conn: sqlite3.Connection, signum: int) -> None:
        self._conn = conn
        self._signum = signum
        self.fired = False

    def execute(self, sql: str, *args: object) -> sqlite3.Cursor:
        cursor = self._conn.execute(sql, *args)
        if (sql == "COMMIT" and not self.fired
                and self._conn.execute("SELECT COUNT(*) FROM messages").fetchone()[0]):
            self.fired = True
            signal.raise_signal(self._signum)
        return cursor

    def __getattr__(self, name: str) -> object:
        return getattr(self._conn, name)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["Ctrl-C", "SIGTERM"])
def test_a_signal_right_after_a_batch_is_kept_counts_that_batch(
    download: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, signum: int
) -> None:
    """Messages the archive holds are never reported as "nothing kept"."""
    monkeypatch.setattr(writer, "BATCH_MESSAGES", 2 * PER_THREAD)
    real_init = writer.ArchiveWriter.__init__
    wrapped: list[_SignalAfterCommit] = []

    def init(self: writer.ArchiveWriter, *args: object, **kwargs: object) -> None:
        real_init(self, *args, **kwargs)  # type: ignore[arg-type]
        wrapped.append(_SignalAfterCommit(self.conn, signum))
        self.conn = wrapped[-1]  # type: ignore[assignment]

    monkeypatch.setattr(writer.ArchiveWriter, "__init__", init)
    archive = tmp_path / "archive"
    code, _out, err = run(archive, "import", str(download))
    assert wrapped and wrapped[0].fired
    assert code == 1, err
    said = SAID.fullmatch(err.strip())
    assert said, err
    kept, messages, unread = (int(g.replace(",", "")) for g in said.groups())
    assert kept == saved(archive, THREADS_SAVED) > 0
    assert messages == saved(archive, "SELECT COUNT(*) FROM messages") == kept * PER_THREAD
    assert unread == THREADS - kept
