"""Identity on real-shaped downloads: which thread a file belongs to, which
download it came from, and Unicode normalisation of both."""

from __future__ import annotations

import json
import shutil
import unicodedata
import zipfile
from pathlib import Path

import pytest

from tests.support.cli import db_rows, run, run_json
from tests.support.downloads import write_meta_json, write_thread

KEY = "anagomez_4815162342"


def msg(ts: int, text: str, sender: str = "Ana Gómez") -> dict:
    return {"sender_name": sender, "timestamp_ms": ts, "content": text}


def two_part_download(root: Path) -> Path:
    """A Facebook download whose one thread has two parts: message_1.json
    (newest) and message_2.json (oldest), as Meta writes them."""
    folder = root / "your_facebook_activity" / "messages" / "inbox" / KEY
    write_thread(folder, [msg(4000, "four"), msg(3000, "three")], title="Ana Gómez",
                 participants=("Ana Gómez", "Jordan Lee"), part=1)
    write_thread(folder, [msg(2000, "two"), msg(1000, "one")], title="Ana Gómez",
                 participants=("Ana Gómez", "Jordan Lee"), part=2)
    return root


def zipped(folder: Path, target: Path) -> Path:
    with zipfile.ZipFile(target, "w") as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(folder).as_posix())
    return target


def loose_copy(download: Path, part: int, folder: Path) -> Path:
    """One part file copied alone into a folder with another name."""
    folder.mkdir(parents=True, exist_ok=True)
    source = download / "your_facebook_activity/messages/inbox" / KEY / f"message_{part}.json"
    return Path(shutil.copy(source, folder / source.name))


def threads(archive: Path) -> list[tuple[str, str, int]]:
    return db_rows(archive, "SELECT t.platform, t.key, COUNT(m.id) FROM threads t "
                            "LEFT JOIN messages m ON m.thread_id = t.id GROUP BY t.id ORDER BY t.id")


@pytest.mark.parametrize("order", ["loose first", "whole first", "zip then loose",
                                   "two loose parts"])
def test_any_subset_of_a_threads_files_is_one_thread(
    tmp_path: Path, archive: Path, order: str
) -> None:
    download = two_part_download(tmp_path / "facebook-jordanlee-2025")
    loose = loose_copy(download, 2, tmp_path / "Downloads" / "stray")
    if order == "loose first":
        steps = [[loose], [download]]
    elif order == "whole first":
        steps = [[download], [loose]]
    elif order == "zip then loose":
        steps = [[zipped(download, tmp_path / "facebook-jordanlee-2025.zip")], [loose]]
    else:
        other = loose_copy(download, 1, tmp_path / "elsewhere" / "copy")
        steps = [[other], [loose], [download]]
    for paths in steps:
        code, _, err = run(archive, "import", *map(str, paths))
        assert code == 0, err
    assert threads(archive) == [("facebook", KEY, 4)]
    shown = run_json(archive, "show", "Ana Gómez")
    assert [m["text"] for m in shown["messages"]] == ["one", "two", "three", "four"]
    assert db_rows(archive, "SELECT COUNT(*) FROM conversations WHERE message_count > 0") == [(1,)]


def test_a_loose_part_gets_its_section_from_the_file(tmp_path: Path, archive: Path) -> None:
    download = two_part_download(tmp_path / "dl")
    loose = loose_copy(download, 1, tmp_path / "somewhere")
    run(archive, "import", str(loose))
    assert db_rows(archive, "SELECT section FROM thread_parts") == [("inbox",)]


def test_a_thread_folder_imported_by_itself(tmp_path: Path, archive: Path) -> None:
    download = two_part_download(tmp_path / "dl")
    renamed = tmp_path / "ana chat (copy)"
    shutil.copytree(download / "your_facebook_activity/messages/inbox" / KEY, renamed)
    code, _, err = run(archive, "import", str(renamed))
    assert code == 0, err
    run(archive, "import", str(download))
    assert threads(archive) == [("facebook", KEY, 4)]


def test_a_broken_part_is_named_by_its_file(tmp_path: Path, archive: Path) -> None:
    download = two_part_download(tmp_path / "dl")
    broken = download / "your_facebook_activity/messages/inbox" / KEY / "message_2.json"
    broken.write_text('{"participants": [], "messages": [{"sender_name": ', encoding="ascii")
    code, _, err = run(archive, "import", str(download))
    assert code == 1
    [line] = [ln for ln in err.splitlines() if "message_2.json" in ln]
    assert line.startswith(f"error: {broken}: is not valid JSON")
    assert line.endswith("; the whole thread was left out")
    assert threads(archive) == []


def test_a_facebook_shaped_messages_json_is_a_thread(tmp_path: Path, archive: Path) -> None:
    folder = tmp_path / "saved" / "zed_99"
    folder.mkdir(parents=True)
    data = {"participants": [{"name": "Zed"}, {"name": "Jordan Lee"}],
            "messages": [msg(2000, "later", "Zed"), msg(1000, "first", "Zed")],
            "title": "Zed", "thread_path": "inbox/zed_99"}
    write_meta_json(folder / "messages.json", data)
    for target in (folder / "messages.json", tmp_path / "saved"):
        code, out, err = run(archive, "import", "--json", str(target))
        assert code == 0, err
        assert json.loads(out)["errors"] == []
    assert threads(archive) == [("facebook", "zed_99", 2)]


def test_newer_reaction_notices_are_events(tmp_path: Path, archive: Path) -> None:
    folder = tmp_path / "dl" / "messages" / "inbox" / "sofia_1"
    write_thread(folder, [
        msg(3000, "Sofia Rossi reacted 😢 to your message ", "Sofia Rossi"),
        msg(2000, "Reacted ❤ to your message", "Sofia Rossi"),
        msg(1000, "I reacted badly to your message", "Sofia Rossi"),
    ], title="Sofia Rossi")
    run(archive, "import", str(tmp_path / "dl"))
    assert db_rows(archive, "SELECT kind FROM messages ORDER BY timestamp_ms") == [
        ("text",), ("system",), ("system",)]


def test_nfd_and_nfc_names_give_one_archive(tmp_path: Path, archive: Path) -> None:
    """A download unzipped on macOS has NFD file names; its zip has NFC ones."""
    nfc, nfd = "café_42", unicodedata.normalize("NFD", "café_42")
    assert nfc != nfd
    unzipped = tmp_path / "unzipped"
    folder = unzipped / "messages" / "inbox" / nfd
    write_thread(folder, [msg(2000, "à bientôt", "Zoë"), msg(1000, "salut", "Zoë")],
                 title=None, participants=("Zoë", "Jordan Lee"))
    e2ee = unzipped / unicodedata.normalize("NFD", "Zoë Martin_4.json")
    e2ee.write_text(json.dumps({
        "participants": ["Zoë Martin", "Jordan Lee"], "threadName": "Zoë Martin",
        "messages": [{"senderName": "Zoë Martin", "timestamp": 5000, "text": "coucou",
                      "type": "text", "isUnsent": False, "media": [], "reactions": []}],
    }, ensure_ascii=False), encoding="utf-8")
    as_zip = tmp_path / "same.zip"
    with zipfile.ZipFile(as_zip, "w") as zf:
        for path in sorted(unzipped.rglob("*")):
            if path.is_file():
                zf.write(path, unicodedata.normalize("NFC", path.relative_to(unzipped).as_posix()))
    for source in (unzipped, as_zip):
        code, _, err = run(archive, "import", str(source))
        assert code == 0, err
    assert sorted(threads(archive)) == [("facebook", nfc, 2),
                                        ("messenger", "Zoë Martin_4", 1)]
    for key, in db_rows(archive, "SELECT key FROM threads"):
        assert unicodedata.is_normalized("NFC", key)
    # Texts are stored as the download has them.
    assert db_rows(archive, "SELECT text FROM messages WHERE text = ?", ("à bientôt",)) == [
        ("à bientôt",)]


def test_an_upgrade_joins_a_thread_an_old_import_keyed_by_its_folder(
    tmp_path: Path, archive: Path
) -> None:
    """The first release keyed a loose part file by its folder's name, which
    split one thread in two; the upgrade joins them, each message once."""
    import sqlite3

    from archiver.fingerprint import thread_prefix
    from archiver.store.opening import open_archive

    download = two_part_download(tmp_path / "dl")
    run(archive, "import", str(loose_copy(download, 2, tmp_path / "stray")))
    conn = sqlite3.connect(archive / "chatkeep.db")
    old = thread_prefix("facebook", "stray")
    conn.execute("UPDATE threads SET key = 'stray'")
    conn.execute("UPDATE thread_parts SET section = NULL")
    conn.executemany("UPDATE messages SET fingerprint = ? WHERE id = ?", [
        (old + fp[4:], mid) for mid, fp in conn.execute("SELECT id, fingerprint FROM messages")])
    conn.commit()
    conn.close()
    run(archive, "import", str(download))
    assert threads(archive) == [("facebook", "stray", 2), ("facebook", KEY, 4)]
    sql(archive, "PRAGMA user_version = 1")
    open_archive(archive).conn.close()
    assert threads(archive) == [("facebook", KEY, 4)]
    assert db_rows(archive, "SELECT COUNT(*), SUM(message_count) FROM conversations") == [(1, 4)]
    # The two oldest messages are known to have come from both downloads.
    assert db_rows(archive, "SELECT COUNT(*) FROM message_downloads") == [(6,)]
    code, out, err = run(archive, "check")
    assert code == 0, out + err


def test_an_upgrade_joins_an_nfd_keyed_thread_and_keeps_where_each_message_came_from(
    tmp_path: Path, archive: Path
) -> None:
    """The first release kept the NFD key of a download unzipped on macOS
    (January) apart from the NFC key of a later zip of the same thread (June).
    The upgrade joins them, each message once, and every message still knows
    each download that held it: the JSON export and the audit say so."""
    import sqlite3

    from archiver.fingerprint import thread_prefix
    from archiver.store.opening import open_archive

    nfc, nfd = "café_42", unicodedata.normalize("NFD", "café_42")
    january = tmp_path / "facebook-jordanlee-2024-01-01"
    early = [msg(2000, "à bientôt", "Zoë"), msg(1000, "salut", "Zoë")]
    write_thread(january / "messages" / "inbox" / nfd, early, title="Zoë",
                 participants=("Zoë", "Jordan Lee"))
    june = tmp_path / "facebook-jordanlee-2024-06-01"
    write_thread(june / "messages" / "inbox" / nfc, [msg(3000, "coucou", "Zoë"), *early],
                 title="Zoë", participants=("Zoë", "Jordan Lee"))
    run(archive, "import", str(january))
    # As the first release left it: the NFD key, and fingerprints made with it.
    conn = sqlite3.connect(archive / "chatkeep.db")
    conn.execute("UPDATE threads SET key = ?", (nfd,))
    old = thread_prefix("facebook", nfd)
    conn.executemany("UPDATE messages SET fingerprint = ? WHERE id = ?", [
        (old + fp[4:], mid) for mid, fp in conn.execute("SELECT id, fingerprint FROM messages")])
    conn.commit()
    conn.close()
    run(archive, "import", str(zipped(june, tmp_path / f"{june.name}.zip")))
    assert sorted(threads(archive)) == sorted([("facebook", nfd, 2), ("facebook", nfc, 3)])
    sql(archive, "PRAGMA user_version = 1")
    open_archive(archive).conn.close()
    assert threads(archive) == [("facebook", nfc, 3)]
    out = tmp_path / "zoe.json"
    assert run(archive, "export", "Zoë", "--format", "json", "-o", str(out))[0] == 0
    held = {m["text"]: sorted(m["downloads"])
            for m in json.loads(out.read_text(encoding="utf-8"))["messages"]}
    assert held == {"salut": [january.name, june.name], "à bientôt": [january.name, june.name],
                    "coucou": [june.name]}
    audit = {d["name"]: d["in_archive"] for d in run_json(archive, "audit")["downloads"]}
    assert audit == {january.name: 2, june.name: 3}
    code, said, err = run(archive, "check")
    assert code == 0, said + err


def sql(archive: Path, statement: str) -> None:
    import sqlite3

    conn = sqlite3.connect(archive / "chatkeep.db")
    conn.execute(statement)
    conn.commit()
    conn.close()


# -- downloads -----------------------------------------------------------------


def downloads(archive: Path) -> list[tuple[str, str, str | None]]:
    return [(d["name"], d["platform"], d["owner"]) for d in run_json(archive, "stats")["downloads"]]


def test_a_folder_of_three_downloads_records_three(tmp_path: Path, archive: Path) -> None:
    from tests.support.paths import SAMPLES

    parent = tmp_path / "all my downloads"
    for sample in sorted(p for p in SAMPLES.iterdir() if p.is_dir()):
        shutil.copytree(sample, parent / sample.name)
    code, _, err = run(archive, "import", str(parent))
    assert code == 0, err
    assert downloads(archive) == [
        ("facebook-jordanlee-2025", "facebook", "Jordan Lee"),
        ("instagram-jordan.lee-2024", "instagram", "Jordan L."),
        ("messenger-secure-2024", "messenger", "Jordan Lee"),
    ]
    code, out, _ = run(archive, "stats")
    assert "instagram-jordan.lee-2024 (instagram, owner Jordan L.)" in out
    # The same as importing each download by itself.
    each = tmp_path / "each"
    run(each, "import", *(str(p) for p in sorted(parent.iterdir())))
    sql_counts = "SELECT d.name, COUNT(*) FROM message_downloads md JOIN downloads d " \
                 "ON d.id = md.download_id GROUP BY d.name ORDER BY d.name"
    assert db_rows(archive, sql_counts) == db_rows(each, sql_counts)
    # Importing the parent again adds no download.
    run(archive, "import", str(parent))
    assert len(downloads(archive)) == 3


def test_two_bare_messages_roots_of_different_apps(tmp_path: Path, archive: Path) -> None:
    fb = tmp_path / "a" / "messages"
    write_thread(fb / "inbox" / "ana_1", [msg(1000, "hi")], participants=("Ana", "Jordan Lee"))
    write_thread(fb / "inbox" / "bo_2", [msg(2000, "yo", "Bo")], participants=("Bo", "Jordan Lee"))
    ig = tmp_path / "b" / "messages"
    write_thread(ig / "inbox" / "cy_3", [msg(3000, "hey", "Cy")], participants=("Cy", "jordan.l"))
    write_thread(ig / "inbox" / "di_4", [msg(4000, "ok", "Di")], participants=("Di", "jordan.l"))
    run(archive, "import", str(fb))
    code, _, err = run(archive, "import", "--platform", "instagram", str(ig))
    assert code == 0, err
    assert downloads(archive) == [("messages", "facebook", "Jordan Lee"),
                                  ("messages", "instagram", "jordan.l")]


def test_same_folder_name_different_owners(tmp_path: Path, archive: Path) -> None:
    for who, other in (("Jordan Lee", "Ana"), ("Sam Roe", "Bo")):
        root = tmp_path / who / "messages"
        for n, friend in enumerate((other, "Cy")):
            write_thread(root / "inbox" / f"{friend.lower()}_{who[0]}{n}",
                         [msg(1000 + n, f"hi {who}", friend)], participants=(friend, who))
    jordan, sam = tmp_path / "Jordan Lee" / "messages", tmp_path / "Sam Roe" / "messages"
    for path in (jordan, sam, jordan):  # the last one is already there
        assert run(archive, "import", str(path))[0] == 0
    assert downloads(archive) == [("messages", "facebook", "Jordan Lee"),
                                  ("messages", "facebook", "Sam Roe")]
    # Each message is held by its own owner's download only.
    assert db_rows(archive, "SELECT d.owner, COUNT(*) FROM message_downloads md JOIN downloads d "
                            "ON d.id = md.download_id GROUP BY d.owner") == [
        ("Jordan Lee", 2), ("Sam Roe", 2)]


def test_reimporting_a_download_known_by_its_owner_writes_no_provenance(
    tmp_path: Path, archive: Path
) -> None:
    """A download without a maker's name or a profile is known by its folder's
    name and its owner; importing it again finds it before writing anything,
    instead of recording it anew and moving every message's provenance onto
    the one it turns out to be (a million rows for a million messages)."""
    root = tmp_path / "big1m" / "messages"
    for n, friend in enumerate(("Ana", "Bo")):
        write_thread(root / "inbox" / f"{friend.lower()}_{n}",
                     [msg(2000 + n, "again"), msg(1000 + n, "hi", friend)],
                     participants=(friend, "Jordan Lee"))
    assert run(archive, "import", str(root))[0] == 0
    held = "SELECT d.name, d.owner, COUNT(*) FROM message_downloads md " \
           "JOIN downloads d ON d.id = md.download_id GROUP BY d.id"
    assert db_rows(archive, held) == [("messages", "Jordan Lee", 4)]
    # Every write to a message's provenance is counted in meta.
    for event in ("INSERT", "UPDATE", "DELETE"):
        sql(archive, f"CREATE TRIGGER md_{event.lower()} AFTER {event} ON message_downloads "
                     "BEGIN INSERT OR REPLACE INTO meta (key, value) VALUES ('writes', "
                     "COALESCE((SELECT value FROM meta WHERE key = 'writes'), 0) + 1); END")
    report = run_json(archive, "import", str(root))
    assert report["messages_already_present"] == 4
    assert report["messages_added"] == 0
    assert db_rows(archive, "SELECT value FROM meta WHERE key = 'writes'") == []
    assert db_rows(archive, held) == [("messages", "Jordan Lee", 4)]
    # With a thread new to the archive the owner is known only once it is
    # read: the download still ends as the same one, holding every message.
    write_thread(root / "inbox" / "cy_2", [msg(3000, "new", "Cy")],
                 participants=("Cy", "Jordan Lee"))
    assert run_json(archive, "import", str(root))["messages_added"] == 1
    assert db_rows(archive, held) == [("messages", "Jordan Lee", 5)]


def test_an_import_that_reads_nothing_records_no_download(tmp_path: Path, archive: Path) -> None:
    broken = tmp_path / "dl" / "messages" / "inbox" / "x_1" / "message_1.json"
    broken.parent.mkdir(parents=True)
    broken.write_text('{"participants": [', encoding="ascii")
    code, out, _ = run(archive, "import", "--json", str(tmp_path / "dl"))
    assert code != 0
    assert json.loads(out)["downloads"] == []
    assert db_rows(archive, "SELECT COUNT(*) FROM downloads") == [(0,)]
