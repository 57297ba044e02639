"""An export reads one snapshot of the archive: an import that adds to the
same conversation while the export is being written changes nothing in it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from archiver.export import common
from archiver.ingest.importer import import_downloads
from archiver.read import messages
from tests.support.cli import run, run_json
from tests.support.downloads import write_thread

T0 = 1_650_000_000_000
FOLDER = "your_facebook_activity/messages/inbox/ana_1"
COUNT = 300
PAGE = 40  # messages read per query during the export (10,000 in use)


def _download(root: Path, name: str, offset: int) -> Path:
    """Ana's thread, COUNT messages a minute apart, starting ``offset`` ms in."""
    download = root / name
    write_thread(download / FOLDER, [
        {"sender_name": "Ana" if i % 2 else "Jordan Lee", "timestamp_ms": T0 + offset + i * 60_000,
         "content": f"{name} {i}"}
        for i in reversed(range(COUNT))
    ], title="Ana", participants=("Ana", "Jordan Lee"))
    return download


@pytest.mark.parametrize("fmt", ["json", "md", "html", "txt"])
def test_an_import_during_an_export_changes_nothing_in_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    first = _download(tmp_path, "facebook-jordanlee-2024", 0)
    # The same thread in a later download, with messages between the first's:
    # every position after the first message moves.
    later = _download(tmp_path, "facebook-jordanlee-2025", 30_000)
    archive = tmp_path / "archive"
    assert run(archive, "import", str(first))[0] == 0
    monkeypatch.setattr(common.Selection.messages, "__defaults__", (PAGE,))
    reads = messages.messages_between
    imported: list[object] = []

    def import_midway(db, cid, lo, hi):  # type: ignore[no-untyped-def]
        if lo >= 2 * PAGE and not imported:
            imported.append(import_downloads(archive, [later], copy_media=False))
        return reads(db, cid, lo, hi)

    # iter_messages reads its pages through messages_between.
    monkeypatch.setattr(messages, "messages_between", import_midway)
    out = tmp_path / f"ana.{fmt}"
    code, said, err = run(archive, "export", "ana", "--format", fmt, "-o", str(out))
    assert code == 0, err
    assert imported and run_json(archive, "stats", "ana")["messages"] == 2 * COUNT
    assert f"({COUNT} messages" in said
    text = out.read_text(encoding="utf-8")
    if fmt == "json":
        written = [m["text"] for m in json.loads(text)["messages"]]
        assert written == [f"facebook-jordanlee-2024 {i}" for i in range(COUNT)]
    for i in range(COUNT):
        assert text.count(f"facebook-jordanlee-2024 {i}\n") + text.count(
            f"facebook-jordanlee-2024 {i}<") + text.count(f'facebook-jordanlee-2024 {i}"') == 1
    assert "facebook-jordanlee-2025" not in text
