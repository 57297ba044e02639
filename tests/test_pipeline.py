"""A large import reads in a helper process; it must give exactly what reading
in-process gives, errors included."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from archiver import pipeline
from tests.conftest import run, run_json, without

FOLDERS = ("json_simple", "json_multifile", "json_nontext", "json_with_media_alt", "corrupt")



def _import_and_read(archive: Path, paths: list[str]) -> tuple[dict, list, list]:
    code, out, err = run(archive, "import", "--json", *paths)
    assert code == 1, err  # the corrupt thread is rejected
    report = json.loads(out)
    threads = run_json(archive, "threads")
    shows = [run_json(archive, "show", str(t["id"])) for t in threads]
    return report, without(threads, "id"), without(shows, "id")


def test_helper_process_reads_like_this_process(
    tmp_path: Path, shared_fixtures: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = [str(shared_fixtures / "msgvault" / name) for name in FOLDERS]
    serial = _import_and_read(tmp_path / "serial", paths)
    monkeypatch.setattr(pipeline, "PARALLEL_MIN_BYTES", 0)
    parallel = _import_and_read(tmp_path / "parallel", paths)
    assert parallel[0]["errors"] == serial[0]["errors"] != []
    for key in ("threads", "messages_added", "media_copied", "media_missing", "warnings"):
        assert parallel[0][key] == serial[0][key], key
    assert parallel[1] == serial[1]
    assert parallel[2] == serial[2]
    assert serial[0]["messages_added"] == 16


def test_second_parallel_import_skips_every_thread_it_took(
    tmp_path: Path, shared_fixtures: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from archiver.importer import import_downloads

    monkeypatch.setattr(pipeline, "PARALLEL_MIN_BYTES", 0)
    paths = [shared_fixtures / "msgvault" / name for name in FOLDERS]
    first = import_downloads(tmp_path / "a", paths, copy_media=False)
    again = import_downloads(tmp_path / "a", paths, copy_media=False)
    taken = first.threads  # the corrupt thread was never taken, so it is read again
    assert (again.threads_unchanged, again.messages_added) == (taken, 0)
    assert again.messages_already_present == first.messages_added
