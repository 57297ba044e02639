"""Cross-app conversations: the same chat from several downloads becomes one
(Facebook and Instagram, a chat continued encrypted), and the user can see why
and join or split by hand."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from archiver.store import crossapp
from archiver.store.conversations import refresh_conversations
from archiver.store.opening import open_archive
from tests.support.cli import db_rows, run, run_json, without
from tests.support.downloads import write_thread
from tests.support.paths import SAMPLES

FB = "facebook-jordanlee-2025"
IG = "instagram-jordan.lee-2024"
SECURE = "messenger-secure-2024"
MAYA_FB = "facebook:mayachen_6913058275336842"
MAYA_IG = "instagram:mayachen_17862948301746285"


@pytest.fixture
def samples(tmp_path: Path) -> Path:
    """A copy of the bundled sample downloads, so no test writes into the repo."""
    target = tmp_path / "samples"
    shutil.copytree(SAMPLES, target, ignore=shutil.ignore_patterns("*.py", "*.md"))
    return target


def import_(archive: Path, *paths: Path, media: bool = False) -> dict[str, Any]:
    args = [str(p) for p in paths] + ([] if media else ["--no-media"])
    report = run_json(archive, "import", *args)
    assert isinstance(report, dict) and report["errors"] == []
    return report


def conversations_titled(archive: Path, title: str) -> list[dict[str, Any]]:
    return [c for c in run_json(archive, "threads") if c["title"] == title]  # type: ignore[union-attr]


def the_conversation(archive: Path, title: str) -> dict[str, Any]:
    [conv] = conversations_titled(archive, title)
    return conv




def add_message(thread_file: Path, sender: str, timestamp_ms: int, text: str) -> None:
    """Add a newest message to a Meta DYI part file (as a newer download would)."""
    data = json.loads(thread_file.read_text(encoding="ascii"))
    data["messages"].insert(0, {"sender_name": sender, "timestamp_ms": timestamp_ms,
                                "content": text})
    thread_file.write_text(json.dumps(data), encoding="ascii")


# -- the sample downloads ------------------------------------------------------


def test_maya_chen_from_facebook_and_instagram_is_one_conversation(
    samples: Path, archive: Path
) -> None:
    import_(archive, samples / FB, samples / IG, media=True)
    maya = the_conversation(archive, "Maya Chen")
    assert maya["messages"] == 58  # 52 in both, 2 Facebook only, 4 Instagram only
    assert maya["platforms"] == ["facebook", "instagram"]
    assert maya["cross_app"] is True and maya["frozen"] is True
    assert [(p["platform"], p["download"], p["messages"]) for p in maya["parts"]] == [
        ("facebook", FB, 54), ("instagram", IG, 56),
    ]
    assert maya["first"] == "2021-09-04T20:15:41.287Z"
    assert maya["last"] == "2023-12-10T21:04:32.890Z"

    shown = run_json(archive, "show", str(maya["id"]))
    messages = shown["messages"]  # type: ignore[index]
    assert len(messages) == 58 and len({m["id"] for m in messages}) == 58
    assert [m["time"] for m in messages] == sorted(m["time"] for m in messages)
    # A message in both downloads is shown once, from Facebook.
    by_platform = {p: sum(m["platform"] == p for m in messages) for p in ("facebook", "instagram")}
    assert by_platform == {"facebook": 54, "instagram": 4}
    assert [m["text"] for m in messages[-2:]] == ["Bye from Messenger 👋", "Bye from Instagram 👋"]
    # The shared photo: one message, its attachment archived once.
    [photo] = [m for m in messages if m["kind"] == "media"]
    assert photo["platform"] == "facebook" and photo["attachments"][0]["missing"] is False

    # Each kept message knows both downloads that held it.
    held = db_rows(
        archive,
        "SELECT COUNT(*) FROM messages m JOIN threads t ON t.id = m.thread_id "
        "WHERE t.key = 'mayachen_6913058275336842' AND (SELECT COUNT(*) FROM message_downloads md "
        "WHERE md.message_id = m.id) = 2",
    )
    assert held == [(52,)]
    assert db_rows(archive, "SELECT COUNT(*) FROM messages WHERE duplicate_of IS NOT NULL "
                            "AND position IS NOT NULL") == [(0,)]
    assert run_json(archive, "stats")["cross_app"] == 1  # type: ignore[index]


def test_import_order_does_not_change_the_archive(samples: Path, tmp_path: Path) -> None:
    """Instagram first or Facebook first (and the encrypted chats first or last)
    gives the same conversations, messages and explanations."""
    orders = {
        "fb_first": (FB, IG, SECURE),
        "ig_first": (SECURE, IG, FB),
    }
    seen: dict[str, Any] = {}
    for name, order in orders.items():
        archive = tmp_path / name
        for download in order:
            import_(archive, samples / download)
        listing = run_json(archive, "threads")
        shown = [run_json(archive, "show", str(c["id"])) for c in listing]  # type: ignore[union-attr]
        why = [run_json(archive, "why", str(c["id"])) for c in listing]  # type: ignore[union-attr]
        seen[name] = without_ids({"threads": listing, "show": shown, "why": why})
    assert seen["fb_first"] == seen["ig_first"]
    titles = [c["title"] for c in seen["fb_first"]["threads"]]
    assert titles.count("Maya Chen") == 1 and titles.count("Bartłomiej Nowak") == 1


def test_cutover_thread_and_its_encrypted_continuation_are_joined(
    samples: Path, archive: Path
) -> None:
    import_(archive, samples / FB, samples / SECURE)
    bart = the_conversation(archive, "Bartłomiej Nowak")
    assert bart["messages"] == 57
    assert bart["platforms"] == ["facebook", "messenger"]
    assert bart["cross_app"] is False and bart["frozen"] is False
    assert sorted((p["platform"], p["section"] or "") for p in bart["parts"]) == [
        ("facebook", "e2ee_cutover"), ("messenger", ""),
    ]
    assert (bart["first"], bart["last"]) == ("2021-11-08T09:15:53.371Z", "2024-11-20T20:12:58.593Z")
    times = [m["time"] for m in run_json(archive, "show", str(bart["id"]))["messages"]]  # type: ignore[index]
    assert len(times) == 57 and times == sorted(times)
    [link] = run_json(archive, "why", str(bart["id"]))["links"]  # type: ignore[index]
    assert link["rule"] == "cutover" and link["gap_days"] == 10.0
    assert link["people"] == ["Bartłomiej Nowak"]


def test_inbox_group_with_the_same_name_is_not_a_cutover(samples: Path, archive: Path) -> None:
    """Only an e2ee_cutover thread continues in the encrypted chats: the inbox
    "Weekend crew" ends before the encrypted one starts, with the same people,
    yet it was never moved to encryption, so it stays its own conversation."""
    import_(archive, samples / FB, samples / SECURE)
    crews = conversations_titled(archive, "Weekend crew")
    assert sorted((c["platforms"][0], c["messages"]) for c in crews) == [
        ("facebook", 62), ("messenger", 13),
    ]


# -- the content rule's threshold ----------------------------------------------

BASE = 1_600_000_000_000


def two_apps(tmp_path: Path, fb: list[tuple[int, str]], ig: list[tuple[int, str]]) -> list[Path]:
    """A one-thread Facebook download and a one-thread Instagram download."""
    roots = []
    for app, key, owner, items in (
        ("facebook", "ana_100", "Jordan Lee", fb), ("instagram", "ana_200", "Jordan L.", ig),
    ):
        root = tmp_path / f"{app}-dl"
        folder = root / f"your_{app}_activity" / "messages" / "inbox" / key
        messages = [
            {"sender_name": "Ana" if i % 2 else owner, "timestamp_ms": ts, "content": text}
            for i, (ts, text) in enumerate(sorted(items, reverse=True))
        ]
        write_thread(folder, messages, title="Ana", participants=("Ana", owner))
        roots.append(root)
    return roots


def test_one_shared_ok_at_the_same_second_does_not_join(tmp_path: Path, archive: Path) -> None:
    fb = [(BASE + i * 60_000, f"facebook chat {i}") for i in range(10)] + [(BASE + 5_000, "ok")]
    ig = [(BASE + i * 50_000, f"instagram chat {i}") for i in range(10)] + [(BASE + 5_000, "ok")]
    import_(archive, *two_apps(tmp_path, fb, ig))
    convs = run_json(archive, "threads")
    assert sorted(c["platforms"][0] for c in convs) == ["facebook", "instagram"]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("matched", "others_each", "joined"),
    [
        (2, 0, False),  # every message matches, but two could be chance
        (3, 0, True),   # three, and all of them
        (3, 4, False),  # three of seven in the shared time window: under half
        (4, 4, True),   # four of eight: half
    ],
)
def test_content_threshold(
    tmp_path: Path, archive: Path, matched: int, others_each: int, joined: bool
) -> None:
    # Shared messages span the window; texts differ in case and spacing only.
    shared = [(BASE + i * 600_000, f"Shared  message {i}") for i in range(matched)]
    inside = [BASE + 1_000 + i * 7_000 for i in range(others_each)]
    fb = shared + [(ts, f"only on facebook {n}") for n, ts in enumerate(inside)]
    ig = [(ts, text.upper().replace("  ", " ")) for ts, text in shared]
    ig += [(ts + 500, f"only on instagram {n}") for n, ts in enumerate(inside)]
    import_(archive, *two_apps(tmp_path, fb, ig))
    convs = run_json(archive, "threads")
    expected = matched + 2 * others_each
    if joined:
        [conv] = convs  # type: ignore[misc]
        assert conv["messages"] == expected and conv["cross_app"] is True
        [link] = run_json(archive, "why", str(conv["id"]))["links"]  # type: ignore[index]
        assert (link["rule"], link["matched"], link["compared"]) == (
            "content", matched, matched + others_each,
        )
    else:
        assert sorted(c["messages"] for c in convs) == [matched + others_each] * 2  # type: ignore[union-attr]


# -- by hand -------------------------------------------------------------------


def test_unlink_survives_reimport_of_both_downloads(samples: Path, archive: Path) -> None:
    import_(archive, samples / FB, samples / IG)
    maya = the_conversation(archive, "Maya Chen")
    split = run_json(archive, "unlink", str(maya["id"]))
    assert sorted((c["platforms"], c["messages"]) for c in split) == [  # type: ignore[union-attr]
        (["facebook"], 54), (["instagram"], 56),
    ]
    # Duplicates are cleared: each download again counts only its own messages.
    assert db_rows(archive, "SELECT COUNT(*) FROM messages WHERE duplicate_of IS NOT NULL") == [(0,)]
    assert db_rows(
        archive, "SELECT d.name, COUNT(*) FROM message_downloads md JOIN downloads d "
        "ON d.id = md.download_id GROUP BY d.name ORDER BY d.name"
    ) == [(FB, 315), (IG, 75)]

    import_(archive, samples / FB, samples / IG)  # the same files again
    assert len(conversations_titled(archive, "Maya Chen")) == 2
    # Newer downloads whose Maya threads gained the same new message.
    for folder in ("your_facebook_activity/messages/inbox/mayachen_6913058275336842",
                   "your_instagram_activity/messages/inbox/mayachen_17862948301746285"):
        download = FB if "facebook" in folder else IG
        add_message(samples / download / folder / "message_1.json", "Maya Chen",
                    1702300000000, "Still here?")
    report = import_(archive, samples / FB, samples / IG)
    assert report["messages_added"] == 2
    assert sorted(c["messages"] for c in conversations_titled(archive, "Maya Chen")) == [55, 57]
    why = run_json(archive, "why", MAYA_FB)
    assert why["links"] == [] and why["kept_apart"][0]["threads"] == [MAYA_FB, MAYA_IG]  # type: ignore[index]

    # The library's own pass honours the split too, whatever it is given.
    db = open_archive(archive)
    try:
        crossapp.link_threads(db, {r[0] for r in db.execute("SELECT id FROM threads")})
        refresh_conversations(db)
    finally:
        db.conn.close()
    assert len(conversations_titled(archive, "Maya Chen")) == 2

    # link undoes unlink.
    joined = run_json(archive, "link", MAYA_FB, MAYA_IG)
    assert joined["messages"] == 59 and joined["frozen"] is True  # type: ignore[index]


def test_link_two_unrelated_threads_by_hand(samples: Path, archive: Path) -> None:
    import_(archive, samples / FB, samples / IG)
    lukas = the_conversation(archive, "Lukas Schmidt")
    sofia = the_conversation(archive, "Sofia Rossi")
    code, out, err = run(archive, "link", str(lukas["id"]), "Sofia Rossi")
    assert code == 0, err
    assert "Joined into Lukas Schmidt" in out and "36 messages" in out
    conv = the_conversation(archive, "Lukas Schmidt")
    assert conv["messages"] == 17 + 19 and conv["platforms"] == ["facebook", "instagram"]
    assert [p["title"] for p in conv["parts"]] == ["Lukas Schmidt", "Sofia Rossi"]
    assert not conversations_titled(archive, "Sofia Rossi")
    times = [m["time"] for m in run_json(archive, "show", str(conv["id"]))["messages"]]  # type: ignore[index]
    assert len(times) == 36 and times == sorted(times)
    [link] = run_json(archive, "why", str(conv["id"]))["links"]  # type: ignore[index]
    assert link["rule"] == "manual" and sorted(link["threads"]) == [
        "facebook:lukasschmidt_1127364958203746", "instagram:sofirossi_17849302175638294",
    ]
    # Kept by a later import of changed files.
    add_message(samples / IG / "your_instagram_activity/messages/inbox/sofirossi_17849302175638294"
                / "message_1.json", "Sofia Rossi", 1730000000000, "ciao")
    import_(archive, samples / IG)
    assert the_conversation(archive, "Lukas Schmidt")["messages"] == 37
    # The joined conversation keeps the smaller of the two ids.
    assert conv["id"] == min(lukas["id"], sofia["id"])


def test_unlink_one_thread_leaves_the_rest_joined(samples: Path, archive: Path) -> None:
    import_(archive, samples / FB, samples / IG, samples / SECURE)
    maya = the_conversation(archive, "Maya Chen")
    bart = the_conversation(archive, "Bartłomiej Nowak")
    mistake = run_json(archive, "link", str(maya["id"]), str(bart["id"]))
    assert mistake["messages"] == 58 + 57  # type: ignore[index]
    split = run_json(archive, "unlink", MAYA_IG)
    assert sorted((c["title"], c["messages"]) for c in split) == [  # type: ignore[union-attr]
        ("Bartłomiej Nowak", 57 + 54), ("Maya Chen", 56),
    ]
    split = run_json(archive, "unlink", MAYA_FB)
    assert sorted((c["title"], c["messages"]) for c in split) == [  # type: ignore[union-attr]
        ("Bartłomiej Nowak", 57), ("Maya Chen", 54),
    ]
    assert the_conversation(archive, "Bartłomiej Nowak")["platforms"] == ["facebook", "messenger"]
    assert run_json(archive, "link", MAYA_FB, MAYA_IG)["messages"] == 58  # type: ignore[index]


def test_explanation(samples: Path, archive: Path) -> None:
    import_(archive, samples / FB, samples / IG)
    code, out, err = run(archive, "why", "Maya Chen")
    assert code == 0, err
    assert f"{MAYA_FB} + {MAYA_IG}: same messages" in out
    assert "52 messages have the same time and text" in out
    assert "at least 3 and 50%" in out
    assert f"{MAYA_FB}: 2021-09-04 20:15 → 2023-12-10 21:03 UTC" in out
    assert f"{MAYA_IG}: 2021-09-04 20:15 → 2023-12-10 21:04 UTC" in out
    assert run(archive, "link", "--explain", "Maya Chen") == (0, out, "")
    data = run_json(archive, "link", "--explain", MAYA_IG)
    [link] = data["links"]  # type: ignore[index]
    assert (link["rule"], link["matched"], link["compared"]) == ("content", 52, 54)
    assert link["ranges"] == {
        MAYA_FB: ["2021-09-04T20:15:41Z", "2023-12-10T21:03:22Z"],
        MAYA_IG: ["2021-09-04T20:15:41Z", "2023-12-10T21:04:32Z"],
    }
    assert [t["duplicates"] for t in data["threads"]] == [0, 52]  # type: ignore[index]
    _, lone, _ = run(archive, "why", "Lukas Schmidt")
    assert "Nothing was joined to it." in lone


def test_link_usage_errors(samples: Path, archive: Path) -> None:
    import_(archive, samples / FB)
    assert run(archive, "link", "Lukas Schmidt")[0] == 2
    assert run(archive, "link", "--explain", "Lukas Schmidt", "Ana")[0] == 2
    code, _, err = run(archive, "link", "Lukas Schmidt", "nobody at all")
    assert code == 2 and "no conversation matches" in err and "Traceback" not in err
    nowhere = archive.parent / "no-archive"
    assert run(nowhere, "link", "a", "b")[0] == 2
    assert not (nowhere / "chatkeep.db").exists()  # never created by a failed link


# -- owner names and interrupted imports ---------------------------------------


def test_owner_aliases(samples: Path, archive: Path) -> None:
    import_(archive, samples / IG)
    db = open_archive(archive)
    try:
        assert crossapp.owner_aliases(db) == {}
    finally:
        db.conn.close()
    import_(archive, samples / FB, samples / SECURE)
    db = open_archive(archive, readonly=True)
    try:
        assert crossapp.owner_aliases(db) == {"Jordan L.": "Jordan Lee"}
    finally:
        db.conn.close()


def test_import_interrupted_before_linking_is_linked_by_the_next(
    samples: Path, archive: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import_(archive, samples / FB)
    with monkeypatch.context() as m:
        m.setattr(crossapp, "link_threads", lambda db, ids: None)
        import_(archive, samples / IG)
    assert len(conversations_titled(archive, "Maya Chen")) == 2
    import_(archive, samples / SECURE)  # touches none of the Maya threads
    assert the_conversation(archive, "Maya Chen")["messages"] == 58


def without_ids(value: Any) -> Any:
    return without(value, "id", "conversation", "file")  # "file" names the archive folder


# -- the cutover rule's gap ----------------------------------------------------

DAY = 86_400_000


def cutover_downloads(tmp_path: Path, gap_days: int) -> list[Path]:
    """A Facebook thread in e2ee_cutover, and the encrypted chat with the same
    person that starts ``gap_days`` after it ends."""
    fb = tmp_path / "facebook-jordanlee-2025"
    (fb / "profile_information").mkdir(parents=True)
    (fb / "profile_information" / "profile_information.json").write_text(
        json.dumps({"profile_v2": {"name": {"full_name": "Jordan Lee"}}}), encoding="utf-8")
    write_thread(
        fb / "your_facebook_activity" / "messages" / "e2ee_cutover" / "beacosta_77",
        [{"sender_name": "Bea Costa", "timestamp_ms": BASE + i * 60_000, "content": f"fb {i}"}
         for i in (2, 1, 0)],
        title="Bea Costa", participants=("Bea Costa", "Jordan Lee"),
    )
    secure = tmp_path / "messenger-secure-2025"
    secure.mkdir()
    start = BASE + 2 * 60_000 + gap_days * DAY
    (secure / "Bea Costa_1.json").write_text(json.dumps({
        "participants": ["Jordan Lee", "Bea Costa"], "threadName": "Bea Costa",
        "messages": [{"isUnsent": False, "media": [], "reactions": [], "senderName": "Bea Costa",
                      "text": f"e2ee {i}", "timestamp": start + i * 60_000, "type": "text"}
                     for i in range(2)],
    }), encoding="utf-8")
    return [fb, secure]


@pytest.mark.parametrize(("gap_days", "joined"), [(-1, False), (10, True), (170, True), (179, True),
                                                  (181, False), (200, False)])
def test_cutover_joins_within_180_days_only(
    tmp_path: Path, archive: Path, gap_days: int, joined: bool
) -> None:
    import_(archive, *cutover_downloads(tmp_path, gap_days))
    convs = run_json(archive, "threads")
    if joined:
        [conv] = convs  # type: ignore[misc]
        assert conv["messages"] == 5 and conv["platforms"] == ["facebook", "messenger"]
        [link] = run_json(archive, "why", str(conv["id"]))["links"]  # type: ignore[index]
        assert link["rule"] == "cutover" and link["gap_days"] == gap_days
    else:
        assert sorted((c["platforms"][0], c["messages"]) for c in convs) == [  # type: ignore[index]
            ("facebook", 3), ("messenger", 2)]


def test_accented_messages_match_whatever_their_case(tmp_path: Path, archive: Path) -> None:
    """Text beyond ASCII is compared without case too (its own code path)."""
    shared = [(BASE + i * 600_000, f"Ação número {i}, très bien") for i in range(3)]
    ig = [(ts, text.upper()) for ts, text in shared]
    import_(archive, *two_apps(tmp_path, shared, ig))
    [conv] = run_json(archive, "threads")  # type: ignore[misc]
    assert conv["messages"] == 3 and conv["cross_app"] is True


def test_a_reaction_both_apps_hold_is_shown_once(tmp_path: Path, archive: Path) -> None:
    """The Facebook and Instagram copies of a message each carry Ana's ❤: the
    joined message shows it once, beside the reaction only Instagram held."""
    roots = []
    for app, key, owner, extra in (("facebook", "ana_100", "Jordan Lee", []),
                                   ("instagram", "ana_200", "Jordan L.", [("😂", "Ana")])):
        root = tmp_path / f"{app}-dl"
        reactions = [{"reaction": emoji, "actor": actor}
                     for emoji, actor in [("❤", "Ana"), *extra]]
        messages = [{"sender_name": owner, "timestamp_ms": BASE + i * 600_000,
                     "content": f"shared message {i}", **({"reactions": reactions} if i == 0
                                                          else {})} for i in range(3)]
        write_thread(root / f"your_{app}_activity" / "messages" / "inbox" / key, messages[::-1],
                     title="Ana", participants=("Ana", owner))
        roots.append(root)
    import_(archive, *roots)
    [conv] = run_json(archive, "threads")  # type: ignore[misc]
    assert conv["cross_app"] is True and conv["messages"] == 3
    first = run_json(archive, "show", str(conv["id"]))["messages"][0]  # type: ignore[index]
    assert sorted((r["reaction"], r["actor"]) for r in first["reactions"]) == [
        ("❤", "Ana"), ("😂", "Ana")]
    code, out, err = run(archive, "show", str(conv["id"]), "--tz", "UTC")
    assert code == 0, err
    assert out.count("❤ Ana") == 1
