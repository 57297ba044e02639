"""Exports write and delete only what they own: never one of the archive's
files, never over a device or a FIFO, never through a link someone planted,
never a page they cannot prove they wrote; a full disk leaves no partial
copy. Each test writes out the attack it stands for."""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from pathlib import Path

import pytest

from archiver.export import common
from tests.support.cli import run
from tests.support.hostile import PHOTO, photo_archive, set_media_path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def leftovers(folder: Path) -> list[str]:
    """Temporary files an export left behind."""
    return sorted(p.name for p in folder.rglob("*") if p.name.endswith(".partial"))


# --------------------------------------------------------------------------- what -o may name


@pytest.mark.parametrize("name", ["chatkeep.db", "chatkeep.db-wal", "chatkeep.db-shm",
                                  ".import.lock", "reader.json"])
def test_o_naming_one_of_the_archives_files_is_refused(tmp_path: Path, name: str) -> None:
    # The attack (or slip): `export X -o ARCHIVE/chatkeep.db` wrote Markdown
    # over the database.
    archive, _media_path = photo_archive(tmp_path)
    target = archive / name
    target.touch()
    before = digest(archive / "chatkeep.db")
    code, out, err = run(archive, "export", "1", "-o", str(target))
    assert code == 2
    assert err.strip() == (f"chatkeep: {target} is the archive's own file; choose another -o; "
                           "nothing written")
    assert digest(archive / "chatkeep.db") == before
    assert leftovers(archive) == [] and out == ""


def test_o_reaching_the_database_through_a_link_or_into_media_is_refused(tmp_path: Path) -> None:
    archive, media_path = photo_archive(tmp_path)
    before = digest(archive / "chatkeep.db")
    (tmp_path / "notes.md").symlink_to(archive / "chatkeep.db")
    os.link(archive / "chatkeep.db", tmp_path / "hard.md")
    for target in (tmp_path / "notes.md", tmp_path / "hard.md"):
        code, _out, err = run(archive, "export", "1", "-o", str(target))
        assert code == 2 and "is the archive's own file" in err, err
    code, _out, err = run(archive, "export", "1", "-o", str(archive / "media" / "x.md"))
    assert code == 2 and "is inside the archive's media folder" in err
    code, _out, err = run(archive, "export", "--all", "-o", str(archive / "media"))
    assert code == 2 and "is inside the archive's media folder" in err
    assert digest(archive / "chatkeep.db") == before
    assert (archive / media_path).read_bytes() == PHOTO
    assert sorted(p.name for p in (archive / "media").iterdir()) == [media_path.split("/")[1]]


def test_an_existing_fifo_or_device_as_o_is_refused_and_left_as_it_is(tmp_path: Path) -> None:
    # The attack: `-o /dev/null` (as root) replaced the device with a file.
    # Here a FIFO and a device node made for the test stand for it.
    archive, _media_path = photo_archive(tmp_path)
    fifo = tmp_path / "pipe.md"
    os.mkfifo(fifo)
    code, _out, err = run(archive, "export", "1", "-o", str(fifo))
    assert code == 2
    assert f"{fifo} is a FIFO, not a file" in err
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    null = tmp_path / "null"
    try:
        os.mknod(null, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except OSError:
        pytest.skip("no device nodes can be made here")
    code, _out, err = run(archive, "export", "1", "-o", str(null))
    assert code == 2 and f"{null} is a device, not a file" in err
    assert stat.S_ISCHR(os.lstat(null).st_mode)


def test_o_dash_writes_to_standard_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    archive, _media_path = photo_archive(tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    code, out, err = run(archive, "export", "1", "-o", "-")
    assert code == 0, err
    assert out.startswith("# Maya Chen\n")
    assert "*(photo: p.png, not copied)*" in out
    assert err.strip() == "Wrote 1 message to standard output (attachments are not copied)"
    assert list(work.iterdir()) == []  # neither a file called "-" nor a media folder
    code, out, err = run(archive, "export", "1", "--format", "json", "-o", "-")
    assert code == 0 and out.startswith('{"format": "chatkeep-export"'), err
    code, out, err = run(archive, "export", "1", "--format", "html", "-o", "-")
    assert code == 0 and out.startswith("<!DOCTYPE html>") and "p.png" in out, err
    assert list(work.iterdir()) == []
    code, _out, err = run(archive, "export", "1", "-o", "./-")  # a file called "-"
    assert code == 0, err
    assert (work / "-").read_text(encoding="utf-8").startswith("# Maya Chen")
    code, _out, err = run(archive, "export", "--all", "-o", "-")
    assert code == 2 and "give a folder" in err


def test_o_ending_in_a_slash_makes_a_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    archive, _media_path = photo_archive(tmp_path)
    monkeypatch.chdir(tmp_path)
    code, _out, err = run(archive, "export", "1", "-o", "newdir/")
    assert code == 0, err
    assert sorted(p.name for p in (tmp_path / "newdir").iterdir()) == [
        "Maya-Chen-1.md", "Maya-Chen-1_media"]
    assert not (tmp_path / "newdir").is_file()


# --------------------------------------------------------------------------- planted links


def test_a_planted_partial_link_is_never_written_through(tmp_path: Path) -> None:
    # The attack: in a shared folder, someone plants `.out.md.partial` linking
    # to a file of the victim's; the export wrote the Markdown into it.
    archive, _media_path = photo_archive(tmp_path)
    victim = tmp_path / "victim.txt"
    victim.write_text("mine\n")
    out_dir = tmp_path / "shared"
    out_dir.mkdir()
    for name in (".out.md.partial", ".out.html.partial", ".out.json.partial"):
        (out_dir / name).symlink_to(victim)
    for fmt in ("md", "html", "json"):
        code, _out, err = run(archive, "export", "1", "--format", fmt, "-o",
                              str(out_dir / f"out.{fmt}"))
        assert code == 0, err
        assert stat.S_ISREG(os.lstat(out_dir / f"out.{fmt}").st_mode)
    assert victim.read_text() == "mine\n"


def test_a_planted_partial_link_in_the_media_folder_is_never_written_through(
    tmp_path: Path,
) -> None:
    archive, _media_path = photo_archive(tmp_path)
    victim = tmp_path / "victim.txt"
    victim.write_text("mine\n")
    media = tmp_path / "out_media"
    media.mkdir()
    name = "p.png"  # the photo's original name, which its copy takes
    (media / f".{name}.partial").symlink_to(victim)
    code, _out, err = run(archive, "export", "1", "-o", str(tmp_path / "out.md"))
    assert code == 0, err
    assert victim.read_text() == "mine\n"
    assert (media / name).read_bytes() == PHOTO and not (media / name).is_symlink()


def test_a_planted_media_folder_link_is_refused(tmp_path: Path) -> None:
    # The attack: out_media links to a folder of the victim's, where the
    # export would copy every attachment.
    archive, _media_path = photo_archive(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "out_media").symlink_to(elsewhere)
    code, _out, err = run(archive, "export", "1", "-o", str(tmp_path / "out.md"))
    assert code == 2
    assert f"{tmp_path / 'out_media'} is a symbolic link, not a folder" in err
    assert list(elsewhere.iterdir()) == []
    assert not (tmp_path / "out.md").exists() and leftovers(tmp_path) == []


def test_export_never_copies_a_file_through_a_linked_media_folder(tmp_path: Path) -> None:
    # The attack: media/ee -> /etc and an attachment at media/ee/passwd; the
    # export copied /etc/passwd into out_media/ for the victim to pass on.
    archive, _media_path = photo_archive(tmp_path)
    secrets = tmp_path / "etc"
    secrets.mkdir()
    (secrets / "passwd").write_text("root:x:0:0\n")
    (archive / "media" / "ee").symlink_to(secrets)
    set_media_path(archive, "media/ee/passwd")
    for fmt in ("md", "html", "json"):
        code, out, err = run(archive, "export", "1", "--format", fmt, "-o",
                             str(tmp_path / f"out.{fmt}"))
        assert code == 0, err
        assert "1 attachment not in the archive" in out
        assert not (tmp_path / "out_media" / "passwd").exists()
        assert "root:x" not in (tmp_path / f"out.{fmt}").read_text(encoding="utf-8")
    html = (tmp_path / "out.html").read_text(encoding="utf-8")
    assert "photo missing: <bdi>p.png</bdi> (outside the archive)" in html


# --------------------------------------------------------------------------- stale HTML pages


def test_an_unrelated_page_named_like_a_stale_page_survives(tmp_path: Path) -> None:
    # The attack (or bad luck): `export --format html -o report.html` deleted
    # the user's report_page2.html and report_page17.html.
    archive, _media_path = photo_archive(tmp_path)
    mine = {
        "report_page2.html": "<html><body>My report, page 2</body></html>",
        # Even a chatkeep page, when it is not a page of report.html:
        "report_page17.html": '<meta name="generator" content="chatkeep"><p>another export',
    }
    for name, text in mine.items():
        (tmp_path / name).write_text(text)
    (tmp_path / "report_page3.html").symlink_to(tmp_path / "report_page2.html")
    code, _out, err = run(archive, "export", "1", "--format", "html", "-o",
                          str(tmp_path / "report.html"))
    assert code == 0, err
    for name, text in mine.items():
        assert (tmp_path / name).read_text() == text
    assert (tmp_path / "report_page3.html").is_symlink()


# --------------------------------------------------------------------------- a full disk


def test_a_full_disk_while_copying_media_removes_the_partial_copy_and_names_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    archive, _media_path = photo_archive(tmp_path)

    def half_then_full(src: object, out: object) -> None:
        out.write(PHOTO[:10])  # type: ignore[attr-defined]
        out.flush()  # type: ignore[attr-defined]
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(common, "copy_sparse", half_then_full)
    out = tmp_path / "out" / "chat.md"
    code, _out, err = run(archive, "export", "1", "-o", str(out))
    copy = out.parent / "chat_media" / "p.png"
    assert code == 1
    assert err.strip() == f"chatkeep: cannot write {copy}: No space left on device"
    assert leftovers(tmp_path / "out") == []
    assert not copy.exists() and not out.exists()
