"""A sender's name is never rewritten without evidence: two people's
downloads in one archive keep two names, and every view agrees on who sent
each message; owners are one person only when the archive shows it or the
user says so, and ``why`` tells which."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.support.cli import run, run_json
from tests.support.downloads import write_thread
from tests.support.paths import SAMPLES

ALICE, BOB, CAROL, DAN = "Alice Doe", "Bob Roe", "Carol Lim", "Dan Park"
FB = "your_facebook_activity/messages/inbox"
T0 = 1_650_000_000_000
MIN = 60_000


def _chat(a: str, b: str, start: int, n: int, word: str) -> list[dict]:
    """``n`` messages between ``a`` and ``b``, a minute apart, newest first."""
    return [{"sender_name": a if i % 2 == 0 else b, "timestamp_ms": start + i * MIN,
             "content": f"{word} {i} from {(a if i % 2 == 0 else b).split()[0]}"}
            for i in reversed(range(n))]


def two_peoples_downloads(root: Path) -> list[Path]:
    """Alice's and Bob's own Facebook downloads: each holds their chat with
    the other (under another key, as Meta names a thread after the other
    person) and a chat with someone else."""
    alice = root / "facebook-alicedoe-2024"
    write_thread(alice / FB / "bobroe_111", _chat(ALICE, BOB, T0, 6, "hello"),
                 title=BOB, participants=(BOB, ALICE))
    write_thread(alice / FB / "carollim_333", _chat(CAROL, ALICE, T0 + 100 * MIN, 4, "tea"),
                 title=CAROL, participants=(CAROL, ALICE))
    bob = root / "facebook-bobroe-2024"
    write_thread(bob / FB / "alicedoe_222", _chat(ALICE, BOB, T0, 6, "hello"),
                 title=ALICE, participants=(ALICE, BOB))
    write_thread(bob / FB / "danpark_444", _chat(BOB, DAN, T0 + 200 * MIN, 4, "chess"),
                 title=DAN, participants=(DAN, BOB))
    return [alice, bob]


@pytest.fixture(scope="module", params=["alice first", "bob first"])
def archive(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("people")
    downloads = two_peoples_downloads(root / "dl")
    if request.param == "bob first":
        downloads.reverse()
    archive = root / "archive"
    for download in downloads:
        code, _out, err = run(archive, "import", str(download))
        assert code == 0, err
    return archive


def _senders_shown(lines: list[str]) -> list[str]:
    """The sender lines of ``show``: "HH:MM  NAME" or "HH:MM  NAME (you)"."""
    return [line[7:] for line in lines if re.match(r"^\d\d:\d\d  [^ ·]", line)]


def test_each_owner_keeps_their_name(archive: Path) -> None:
    owners = {d["name"]: d["owner"] for d in run_json(archive, "stats")["downloads"]}
    assert owners == {"facebook-alicedoe-2024": ALICE, "facebook-bobroe-2024": BOB}
    by_person = run_json(archive, "stats")["by_person"]
    assert by_person == {ALICE: 8, BOB: 8, CAROL: 2, DAN: 2}


@pytest.mark.parametrize(("title", "you", "other"), [
    (BOB, ALICE, BOB),  # Alice's download: she is "you"
    (ALICE, BOB, ALICE),  # Bob's download: he is
])
def test_you_is_the_owner_of_the_download_the_message_came_from(
    archive: Path, title: str, you: str, other: str
) -> None:
    code, out, err = run(archive, "show", title)
    assert code == 0, err
    shown = _senders_shown(out.splitlines())
    assert shown == [f"{ALICE} (you)" if you == ALICE else ALICE,
                     f"{BOB} (you)" if you == BOB else BOB] * 3
    messages = run_json(archive, "show", title)["messages"]
    assert {(m["sender"], m["you"]) for m in messages} == {(you, True), (other, False)}


def test_every_view_agrees_on_every_sender(archive: Path, tmp_path: Path) -> None:
    """Bob's own messages, as the files attribute them, are Bob's in show,
    search from:, stats and every export."""
    truth = {f"hello {i} from {'Alice' if i % 2 == 0 else 'Bob'}":
             ALICE if i % 2 == 0 else BOB for i in range(6)}
    truth.update({f"chess {i} from {'Bob' if i % 2 == 0 else 'Dan'}":
                  BOB if i % 2 == 0 else DAN for i in range(4)})
    for title in (ALICE, BOB, DAN):
        for m in run_json(archive, "show", title)["messages"]:
            if m["text"] in truth:
                assert m["sender"] == truth[m["text"]], m
    hits = run_json(archive, "search", "from:bob", "--limit", "500")
    assert {h["text"] for h in hits} == {t for t, who in truth.items() if who == BOB}
    assert all(h["sender"] == BOB for h in hits)
    assert not {h["text"] for h in run_json(archive, "search", "from:alice")} & {
        t for t, who in truth.items() if who == BOB}
    stats = run_json(archive, "stats", DAN)
    assert stats["by_person"] == {BOB: 2, DAN: 2}
    for fmt in ("json", "md", "html", "txt"):
        out = tmp_path / f"dan.{fmt}"
        assert run(archive, "export", DAN, "--format", fmt, "-o", str(out))[0] == 0
        text = out.read_text(encoding="utf-8")
        assert ALICE not in text, fmt
        if fmt == "json":
            assert {m["sender"] for m in json.loads(text)["messages"]} == {BOB, DAN}
        if fmt == "md":
            assert text.count(f"**{BOB}**") == 2
        if fmt == "html":
            # Bob owns the download: his messages are on the right.
            assert text.count('<article class="msg me"') == 2
            assert text.count(f'<div class="who" dir="auto">{BOB}</div>') == 2
        if fmt == "txt":
            assert text.count(f"{BOB} (you)") == 2


def test_why_says_the_owners_are_two_people(archive: Path) -> None:
    # Alice's chat with Bob, seen from both downloads, joined by hand.
    assert run(archive, "link", BOB, ALICE)[0] == 0
    code, out, err = run(archive, "why", BOB)
    assert code == 0, err
    assert ("Owners of different people's downloads, each under their own name: "
            f"{ALICE}, {BOB}") in out
    # Joined, each message once, and still each sender their own; "you" is
    # the owner of the download each kept copy came from (one of them).
    messages = run_json(archive, "show", BOB)["messages"]
    assert len(messages) == 6
    assert {m["sender"] for m in messages} == {ALICE, BOB}
    assert len({m["sender"] for m in messages if m["you"]}) == 1
    assert run(archive, "unlink", BOB)[0] == 0


def test_the_user_joins_two_owners_and_why_says_so(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    assert run(archive, "import", *map(str, two_peoples_downloads(tmp_path / "dl")))[0] == 0
    code, out, err = run(archive, "link", "--person", "alice doe", BOB)
    assert code == 0, err
    assert out.startswith(f"{ALICE} and {BOB} are one person, shown as ")
    shown = out.split("shown as ")[1].split(".")[0]
    assert shown in (ALICE, BOB)
    assert set(run_json(archive, "stats")["by_person"]) == {shown, CAROL, DAN}
    code, out, _ = run(archive, "why", DAN, "--tz", "UTC")
    assert f"Owners shown as one person, {shown}: " in out
    assert re.search(rf"{ALICE} = {BOB}: joined with chatkeep link --person on \d{{4}}-", out)
    # And apart again, for good.
    assert run(archive, "unlink", "--person", BOB)[0] == 0
    assert set(run_json(archive, "stats")["by_person"]) == {ALICE, BOB, CAROL, DAN}
    assert "Owners kept apart by hand" in run(archive, "why", DAN)[1]
    code, _, err = run(archive, "link", "--person", ALICE, "Nobody Known")
    assert code == 2 and "'Nobody Known' is not the owner of any download" in err
    assert f"'{ALICE}'" in err and f"'{BOB}'" in err


def test_one_persons_names_in_two_apps_are_one_by_their_messages(demo_archive: Path) -> None:
    """The demo's Facebook owner "Jordan Lee" and Instagram owner "Jordan L."
    send the same messages in the cross-app chat: one person, and why says
    which messages show it."""
    code, out, err = run(demo_archive, "why", "Maya Chen")
    assert code == 0, err
    assert "Owners shown as one person, Jordan Lee: Jordan L. (instagram-jordan.lee-2024), " \
           "Jordan Lee (facebook-jordanlee-2025, messenger-secure-2024)" in out
    assert re.search(r"Jordan L\. = Jordan Lee: the same \d+ messages", out)
    messages = run_json(demo_archive, "show", "Maya Chen")["messages"]
    assert {m["sender"] for m in messages if m["you"]} == {"Jordan Lee"}
    assert "Jordan L." not in {m["sender"] for m in messages}
    hits = run_json(demo_archive, "search", 'from:"jordan l"', "--limit", "500")
    assert hits and {h["sender"] for h in hits} == {"Jordan Lee"}
    # Instagram's "Jordan L." is found by the name every view shows.
    hits = run_json(demo_archive, "search", 'from:"jordan lee"', "in:sofia")
    assert len(hits) == sum(m["sender"] == "Jordan Lee" for m in run_json(
        demo_archive, "show", "Sofia")["messages"]) > 0


def test_the_user_can_keep_the_apps_names_apart(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    demo = [str(p) for p in sorted(SAMPLES.iterdir()) if p.is_dir()]
    assert run(archive, "import", *demo)[0] == 0

    def sofia() -> set[tuple[str, bool]]:  # an Instagram-only conversation
        return {(m["sender"], m["you"]) for m in run_json(archive, "show", "Sofia")["messages"]}

    assert sofia() == {("Sofia Rossi", False), ("Jordan Lee", True)}
    assert run(archive, "unlink", "--person", "Jordan L.")[0] == 0
    # Each the owner of their own download, under the name it gives.
    assert sofia() == {("Sofia Rossi", False), ("Jordan L.", True)}
    assert "Jordan L." in run_json(archive, "stats", "Sofia")["by_person"]
    # The choice outlives a later import.
    assert run(archive, "import", *demo)[0] == 0
    assert sofia() == {("Sofia Rossi", False), ("Jordan L.", True)}


def test_a_thread_file_imported_alone_knows_its_owner_by_the_other_downloads(
    tmp_path: Path,
) -> None:
    """A lone thread file names no owner; the one owner of another download
    among its participants is "you" there. Between two owners, no one is."""
    downloads = two_peoples_downloads(tmp_path / "dl")
    archive = tmp_path / "archive"
    assert run(archive, "import", str(downloads[0]))[0] == 0  # Alice's download
    loose = tmp_path / "loose" / "evans_5"
    write_thread(loose, _chat("Eva Novak", ALICE, T0 + 500 * MIN, 2, "yo"),
                 title="Eva Novak", participants=("Eva Novak", ALICE))
    assert run(archive, "import", str(loose / "message_1.json"))[0] == 0
    messages = run_json(archive, "show", "Eva")["messages"]
    assert {(m["sender"], m["you"]) for m in messages} == {("Eva Novak", False), (ALICE, True)}
    assert run(archive, "import", str(downloads[1]))[0] == 0  # Bob's
    both = tmp_path / "loose2" / "alicebob_6"
    write_thread(both, _chat(ALICE, BOB, T0 + 600 * MIN, 2, "later"),
                 title="later", participants=(ALICE, BOB))
    assert run(archive, "import", str(both / "message_1.json"))[0] == 0
    assert not any(m["you"] for m in run_json(archive, "show", "later")["messages"])
