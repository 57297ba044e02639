"""Archives that cannot be written, and databases that are not whole archives.

Every reading command and the reader read an archive that cannot be written
(a read-only mount, or a folder the test user cannot write). A damaged or
foreign ``chatkeep.db`` gets one or two plain sentences and exit 2 from every
command, never a traceback, and is never changed. The read-only cases are
really read-only: root ignores file modes, so as root they use a read-only
bind mount (skipped, with the reason, where mounting is not allowed).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from archiver.store.opening import DB_NAME
from archiver.store.schema import SCHEMA_VERSION
from tests.support.cli import run, run_json
from tests.support.paths import SAMPLES

DOWNLOADS = sorted(str(p) for p in SAMPLES.glob("*-20*"))
READING = [
    ("threads",), ("show", "Maya"), ("search", "the"), ("stats",), ("why", "Maya"),
    ("audit",), ("check",), ("threads", "--json"), ("search", "the", "--json"),
]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    archive = tmp_path_factory.mktemp("demo") / "archive"
    run_json(archive, "import", *DOWNLOADS)
    return archive


def copy_of(demo: Path, dest: Path) -> Path:
    """A backup-style copy: the database file and media, no -wal or -shm."""
    shutil.copytree(demo, dest, ignore=shutil.ignore_patterns("*-wal", "*-shm", ".import.lock"))
    return dest


def _mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True, capture_output=True, timeout=20)


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[callable]:
    """Makes a folder read-only for this process: a read-only bind mount as
    root, file modes otherwise. Returns the path to use."""
    mounts: list[Path] = []
    chmodded: list[Path] = []

    def make(folder: Path) -> Path:
        if os.geteuid() != 0:
            for path in [folder, *folder.rglob("*")]:
                path.chmod(path.stat().st_mode & ~0o222)
                chmodded.append(path)
            return folder
        target = folder.with_name(folder.name + "-ro")
        target.mkdir()
        try:
            _mount("--bind", str(folder), str(target))
        except (OSError, subprocess.SubprocessError) as exc:
            pytest.skip(f"a read-only bind mount is not possible here ({exc})")
        mounts.append(target)
        try:
            _mount("-o", "remount,ro,bind", str(target))
        except (OSError, subprocess.SubprocessError) as exc:
            pytest.skip(f"a bind mount cannot be made read-only here ({exc})")
        try:
            (target / "probe").touch()
        except OSError:
            return target
        pytest.skip("the read-only mount can still be written")
        return target

    yield make
    for target in mounts:
        # Lazily: a connection the command left for the garbage collector may
        # still hold a file there.
        subprocess.run(["umount", "-l", str(target)], capture_output=True, timeout=20, check=False)
    for path in chmodded:
        path.chmod(path.stat().st_mode | 0o200)


def snapshot(folder: Path) -> dict[str, str]:
    """Every file in the folder with the SHA-256 of its bytes."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*")) if p.is_file()
    }


# -- read-only archives ------------------------------------------------------------


@pytest.mark.parametrize("args", READING, ids=" ".join)
def test_reading_commands_read_a_read_only_archive(
    demo: Path, tmp_path: Path, read_only, args: tuple[str, ...]
) -> None:
    writable = copy_of(demo, tmp_path / "copy")
    expected = run(writable, *args)
    ro = read_only(copy_of(demo, tmp_path / "backup"))
    before = snapshot(ro)
    code, out, err = run(ro, *args)
    assert (code, err) == (expected[0], expected[2])
    # Output names the archive folder in places (stats, check): compare the rest.
    assert out.replace(str(ro), "ARCHIVE") == expected[1].replace(str(writable), "ARCHIVE")
    assert code == 0 and out
    assert snapshot(ro) == before


def test_export_reads_a_read_only_archive(demo: Path, tmp_path: Path, read_only) -> None:
    ro = read_only(copy_of(demo, tmp_path / "backup"))
    code, out, err = run(ro, "export", "--all", "-o", str(tmp_path / "out"))
    assert (code, err) == (0, "")
    assert out == f"Wrote 8 conversations to {tmp_path / 'out'}\n"
    assert len(list((tmp_path / "out").glob("*.md"))) == 8


def test_the_reader_reads_a_read_only_archive(demo: Path, tmp_path: Path, read_only) -> None:
    from tui.app import ChatkeepReader

    ro = read_only(copy_of(demo, tmp_path / "backup"))
    app = ChatkeepReader(ro, tz="UTC")
    assert app.problem is None
    assert [c.title for c in app.conversations][:3] == [
        "Ana María González", "Bartłomiej Nowak", "Weekend crew"
    ]


def test_the_reader_exports_from_a_read_only_archive_and_forgets_the_format(
    demo: Path, tmp_path: Path, read_only, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The export format chosen with e cannot be kept beside a read-only
    archive: the export is written all the same, the status line says so and
    nothing else, the folder is unchanged, and the next session offers
    Markdown again."""
    import asyncio
    import html
    import re

    from textual.widgets import OptionList

    from tui.app import ChatkeepReader

    ro = read_only(copy_of(demo, tmp_path / "backup"))
    before = snapshot(ro)
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.chdir(out)
    offered: list[str | None] = []
    said: list[str] = []
    [first] = run_json(ro, "threads")[:1]
    told: list[tuple[str, str]] = []


    def reader() -> ChatkeepReader:
        """A reader that notes each message it gives, however briefly shown."""
        app = ChatkeepReader(ro, tz="UTC")
        shown = app.notify

        def notify(message: str, **kwargs: object) -> None:
            told.append((message, str(kwargs.get("severity", "information"))))
            shown(message, **kwargs)  # type: ignore[arg-type]

        app.notify = notify  # type: ignore[method-assign]
        return app

    def screen_words(app: ChatkeepReader) -> str:
        """The screen's text (a screenshot, markup stripped), single-spaced."""
        text = html.unescape(re.sub(r"<[^>]+>", "", app.export_screenshot()))
        return " ".join(text.replace("\xa0", " ").split())

    async def export_html(app: ChatkeepReader) -> None:
        async with app.run_test(size=(200, 40)) as pilot:
            await pilot.pause()
            app.open_conversation(app.conversations[0].id)
            await pilot.pause()
            await pilot.press("e")
            option = app.screen.query_one(OptionList).highlighted_option
            offered.append(option.id if option is not None else None)
            await pilot.press("h")
            await app.workers.wait_for_complete()
            await pilot.pause()
            said.append(screen_words(app))

    for _ in range(2):
        asyncio.run(export_html(reader()))
    assert offered == ["md", "md"]
    [page] = out.glob("*.html")
    exported = f"Exported {first['messages']:,} messages to {page}"
    assert [m for m, _ in told if not m.startswith(exported)] == [
        f"Exporting {first['title']}…"] * 2
    assert {severity for _, severity in told} == {"information"}
    for words in said:
        assert exported in words
        assert not re.search(r"could not|cannot|read-only|reader\.json", words, re.IGNORECASE)
    assert snapshot(ro) == before


def test_a_read_only_archive_with_its_wal_files_reads_too(
    demo: Path, tmp_path: Path, read_only
) -> None:
    """A read-only folder that still holds -wal and -shm (a live archive's mount)."""
    src = tmp_path / "live"
    shutil.copytree(demo, src)
    conn = sqlite3.connect(src / DB_NAME)  # makes sure both files are there
    conn.execute("SELECT COUNT(*) FROM messages").fetchone()
    ro = read_only(src)
    code, out, err = run(ro, "threads")
    conn.close()
    assert (code, err) == (0, "") and "Maya Chen" in out


WRITING = [
    ("import", *DOWNLOADS[:1]), ("link", "1", "3"), ("unlink", "Maya"), ("check", "--repair"),
]


@pytest.mark.parametrize("args", WRITING, ids=lambda a: a[0] + " " + a[1].rsplit("/")[-1])
def test_writing_to_a_read_only_archive_is_one_sentence(
    demo: Path, tmp_path: Path, read_only, args: tuple[str, ...]
) -> None:
    ro = read_only(copy_of(demo, tmp_path / "backup"))
    before = snapshot(ro)
    code, out, err = run(ro, *args)
    assert (code, out) == (2, "")
    assert err == (f"chatkeep: {ro} is read-only, so nothing can be written to the archive "
                   "there. Copy it somewhere writable and use the copy (--archive DIR).\n")
    assert snapshot(ro) == before


# -- damaged and foreign databases ---------------------------------------------------


def _not_sqlite(db: Path) -> None:
    db.write_bytes(os.urandom(8192))


def _empty(db: Path) -> None:
    db.write_bytes(b"")


def _truncated(db: Path) -> None:
    data = db.read_bytes()
    db.write_bytes(data[: len(data) // 2])


def _newer(db: Path) -> None:
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA user_version = 99")
    conn.commit()
    conn.close()


def _foreign(db: Path) -> None:
    db.unlink()
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
    conn.execute("INSERT INTO invoices (total) VALUES (12.5)")
    conn.commit()
    conn.close()


STATES = {
    "not sqlite": (_not_sqlite, ("{db} is not a chatkeep archive (it is not an SQLite database). "
                                 "Move it away, or choose another folder with --archive DIR.")),
    "empty": (_empty, ("{db} is empty (0 bytes), so it holds no archive. Import a download to "
                       "start one (chatkeep import PATH), or restore the file from a backup.")),
    "truncated": (_truncated, ("{db} is damaged: the file is cut short ({size} of {full} "
                               "bytes). Restore it from a backup; chatkeep leaves it as it is.")),
    "newer": (_newer, (f"{{db}} was made by a newer chatkeep (schema 99; this one reads up to "
                       f"{SCHEMA_VERSION}). Upgrade chatkeep to open it; the archive is left as "
                       "it is.")),
    "foreign": (_foreign, ("{db} is an SQLite database of another program, not a chatkeep "
                           "archive. Move it away, or choose another folder with --archive DIR.")),
}
COMMANDS = [
    ("threads",), ("check",), ("show", "1"), ("search", "the"), ("stats",), ("why", "1"), ("audit",),
    ("export", "--all", "-o", "OUT"), ("link", "1", "3"), ("unlink", "1"), ("check", "--repair"),
    ("import", DOWNLOADS[0]), ("browse",), (),
]


# Two pairs are not refusals, and are tested on their own below: an import
# starts the archive in an empty file, and check reports damage as a problem
# with its fix.
DAMAGED_CASES = [
    pytest.param(state, command, id=f"{' '.join(command[:1]) or 'reader'}-{state}")
    for command in COMMANDS
    for state in STATES
    if not (state == "empty" and command[:1] == ("import",))
    and not (command == ("check",) and state != "newer")
]


@pytest.mark.parametrize(("state", "command"), DAMAGED_CASES)
def test_a_damaged_or_foreign_database_is_one_sentence(
    demo: Path, tmp_path: Path, state: str, command: tuple[str, ...]
) -> None:
    archive = copy_of(demo, tmp_path / "archive")
    db = archive / DB_NAME
    full = db.stat().st_size
    damage, sentence = STATES[state]
    damage(db)
    before = snapshot(archive)
    args = [str(tmp_path / "out") if a == "OUT" else a for a in command]
    code, out, err = run_main(archive, *args)
    expected = sentence.format(db=db, size=f"{db.stat().st_size:,}", full=f"{full:,}")
    assert (code, out, err) == (2, "", f"chatkeep: {expected}\n")
    assert snapshot(archive) == before
    assert not (tmp_path / "out").exists()


def run_main(archive: Path, *args: str) -> tuple[int, str, str]:
    """As ``run``, through the console script's group (with the reader)."""
    from click.testing import CliRunner

    from tui.cli import main

    result = CliRunner().invoke(main, ["--archive", str(archive), *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_check_names_a_damaged_database_as_its_problem(demo: Path, tmp_path: Path) -> None:
    archive = copy_of(demo, tmp_path / "archive")
    _truncated(archive / DB_NAME)
    code, out, err = run(archive, "check")
    assert (code, err) == (1, "")
    assert out.splitlines()[0].startswith(f"database: {archive / DB_NAME} cannot be opened "
                                          f"({archive / DB_NAME} is damaged: the file is cut short")
    assert out.splitlines()[1].startswith("  fix: restore chatkeep.db from a backup")


def test_an_archive_of_an_older_chatkeep_on_a_read_only_mount(
    tmp_path: Path, read_only
) -> None:
    from tests.support.paths import FIXTURES

    ro = read_only(copy_of(FIXTURES / "archive_v1", tmp_path / "old"))
    for args in (("threads",), ("search", "the"), ("audit",)):
        assert run(ro, *args) == (2, "", (
            f"chatkeep: {ro / DB_NAME} was made by an older chatkeep and cannot be upgraded "
            "where it is, because the folder is read-only. Copy the folder somewhere writable "
            "and open the copy (--archive DIR).\n"))


def test_an_import_into_an_empty_file_starts_the_archive(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    archive.mkdir()
    (archive / DB_NAME).write_bytes(b"")
    code, _out, err = run(archive, "import", DOWNLOADS[0])
    assert (code, err) == (0, "")
    assert len(run_json(archive, "threads")) == 5


# -- locked by another program ---------------------------------------------------------


HOLD = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("PRAGMA locking_mode = EXCLUSIVE")
conn.execute("BEGIN EXCLUSIVE")
conn.execute("UPDATE meta SET value = value")
print("locked", flush=True)
time.sleep(60)
"""


@pytest.mark.parametrize("command", [("threads",), ("check",), ("import", DOWNLOADS[0]), ()],
                         ids=["threads", "check", "import", "reader"])
def test_an_archive_locked_by_another_program(
    demo: Path, tmp_path: Path, command: tuple[str, ...]
) -> None:
    archive = copy_of(demo, tmp_path / "archive")
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(archive / DB_NAME)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        started = time.monotonic()
        code, out, err = run_main(archive, *command)
        assert time.monotonic() - started < 30
    finally:
        holder.kill()
        holder.wait()
    assert (code, out) == (2, "")
    assert err == (f"chatkeep: {archive / DB_NAME} is locked by another program (an open "
                   "sqlite3 shell or database browser?). Close it and try again.\n")


# -- a full disk (reading still works; what cannot be done is one sentence) ------------


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    """An 8 MB tmpfs, filled up after the caller puts an archive in it."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small file system needs root")
    target = tmp_path / "small"
    target.mkdir()
    try:
        _mount("-t", "tmpfs", "-o", "size=8m", "tmpfs", str(target))
    except (OSError, subprocess.SubprocessError) as exc:
        pytest.skip(f"a tmpfs cannot be mounted here ({exc})")
    yield target
    subprocess.run(["umount", "-l", str(target)], capture_output=True, timeout=20, check=False)


def fill(folder: Path) -> None:
    with open(folder / "filler", "wb", buffering=0) as f:
        try:
            while True:
                f.write(b"\0" * 4096)
                f.flush()
        except OSError:
            pass


@pytest.mark.parametrize("args", [("threads",), ("stats",), ("search", "the"), ("show", "Maya"),
                                  ("audit",)], ids=" ".join)
def test_reading_on_a_full_disk(demo: Path, full_disk: Path, args: tuple[str, ...]) -> None:
    archive = copy_of(demo, full_disk / "archive")
    expected = run(demo, *args)
    fill(full_disk)
    code, out, err = run(archive, *args)
    assert (code, err) == (0, expected[2])
    assert out.replace(str(archive), "A") == expected[1].replace(str(demo), "A")


def test_the_reader_on_a_full_disk(demo: Path, full_disk: Path) -> None:
    from tui.app import ChatkeepReader

    archive = copy_of(demo, full_disk / "archive")
    fill(full_disk)
    app = ChatkeepReader(archive, tz="UTC")
    assert app.problem is None and len(app.conversations) == 8


def with_unsaved_change(demo: Path, dest: Path) -> Path:
    """A copy whose last change (a title) is still in its -wal file."""
    dest.mkdir()
    conn = sqlite3.connect(demo / DB_NAME)
    try:
        conn.execute("PRAGMA wal_autocheckpoint = 0")
        shutil.copy(demo / DB_NAME, dest / DB_NAME)
        conn.execute("UPDATE conversations SET title = 'Renamed' WHERE title = 'Lukas Schmidt'")
        conn.commit()
        shutil.copy(Path(str(demo / DB_NAME) + "-wal"), dest / (DB_NAME + "-wal"))
        conn.execute("UPDATE conversations SET title = 'Lukas Schmidt' WHERE title = 'Renamed'")
        conn.commit()
    finally:
        conn.close()
    return dest


def test_unsaved_changes_on_a_full_disk_are_one_sentence(demo: Path, full_disk: Path) -> None:
    """Without room for SQLite's -shm file, changes still in the -wal file
    cannot be read: said, rather than shown without them."""
    archive = with_unsaved_change(demo, full_disk / "archive")
    fill(full_disk)
    for args in (("threads",), ("stats",), ("search", "the"), ("show", "1")):
        code, out, err = run(archive, *args)
        assert (code, out) == (2, "")
        assert err == (f"chatkeep: The disk holding {archive} is full, so SQLite cannot open "
                       "the archive. Free some space and try again.\n")


def test_unsaved_changes_in_a_read_only_folder_are_one_sentence(
    demo: Path, tmp_path: Path, read_only
) -> None:
    """Without SQLite's -shm file, changes still in the -wal file cannot be read."""
    ro = read_only(with_unsaved_change(demo, tmp_path / "copy"))
    for args in (("threads",), ("stats",), ("search", "the"), ("show", "1"), ("audit",)):
        code, out, err = run(ro, *args)
        assert (code, out) == (2, "")
        assert err == (f"chatkeep: {ro} is read-only and the archive's last changes are still "
                       "in chatkeep.db-wal, which SQLite cannot read without writing beside it. "
                       "Copy the folder somewhere writable and open the copy (--archive DIR).\n")
