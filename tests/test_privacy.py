"""Privacy: nothing talks to the network, the archive is private to its owner,
and the reader's connection cannot write.

The network is "unplugged" by making every internet socket, connection and
name lookup fail (and recording the attempt): local AF_UNIX socket pairs stay,
since asyncio (under the reader) uses one to wake its own loop.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
import stat
from pathlib import Path

import pytest

from archiver.read import search
from archiver.store.opening import ArchiveError, open_archive
from tests.support.cli import run, run_json
from tests.support.downloads import write_thread
from tui.app import ChatkeepReader
from tui.components.reading_pane import ReadingPane

T = 1600000000000


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every attempt to reach the network fails and is recorded."""
    attempts: list[str] = []
    real_socket = socket.socket

    class UnpluggedSocket(real_socket):
        def __init__(self, family: int = -1, type: int = -1, proto: int = -1,
                     fileno: int | None = None) -> None:
            if fileno is None and family in (-1, socket.AF_INET, socket.AF_INET6):
                attempts.append(f"socket({family}, {type})")
                raise OSError("the network is unplugged in this test")
            super().__init__(family, type, proto, fileno)

    def refuse(name: str):
        def refused(*args: object, **kwargs: object) -> None:
            attempts.append(f"{name}{args}")
            raise OSError("the network is unplugged in this test")
        return refused

    monkeypatch.setattr(socket, "socket", UnpluggedSocket)
    for name in ("create_connection", "getaddrinfo", "gethostbyname", "create_server"):
        monkeypatch.setattr(socket, name, refuse(name))
    return attempts


@pytest.fixture
def download(tmp_path: Path) -> Path:
    root = tmp_path / "download"
    thread = root / "messages" / "inbox" / "ana_1"
    write_thread(thread, [
        {"sender_name": "Ana", "timestamp_ms": T + 3000, "content": "the café by the sea",
         "share": {"link": "https://example.com/menu", "share_text": "menu"}},
        {"sender_name": "Jordan Lee", "timestamp_ms": T + 2000,
         "photos": [{"uri": "https://scontent.example.com/expired.jpg"},
                    {"uri": "messages/inbox/ana_1/photos/sea.jpg"}]},
        {"sender_name": "Ana", "timestamp_ms": T + 1000, "content": "hello"},
    ], title="Ana")
    (thread / "photos").mkdir()
    (thread / "photos" / "sea.jpg").write_bytes(b"\xff\xd8 a photo \xff\xd9")
    return root


@pytest.fixture
def archive(tmp_path: Path, download: Path, no_network: list[str]) -> Path:
    path = tmp_path / "archive"
    report = run_json(path, "import", str(download))
    assert report["messages_added"] == 3 and report["media_copied"] == 1
    return path


def test_import_with_the_network_unplugged(archive: Path, no_network: list[str]) -> None:
    # Links and expired CDN addresses are kept as text, never fetched.
    shown = run_json(archive, "show", "Ana")
    remote = shown["messages"][1]["attachments"][0]
    assert remote["path"] == "https://scontent.example.com/expired.jpg"
    assert no_network == []


def test_search_with_the_network_unplugged(archive: Path, no_network: list[str]) -> None:
    db = open_archive(archive, readonly=True)
    try:
        hits = search.search(db, "cafe", tz="UTC")
    finally:
        db.conn.close()
    assert [h.text for h in hits] == ["the café by the sea"]
    code, _out, err = run(archive, "search", "sea", "--json")
    assert code == 0, err
    assert no_network == []


def test_export_with_the_network_unplugged(
    archive: Path, tmp_path: Path, no_network: list[str]
) -> None:
    out = tmp_path / "out" / "ana.md"
    code, _out, err = run(archive, "export", "Ana", "-o", str(out), "--tz", "UTC")
    assert code == 0, err
    assert "the café by the sea" in out.read_text(encoding="utf-8")
    assert no_network == []


def test_reader_with_the_network_unplugged(archive: Path, no_network: list[str]) -> None:
    app = ChatkeepReader(archive, tz="UTC")
    found: list[str] = []

    async def main() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            await pilot.press("slash", *"hello")
            await app.workers.wait_for_complete()
            await pilot.pause()
            found.extend(hit.text for hit in app.screen.hits)
            await pilot.press("enter")
            await pilot.pause()
            # Opened at the hit: the oldest message, not the newest it opens at otherwise.
            found.append(f"cursor {app.query_one(ReadingPane).cursor}")
            await pilot.press("q")

    asyncio.run(main())
    assert found == ["hello", "cursor 0"]
    assert no_network == []


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("umask", [0o022, 0o000])
def test_archive_folder_and_files_are_private(
    tmp_path: Path, download: Path, umask: int
) -> None:
    """0700 folders, 0600 files, whatever the umask (0 lets everyone read by default)."""
    archive = tmp_path / f"archive-{umask:o}"
    old = os.umask(umask)
    try:
        assert run(archive, "import", str(download))[0] == 0
        # A writer holding the database open, so that -wal and -shm exist.
        writer = sqlite3.connect(archive / "chatkeep.db")
        writer.execute("UPDATE meta SET value = value")
        writer.execute("CREATE TABLE IF NOT EXISTS scratch (x)")
        writer.commit()
        try:
            assert mode(archive) == 0o700
            files = [archive / name for name in
                     ("chatkeep.db", "chatkeep.db-wal", "chatkeep.db-shm", ".import.lock")]
            assert (archive / "chatkeep.db-wal").exists()
            for path in files:
                if path.exists():
                    assert mode(path) == 0o600, path
            media = [p for p in (archive / "media").rglob("*")]
            assert media
            assert mode(archive / "media") == 0o700
            for path in media:
                assert mode(path) == (0o700 if path.is_dir() else 0o600), path
        finally:
            writer.close()
    finally:
        os.umask(old)


def test_the_read_only_connection_cannot_write(archive: Path) -> None:
    db = open_archive(archive, readonly=True)
    conn = db.conn
    try:
        with pytest.raises(sqlite3.OperationalError, match="readonly|read-only|query_only"):
            conn.execute("INSERT INTO meta (key, value) VALUES ('x', 'y')")
        with pytest.raises(sqlite3.OperationalError, match="readonly|read-only|query_only"):
            conn.execute("DELETE FROM messages")
        # Even with query_only turned off, the file was opened read-only.
        conn.execute("PRAGMA query_only = 0")
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            conn.execute("UPDATE messages SET text = 'changed'")
        with pytest.raises(sqlite3.OperationalError, match="readonly|query_only"):
            db.execute("INSERT INTO meta (key, value) VALUES ('x', 'y')")
    finally:
        conn.close()
    assert run_json(archive, "show", "Ana")["messages"][0]["text"] == "hello"


def test_opening_read_only_never_creates_an_archive(tmp_path: Path) -> None:
    with pytest.raises(ArchiveError):
        open_archive(tmp_path / "nothing", readonly=True)
    assert not (tmp_path / "nothing").exists()


def test_the_unplugging_itself_works(no_network: list[str]) -> None:
    """Guards the guard: a test above passing proves nothing if this fails."""
    import urllib.request

    with pytest.raises(OSError):
        socket.socket()
    with pytest.raises(OSError):
        urllib.request.urlopen("http://example.com/", timeout=1)
    left, right = socket.socketpair()  # local pairs (asyncio's wake-up pipe) still work
    left.close()
    right.close()
    assert len(no_network) == 2
