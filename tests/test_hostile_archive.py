"""Archives and downloads made by an attacker: nothing outside the archive is
read, written or deleted through them, and no file in them blocks a command.

Each test builds the hostile archive by hand from a real one (a conversation
with one photo) and writes out the attack it stands for.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from archiver.store.media import file_sha256
from tests.support.cli import db_rows, run
from tests.support.exports import DOWNLOAD
from tests.support.hostile import KEYS, PHOTO, photo_archive, set_media_path
from tests.support.paths import FIXTURES, REPO


def chatkeep(archive: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The command in a process of its own, given a minute: a command that
    blocks on a hostile file fails the test instead of hanging it."""
    return subprocess.run(
        [sys.executable, "-m", "archiver", "--archive", str(archive), *args],
        capture_output=True, text=True, timeout=60, cwd=REPO, check=False,
    )


def show_attachment(archive: Path) -> dict:
    code, out, err = run(archive, "show", "1", "--json")
    assert code == 0, err
    (att,) = [a for m in json.loads(out)["messages"] for a in m["attachments"]]
    return att


# --------------------------------------------------------------------------- 1. a closed box


def test_reimport_into_an_archive_whose_media_folder_links_elsewhere_writes_nothing_there(
    tmp_path: Path,
) -> None:
    # The attack: someone hands over an archive whose media/zz is a link to
    # the victim's ~/.ssh, with the photo's attachment pointing at
    # media/zz/authorized_keys. The victim imports their own download into
    # it; the photo's copy looks missing, so import "restores" it, through
    # the link, over authorized_keys.
    archive, media_path = photo_archive(tmp_path)
    ssh = tmp_path / "home" / ".ssh"
    ssh.mkdir(parents=True)
    (ssh / "authorized_keys").write_bytes(KEYS)
    (archive / media_path).unlink()
    (archive / "media" / "zz").symlink_to(ssh)
    set_media_path(archive, "media/zz/authorized_keys")

    code, out, err = run(archive, "import", str(tmp_path / "downloads" / DOWNLOAD))

    assert code == 0, err
    assert (ssh / "authorized_keys").read_bytes() == KEYS
    assert sorted(p.name for p in ssh.iterdir()) == ["authorized_keys"]
    said = out + err
    assert (f"{archive / 'media/zz/authorized_keys'}: outside the archive: "
            f"{archive / 'media/zz'} is a symbolic link; not restored") in said


def test_reimport_restores_a_missing_copy_inside_the_archive(tmp_path: Path) -> None:
    # The same re-import without the link puts the photo back: the check above
    # refuses only what leads outside.
    archive, media_path = photo_archive(tmp_path)
    (archive / media_path).unlink()
    code, _out, err = run(archive, "import", str(tmp_path / "downloads" / DOWNLOAD))
    assert code == 0, err
    assert (archive / media_path).read_bytes() == PHOTO
    assert not (archive / media_path).is_symlink()


def test_import_never_stores_media_through_a_planted_folder_link(tmp_path: Path) -> None:
    # The attack: the archive's media/<first two hex of the photo> links to a
    # folder of the victim's; a new import of a photo would be written there.
    archive, media_path = photo_archive(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    sub = archive / media_path.rsplit("/", 1)[0]
    for p in sub.iterdir():
        p.unlink()
    sub.rmdir()
    sub.symlink_to(elsewhere)
    conn = sqlite3.connect(archive / "chatkeep.db")
    with conn:  # as if the photo had never been imported
        conn.execute("DELETE FROM attachments")
        conn.execute("DELETE FROM imported_files")
    conn.close()

    code, out, err = run(archive, "import", str(tmp_path / "downloads" / DOWNLOAD))

    assert code == 0, err
    assert list(elsewhere.iterdir()) == []
    assert (f"photos/p.png: could not be copied (cannot be stored there, outside the archive: "
            f"{sub} is a symbolic link)") in out + err


@pytest.mark.parametrize("planted", [
    "/etc/passwd", "media/../../../etc/passwd", "media/ee/../../secret", "elsewhere/p.png",
])
def test_show_treats_a_media_path_that_leaves_the_archive_as_missing(
    tmp_path: Path, planted: str,
) -> None:
    archive, _media_path = photo_archive(tmp_path)
    set_media_path(archive, planted)
    att = show_attachment(archive)
    assert att["file"] is None
    assert att["missing_reason"] == "outside the archive"
    code, out, _err = run(archive, "show", "1")
    assert code == 0
    assert "/etc/passwd" not in out.replace(planted, "")


def test_show_does_not_follow_a_linked_media_folder(tmp_path: Path) -> None:
    # media/ee -> /etc, with the attachment at media/ee/passwd: show (and the
    # reader, which reads the same attachment) never hands out /etc/passwd.
    archive, _media_path = photo_archive(tmp_path)
    (archive / "media" / "ee").symlink_to("/etc")
    set_media_path(archive, "media/ee/passwd")
    att = show_attachment(archive)
    assert att["file"] is None
    assert att["missing_reason"] == "outside the archive"
    code, out, _err = run(archive, "show", "1")
    assert code == 0
    assert "outside the archive" in out


def test_check_names_a_linked_media_folder_and_its_fix_removes_only_the_link(
    tmp_path: Path,
) -> None:
    # The attack: media/ee -> /etc and an attachment at media/ee/passwd; check
    # used to print `fix: rm …/media/ee/passwd …`, which deletes /etc/passwd.
    archive, _media_path = photo_archive(tmp_path)
    victim = tmp_path / "etc"
    victim.mkdir()
    (victim / "passwd").write_text("root:x:0:0\n")
    (archive / "media" / "ee").symlink_to(victim)
    set_media_path(archive, "media/ee/passwd")

    code, out, _err = run(archive, "check")

    assert code == 1
    link = archive.resolve() / "media" / "ee"
    assert f"media: {link}/passwd is outside the archive: {link} is a symbolic link" in out
    fixes = [line for line in out.splitlines() if line.strip().startswith("fix:")]
    assert fixes == [(f"  fix: rm {link} && chatkeep --archive {archive} import "
                      f"{tmp_path.resolve() / 'downloads' / DOWNLOAD}")]
    assert "passwd &&" not in out
    # Doing what the fix says removes the link, and /etc/passwd stays.
    subprocess.run(fixes[0].split("fix: ", 1)[1].split(" && ")[0], shell=True, check=True)
    assert not link.exists() and (victim / "passwd").read_text() == "root:x:0:0\n"


def test_check_does_not_read_a_media_link_to_dev_zero(tmp_path: Path) -> None:
    # The attack: the photo's copy is a link to /dev/zero; hashing it never ends.
    archive, media_path = photo_archive(tmp_path)
    (archive / media_path).unlink()
    (archive / media_path).symlink_to("/dev/zero")
    started = time.monotonic()
    result = chatkeep(archive, "check")
    assert time.monotonic() - started < 30
    assert result.returncode == 1
    path = archive.resolve() / media_path
    assert f"media: {path} is outside the archive: {path} is a symbolic link" in result.stdout
    assert f"fix: rm {path} && " in result.stdout


def test_a_fifo_as_media_is_named_by_check_and_show_and_blocks_neither(tmp_path: Path) -> None:
    # The attack: the photo's copy is a FIFO; whoever opens it waits forever.
    archive, media_path = photo_archive(tmp_path)
    (archive / media_path).unlink()
    os.mkfifo(archive / media_path)
    result = chatkeep(archive, "check")
    path = archive.resolve() / media_path
    assert f"media: {path} is a FIFO, not a file (used by 1 attachment)" in result.stdout
    assert f"fix: rm {path} && chatkeep" in result.stdout
    att = show_attachment(archive)
    assert att["file"] is None
    assert att["missing_reason"] == "a FIFO in the archive folder, not a file"
    # Importing the download again puts the photo back in its place.
    code, _out, err = run(archive, "import", str(tmp_path / "downloads" / DOWNLOAD))
    assert code == 0, err
    assert (archive / media_path).read_bytes() == PHOTO


def test_audit_counts_a_linked_copy_as_missing(tmp_path: Path) -> None:
    archive, media_path = photo_archive(tmp_path)
    outside = tmp_path / "outside.png"
    outside.write_bytes(PHOTO)
    (archive / media_path).unlink()
    (archive / media_path).symlink_to(outside)
    code, out, err = run(archive, "audit", "--json")
    assert code in (0, 1), err
    assert [m["path"] for m in json.loads(out)["media_missing"]["missing_from_archive"]] == [media_path]


# --------------------------------------------------------------------------- 2. only regular files


def test_a_planted_lock_link_creates_nothing_at_its_target(tmp_path: Path) -> None:
    # The attack: .import.lock links to a file that does not exist yet (say
    # ~/.bashrc); opening the lock with O_CREAT used to create it.
    archive, _media_path = photo_archive(tmp_path)
    target = tmp_path / "home" / ".bashrc"
    target.parent.mkdir()
    (archive / ".import.lock").unlink(missing_ok=True)
    (archive / ".import.lock").symlink_to(target)

    code, _out, err = run(archive, "import", str(tmp_path / "downloads" / DOWNLOAD))

    assert code != 0
    assert not target.exists() and not target.is_symlink()
    assert f"{archive / '.import.lock'} is a symbolic link, not the archive's lock file" in err
    code, _out, err = run(archive, "check", "--repair")
    assert code != 0 and "is a symbolic link" in err and not target.exists()


def test_a_fifo_as_lock_file_is_refused_without_blocking(tmp_path: Path) -> None:
    archive, _media_path = photo_archive(tmp_path)
    (archive / ".import.lock").unlink(missing_ok=True)
    os.mkfifo(archive / ".import.lock")
    result = chatkeep(archive, "check", "--repair")
    assert result.returncode != 0
    assert "is a FIFO, not the archive's lock file" in result.stderr


def test_a_fifo_given_as_a_download_is_one_line(tmp_path: Path) -> None:
    archive, _media_path = photo_archive(tmp_path)
    fifo = tmp_path / "message_1.json"
    os.mkfifo(fifo)
    result = chatkeep(archive, "import", str(fifo))
    assert f"{fifo}: is a FIFO, neither a file nor a folder" in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_a_fifo_inside_a_download_is_named_and_the_rest_imports(tmp_path: Path) -> None:
    archive, _media_path = photo_archive(tmp_path)
    download = tmp_path / "downloads" / DOWNLOAD
    thread = next(download.rglob("message_1.json")).parent
    os.mkfifo(thread / "photos" / "pipe.png")
    result = chatkeep(archive, "import", str(download))
    assert "Traceback" not in result.stderr
    assert f"{thread / 'photos' / 'pipe.png'}: is not a regular file" in result.stderr
    assert "1 unchanged" in result.stdout  # the conversation beside it is read


def test_the_store_refuses_a_fifo_member_that_appeared_after_listing(tmp_path: Path) -> None:
    from archiver.ingest.sources import open_download
    from archiver.safefs import NotAFile
    from archiver.store.media import MediaStore

    download = tmp_path / "dl"
    (download / "photos").mkdir(parents=True)
    (download / "photos" / "p.png").write_bytes(PHOTO)
    tree = open_download([download])
    member = tree.members["photos/p.png"]
    (download / "photos" / "p.png").unlink()
    os.mkfifo(download / "photos" / "p.png")  # swapped in after the listing
    (tmp_path / "archive").mkdir()
    store = MediaStore(tmp_path / "archive")
    with pytest.raises(NotAFile, match="a FIFO, not a file"):
        store.store(tree, member)
    assert [p.name for p in (tmp_path / "archive" / "media").iterdir()] == []


def test_reader_json_as_a_fifo_is_not_read(tmp_path: Path) -> None:
    from tui import preferences

    archive, _media_path = photo_archive(tmp_path)
    os.mkfifo(archive / "reader.json")
    choices, problem = preferences.read(archive)
    assert choices == {}
    assert problem == (f"{archive / 'reader.json'} is a FIFO, not a file: the reader's "
                       "choices are not remembered.")
    outside = tmp_path / "mine.json"
    outside.write_text('{"export_format": "html"}')
    (archive / "reader.json").unlink()
    (archive / "reader.json").symlink_to(outside)
    assert preferences.read(archive)[0] == {}  # never read through a link
    assert preferences.remember(archive, export_format="txt")
    assert outside.read_text() == '{"export_format": "html"}'  # nor written through it
    assert preferences.load(archive) == {"export_format": "txt"}


def test_file_sha256_refuses_what_is_not_a_file(tmp_path: Path) -> None:
    from archiver.safefs import NotAFile

    os.mkfifo(tmp_path / "fifo")
    with pytest.raises(NotAFile, match="a FIFO"):
        file_sha256(tmp_path / "fifo")
    (tmp_path / "zero").symlink_to("/dev/zero")
    with pytest.raises(NotAFile, match="a symbolic link"):
        file_sha256(tmp_path / "zero")


# --------------------------------------------------------------------------- schema objects


RECURSIVE_VIEW = (
    "CREATE VIEW messages_fts_source AS WITH RECURSIVE r(id, text, extra_text) AS "
    "(SELECT 1, 'x', 'x' UNION ALL SELECT id + 1, text, extra_text FROM r) SELECT * FROM r"
)


def plant(archive: Path, *statements: str) -> None:
    conn = sqlite3.connect(archive / "chatkeep.db")
    with conn:
        for sql in statements:
            conn.execute(sql)
    conn.close()


def test_repair_refuses_a_planted_recursive_view_and_runs_nothing(tmp_path: Path) -> None:
    # The attack: the search index's source view is replaced by one that never
    # ends; check --repair's rebuild read it and grew the WAL without end.
    archive, _media_path = photo_archive(tmp_path)
    plant(archive, "DROP VIEW messages_fts_source", RECURSIVE_VIEW)
    before = (archive / "chatkeep.db").read_bytes()
    result = chatkeep(archive, "check", "--repair")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"chatkeep: {archive / 'chatkeep.db'} holds what chatkeep did not make: view "
        "messages_fts_source (not as chatkeep makes it). check --repair runs none of it and "
        "changes nothing; restore the archive from a backup, or rebuild it from your "
        "downloads (chatkeep check says how).")
    assert (archive / "chatkeep.db").read_bytes() == before
    wal = archive / "chatkeep.db-wal"
    assert not wal.exists() or wal.stat().st_size < 1_000_000
    # check names it too, and does not read through it.
    result = chatkeep(archive, "check")
    assert result.returncode == 1
    assert ("database: view messages_fts_source (not as chatkeep makes it) was not made by "
            "chatkeep; it is not run, and check --repair will not run it") in result.stdout
    assert "fix: restore chatkeep.db from a backup" in result.stdout


def test_repair_refuses_a_planted_trigger(tmp_path: Path) -> None:
    # The attack: a trigger on conversations deletes every message when
    # repair puts conversations in order.
    archive, _media_path = photo_archive(tmp_path)
    plant(archive, "CREATE TRIGGER wipe AFTER UPDATE ON conversations "
                   "BEGIN DELETE FROM messages; END",
          "CREATE VIEW mine AS SELECT 1")
    result = chatkeep(archive, "check", "--repair")
    assert result.returncode == 2
    assert "holds what chatkeep did not make: trigger wipe, view mine." in result.stderr
    assert db_rows(archive, "SELECT COUNT(*) FROM messages") == [(1,)]


def test_repair_still_runs_on_an_archive_chatkeep_made(tmp_path: Path) -> None:
    archive, _media_path = photo_archive(tmp_path)
    code, out, err = run(archive, "check", "--repair")
    assert code == 0, err
    assert "Repaired: rebuilt the full-text index." in out
    old = tmp_path / "old"
    shutil.copytree(FIXTURES / "archive_v1", old)  # upgraded from the first schema
    code, out, err = run(old, "check", "--repair")
    assert code in (0, 1), err
    assert "not made by chatkeep" not in out + err


def test_a_fifo_as_the_database_is_one_sentence(tmp_path: Path) -> None:
    archive, _media_path = photo_archive(tmp_path)
    (archive / "chatkeep.db").unlink()
    for side in ("chatkeep.db-wal", "chatkeep.db-shm"):
        (archive / side).unlink(missing_ok=True)
    os.mkfifo(archive / "chatkeep.db")
    for command in (["threads"], ["import", str(tmp_path / "downloads" / DOWNLOAD)]):
        result = chatkeep(archive, *command)
        assert result.returncode == 2
        assert result.stderr.strip() == (
            f"chatkeep: {archive / 'chatkeep.db'} is a FIFO, not an archive. Move it away, or "
            "choose another folder with --archive DIR.")
