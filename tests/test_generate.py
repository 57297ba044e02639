"""Tests for the synthetic download generator (tests/support/generate.py) and the
import floor (benchmarks/floor.py)."""

from __future__ import annotations

import json
import re
import tracemalloc
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from benchmarks import floor
from tests.support import generate as gen

N = 3000
THREAD_KEYS = [
    "participants",
    "messages",
    "title",
    "is_still_participant",
    "thread_path",
    "magic_words",
]


def repair(s: str) -> str:
    return s.encode("latin-1").decode("utf-8")


def part_no(path: Path) -> int:
    return int(path.stem.split("_")[1])


def message_files(root: Path) -> list[Path]:
    return sorted(root.rglob("message_*.json"))


def threads(root: Path) -> dict[Path, list[Path]]:
    out: dict[Path, list[Path]] = {}
    for f in message_files(root):
        out.setdefault(f.parent, []).append(f)
    return {k: sorted(v, key=part_no) for k, v in out.items()}


def all_messages(root: Path) -> Iterator[dict[str, Any]]:
    for f in message_files(root):
        yield from json.loads(f.read_bytes())["messages"]


def strings(obj: Any) -> Iterator[str]:
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, list):
        for v in obj:
            yield from strings(v)
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield k
            yield from strings(v)


@pytest.fixture(scope="module")
def fb(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    root = tmp_path_factory.mktemp("fb") / "download"
    summary = gen.generate_facebook(root, N, seed=7, part_size=500)
    return root, summary


@pytest.fixture(scope="module")
def fb_big(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    root = tmp_path_factory.mktemp("fbbig") / "download"
    return root, gen.generate_facebook(root, 30_000, seed=3)


# --------------------------------------------------------------------------- facebook


def test_facebook_layout_and_exact_count(fb: tuple[Path, dict[str, Any]]) -> None:
    root, summary = fb
    messages_root = root / "your_facebook_activity" / "messages"
    assert (root / "profile_information" / "profile_information.json").is_file()
    sections = {p.parent.parent.name for p in message_files(root)}
    assert sections <= {"inbox", "archived_threads", "e2ee_cutover"}
    assert "inbox" in sections
    for f in message_files(root):
        assert f.parent.parent.parent == messages_root
        assert re.fullmatch(r"[a-z0-9]+_\d+", f.parent.name)
    total = sum(len(json.loads(f.read_bytes())["messages"]) for f in message_files(root))
    assert total == N == summary["messages"]
    assert summary["files"] == len(message_files(root))
    assert summary["threads"] == len(threads(root))
    assert sum(summary["thread_messages"].values()) == N


def test_facebook_main_thread_and_long_tail(fb: tuple[Path, dict[str, Any]]) -> None:
    _, summary = fb
    sizes = sorted(summary["thread_messages"].values(), reverse=True)
    assert sizes[0] == round(N * 0.4) == summary["largest_thread_messages"]
    assert len(sizes) > 20
    assert min(sizes) <= 2  # some tiny threads
    assert sizes[1] < sizes[0]


def test_facebook_file_structure_and_order(fb: tuple[Path, dict[str, Any]]) -> None:
    root, _ = fb
    multi_part = 0
    for folder, parts in threads(root).items():
        assert [part_no(p) for p in parts] == list(range(1, len(parts) + 1))
        previous_oldest: int | None = None
        for p in parts:
            doc = json.loads(p.read_bytes())
            assert list(doc) == THREAD_KEYS
            assert doc["thread_path"] == f"{folder.parent.name}/{folder.name}"
            assert doc["magic_words"] == []
            assert all(list(x) == ["name"] for x in doc["participants"])
            msgs = doc["messages"]
            assert 1 <= len(msgs) <= 500
            if p is not parts[-1]:
                assert len(msgs) == 500
            stamps = [m["timestamp_ms"] for m in msgs]
            assert stamps == sorted(stamps, reverse=True)  # newest first in a file
            if previous_oldest is not None:
                assert stamps[0] <= previous_oldest  # message_1 holds the newest
            previous_oldest = stamps[-1]
            for m in msgs:
                assert list(m)[:2] == ["sender_name", "timestamp_ms"]
        multi_part += len(parts) > 1
    assert multi_part >= 1


def test_facebook_default_part_size(fb_big: tuple[Path, dict[str, Any]]) -> None:
    root, summary = fb_big
    counts = [len(json.loads(f.read_bytes())["messages"]) for f in message_files(root)]
    assert max(counts) == gen.MAX_PART == 10_000
    assert sum(counts) == 30_000 == summary["messages"]
    main = root / "your_facebook_activity" / "messages" / summary["largest_thread"]
    assert sorted(p.name for p in main.iterdir()) == ["message_1.json", "message_2.json"]


def test_facebook_mojibake(fb: tuple[Path, dict[str, Any]]) -> None:
    root, _ = fb
    raw = b"".join(f.read_bytes() for f in message_files(root))
    assert raw.isascii()
    assert rb"Ana Mar\u00c3\u00ada Gonz\u00c3\u00a1lez" in raw
    assert rb"\u00f0\u009f" in raw  # 4-byte emoji written byte by byte
    repaired: set[str] = set()
    for f in message_files(root):
        for s in strings(json.loads(f.read_bytes())):
            assert max(map(ord, s), default=0) <= 0xFF
            repaired.add(repair(s))  # every string is valid UTF-8 bytes
    text = "\n".join(repaired)
    for expected in ["Ana María González", "Jordan Lee", "ę", "ç", "é", "ł", "😂"]:
        assert expected in text
    assert "Ã" not in text


def test_facebook_message_mix(fb_big: tuple[Path, dict[str, Any]]) -> None:
    root, _ = fb_big
    msgs = list(all_messages(root))
    n = len(msgs)
    with_reactions = [m for m in msgs if "reactions" in m]
    with_photos = [m for m in msgs if "photos" in m]
    assert 0.05 < len(with_reactions) / n < 0.11
    assert 0.015 < len(with_photos) / n < 0.05
    assert sum("content" in m for m in msgs) / n > 0.8
    assert any("share" in m and m["share"]["link"].startswith("https://") for m in msgs)
    calls = [m for m in msgs if "call_duration" in m]
    assert any(repair(m["content"]) == "The video call ended." for m in calls)
    assert any(m.get("is_unsent") for m in msgs)
    assert any(repair(m.get("content", "")).endswith("to the group.") for m in msgs)
    for r in (r for m in with_reactions for r in m["reactions"]):
        assert list(r) == ["reaction", "actor"]
    stamps = [m["timestamp_ms"] for m in msgs]
    assert len(set(stamps)) < len(stamps)  # equal timestamps occur
    assert min(stamps) >= gen.T_START_MS and max(stamps) <= gen.T_END_MS
    assert min(stamps) < 1_451_606_400_000 and max(stamps) > 1_735_689_600_000  # 2016, 2025
    lengths = [len(repair(m["content"])) for m in msgs if "content" in m]
    assert min(lengths) <= 2 and max(lengths) > 150


def test_facebook_photo_uris_use_2025_prefix(tmp_path: Path) -> None:
    root = tmp_path / "dl"
    summary = gen.generate_facebook(root, 4000, seed=5, media=True, media_limit=10)
    assert summary["media_files"] == 10
    found = 0
    for f in message_files(root):
        doc = json.loads(f.read_bytes())
        for m in doc["messages"]:
            for photo in m.get("photos", []):
                uri = photo["uri"]
                assert re.fullmatch(rf"messages/{doc['thread_path']}/photos/\d+\.jpg", uri)
                assert isinstance(photo["creation_timestamp"], int)
                local = root / "your_facebook_activity" / uri
                if local.exists():
                    assert local.read_bytes()[:2] == b"\xff\xd8"
                    found += 1
    assert found == 10
    assert not list(root.rglob("*.jpg"))[10:]


def test_facebook_no_media_by_default(fb: tuple[Path, dict[str, Any]]) -> None:
    root, summary = fb
    assert summary["media_files"] == 0
    assert not list(root.rglob("*.jpg"))


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_deterministic_for_seed(tmp_path: Path) -> None:
    a = gen.generate_facebook(tmp_path / "a", 2000, seed=11)
    b = gen.generate_facebook(tmp_path / "b", 2000, seed=11)
    gen.generate_facebook(tmp_path / "c", 2000, seed=12)
    assert a["thread_messages"] == b["thread_messages"]
    assert _tree(tmp_path / "a") == _tree(tmp_path / "b")
    assert _tree(tmp_path / "a") != _tree(tmp_path / "c")
    for kind in ("instagram", "e2ee"):
        for name in ("x", "y"):
            target = tmp_path / kind / name
            if kind == "instagram":
                gen.generate_instagram_legacy(target / "messages.json", 1500, seed=4)
            else:
                gen.generate_messenger_e2ee(target, 1500, seed=4)
        assert _tree(tmp_path / kind / "x") == _tree(tmp_path / kind / "y")


def test_refuses_non_empty_output(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("x")
    with pytest.raises(FileExistsError):
        gen.generate_facebook(tmp_path, 10)
    assert (tmp_path / "keep.txt").read_text() == "x"


@pytest.mark.parametrize("n", [1, 2, 5, 17])
def test_tiny_sizes_are_exact(tmp_path: Path, n: int) -> None:
    assert gen.generate_facebook(tmp_path / "fb", n)["messages"] == n
    assert sum(1 for _ in all_messages(tmp_path / "fb")) == n


# --------------------------------------------------------------------------- instagram legacy


def test_instagram_legacy(tmp_path: Path) -> None:
    out = tmp_path / "ig" / "messages.json"
    summary = gen.generate_instagram_legacy(out, N, seed=2)
    raw = out.read_bytes()
    assert b"\\u00c3" not in raw and "ż".encode() in raw  # clean UTF-8, not mojibake
    data = json.loads(raw)
    assert isinstance(data, list) and len(data) == summary["threads"]
    assert sum(len(c["conversation"]) for c in data) == N == summary["messages"]
    iso = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d\d:\d\d")
    offsets = set()
    for conv in data:
        assert list(conv) == ["participants", "conversation"]
        assert all(isinstance(p, str) for p in conv["participants"])
        assert gen.OWNER_USERNAME in conv["participants"]
        stamps = []
        for item in conv["conversation"]:
            assert iso.fullmatch(item["created_at"]), item["created_at"]
            offsets.add(item["created_at"][-6:])
            stamps.append(item["created_at"])
            assert "sender" in item
        parsed = [datetime.fromisoformat(s) for s in stamps]
        assert parsed == sorted(parsed, reverse=True)
    assert "+00:00" in offsets and len(offsets) > 1
    items = [i for c in data for i in c["conversation"]]
    for key in ("text", "likes", "media_url", "story_share", "heart"):
        assert any(key in i for i in items), key


def test_instagram_legacy_streams(tmp_path: Path) -> None:
    peaks, sizes = [], []
    for n in (10_000, 60_000):
        out = tmp_path / f"{n}.json"
        tracemalloc.start()
        try:
            gen.generate_instagram_legacy(out, n, seed=1)
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
        sizes.append(out.stat().st_size)
    assert sizes[1] - sizes[0] > 5_000_000
    # memory does not grow with the output: nothing holds the whole list
    assert peaks[1] - peaks[0] < 1_000_000, (peaks, sizes)


# --------------------------------------------------------------------------- messenger e2ee


def test_messenger_e2ee(tmp_path: Path) -> None:
    root = tmp_path / "e2ee"
    summary = gen.generate_messenger_e2ee(root, N, seed=9)
    files = sorted(root.glob("*.json"))
    empty = [f for f in files if f.stat().st_size == 0]
    assert len(empty) >= 2 and len(empty) == summary["empty_files"]
    total = 0
    types: set[str] = set()
    for f in files:
        assert re.fullmatch(r".+_\d+\.json", f.name)
        if f.stat().st_size == 0:
            continue
        raw = f.read_bytes()
        assert b"\\u00" not in raw
        doc = json.loads(raw)
        assert list(doc) == ["participants", "threadName", "messages"]
        assert gen.OWNER in doc["participants"]
        assert all(isinstance(p, str) for p in doc["participants"])
        for m in doc["messages"]:
            assert list(m) == [
                "isUnsent",
                "media",
                "reactions",
                "senderName",
                "text",
                "timestamp",
                "type",
            ]
            types.add(m["type"])
            if m["type"] == "placeholder":
                assert m["isUnsent"] is True and m["text"] == "User unsent a message"
            for media in m["media"]:
                assert media["uri"].startswith("./media/") or media["uri"] == (
                    "Failed to download media"
                )
            assert 1_704_067_200_000 <= m["timestamp"] <= gen.T_END_MS
        total += len(doc["messages"])
    assert total == N == summary["messages"]
    assert types == {"text", "media", "link", "placeholder"}
    assert summary["files"] == len(files) - len(empty)


# --------------------------------------------------------------------------- CLI and floor


def test_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert gen.main(["facebook", str(tmp_path / "fb"), "--messages", "500", "--seed", "3"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["messages"] == 500 and summary["format"] == "facebook"
    out = tmp_path / "ig.json"
    assert gen.main(["instagram-legacy", str(out), "-n", "300"]) == 0
    assert json.loads(capsys.readouterr().out)["messages"] == 300
    assert gen.main(["messenger-e2ee", str(tmp_path / "e"), "-n", "300", "--media"]) == 0
    assert json.loads(capsys.readouterr().out)["media_files"] > 0
    with pytest.raises(SystemExit) as exc:
        gen.main(["facebook", str(tmp_path / "fb"), "--messages", "5"])
    assert exc.value.code == 2


def test_floor(fb: tuple[Path, dict[str, Any]], capsys: pytest.CaptureFixture[str]) -> None:
    root, _ = fb
    seconds, count = floor.measure_floor(root)
    assert count == N and seconds > 0
    assert floor.main([str(root), "--repeat", "2"]) == 0
    assert f"{N} messages" in capsys.readouterr().out
