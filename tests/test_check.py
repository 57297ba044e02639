"""``chatkeep check``: a whole archive passes, and each kind of damage is named."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from archiver.read.check import check_archive
from tests.support.cli import run, run_json
from tests.support.downloads import write_thread

PHOTO = b"\xff\xd8\xff\xe0 not much of a photo \xff\xd9"


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    """An archive of two threads, one message with a photo."""
    download = tmp_path / "download"
    thread = download / "messages" / "inbox" / "ana_1"
    write_thread(thread, [
        {"sender_name": "Ana", "timestamp_ms": 1600000002000, "content": "café at noon?",
         "reactions": [{"reaction": "👍", "actor": "Jordan Lee"}]},
        {"sender_name": "Jordan Lee", "timestamp_ms": 1600000001000,
         "photos": [{"uri": "messages/inbox/ana_1/photos/lunch.jpg", "creation_timestamp": 1}]},
        {"sender_name": "Ana", "timestamp_ms": 1600000000000, "content": "hello"},
    ], title="Ana")
    (thread / "photos").mkdir()
    (thread / "photos" / "lunch.jpg").write_bytes(PHOTO)
    write_thread(download / "messages" / "inbox" / "kim_2",
                 [{"sender_name": "Kim", "timestamp_ms": 1600000003000, "content": "hi"}],
                 title="Kim")
    path = tmp_path / "archive"
    report = run_json(path, "import", str(download))
    assert report["media_copied"] == 1 and not report["errors"]
    return path


def sql(archive: Path, statement: str, params: tuple = ()) -> list[tuple]:
    conn = sqlite3.connect(archive / "chatkeep.db", isolation_level=None)
    try:
        return conn.execute(statement, params).fetchall()
    finally:
        conn.close()


def media_file(archive: Path) -> Path:
    [(media_path,)] = sql(archive, "SELECT media_path FROM attachments WHERE media_path IS NOT NULL")
    return archive / media_path


def test_a_whole_archive_passes(archive: Path) -> None:
    report = check_archive(archive)
    assert report.problems == []
    assert report.ok and report.summary() == "archive OK (4 messages, 1 media files checked)"
    assert (report.messages, report.media_files) == (4, 1)
    code, out, err = run(archive, "check")
    assert (code, err) == (0, "")
    assert out == "archive OK (4 messages, 1 media files checked)\n"


def test_checking_writes_nothing(archive: Path) -> None:
    db = archive / "chatkeep.db"
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    assert check_archive(archive).ok
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before


def test_a_deleted_media_file(archive: Path) -> None:
    path = media_file(archive)
    path.unlink()
    report = check_archive(archive)
    assert report.problems == [f"media: {path} is missing (used by 1 attachment)"]
    download = archive.parent / "download"
    code, out, _err = run(archive, "check")
    assert code == 1
    assert out.splitlines() == [
        f"media: {path} is missing (used by 1 attachment)",
        f"  fix: chatkeep --archive {archive} import {download}",
        "1 problem (4 messages, 1 media files checked)",
    ]


def test_a_tampered_media_file(archive: Path) -> None:
    path = media_file(archive)
    path.write_bytes(PHOTO + b"!")
    actual = hashlib.sha256(PHOTO + b"!").hexdigest()
    expected = hashlib.sha256(PHOTO).hexdigest()
    assert check_archive(archive).problems == [
        (f"media: {path} has changed: its SHA-256 is {actual}, not {expected} "
        "(used by 1 attachment)")
    ]
    assert check_archive(archive).fixes == [
        f"rm {path} && chatkeep --archive {archive} import {archive.parent / 'download'}"
    ]


def test_a_media_path_that_leaves_the_archive(archive: Path) -> None:
    sql(archive, "UPDATE attachments SET media_path = '../../etc/passwd' "
                 "WHERE media_path IS NOT NULL")
    assert check_archive(archive).problems == [
        "media: ../../etc/passwd points outside the archive's media folder"
    ]


def test_a_message_missing_from_the_search_index(archive: Path) -> None:
    [(mid, text, extra)] = sql(archive, "SELECT id, text, extra_text FROM messages "
                                        "WHERE text = 'hello'")
    sql(archive, "INSERT INTO messages_fts (messages_fts, rowid, text, extra_text) "
                 "VALUES ('delete', ?, ?, ?)", (mid, text, extra))
    assert check_archive(archive).problems == [
        f"full-text index: 1 messages are not in the search index (ids {mid})"
    ]
    assert run(archive, "check")[0] == 1


def test_an_index_entry_for_a_message_that_is_gone(archive: Path) -> None:
    [(mid,)] = sql(archive, "SELECT id FROM messages WHERE text = 'hi'")
    sql(archive, "DELETE FROM messages WHERE id = ?", (mid,))
    problems = check_archive(archive).problems
    assert f"full-text index: holds 1 entries for messages that do not exist (ids {mid})" in problems


def test_message_text_changed_behind_the_index(archive: Path) -> None:
    sql(archive, "UPDATE messages SET text = 'something else entirely' WHERE text = 'hello'")
    [problem] = check_archive(archive).problems
    assert problem.startswith("full-text index: does not match the text of the messages")


def test_a_message_without_its_place(archive: Path) -> None:
    [(mid,)] = sql(archive, "SELECT id FROM messages WHERE text = 'hello'")
    sql(archive, "UPDATE messages SET position = NULL WHERE id = ?", (mid,))
    sql(archive, "UPDATE conversations SET dirty = 1 WHERE id = (SELECT conversation_id "
                 "FROM messages WHERE id = ?)", (mid,))
    assert check_archive(archive).problems == [
        (f"positions: 1 messages have no place in their conversation (ids {mid}); an import was "
        "interrupted: run it again"),
        "positions: 1 conversations were left half updated by an interrupted import: run it again",
    ]
    # Which the next import indeed finishes.
    assert run(archive, "import", str(archive.parent / "download"))[0] == 0
    assert check_archive(archive).ok


def test_a_damaged_database_file(archive: Path) -> None:
    db = archive / "chatkeep.db"
    sql(archive, "PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(db.read_bytes())
    data[:16] = b"not a database!!"
    db.write_bytes(bytes(data))
    code, out, err = run(archive, "check")
    assert code == 1 and "Traceback" not in err
    assert out.splitlines()[0].startswith(f"database: {db} cannot be opened")
    assert out.splitlines()[1] == (
        f"  fix: restore chatkeep.db from a backup, or rebuild it from your downloads: "
        f"mv {db} {db}.damaged && chatkeep --archive {archive} import PATH..."
    )


def test_a_damaged_page(archive: Path) -> None:
    db = archive / "chatkeep.db"
    sql(archive, "PRAGMA wal_checkpoint(TRUNCATE)")
    page = sql(archive, "PRAGMA page_size")[0][0]
    [(root,)] = sql(archive, "SELECT rootpage FROM sqlite_master WHERE name = 'messages'")
    data = bytearray(db.read_bytes())
    start = (root - 1) * page
    data[start:start + page] = b"\x0d" + bytes(range(256)) * (page // 256 - 1) + bytes(255)
    db.write_bytes(bytes(data))
    code, out, err = run(archive, "check")
    assert code == 1 and "Traceback" not in err
    assert any(line.startswith("database: ") for line in out.splitlines())


def test_no_archive(tmp_path: Path) -> None:
    code, out, err = run(tmp_path / "nothing", "check")
    assert code == 2 and out == ""
    assert err.startswith("chatkeep: No archive at")


def test_json_output(archive: Path) -> None:
    media_file(archive).unlink()
    code, out, _err = run(archive, "check", "--json")
    assert code == 1
    import json

    data = json.loads(out)
    assert data["ok"] is False and len(data["problems"]) == 1
    assert data["messages"] == 4


def test_every_problem_has_its_fix_and_the_fixes_work(archive: Path) -> None:
    """Each fix printed by check, run as printed, leaves an archive that passes."""
    import shlex

    [(mid, text, extra)] = sql(archive, "SELECT id, text, extra_text FROM messages "
                                        "WHERE text = 'hello'")
    sql(archive, "INSERT INTO messages_fts (messages_fts, rowid, text, extra_text) "
                 "VALUES ('delete', ?, ?, ?)", (mid, text, extra))
    sql(archive, "UPDATE messages SET position = NULL WHERE id = ?", (mid,))
    media_file(archive).unlink()
    report = check_archive(archive)
    assert len(report.problems) == 3 and len(report.fixes) == 3
    assert sorted(set(report.fixes)) == [
        f"chatkeep --archive {archive} check --repair",
        f"chatkeep --archive {archive} import {archive.parent / 'download'}",
    ]
    for fix in sorted(set(report.fixes), reverse=True):  # the import, then the repair
        code, _out, err = run(archive, *shlex.split(fix)[3:])
        assert code == 0, err
    assert check_archive(archive).ok
    assert media_file(archive).read_bytes() == PHOTO


def test_check_and_stats_count_the_same_messages(tmp_path: Path) -> None:
    """Another app's copy of a message is counted apart, as stats shows it once."""
    from tests.support.paths import SAMPLES

    archive = tmp_path / "archive"
    run_json(archive, "import", *(str(p) for p in sorted(SAMPLES.glob("*-20*"))))
    stats = run_json(archive, "stats")
    report = check_archive(archive)
    [(copies,)] = sql(archive, "SELECT COUNT(*) FROM messages WHERE duplicate_of IS NOT NULL")
    assert copies > 0
    assert (report.messages, report.copies) == (stats["messages"], copies)
    code, out, _err = run(archive, "check")
    assert code == 0
    assert out == (f"archive OK ({stats['messages']:,} messages and {copies:,} copies of them "
                   "from another app's download, 10 media files checked)\n")


@pytest.mark.parametrize("damage", ["deleted", "cut short", "edited, same size"])
def test_reimporting_restores_a_media_file_even_when_nothing_changed(
    archive: Path, tmp_path: Path, damage: str
) -> None:
    import os
    import shutil
    import time

    path = media_file(archive)
    if damage == "deleted":
        path.unlink()
    elif damage == "cut short":
        path.write_bytes(PHOTO[:5])
    else:
        time.sleep(0.01)
        path.write_bytes(PHOTO.replace(b"photo", b"PHOTO"))
        os.utime(path, (time.time() + 5, time.time() + 5))  # clearly after the import
    assert not check_archive(archive).ok
    # The download has moved since it was imported: its files are still found.
    moved = tmp_path / "elsewhere" / "download"
    shutil.move(archive.parent / "download", moved)
    report = run_json(archive, "import", str(moved))
    assert (report["threads"], report["messages_added"], report["media_restored"]) == (2, 0, 1)
    assert path.read_bytes() == PHOTO
    assert check_archive(archive).ok
    # And a second re-import has nothing to restore.
    assert run_json(archive, "import", str(moved))["media_restored"] == 0


def test_a_thread_folder_reimported_alone_says_what_it_cannot_restore(tmp_path: Path) -> None:
    from tests.support.paths import SAMPLES

    archive = tmp_path / "archive"
    facebook = SAMPLES / "facebook-jordanlee-2025"
    crew = facebook / "your_facebook_activity/messages/inbox/weekendcrew_2583749106682491"
    run_json(archive, "import", str(facebook))
    run_json(archive, "import", str(crew))  # the thread's folder, as a download of its own
    [(sticker,)] = sql(archive, "SELECT media_path FROM attachments WHERE kind = 'sticker'")
    (archive / sticker).unlink()
    # The folder does not hold the sticker (Meta keeps stickers beside the
    # threads): the import says so instead of reporting nothing restored.
    report = run_json(archive, "import", str(crew))
    assert report["media_restored"] == 0
    assert report["warnings"] == [
        (f"{archive / sticker}: missing from the archive, and this download does not hold "
        "39178562_1505197616293642_5411344281094848512_n_369239263222822.png; chatkeep check "
        "names the download that does")]
    # The whole download, as check says, puts it back.
    assert run_json(archive, "import", str(facebook))["media_restored"] == 1
    assert (archive / sticker).is_file()
