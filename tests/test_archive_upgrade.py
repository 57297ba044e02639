"""Archives made by earlier releases (schema 1, schema 6) are upgraded and read
as if their downloads had been imported fresh."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from archiver.store.opening import open_archive
from archiver.store.schema import SCHEMA_VERSION
from tests.support.cli import db_rows, run, run_json, without
from tests.support.paths import FIXTURES

# The demo downloads the first-release archive was made from (fixtures/archive_v1).
SAMPLES_V1 = FIXTURES / "samples_v1"


def _v1_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "old"
    shutil.copytree(FIXTURES / "archive_v1", copy)
    return copy


def test_the_first_release_archive_ends_as_if_imported_fresh(tmp_path: Path) -> None:
    old = _v1_copy(tmp_path)
    fresh = tmp_path / "fresh"
    run_json(fresh, "import", *(str(p) for p in sorted(SAMPLES_V1.glob("*-20*"))))
    open_archive(old).conn.close()
    assert db_rows(old, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    for args in (("threads",), ("show", "Maya Chen"), ("search", "the", "--limit", "500")):
        assert without(run_json(old, *args), "file") == without(run_json(fresh, *args), "file")
    # Each thread keeps the conversation id it has as its own.
    assert db_rows(old, "SELECT COUNT(*) FROM threads WHERE home_conversation_id IS NULL") == [(0,)]
    code, out, _err = run(old, "check")
    assert code == 0 and out.startswith("archive OK")


def test_a_reading_command_upgrades_a_writable_old_archive(tmp_path: Path) -> None:
    old = _v1_copy(tmp_path)
    code, out, err = run(old, "threads")
    assert (code, err) == (0, "")
    assert "Maya Chen" in out
    assert db_rows(old, "PRAGMA user_version") == [(SCHEMA_VERSION,)]


def test_an_old_archive_gains_the_html_columns_with_every_message_json_and_exact(
    tmp_path: Path,
) -> None:
    old = _v1_copy(tmp_path)
    open_archive(old).conn.close()
    rows = db_rows(old, "SELECT COUNT(*), COUNT(time_precision), COUNT(format) FROM messages")
    assert rows[0][0] > 0 and rows[0][1:] == (0, 0)
    assert db_rows(old, "SELECT COUNT(time_offset), COUNT(time_basis) FROM downloads") == [(0, 0)]


# Each upgrade step, slowed down and written to a log as it runs, in a
# process that opens the archive as a reading command does.
UPGRADING = r'''
import os, sys, time
from pathlib import Path
from archiver.store import migrations, opening

log = Path(sys.argv[2])

def logged(target, step):
    def run(conn):
        with open(log, "a") as f:
            f.write(f"{target} {os.getpid()}\n")
        time.sleep(0.2)  # a long step: the other commands open the archive meanwhile
        step(conn)
    return run

migrations.STEPS = tuple((target, logged(target, step)) for target, step in migrations.STEPS)
db = opening.open_archive(Path(sys.argv[1]), readonly=True)
print(db.execute("PRAGMA user_version").fetchone()[0])
'''


def test_commands_opening_an_old_archive_at_once_upgrade_it_once(tmp_path: Path) -> None:
    """Three commands open the first-release archive together: one upgrades
    it, under the archive's lock; the others wait, read the version again,
    and find nothing left to do. No step runs twice."""
    import subprocess
    import sys

    from tests.support.paths import REPO

    old = _v1_copy(tmp_path)
    log = tmp_path / "steps.log"
    commands = [subprocess.Popen([sys.executable, "-c", UPGRADING, str(old), str(log)],
                                 cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True) for _ in range(3)]
    results = [c.communicate(timeout=120) for c in commands]
    assert [c.returncode for c in commands] == [0, 0, 0], [err for _out, err in results]
    assert [out.strip() for out, _err in results] == [str(SCHEMA_VERSION)] * 3
    steps = [line.split()[0] for line in log.read_text().splitlines()]
    assert steps == [str(v) for v in range(2, SCHEMA_VERSION + 1)]  # each once, in order
    assert len({line.split()[1] for line in log.read_text().splitlines()}) == 1
    assert run(old, "check")[0] == 0


# -- archives of the previous release (schema 5) and of schema 6: two people's
# downloads, emoji, doubled reactions ------------------------------------------------

SAMPLES_V6 = FIXTURES / "samples_v6"


@pytest.fixture(scope="module", params=[5, 6], ids=["schema5", "schema6"])
def v6_pair(request: pytest.FixtureRequest,
            tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(the old archive upgraded, a fresh import of its downloads): the one the
    previous release made (schema 5), and one of schema 6."""
    version = request.param
    root = tmp_path_factory.mktemp(f"v{version}")
    old = root / "old"
    shutil.copytree(FIXTURES / f"archive_v{version}", old)
    assert db_rows(old, "PRAGMA user_version") == [(version,)]
    open_archive(old).conn.close()
    fresh = root / "fresh"
    code, _out, err = run(fresh, "import", *(str(p) for p in sorted(SAMPLES_V6.iterdir())
                                           if p.is_dir()))
    assert code == 0, err
    return old, fresh


@pytest.mark.parametrize("args", [
    ("threads",), ("stats",), ("stats", "Carol"), ("stats", "Dan"), ("stats", "Bob"),
    ("show", "Carol"), ("show", "Bob"), ("show", "Alice"), ("show", "Dan"), ("show", "Crew"),
    ("search", "duoc"), ("search", "love"), ("search", "cake"), ("search", "board"),
    ("search", "from:bob"), ("search", "from:alice"), ("search", "is:system"),
    ("why", "Carol"), ("audit",),
])
def test_a_schema_6_archive_ends_as_if_imported_fresh(
    v6_pair: tuple[Path, Path], args: tuple[str, ...]
) -> None:
    old, fresh = v6_pair
    # Where each download was read from differs between the two archives.
    ignored = ("file", "imported", "first_imported", "last_imported", "created", "archive",
               "source")
    assert without(run_json(old, *args, "--tz", "UTC"), *ignored) == without(
        run_json(fresh, *args, "--tz", "UTC"), *ignored)


def test_the_schema_6_archive_upgraded_names_each_sender_as_the_files_do(
    v6_pair: tuple[Path, Path],
) -> None:
    old, _fresh = v6_pair
    # Two people, two names: the old archive showed Alice's messages as Bob's.
    carol = run_json(old, "show", "Carol")["messages"]
    assert {(m["sender"], m["you"]) for m in carol} == {
        ("Carol Lim", False), ("Alice Doe", True)}
    dan = run_json(old, "show", "Dan")["messages"]
    assert {(m["sender"], m["you"]) for m in dan if m["kind"] != "system"} == {
        ("Dan Park", False), ("Bob Roe", True)}
    assert [h["text"] for h in run_json(old, "search", "duoc")] == ["yes! được🤗 see you there"]
    assert run_json(old, "stats", "Bob")["reactions"] == {"👍": 1, "😂": 1, "🤜": 1}
    code, out, _err = run(old, "show", "Bob")
    assert "reacted 🤜" not in out and "· Bob Roe reacted 😮 to your message" in out
    code, out, _err = run(old, "check")
    assert code == 0 and out.startswith("archive OK")
