"""A large import reads in a helper process; it must give exactly what reading
in-process gives, errors included."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from archiver.ingest import pipeline
from tests.support.cli import run, run_json, without

FOLDERS = ("json_simple", "json_multifile", "json_nontext", "json_with_media_alt", "corrupt")



def _import_and_read(archive: Path, paths: list[str]) -> tuple[dict, list, list]:
    code, out, err = run(archive, "import", "--json", *paths)
    assert code == 1, err  # the corrupt thread is rejected
    report = json.loads(out)
    threads = run_json(archive, "threads")
    shows = [run_json(archive, "show", str(t["id"])) for t in threads]
    return report, without(threads, "id"), without(shows, "id", "file")


@pytest.mark.parametrize("readers", [1, 3])
def test_helper_process_reads_like_this_process(
    readers: int, tmp_path: Path, shared_fixtures: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = [str(shared_fixtures / "msgvault" / name) for name in FOLDERS]
    serial = _import_and_read(tmp_path / "serial", paths)
    monkeypatch.setattr(pipeline, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(pipeline, "reading_processes", lambda: readers)
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
    from archiver.ingest.importer import import_downloads

    monkeypatch.setattr(pipeline, "PARALLEL_MIN_BYTES", 0)
    paths = [shared_fixtures / "msgvault" / name for name in FOLDERS]
    first = import_downloads(tmp_path / "a", paths, copy_media=False)
    again = import_downloads(tmp_path / "a", paths, copy_media=False)
    taken = first.threads  # the corrupt thread was never taken, so it is read again
    assert (again.threads_unchanged, again.messages_added) == (taken, 0)
    assert again.messages_already_present == first.messages_added


def test_zip_parts_read_in_the_helper_process(
    tmp_path: Path, shared_fixtures: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import zipfile

    parts = []
    for n, name in enumerate(("json_simple", "json_with_media_alt", "e2ee_simple"), 1):
        part = tmp_path / f"download-{n}.zip"
        root = shared_fixtures / "msgvault" / name
        with zipfile.ZipFile(part, "w") as zf:
            for path in sorted(root.rglob("*")):
                if path.is_file():
                    zf.write(path, path.relative_to(root).as_posix())
        parts.append(str(part))
    serial = run_json(tmp_path / "serial", "import", *parts)
    monkeypatch.setattr(pipeline, "PARALLEL_MIN_BYTES", 0)
    parallel = run_json(tmp_path / "parallel", "import", *parts)
    assert serial["messages_added"] == parallel["messages_added"] == 11
    assert serial["media_copied"] == parallel["media_copied"] == 2
    assert without(run_json(tmp_path / "parallel", "threads"), "id") == without(
        run_json(tmp_path / "serial", "threads"), "id")


def test_several_reading_processes_give_the_same_archive(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Machines with more than two cores read with several processes; the
    threads come back in their order, so the archive is the one a single
    reader makes (ids included)."""
    from tests.support.generate import generate_facebook

    download = tmp_path / "facebook-jordanlee-2025"
    generate_facebook(download, 3000, 3, media=True)
    monkeypatch.setattr(pipeline, "PARALLEL_MIN_BYTES", 0)
    results = []
    for readers in (1, 3):
        monkeypatch.setattr(pipeline, "reading_processes", lambda n=readers: n)
        archive = tmp_path / f"readers-{readers}"
        report = run_json(archive, "import", str(download))
        threads = run_json(archive, "threads")
        biggest = max(threads, key=lambda t: t["messages"])
        results.append((without(report, "media_copied"), threads,
                        without(run_json(archive, "show", str(biggest["id"])), "file")))
    assert results[0][0]["messages_added"] == 3000
    assert len(results[0][1]) > 3  # enough threads to spread over three readers
    assert results[1] == results[0]
