"""Importing Meta DYI downloads: threads, counts, repaired text, idempotence."""

from __future__ import annotations

import json
import shutil
import stat
import zipfile
from pathlib import Path

import pytest

from archiver.importer import HTML_SENTENCE, import_downloads
from tests.conftest import FIXTURES, db_rows, run, run_json, without, write_thread

MSGVAULT_JSON = (
    "json_simple", "json_multifile", "json_group", "json_nontext", "json_with_media",
    "json_with_media_alt", "mixed",
)



def titles_and_counts(archive: Path) -> dict[str, int]:
    return {t["title"]: t["messages"] for t in run_json(archive, "threads")}


def test_every_msgvault_json_folder(archive: Path, shared_fixtures: Path) -> None:
    paths = [str(shared_fixtures / "msgvault" / name) for name in MSGVAULT_JSON]
    report = run_json(archive, "import", *paths)
    assert report["errors"] == []
    assert titles_and_counts(archive) == {
        "Alice Example": 3, "Zoe Archive": 1, "Dave Multi": 4, "Crew": 3,
        "Sam NonText": 6, "Bob Mediafile": 1, "Carol Altlayout": 1, "Eve Mixer": 2,
    }
    assert report["messages_added"] == 21
    # The HTML twin of a JSON thread is mentioned, not imported.
    assert any("HTML copy" in w for w in report["warnings"])


def test_repaired_text_and_reactions(archive: Path, shared_fixtures: Path) -> None:
    run_json(archive, "import", str(shared_fixtures / "msgvault" / "json_simple"))
    shown = run_json(archive, "show", "Alice Example")
    texts = [m["text"] for m in shown["messages"]]
    assert texts == ["Hello", "café time?", "See you soon"]  # oldest first
    assert shown["messages"][1]["reactions"] == [
        {"actor": "Test User", "reaction": "❤"}, {"actor": "Alice Example", "reaction": "👍"},
    ]
    assert shown["messages"][0]["time"] == "2020-09-13T12:26:40.000Z"
    assert shown["thread"]["parts"][0]["section"] == "inbox"


def test_message_kinds(archive: Path, shared_fixtures: Path) -> None:
    run_json(archive, "import", str(shared_fixtures / "msgvault" / "json_nontext"))
    messages = run_json(archive, "show", "Sam NonText")["messages"]
    kinds = [m["kind"] for m in messages]
    assert kinds == ["system", "share", "call", "call", "media", "sticker"]
    assert messages[1]["share"] == {
        "link": "https://example.com/article", "text": "Example share text",
    }
    assert messages[2]["call"] == {"seconds": 0, "missed": True}
    assert messages[3]["call"] == {"seconds": 192, "missed": False}
    assert messages[4]["attachments"] == [
        {"kind": "photo", "name": "missing.jpg", "path": None, "file": None, "missing": True,
         "missing_reason": "not in the download", "size": None}
    ]


def test_media_found_despite_prefix_mismatch(archive: Path, shared_fixtures: Path) -> None:
    report = run_json(archive, "import", str(shared_fixtures / "msgvault" / "json_with_media_alt"))
    assert report["media_copied"] == 1 and report["media_missing"] == 0
    att = run_json(archive, "show", "Carol")["messages"][0]["attachments"][0]
    assert att["missing"] is False
    copied = archive / att["path"]
    assert att["file"] == str(copied.resolve())
    original = next((shared_fixtures / "msgvault" / "json_with_media_alt").rglob("tiny.png"))
    assert copied.read_bytes() == original.read_bytes()


def test_corrupt_thread_reported_and_sibling_imported(archive: Path, shared_fixtures: Path) -> None:
    code, _out, err = run(archive, "import", str(shared_fixtures / "msgvault" / "corrupt"))
    assert code == 1
    assert "broken_BAD/message_1.json" in err and "not valid JSON" in err
    assert "Traceback" not in err
    assert titles_and_counts(archive) == {"Good Sibling": 1}


@pytest.mark.parametrize("name", ["html_simple", "html_with_media", "html_multi_media"])
def test_html_download_gets_the_json_sentence(archive: Path, shared_fixtures: Path, name: str) -> None:
    code, _out, err = run(archive, "import", str(shared_fixtures / "msgvault" / name))
    assert code == 2
    assert HTML_SENTENCE in err


def test_bom_and_legacy_fields(archive: Path, shared_fixtures: Path) -> None:
    report = run_json(archive, "import", str(shared_fixtures / "chat-analytics" / "2A_7M.json"))
    assert report["errors"] == []
    [thread] = run_json(archive, "threads")
    assert thread["participants"] == ["Alice", "Bob"]
    messages = run_json(archive, "show", str(thread["id"]))["messages"]
    assert messages[-1]["text"] == "Hello"
    # Unmapped legacy fields (ip, sender_id_INTERNAL) are kept raw on the message.
    source = json.loads((shared_fixtures / "chat-analytics" / "2A_7M.json").read_text("utf-8-sig"))
    with_ip = sum(1 for m in source["messages"] if "ip" in m)
    raw = db_rows(archive, "SELECT raw FROM messages WHERE raw LIKE '%\"ip\": \"1.1.1.1\"%'")
    assert with_ip > 0 and len(raw) == with_ip
    assert all("sender_id_INTERNAL" in r[0] for r in raw)


def test_second_import_adds_nothing(archive: Path, shared_fixtures: Path) -> None:
    path = str(shared_fixtures / "msgvault" / "json_simple")
    first = run_json(archive, "import", path)
    second = run_json(archive, "import", path)
    assert first["messages_added"] == 4
    assert second["messages_added"] == 0
    assert second["messages_already_present"] == 4
    assert db_rows(archive, "SELECT COUNT(*) FROM messages") == [(4,)]
    assert db_rows(archive, "SELECT COUNT(*) FROM messages_fts") == [(4,)]


def test_zip_parts_import_like_the_folder(tmp_path: Path) -> None:
    root = tmp_path / "facebook-jordan-2025"
    inbox = root / "your_facebook_activity" / "messages" / "inbox"
    photo_uri = "messages/inbox/ana_111/photos/p.jpg"
    write_thread(inbox / "ana_111", [
        {"sender_name": "Ana", "timestamp_ms": 1_700_000_002_000, "content": "olá"},
        {"sender_name": "Jordan Lee", "timestamp_ms": 1_700_000_001_000,
         "photos": [{"uri": photo_uri, "creation_timestamp": 1_700_000_001}]},
    ], title="Ana")
    write_thread(inbox / "ana_111", [
        {"sender_name": "Ana", "timestamp_ms": 1_600_000_000_000, "content": "older"},
    ], title="Ana", part=2)
    (inbox / "ana_111" / "photos").mkdir()
    (inbox / "ana_111" / "photos" / "p.jpg").write_bytes(b"\xff\xd8 jpeg bytes")
    # Part 1 holds the JSON, part 2 the photo and the older part: media across parts.
    z1, z2 = tmp_path / "facebook-jordan-2025-1.zip", tmp_path / "facebook-jordan-2025-2.zip"
    with zipfile.ZipFile(z1, "w") as zf:
        zf.write(inbox / "ana_111" / "message_1.json",
                 "your_facebook_activity/messages/inbox/ana_111/message_1.json")
    with zipfile.ZipFile(z2, "w") as zf:
        zf.write(inbox / "ana_111" / "message_2.json",
                 "your_facebook_activity/messages/inbox/ana_111/message_2.json")
        zf.write(inbox / "ana_111" / "photos" / "p.jpg",
                 "your_facebook_activity/messages/inbox/ana_111/photos/p.jpg")
    from_zip = tmp_path / "a1"
    from_folder = tmp_path / "a2"
    zipped = run_json(from_zip, "import", str(z1), str(z2))
    folder = run_json(from_folder, "import", str(root))
    assert zipped["downloads"] == ["facebook-jordan-2025"]
    for key in ("threads", "messages_added", "media_copied", "media_missing", "errors"):
        assert zipped[key] == folder[key], key
    assert zipped["media_copied"] == 1 and zipped["messages_added"] == 3
    shown_zip = run_json(from_zip, "show", "Ana")["messages"]
    shown_dir = run_json(from_folder, "show", "Ana")["messages"]
    # Ids and the archives' own folders differ; everything else is the same.
    assert without(shown_zip, "id", "file") == without(shown_dir, "id", "file")


def test_part_ten_sorts_after_part_two(tmp_path: Path, archive: Path) -> None:
    folder = tmp_path / "dl" / "messages" / "inbox" / "big_1"
    # Part N goes back in time as N grows; 10 is the oldest.
    for part, ts in ((1, 3000), (2, 2000), (10, 1000)):
        write_thread(folder, [{"sender_name": "Ana", "timestamp_ms": ts, "content": f"p{part}"}],
                     part=part)
    run_json(archive, "import", str(tmp_path / "dl"))
    texts = [m["text"] for m in run_json(archive, "show", "Thread")["messages"]]
    assert texts == ["p10", "p2", "p1"]


def test_equal_messages_both_survive_and_reimport_is_stable(tmp_path: Path, archive: Path) -> None:
    folder = tmp_path / "dl" / "messages" / "inbox" / "dup_1"
    same = {"sender_name": "Ana", "timestamp_ms": 5000, "content": "ok"}
    write_thread(folder, [same, dict(same), {**same, "content": "other"}])
    first = run_json(archive, "import", str(tmp_path / "dl"))
    assert first["messages_added"] == 3
    # Touch the file so the unchanged-file shortcut does not apply.
    write_thread(folder, [same, dict(same), {**same, "content": "other"},
                          {"sender_name": "Ana", "timestamp_ms": 6000, "content": "new"}])
    second = run_json(archive, "import", str(tmp_path / "dl"))
    assert (second["messages_added"], second["messages_already_present"]) == (1, 3)
    texts = sorted(m["text"] for m in run_json(archive, "show", "Thread")["messages"])
    assert texts == ["new", "ok", "ok", "other"]


def test_thread_moved_to_another_section_stays_one(tmp_path: Path, archive: Path) -> None:
    msgs = [{"sender_name": "Ana", "timestamp_ms": 1000 * i, "content": f"m{i}"} for i in (2, 1)]
    write_thread(tmp_path / "old" / "messages" / "inbox" / "ana_9", msgs)
    write_thread(tmp_path / "new" / "messages" / "archived_threads" / "ana_9",
                 [{"sender_name": "Ana", "timestamp_ms": 3000, "content": "m3"}, *msgs])
    run_json(archive, "import", str(tmp_path / "old"))
    report = run_json(archive, "import", str(tmp_path / "new"))
    assert (report["messages_added"], report["messages_already_present"]) == (1, 2)
    [thread] = run_json(archive, "threads")
    assert thread["messages"] == 3
    assert sorted(p["section"] for p in thread["parts"]) == ["archived_threads", "inbox"]
    # Each message knows which downloads held it.
    assert db_rows(archive, "SELECT COUNT(*) FROM message_downloads") == [(5,)]


def test_archive_is_private(tmp_path: Path, archive: Path, shared_fixtures: Path) -> None:
    run_json(archive, "import", str(shared_fixtures / "msgvault" / "json_simple"))
    assert stat.S_IMODE(archive.stat().st_mode) == 0o700
    assert stat.S_IMODE((archive / "chatkeep.db").stat().st_mode) == 0o600


def test_missing_path_is_a_usage_error(archive: Path, tmp_path: Path) -> None:
    code, _out, err = run(archive, "import", str(tmp_path / "nope"))
    assert code == 2
    assert "no such file or folder" in err and "Traceback" not in err


def test_instagram_root_sets_platform(tmp_path: Path, archive: Path) -> None:
    write_thread(tmp_path / "ig" / "your_instagram_activity" / "messages" / "inbox" / "maya_5",
                 [{"sender_name": "Maya", "timestamp_ms": 1000, "content": "hi (edited)"}])
    run_json(archive, "import", str(tmp_path / "ig"))
    [thread] = run_json(archive, "threads")
    assert thread["platforms"] == ["instagram"]
    [msg] = run_json(archive, "show", str(thread["id"]))["messages"]
    assert msg["text"] == "hi" and msg["edited"] is True


def test_stats_counts(archive: Path, shared_fixtures: Path) -> None:
    run_json(archive, "import", str(shared_fixtures / "msgvault" / "json_simple"))
    data = run_json(archive, "stats")
    assert data["messages"] == 4 and data["conversations"] == 2
    assert data["platforms"]["facebook"]["messages"] == 4
    assert data["downloads"][0]["name"] == "json_simple"


def test_copy_of_fixture_is_not_modified(tmp_path: Path, archive: Path, shared_fixtures: Path) -> None:
    # Importing never writes into the download.
    src = tmp_path / "copy"
    shutil.copytree(shared_fixtures / "msgvault" / "json_with_media", src)
    before = sorted(p.relative_to(src) for p in src.rglob("*"))
    import_downloads(archive, [src])
    assert sorted(p.relative_to(src) for p in src.rglob("*")) == before


def test_same_photo_in_two_downloads_is_stored_once(archive: Path) -> None:
    samples = Path(__file__).resolve().parents[1] / "sample_exports"
    counts = {}
    for name in ("facebook-jordanlee-2025", "instagram-jordan.lee-2024", "messenger-secure-2024"):
        report = run_json(archive, "import", str(samples / name))
        counts[name] = (report["media_copied"], report["media_missing"])
    # Facebook: 7 files copied, one video missing; Instagram: its only photo is
    # the Maya Chen photo Facebook already brought; encrypted chats: 2 copied
    # and the "Failed to download media" one missing.
    assert counts == {
        "facebook-jordanlee-2025": (7, 1),
        "instagram-jordan.lee-2024": (0, 0),
        "messenger-secure-2024": (2, 1),
    }
    shas = db_rows(archive, "SELECT t.platform, a.sha256 FROM attachments a "
                            "JOIN messages m ON m.id = a.message_id "
                            "JOIN threads t ON t.id = m.thread_id "
                            "WHERE t.key LIKE 'mayachen%' AND a.kind = 'photo'")
    assert sorted(p for p, _ in shas) == ["facebook", "instagram"]
    assert len({sha for _, sha in shas}) == 1
    files = [p for p in (archive / "media").rglob("*") if p.is_file()]
    assert len(files) == 9
    assert sum(1 for p in files if p.name.startswith(shas[0][1])) == 1


@pytest.mark.parametrize("text, event", [
    ("Reacted ❤ to your message ", True),
    ("Liked a message", True),
    ("Ana added Zoë to the group.", True),
    ("Tom left the group.", True),
    ("Priya joined the video chat.", True),
    ("You named the group Weekend crew.", True),
    ("Ana changed the group photo.", True),
    ("Ana set his own nickname to Bart.", True),
    ("Ana set the emoji to 🔥.", True),
    ("Zoë created the group.", True),
    ("Ana sent an attachment.", True),
    ("Ana started a video call.", True),
    ("You are now connected on Messenger.", True),
    ("Say hi to your new Facebook friend, Ana.", True),
    ("I left the group chat open", False),
    ("see you at the group dinner", False),
    ("Reacted badly to the news, sorry", False),
    ("ok", False),
])
def test_event_notices_are_recognised(text: str, event: bool) -> None:
    from archiver.dialects.meta_dyi import _EVENT_PATTERNS, is_event

    assert is_event(text) is event
    assert is_event(text) is (_EVENT_PATTERNS.match(text) is not None)


# -- tests/fixtures/download: a download written by hand -------------------------
# It covers what the shared fixtures cover where they are absent: mojibake
# repaired everywhere (text, names, reactions, unmapped lists), parts 1, 2 and
# 10 read in the download's order, and an encrypted-chat file beside them.

HANDWRITTEN = FIXTURES / "download"


def test_handwritten_download_text_is_repaired(archive: Path) -> None:
    report = run_json(archive, "import", str(HANDWRITTEN))
    assert report["errors"] == [] and report["messages_added"] == 8
    dana = run_json(archive, "show", "danadupont_4401")
    texts = [m["text"] for m in dana["messages"]]
    assert texts[-2:] == ["café time? ☕", "See you at the crêperie"]
    assert dana["messages"][-2]["reactions"] == [{"actor": "Jordan Lee", "reaction": "❤"}]
    secure = [c for c in run_json(archive, "threads") if c["platforms"] == ["messenger"]]
    [chat] = secure
    shown = run_json(archive, "show", str(chat["id"]))["messages"]
    assert [(m["sender"], m["text"]) for m in shown] == [
        ("Jordan Lee", "Ça va, Zoë?"), ("Dana Dupont", "Très bien 🙂"),
    ]
    assert shown[1]["reactions"] == [{"actor": "Jordan Lee", "reaction": "👍"}]


def test_every_item_of_an_unmapped_list_is_repaired(archive: Path) -> None:
    run_json(archive, "import", str(HANDWRITTEN))
    [(raw,)] = db_rows(archive, "SELECT raw FROM messages WHERE raw LIKE '%magic_words%'")
    assert json.loads(raw)["magic_words"] == ["café", "crème", "naïve"]
    assert json.loads(raw)["magic_map"] == {"café": "crème"}  # keys repaired too


def test_parts_are_read_in_the_download_order_even_where_times_tie(archive: Path) -> None:
    """Part 10's newest message and part 2's oldest share a time: only reading
    message_10, message_2, message_1 in that order (numbers, not text) puts
    part ten's message first."""
    run_json(archive, "import", str(HANDWRITTEN))
    texts = [m["text"] for m in run_json(archive, "show", "danadupont_4401")["messages"]]
    assert texts[:4] == ["part ten, first", "part ten, second", "part two, first",
                         "part two, second"]


def _holes_supported(folder: Path) -> bool:
    probe = folder / "probe"
    with open(probe, "wb") as f:
        f.truncate(4 << 20)
        f.write(b"x")
    supported = probe.stat().st_blocks * 512 < (1 << 20)
    probe.unlink()
    return supported


@pytest.mark.parametrize("zipped", [False, True])
def test_zero_filled_media_is_copied_sparse(tmp_path: Path, zipped: bool) -> None:
    """A 32 MB attachment that is zeros but for a few bytes takes a few
    blocks in the archive, from a folder (sparse source) or a zip (not)."""
    if not _holes_supported(tmp_path):
        pytest.skip("this file system cannot hold sparse files")  # reason: nothing to measure
    root = tmp_path / "dl"
    uri = "messages/inbox/ana_1/photos/blank.jpg"
    write_thread(root / "messages" / "inbox" / "ana_1", [
        {"sender_name": "Ana", "timestamp_ms": 1_700_000_000_000, "photos": [{"uri": uri}]},
    ])
    photo = root / uri
    photo.parent.mkdir()
    size = 32 << 20
    with open(photo, "wb") as f:
        f.write(b"\xff\xd8 start")
        f.truncate(size - 2)
        f.seek(size - 2)
        f.write(b"\xff\xd9")
    source: Path = root
    if zipped:
        source = tmp_path / "dl.zip"
        with zipfile.ZipFile(source, "w", zipfile.ZIP_DEFLATED) as zf:
            for path in root.rglob("*"):
                if path.is_file():
                    zf.write(path, path.relative_to(root).as_posix())
    archive = tmp_path / "archive"
    report = run_json(archive, "import", str(source))
    assert report["media_copied"] == 1
    [copy] = [p for p in (archive / "media").rglob("*.jpg")]
    assert copy.stat().st_size == size
    assert copy.stat().st_blocks * 512 <= 1 << 20  # a few blocks of data, the rest holes
    assert copy.read_bytes() == photo.read_bytes()
    # The export's copy keeps the holes as well.
    out = tmp_path / "out" / "ana.md"
    assert run(archive, "export", "Thread", "-o", str(out))[0] == 0
    [exported] = (tmp_path / "out").rglob("*.jpg")
    assert exported.stat().st_size == size and exported.stat().st_blocks * 512 <= 1 << 20
    assert exported.read_bytes() == photo.read_bytes()
