"""``chatkeep link`` and ``unlink`` by name: the one matching rule of every
command that takes a THREAD (case, accents and punctuation ignored, a whole
title winning over longer ones), what the two commands then change in the
archive, and that a name naming several conversations, or none, changes
nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import db_rows, run, run_json
from tests.support.downloads import write_thread

DAY = 86_400_000
T = 1_690_000_000_000  # 2023-07-22


def msg(sender: str, ts: int, text: str) -> dict[str, Any]:
    return {"sender_name": sender, "timestamp_ms": ts, "content": text}


def write_downloads(root: Path) -> list[Path]:
    """A Facebook and an Instagram download that share no messages, so that
    nothing is joined until the user says so."""
    fb = root / "facebook-jordan-2024-01-01-abc"
    inbox = fb / "your_facebook_activity" / "messages" / "inbox"
    write_thread(inbox / "zoefaure_1", [msg("Zoë Faure", T + i * 60_000, f"salut {i}")
                                        for i in range(3)],
                 title="Zoë Faure", participants=("Zoë Faure", "Jordan Lee"))
    write_thread(inbox / "ana_2", [msg("Ana", T + DAY, "hola")],
                 title="Ana", participants=("Ana", "Jordan Lee"))
    write_thread(inbox / "anamariaruiz_3", [msg("Ana María Ruiz", T + 2 * DAY + i, f"hi {i}")
                                            for i in range(2)],
                 title="Ana María Ruiz", participants=("Ana María Ruiz", "Jordan Lee"))
    write_thread(inbox / "weekendcrew_4", [msg("Zoë Faure", T + 3 * DAY, "plan")],
                 title="Weekend crew", participants=("Zoë Faure", "Ana", "Jordan Lee"))
    ig = root / "instagram-jordan.lee-2024-01-01-abc"
    inbox = ig / "your_instagram_activity" / "messages" / "inbox"
    write_thread(inbox / "michal_17841", [msg("Michał Kowalski", T + 10 * DAY + i * 1000,
                                             f"cześć {i}") for i in range(4)],
                 title="Michał Kowalski", participants=("Michał Kowalski", "jordan.lee"))
    write_thread(inbox / "weekendcrew_17842", [msg("Zoë Faure", T + 20 * DAY + i, f"go {i}")
                                               for i in range(2)],
                 title="Weekend crew", participants=("Zoë Faure", "jordan.lee"))
    return [fb, ig]


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    archive = tmp_path / "archive"
    code, _out, err = run(archive, "import", *map(str, write_downloads(tmp_path / "dl")))
    assert code == 0, err
    return archive


def threads(archive: Path) -> list[dict[str, Any]]:
    listed = run_json(archive, "threads")
    assert isinstance(listed, list)
    return listed


def ids_by_title(archive: Path) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for conv in threads(archive):
        found.setdefault(conv["title"], []).append(conv["id"])
    return {title: sorted(ids) for title, ids in found.items()}


def conversation_of(archive: Path) -> dict[str, int]:
    """Each thread's conversation, as the archive stores it."""
    return dict(db_rows(archive, "SELECT key, conversation_id FROM threads"))


def state(archive: Path) -> tuple[list[tuple], list[tuple], list[tuple]]:
    """Everything link and unlink may change."""
    return (
        db_rows(archive, "SELECT id, conversation_id FROM threads ORDER BY id"),
        db_rows(archive, "SELECT * FROM conversations ORDER BY id"),
        db_rows(archive, "SELECT a, b, decision FROM thread_links ORDER BY a, b"),
    )


def test_link_by_folded_names_joins_the_two(archive: Path) -> None:
    before = ids_by_title(archive)
    [zoe], [michal] = before["Zoë Faure"], before["Michał Kowalski"]

    # Case, accents, ł and punctuation ignored; a piece of a title is enough.
    code, out, err = run(archive, "link", "ZOE", "michal-kowalski!")

    assert code == 0, err
    assert out.startswith(f"Joined into Zoë Faure ({min(zoe, michal)}): 7 messages")
    [joined] = [c for c in threads(archive) if c["id"] == min(zoe, michal)]
    assert joined["messages"] == 3 + 4
    assert joined["platforms"] == ["facebook", "instagram"]
    assert sorted(p["title"] for p in joined["parts"]) == ["Michał Kowalski", "Zoë Faure"]
    assert max(zoe, michal) not in {c["id"] for c in threads(archive)}
    keys = conversation_of(archive)
    assert keys["zoefaure_1"] == keys["michal_17841"] == min(zoe, michal)
    assert db_rows(archive, "SELECT decision FROM thread_links") == [("join",)]
    shown = run_json(archive, "show", "zoe")
    assert isinstance(shown, dict)
    assert [m["text"] for m in shown["messages"]] == [
        "salut 0", "salut 1", "salut 2", "cześć 0", "cześć 1", "cześć 2", "cześć 3"]


def test_unlink_by_name_restores_the_former_conversations(archive: Path) -> None:
    before = threads(archive)
    keys_before = conversation_of(archive)
    assert run(archive, "link", "zoe", "michal")[0] == 0

    # The joined conversation also goes by its other thread's title.
    code, out, err = run(archive, "unlink", "MICHAŁ")

    assert code == 0, err
    assert out.startswith("Split into 2 conversations:")
    assert conversation_of(archive) == keys_before
    assert [(c["id"], c["title"], c["messages"], c["platforms"]) for c in threads(archive)] == [
        (c["id"], c["title"], c["messages"], c["platforms"]) for c in before]
    assert db_rows(archive, "SELECT decision FROM thread_links") == [("split",)]


def test_a_whole_title_wins_over_longer_titles_holding_it(archive: Path) -> None:
    """"ana" is in "Ana" and in "Ana María Ruiz": the one whose whole title it
    is, is meant."""
    ids = ids_by_title(archive)
    code, _out, err = run(archive, "link", "ana", "zoe")
    assert code == 0, err
    keys = conversation_of(archive)
    assert keys["ana_2"] == keys["zoefaure_1"] == min(ids["Ana"] + ids["Zoë Faure"])
    assert keys["anamariaruiz_3"] == ids["Ana María Ruiz"][0]  # untouched
    # "ana maria" names only the longer one.
    assert run(archive, "unlink", "ana")[0] == 0
    code, _out, err = run(archive, "link", "ana maria", "zoe")
    assert code == 0, err
    keys = conversation_of(archive)
    assert keys["anamariaruiz_3"] == keys["zoefaure_1"]
    assert keys["ana_2"] == ids["Ana"][0]


@pytest.mark.parametrize("args", [
    ("link", "weekend crew", "zoe"),
    ("link", "zoe", "Weekend-Crew"),  # the first one resolved: still nothing is done
    ("unlink", "weekend crew"),
], ids=["link-first", "link-second", "unlink"])
def test_an_ambiguous_name_lists_the_candidates_and_changes_nothing(
    archive: Path, args: tuple[str, ...]
) -> None:
    crews = [c for c in threads(archive) if c["title"] == "Weekend crew"]
    by_last = sorted(crews, key=lambda c: c["last"], reverse=True)
    before = state(archive)

    code, out, err = run(archive, *args)

    assert code == 2 and out == ""
    typed = next(a for a in args[1:] if "crew" in a.lower())
    assert err.splitlines() == [
        f"chatkeep: '{typed}' names 2 conversations; give one's id:",
        *(f"  {c['id']}  Weekend crew  ({c['platforms'][0]}, last {c['last'][:10]}, "
          f"{c['messages']} message{'s' if c['messages'] != 1 else ''})" for c in by_last),
    ]
    assert [c["last"][:10] for c in by_last] == ["2023-08-11", "2023-07-25"]
    assert state(archive) == before


@pytest.mark.parametrize("args", [
    ("link", "nobody at all", "zoe"),
    ("link", "zoe", "nobody at all"),
    ("unlink", "nobody at all"),
], ids=["link-first", "link-second", "unlink"])
def test_an_unknown_name_is_one_line_and_changes_nothing(
    archive: Path, args: tuple[str, ...]
) -> None:
    before = state(archive)

    code, out, err = run(archive, *args)

    assert code == 2 and out == ""
    assert err == "chatkeep: no conversation matches 'nobody at all' (see: chatkeep threads)\n"
    assert state(archive) == before
