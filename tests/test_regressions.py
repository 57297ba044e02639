"""Bugs the rest of the suite once let through, each seen from the outside:
what `show`, `threads`, the exports and the archive's rows say.

Each test names the slip it guards against; `tests/support/mutation.py` plants
each of them and checks that a test here fails.
"""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.support.cli import db_rows, run, run_json
from tests.support.downloads import write_thread

OWNER = "Jordan Lee"
DAY_MS = 86_400_000


def ms(iso: str) -> int:
    """UTC milliseconds of an ISO time ("2021-03-04T10:00")."""
    return int(datetime.fromisoformat(iso).replace(tzinfo=UTC).timestamp() * 1000)


def say(sender: str, when: int, text: str, **extra: object) -> dict:
    return {"sender_name": sender, "timestamp_ms": when, "content": text, **extra}


def imported(archive: Path, *paths: Path) -> dict:
    code, out, err = run(archive, "import", "--json", *(str(p) for p in paths))
    assert code == 0, err
    return json.loads(out)


def conversation_ids(archive: Path) -> dict[str, int]:
    """Each conversation's id by its title."""
    return {c["title"]: c["id"] for c in run_json(archive, "threads")}


# -- 1. a reaction notice whose emoji carries U+FE0F ------------------------------------


@pytest.fixture
def notices(tmp_path: Path) -> Path:
    """A ❤ reaction announced by a notice that writes it with the presentation
    selector U+FE0F (❤️), as Meta's notices often do."""
    start = ms("2021-05-01T10:00")
    write_thread(tmp_path / "dl" / "messages" / "inbox" / "ana_7", [
        say("Ana", start + 3000, "Ana reacted ❤\ufe0f to your message"),
        say(OWNER, start + 2000, "and the dog"),
        say(OWNER, start + 1000, "my cat is back", reactions=[
            {"reaction": "❤", "actor": "Ana"}]),
    ], title="Pets", participants=("Ana", OWNER))
    archive = tmp_path / "archive"
    imported(archive, tmp_path / "dl")
    return archive


def test_a_notice_with_a_presentation_selector_folds_into_its_reaction(
    notices: Path, tmp_path: Path
) -> None:
    """"Ana reacted ❤️" repeats the ❤ Ana gave: it is not printed again, in
    show and in the exports, and stays in the archive."""
    code, out, err = run(notices, "show", "Pets", "--tz", "UTC")
    assert code == 0, err
    assert "reacted" not in out
    assert "my cat is back" in out and "and the dog" in out
    md = tmp_path / "pets.md"
    assert run(notices, "export", "Pets", "-o", str(md))[0] == 0
    assert "reacted" not in md.read_text(encoding="utf-8")
    page = tmp_path / "pets.html"
    assert run(notices, "export", "Pets", "--format", "html", "-o", str(page))[0] == 0
    assert "reacted" not in page.read_text(encoding="utf-8")
    texts = [m["text"] for m in run_json(notices, "show", "Pets")["messages"]]
    assert "Ana reacted ❤\ufe0f to your message" in texts


def test_a_notice_without_the_selector_folds_into_a_reaction_with_it(tmp_path: Path) -> None:
    start = ms("2021-05-01T10:00")
    write_thread(tmp_path / "dl" / "messages" / "inbox" / "bo_8", [
        say("Bo", start + 2000, "Bo reacted ❤ to your message"),
        say(OWNER, start + 1000, "my dog is back", reactions=[
            {"reaction": "❤\ufe0f", "actor": "Bo"}]),
    ], title="Dogs", participants=("Bo", OWNER))
    archive = tmp_path / "archive"
    imported(archive, tmp_path / "dl")
    code, out, err = run(archive, "show", "Dogs", "--tz", "UTC")
    assert code == 0, err
    assert "reacted" not in out
    assert "Bo" in out and "my dog is back" in out


# -- 2. more than 10,000 messages make several HTML pages ---------------------------------


@pytest.fixture(scope="module")
def ten_thousand_and_one(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One conversation of 10,001 messages: the first alone on 2020-01-01, then
    1,000 a day from 2020-01-02 on, so that ``--after 2020-01-01`` leaves 10,000."""
    root = tmp_path_factory.mktemp("long")
    first = ms("2020-01-01T12:00")
    rest = ms("2020-01-02T00:00")
    messages = [say("Ana", first, "message 0")] + [
        say("Ana" if i % 2 else OWNER, rest + (i - 1) // 1000 * DAY_MS + (i - 1) % 1000 * 60_000,
            f"message {i}") for i in range(1, 10_001)]
    write_thread(root / "dl" / "messages" / "inbox" / "ana_1", messages[::-1], title="Ana",
                 participants=("Ana", OWNER))
    archive = root / "archive"
    imported(archive, root / "dl")
    return archive


def html_pages(archive: Path, out: Path, *args: str) -> list[Path]:
    code, _, err = run(archive, "export", "Ana", "--format", "html", "-o", str(out), *args)
    assert code == 0, err
    return sorted(out.parent.glob("*.html"))


def articles(pages: list[Path]) -> list[str]:
    return [text for page in pages
            for text in page.read_text(encoding="utf-8").split('<article class="msg')[1:]]


def test_ten_thousand_messages_are_one_html_page(
    ten_thousand_and_one: Path, tmp_path: Path
) -> None:
    pages = html_pages(ten_thousand_and_one, tmp_path / "ana.html", "--after", "2020-01-01",
                       "--tz", "UTC")
    assert [p.name for p in pages] == ["ana.html"]
    assert len(articles(pages)) == 10_000


def test_ten_thousand_and_one_messages_are_split_into_pages(
    ten_thousand_and_one: Path, tmp_path: Path
) -> None:
    pages = html_pages(ten_thousand_and_one, tmp_path / "ana.html", "--tz", "UTC")
    assert len(pages) >= 2 and pages[0].name == "ana.html"
    assert {p.name for p in pages[1:]} == {f"ana_page{n}.html" for n in range(2, len(pages) + 1)}
    assert len(articles(pages)) == 10_001  # each message on one page


# -- 3. a new conversation never takes an id a joined thread remembers --------------------


def test_a_new_chat_never_takes_the_id_a_join_freed(tmp_path: Path) -> None:
    download = tmp_path / "dl" / "messages" / "inbox"
    for n, name in enumerate(("Ana", "Bo")):
        write_thread(download / f"{name.lower()}_{n}", [say(name, ms("2021-01-01") + n, "hi")],
                     title=name, participants=(name, OWNER))
    archive = tmp_path / "archive"
    imported(archive, tmp_path / "dl")
    before = conversation_ids(archive)
    assert sorted(before.values()) == [1, 2]
    code, _, err = run(archive, "link", "1", "2")
    assert code == 0, err
    assert list(conversation_ids(archive).values()) == [1]  # 2 is free, and remembered
    write_thread(tmp_path / "more" / "messages" / "inbox" / "cy_3",
                 [say("Cy", ms("2021-02-01"), "hello")], title="Cy", participants=("Cy", OWNER))
    imported(archive, tmp_path / "more")
    cy = {c["title"]: c["id"] for c in run_json(archive, "threads")
          if c["title"] == "Cy"}["Cy"]
    assert cy == 3
    code, _, err = run(archive, "unlink", "1")
    assert code == 0, err
    assert conversation_ids(archive) == {**before, "Cy": 3}


# -- 5. a new thread whose parts arrive out of time order ---------------------------------


def test_a_new_threads_interleaved_parts_are_in_time_order(tmp_path: Path) -> None:
    """Two parts whose times interleave (and a part order that is not Meta's):
    the conversation reads oldest first, with the right first and last dates."""
    folder = tmp_path / "dl" / "messages" / "inbox" / "ana_1"
    base = ms("2021-03-01T09:00")
    odd = [say("Ana", base + k * DAY_MS, f"day {k}") for k in (5, 3, 1)]
    even = [say(OWNER, base + k * DAY_MS, f"day {k}") for k in (6, 4, 2, 0)]
    write_thread(folder, even, title="Ana", participants=("Ana", OWNER), part=1)
    write_thread(folder, odd, title="Ana", participants=("Ana", OWNER), part=2)
    archive = tmp_path / "archive"
    imported(archive, tmp_path / "dl")
    shown = run_json(archive, "show", "Ana")
    assert [m["text"] for m in shown["messages"]] == [f"day {k}" for k in range(7)]
    [conv] = run_json(archive, "threads")
    assert (conv["first"], conv["last"]) == ("2021-03-01T09:00:00.000Z",
                                             "2021-03-07T09:00:00.000Z")
    code, out, err = run(archive, "show", "Ana", "--tz", "UTC")
    assert code == 0, err
    assert out.index("day 0") < out.index("day 1") < out.index("day 6")


def test_a_long_new_thread_whose_later_part_is_older_is_in_time_order(tmp_path: Path) -> None:
    """Messages arrive in chunks of 1,000: a part read later that goes back in
    time, past a chunk's end, still puts the thread in time order."""
    folder = tmp_path / "dl" / "messages" / "inbox" / "ana_1"
    base = ms("2021-03-01T09:00")
    newer = [say("Ana", base + 10_000_000 + i * 1000, f"new {i}") for i in range(1500)]
    older = [say("Ana", base + i * 1000, f"old {i}") for i in range(1500)]
    # Read from message_2 down to message_1: "newer" is read first.
    write_thread(folder, older[::-1], title="Ana", participants=("Ana", OWNER), part=1)
    write_thread(folder, newer[::-1], title="Ana", participants=("Ana", OWNER), part=2)
    archive = tmp_path / "archive"
    imported(archive, tmp_path / "dl")
    times = [m["time"] for m in run_json(archive, "show", "Ana")["messages"]]
    assert len(times) == 3000 and times == sorted(times)
    [conv] = run_json(archive, "threads")
    assert (conv["first"], conv["last"]) == (times[0], times[-1])


# -- 6. two downloads in one command, an attachment at the same path in each -------------


@pytest.mark.parametrize("as_zip", [False, True], ids=["folders", "zips"])
def test_each_attachment_is_its_own_downloads_file(tmp_path: Path, as_zip: bool) -> None:
    paths = []
    for n, month in enumerate(("01", "06")):
        root = tmp_path / f"facebook-jordanlee-2024-{month}-01"
        folder = root / "messages" / "inbox" / "ana_1"
        uri = "messages/inbox/ana_1/photos/cat.jpg"
        write_thread(folder, [say("Ana", ms(f"2024-{month}-01T10:00"), f"photo {n}",
                                  photos=[{"uri": uri}])],
                     title="Ana", participants=("Ana", OWNER))
        (folder / "photos").mkdir()
        (folder / "photos" / "cat.jpg").write_bytes(f"cat picture {n}".encode())
        if as_zip:
            target = root.with_suffix(".zip")
            with zipfile.ZipFile(target, "w") as zf:
                for path in sorted(root.rglob("*")):
                    if path.is_file():
                        zf.write(path, path.relative_to(root).as_posix())
            root = target
        paths.append(root)
    archive = tmp_path / "archive"
    report = imported(archive, *paths)
    assert report["media_copied"] == 2
    shown = run_json(archive, "show", "Ana")["messages"]
    files = {m["text"]: Path(m["attachments"][0]["file"]).read_bytes() for m in shown}
    assert files == {"photo 0": b"cat picture 0", "photo 1": b"cat picture 1"}


# -- 7. a thread file corrected without changing its size ---------------------------------


@pytest.mark.parametrize("as_zip", [False, True], ids=["folder", "zip"])
def test_a_same_size_correction_is_imported(tmp_path: Path, as_zip: bool) -> None:
    root = tmp_path / "facebook-jordanlee-2024-01-01"
    path = write_thread(root / "messages" / "inbox" / "ana_1",
                        [say("Ana", ms("2024-01-01T10:00"), "see you at 5")],
                        title="Ana", participants=("Ana", OWNER))

    def source() -> Path:
        if not as_zip:
            return root
        target = tmp_path / "facebook-jordanlee-2024-01-01.zip"
        with zipfile.ZipFile(target, "w") as zf:
            zf.write(path, path.relative_to(root).as_posix())
        return target

    archive = tmp_path / "archive"
    imported(archive, source())
    before = path.read_bytes()
    path.write_bytes(before.replace(b"at 5", b"at 6"))
    assert len(path.read_bytes()) == len(before) and path.read_bytes() != before
    report = imported(archive, source())
    assert report["messages_added"] == 1
    texts = [m["text"] for m in run_json(archive, "show", "Ana")["messages"]]
    assert "see you at 6" in texts
    assert db_rows(archive, "SELECT COUNT(*) FROM messages WHERE text = 'see you at 6'") == [(1,)]


# -- a download imported a few parts at a time --------------------------------------------


def parts_download(root: Path) -> list[Path]:
    """One thread in two parts (message_1.json the newest), and a second thread."""
    inbox = root / "messages" / "inbox"
    base = ms("2022-02-01T10:00")
    parts = [write_thread(inbox / "ana_1", [say("Ana", base + 4000, "four"),
                                             say(OWNER, base + 3000, "three")],
                          title="Ana", participants=("Ana", OWNER), part=1),
             write_thread(inbox / "ana_1", [say("Ana", base + 2000, "two"),
                                             say(OWNER, base + 1000, "one")],
                          title="Ana", participants=("Ana", OWNER), part=2)]
    write_thread(inbox / "bo_2", [say("Bo", base, "hi")], title="Bo", participants=("Bo", OWNER))
    return parts


def only(root: Path, keep: list[Path], into: Path) -> Path:
    """A copy of the download ``root`` holding only ``keep`` (same name)."""
    target = into / root.name
    for path in keep:
        dest = target / path.relative_to(root)
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(path.read_bytes())
    return target


def test_a_download_imported_a_part_at_a_time_is_recorded_as_whole(tmp_path: Path) -> None:
    """Its part files imported in two commands, then one of them again: the
    download holds the thread's four messages, for threads and for the audit."""
    root = tmp_path / "facebook-jordanlee-2024-01-01"
    first, second = parts_download(root)
    archive = tmp_path / "archive"
    imported(archive, only(root, [second], tmp_path / "a"))
    imported(archive, only(root, [first], tmp_path / "b"))
    imported(archive, only(root, [second], tmp_path / "c"))
    [ana] = [c for c in run_json(archive, "threads") if c["title"] == "Ana"]
    assert [p["messages"] for p in ana["parts"]] == [4]
    [download] = run_json(archive, "audit")["downloads"]
    assert (download["held"], download["in_archive"], download["missing"]) == (4, 4, 0)
    assert [(t["held"], t["in_archive"]) for t in download["threads"]] == [(4, 4)]


def test_a_downloads_owner_is_found_across_the_imports_of_its_parts(tmp_path: Path) -> None:
    """Each thread alone names two people; together they share one, the owner."""
    root = tmp_path / "facebook-jordanlee-2024-01-01"
    parts_download(root)
    archive = tmp_path / "archive"
    imported(archive, only(root, sorted((root / "messages/inbox/ana_1").iterdir()),
                           tmp_path / "a"))
    assert [d["owner"] for d in run_json(archive, "stats")["downloads"]] == [None]
    imported(archive, only(root, sorted((root / "messages/inbox/bo_2").iterdir()),
                           tmp_path / "b"))
    assert [d["owner"] for d in run_json(archive, "stats")["downloads"]] == [OWNER]
