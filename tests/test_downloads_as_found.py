"""Downloads as people hand them over: loose files, a folder they assembled,
a thread folder on its own, parts given one by one, a zip of a download's
folder. Each file is its own thread's witness; a platform comes from
evidence; media travel with their thread; nothing is skipped in silence.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

from tests.support.cli import db_rows, run, run_json
from tests.support.downloads import write_meta_json, write_thread

OWNER = "Jordan Lee"
START = 1_700_000_000_000


def say(sender: str, n: int, text: str, **extra: object) -> dict:
    return {"sender_name": sender, "timestamp_ms": START + n * 60_000, "content": text, **extra}


def imported(archive: Path, *paths: Path, code: int = 0) -> dict:
    done, out, err = run(archive, "import", "--json", *(str(p) for p in paths))
    assert done == code, err
    return json.loads(out)


def threads(archive: Path) -> list[tuple[str, str, int]]:
    """(platform, key, messages) of every thread, from the archive's rows."""
    return db_rows(archive, "SELECT t.platform, t.key, COUNT(m.id) FROM threads t "
                   "LEFT JOIN messages m ON m.thread_id = t.id GROUP BY t.id ORDER BY t.key")


# -- 1: each file is its own thread's witness ---------------------------------------


def test_files_of_two_threads_in_one_folder_stay_two_threads(tmp_path: Path) -> None:
    """message_1.json of a group and message_2.json of a one-to-one chat,
    copied into one folder, are two conversations, and a warning says so."""
    folder = tmp_path / "my chats"
    group = [f"Member {n}" for n in range(16)] + [OWNER]
    write_thread(folder, [say(f"Member {n % 16}", n, f"group {n}") for n in reversed(range(30))],
                 title="The group", participants=group, thread_path="inbox/groupname_123")
    write_thread(folder, [say("Friend", n, f"friend {n}") for n in reversed(range(40, 52))],
                 title="Friend", participants=("Friend", OWNER), part=2,
                 thread_path="inbox/friend_456")
    archive = tmp_path / "archive"
    report = imported(archive, folder)
    assert threads(archive) == [("facebook", "friend_456", 12), ("facebook", "groupname_123", 30)]
    listed = {c["title"]: (c["messages"], len(c["participants"]))
              for c in run_json(archive, "threads")}
    assert listed == {"The group": (30, 17), "Friend": (12, 2)}
    said = [w for w in report["warnings"] if "different conversations" in w]
    assert len(said) == 1
    assert "inbox/groupname_123 in message_1.json" in said[0]
    assert "inbox/friend_456 in message_2.json" in said[0]
    # What each file held is counted for its own thread.
    audit = run_json(archive, "audit")
    assert {t["thread"]: t["held"] for d in audit["downloads"] for t in d["threads"]} == {
        "facebook:groupname_123": 30, "facebook:friend_456": 12}


# -- 4: a platform comes from evidence --------------------------------------------


def _instagram_thread(folder: Path, *, media_uri: bool = True, key: str = "sam_9") -> None:
    """A conversation with a photo, as an Instagram download writes it."""
    photo = {"photos": [{"uri": f"your_instagram_activity/messages/inbox/{key}/photos/1.jpg",
                         "creation_timestamp": 1}]} if media_uri else {}
    write_thread(folder, [
        say("Sam", 4, "see you"), say(OWNER, 3, "", **photo), say("Sam", 2, "how are you"),
        say("Sam", 1, "hello"),
    ], title="Sam", participants=("Sam", OWNER), thread_path=f"inbox/{key}")


def test_loose_instagram_files_are_instagram(tmp_path: Path) -> None:
    """Loose part files whose media paths name Instagram's folder are
    Instagram's; the same thread from its Instagram download later is the
    same thread, with no cross-app copy for check to report."""
    loose = tmp_path / "from a friend"
    _instagram_thread(loose)
    archive = tmp_path / "archive"
    report = imported(archive, loose / "message_1.json")
    assert not [w for w in report["warnings"] if "--platform" in w]
    assert threads(archive) == [("instagram", "sam_9", 4)]
    download = tmp_path / "instagram-jordan-2024-05-01"
    _instagram_thread(download / "your_instagram_activity" / "messages" / "inbox" / "sam_9")
    report = imported(archive, download)
    assert report["messages_added"] == 0
    assert threads(archive) == [("instagram", "sam_9", 4)]
    (conversation,) = run_json(archive, "threads")
    assert conversation["cross_app"] is False and conversation["frozen"] is False
    assert run_json(archive, "check")["problems"] == []


def test_a_guessed_platform_is_said_and_never_joins_another_app(tmp_path: Path) -> None:
    """Nothing in a loose file tells its app: the import says it guessed and
    names --platform. The same messages from an Instagram download (under
    another key) stay apart, whichever comes first; a thread the archive
    holds from a download that told its app settles the guess."""
    loose = tmp_path / "loose"
    _instagram_thread(loose, media_uri=False, key="sam_10")
    archive = tmp_path / "archive"
    report = imported(archive, loose)
    (said,) = [w for w in report["warnings"] if "--platform" in w]
    assert "Facebook or Instagram" in said and "imported as Facebook" in said
    assert threads(archive) == [("facebook", "sam_10", 4)]
    download = tmp_path / "instagram-jordan-2024-05-01"
    _instagram_thread(download / "your_instagram_activity" / "messages" / "inbox" / "sam_9",
                      media_uri=False)
    imported(archive, download)
    listed = run_json(archive, "threads")
    assert sorted(c["platforms"][0] for c in listed) == ["facebook", "instagram"]
    assert all(not c["cross_app"] for c in listed)
    # The other way round: the guessed thread comes second.
    other = tmp_path / "other"
    imported(other, download)
    imported(other, loose)
    listed = run_json(other, "threads")
    assert len(listed) == 2 and all(not c["cross_app"] for c in listed)
    # Under the key the archive holds from Instagram, it is Instagram's, unsaid.
    same_key = tmp_path / "same key"
    _instagram_thread(same_key, media_uri=False)
    report = imported(other, same_key)
    assert not [w for w in report["warnings"] if "--platform" in w]
    assert report["messages_added"] == 0
    # Said with --platform, the same file is Instagram's.
    again = tmp_path / "again"
    done, out, err = run(again, "import", "--json", "--platform", "instagram", str(loose))
    assert done == 0, err
    assert not [w for w in json.loads(out)["warnings"] if "--platform" in w]
    assert threads(again) == [("instagram", "sam_10", 4)]


# -- 5: media travel with their thread ------------------------------------------


def _thread_with_photo(folder: Path, photo: bytes | None) -> None:
    write_thread(folder, [
        say("Ana", 2, "", photos=[{"uri": "messages/inbox/ana_1/photos/p.jpg",
                                   "creation_timestamp": 1}]),
        say("Ana", 1, "look"),
    ], title="Ana", participants=("Ana", OWNER), thread_path="inbox/ana_1")
    if photo is not None:
        (folder / "photos").mkdir(parents=True, exist_ok=True)
        (folder / "photos" / "p.jpg").write_bytes(photo)


def test_a_thread_folder_imported_alone_brings_its_media(tmp_path: Path) -> None:
    folder = tmp_path / "ana_1"
    _thread_with_photo(folder, b"\xff\xd8 a photo")
    archive = tmp_path / "archive"
    report = imported(archive, folder)
    assert (report["media_copied"], report["media_missing"]) == (1, 0)
    (media_path,) = db_rows(archive, "SELECT media_path FROM attachments WHERE present = 1")[0]
    assert (archive / media_path).read_bytes() == b"\xff\xd8 a photo"
    assert run_json(archive, "audit")["media_missing"]["not_in_download"] == []


def test_a_later_download_brings_the_media_an_unchanged_thread_lacked(tmp_path: Path) -> None:
    """The thread folder came first without its photo; the whole download
    later holds the very same thread file and the photo: the photo arrives,
    and audit no longer lists it."""
    alone = tmp_path / "ana_1"
    _thread_with_photo(alone, None)
    archive = tmp_path / "archive"
    report = imported(archive, alone)
    assert report["media_missing"] == 1
    lacking = run_json(archive, "audit")["media_missing"]["not_in_download"]
    assert [m["attachments"] for m in lacking] == [1]
    download = tmp_path / "facebook-jordanlee-2024-05-01"
    thread = download / "your_facebook_activity" / "messages" / "inbox" / "ana_1"
    thread.mkdir(parents=True)
    shutil.copy(alone / "message_1.json", thread / "message_1.json")
    (thread / "photos").mkdir()
    (thread / "photos" / "p.jpg").write_bytes(b"\xff\xd8 the photo")
    report = imported(archive, download)
    assert report["messages_added"] == 0 and report["media_found"] == 1
    assert run_json(archive, "audit")["media_missing"]["not_in_download"] == []
    (media_path,) = db_rows(archive, "SELECT media_path FROM attachments WHERE present = 1")[0]
    assert (archive / media_path).read_bytes() == b"\xff\xd8 the photo"
    done, out, _ = run(archive, "import", str(download))
    assert done == 0 and "media found" not in out  # found once, not again


# -- 10: a file that looks like a thread is read whatever its name ---------------------


def test_thread_files_under_other_names_are_read(tmp_path: Path) -> None:
    folder = tmp_path / "assembled"
    piter = write_thread(folder, [say("Piter", n, f"p{n}") for n in reversed(range(7))],
                         title="Piter", participants=("Piter", OWNER),
                         thread_path="inbox/piter_1")
    piter.rename(folder / "piter.json")
    sally = write_thread(folder, [say("Sally", n, f"s{n}") for n in reversed(range(5))],
                         title="Sally", participants=("Sally", OWNER),
                         thread_path="inbox/sally_2")
    sally.rename(folder / "sally.json")
    (folder / "notes.json").write_text('{"messages": "ask Sally about the trip"}')
    archive = tmp_path / "archive"
    report = imported(archive, folder)
    assert threads(archive) == [("facebook", "piter_1", 7), ("facebook", "sally_2", 5)]
    (said,) = [w for w in report["warnings"] if "notes.json" in w]
    assert "not a conversation" in said and "not imported" in said


def test_an_old_instagram_file_is_read_whatever_its_name(tmp_path: Path) -> None:
    conversation = [{"participants": ["sam", "jordan"], "conversation": [
        {"sender": "sam", "created_at": "2020-07-12T14:30:19.783799+00:00", "text": "hi"},
        {"sender": "jordan", "created_at": "2020-07-12T14:29:00+00:00", "text": "hey"},
    ]}]
    for name in ("sample.json", "messages.json"):
        path = write_meta_json(tmp_path / name.split(".")[0] / name, conversation)
        archive = tmp_path / f"archive-{name}"
        report = imported(archive, path)
        assert report["messages_added"] == 2, name
        assert threads(archive) == [("instagram", "legacy:jordan,sam", 2)]


# -- 6 and 13: parts given one by one, a zip of a download's folder ----------------------


def _three_parts(folder: Path) -> list[Path]:
    """One thread in three part files (message_1.json the newest)."""
    paths = []
    for part, numbers in ((3, range(10)), (2, range(10, 25)), (1, range(25, 27))):
        paths.append(write_thread(folder, [say("Ana", n, f"m{n}") for n in reversed(numbers)],
                                  title="Ana", participants=("Ana", OWNER), part=part,
                                  thread_path="inbox/sebk_7"))
    return sorted(paths)


def test_parts_given_one_by_one_are_one_download_counted_whole(tmp_path: Path) -> None:
    folder = tmp_path / "sebk"
    parts = _three_parts(folder)
    archive = tmp_path / "archive"
    report = imported(archive, *parts)
    assert report["downloads"] == ["sebk"]
    done, out, _ = run(archive, "import", *(str(p) for p in parts))
    assert done == 0
    assert out.splitlines()[0] == "Nothing new in sebk: every message was already in the archive"
    (download,) = run_json(archive, "audit")["downloads"]
    assert (download["held"], download["in_archive"], download["missing"]) == (27, 27, 0)
    # Across runs too: each part in a command of its own.
    apart = tmp_path / "apart"
    for part in parts:
        imported(apart, part)
    (download,) = run_json(apart, "audit")["downloads"]
    assert (download["held"], download["in_archive"], download["missing"]) == (27, 27, 0)


def test_a_zip_of_a_download_folder_keeps_the_downloads_name(tmp_path: Path) -> None:
    name = "facebook-kar-2024-05-01-abc"
    download = tmp_path / name
    write_thread(download / "your_facebook_activity" / "messages" / "inbox" / "ana_1",
                 [say("Ana", 1, "hi")], title="Ana", participants=("Ana", "Kar"))
    packed = tmp_path / "kar.zip"
    with zipfile.ZipFile(packed, "w") as zf:
        for path in sorted(download.rglob("*")):
            zf.write(path, path.relative_to(tmp_path).as_posix())
    archive = tmp_path / "archive"
    assert imported(archive, packed)["downloads"] == [name]
    assert imported(archive, download)["downloads"] == [name]
    assert [d["name"] for d in run_json(archive, "stats")["downloads"]] == [name]
