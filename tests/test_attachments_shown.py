"""How ``show`` names attachments: the original file name, the absolute path of
the archived copy, or why there is none."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.cli import run, run_json
from tests.support.downloads import write_thread

T0 = 1_600_000_000_000
THREAD = "your_facebook_activity/messages/inbox/ana_1"


@pytest.fixture
def download(tmp_path: Path) -> Path:
    """A Facebook download (one photo present, one absent, one remote link, a
    video) beside a Messenger encrypted chat whose media failed to download."""
    root = tmp_path / "facebook-jordan-2025"
    folder = root / THREAD
    write_thread(folder, [
        {"sender_name": "Ana", "timestamp_ms": T0 + 3000,
         "videos": [{"uri": f"{THREAD}/videos/boat trip.mp4"}]},
        {"sender_name": "Ana", "timestamp_ms": T0 + 2000,
         "photos": [{"uri": "https://scontent.example.com/v/expired_n.jpg"}]},
        {"sender_name": "Ana", "timestamp_ms": T0 + 1000,
         "photos": [{"uri": f"{THREAD}/photos/not_here.jpg"}]},
        {"sender_name": "Ana", "timestamp_ms": T0,
         "photos": [{"uri": f"{THREAD}/photos/sunset_123.jpg"}]},
    ], title="Ana")
    (folder / "photos").mkdir()
    (folder / "photos" / "sunset_123.jpg").write_bytes(b"\xff\xd8 a photo \xff\xd9")
    (folder / "videos").mkdir()
    (folder / "videos" / "boat trip.mp4").write_bytes(b"\0\0\0\x08free")
    e2ee = root / "your_activity_across_facebook" / "messages"
    e2ee.mkdir(parents=True)
    (e2ee / "Bea Costa_1.json").write_text(json.dumps({
        "participants": ["Jordan Lee", "Bea Costa"], "threadName": "Bea Costa",
        "messages": [{"isUnsent": False, "media": [{"uri": "Failed to download media"}],
                      "reactions": [], "senderName": "Bea Costa", "text": "",
                      "timestamp": T0, "type": "media"}],
    }), encoding="utf-8")
    return root


@pytest.fixture
def archive(tmp_path: Path, download: Path) -> Path:
    archive = tmp_path / "archive"
    run_json(archive, "import", str(download))
    return archive


def test_show_json_gives_names_absolute_files_and_reasons(archive: Path) -> None:
    messages = run_json(archive, "show", "Ana")["messages"]
    photo, absent, remote, video = (m["attachments"][0] for m in messages)
    assert photo["name"] == "sunset_123.jpg"
    assert photo["file"] == str((archive / photo["path"]).resolve())
    assert Path(photo["file"]).is_absolute()
    assert Path(photo["file"]).read_bytes() == b"\xff\xd8 a photo \xff\xd9"
    assert photo["missing"] is False and photo["missing_reason"] is None
    assert photo["size"] == 13
    assert (absent["name"], absent["file"], absent["missing"]) == ("not_here.jpg", None, True)
    assert absent["missing_reason"] == "not in the download"
    assert remote["name"] == "expired_n.jpg" and remote["file"] is None
    assert remote["missing_reason"].startswith("a remote link")
    assert video["name"] == "boat trip.mp4" and video["kind"] == "video"
    assert Path(video["file"]).suffix == ".mp4"


def test_failed_download_says_so(archive: Path) -> None:
    [message] = run_json(archive, "show", "Bea")["messages"]
    [failed] = message["attachments"]
    assert failed["name"] is None and failed["file"] is None
    assert failed["missing_reason"] == 'the download says "Failed to download media"'


def test_show_text_names_files_and_paths(archive: Path) -> None:
    code, out, err = run(archive, "show", "Ana")
    assert code == 0, err
    file = next((archive / "media").rglob("*.jpg")).resolve()
    assert f"[photo] sunset_123.jpg  {file}" in out
    assert "[photo] not_here.jpg (missing: not in the download)" in out
    assert ("[photo] expired_n.jpg (missing: a remote link, "
            "https://scontent.example.com/v/expired_n.jpg)") in out
    code, out, _ = run(archive, "show", "Bea")
    assert '(missing: the download says "Failed to download media")' in out


def test_imported_without_media_and_deleted_copies(tmp_path: Path, download: Path) -> None:
    bare = tmp_path / "bare"
    run_json(bare, "import", "--no-media", str(download))
    photo = run_json(bare, "show", "Ana")["messages"][0]["attachments"][0]
    assert photo["file"] is None and photo["missing_reason"].startswith("not copied")
    kept = tmp_path / "kept"
    run_json(kept, "import", str(download))
    for copy in (kept / "media").rglob("*.jpg"):
        copy.unlink()
    photo = run_json(kept, "show", "Ana")["messages"][0]["attachments"][0]
    assert photo["file"] is None
    assert photo["missing_reason"].startswith("no longer in the archive folder")
