"""An archive made by the first release (schema 1) is upgraded and reads as if
imported fresh."""

from __future__ import annotations

import shutil
from pathlib import Path

from archiver.store.schema import SCHEMA_VERSION, open_archive
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
