"""A conversation keeps its id across imports, link and unlink."""

from __future__ import annotations

from pathlib import Path

from tests.support.cli import run, run_json
from tests.support.downloads import write_thread
from tests.support.paths import SAMPLES

DOWNLOADS = sorted(str(p) for p in SAMPLES.glob("*-20*"))


def ids(archive: Path) -> dict[str, int]:
    return {f"{c['title']}|{'/'.join(c['platforms'])}": c["id"]
            for c in run_json(archive, "threads")}


def test_unlink_gives_each_part_its_former_id_and_link_the_smallest(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    run_json(archive, "import", *DOWNLOADS)
    before = ids(archive)
    maya = before["Maya Chen|facebook/instagram"]
    code, _out, err = run(archive, "unlink", str(maya))
    assert code == 0, err
    split = ids(archive)
    assert split["Maya Chen|facebook"] == maya
    instagram_id = split["Maya Chen|instagram"]
    # Every other conversation kept its id.
    assert {k: v for k, v in split.items() if not k.startswith("Maya")} == {
        k: v for k, v in before.items() if not k.startswith("Maya")
    }
    for _ in range(2):  # and the same again: ids do not drift
        assert run(archive, "link", str(instagram_id), str(maya))[0] == 0
        assert ids(archive) == before
        assert run(archive, "unlink", str(maya))[0] == 0
        assert ids(archive) == split
    # A later import, and a new conversation, move nothing and reuse no id.
    run_json(archive, "import", *DOWNLOADS)
    assert ids(archive) == split
    write_thread(tmp_path / "more" / "messages" / "inbox" / "newfriend_9",
                 [{"sender_name": "New Friend", "timestamp_ms": 1700000000000, "content": "hi"}],
                 title="New Friend", participants=("New Friend", "Jordan Lee"))
    run_json(archive, "import", str(tmp_path / "more"))
    after = ids(archive)
    new_id = after.pop("New Friend|facebook")
    assert after == split and new_id > max(split.values())
    assert run(archive, "link", str(maya), str(instagram_id))[0] == 0
    assert ids(archive)["Maya Chen|facebook/instagram"] == maya


def test_a_thread_taken_out_alone_gets_its_id_back(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    run_json(archive, "import", *DOWNLOADS)
    before = ids(archive)
    maya = before["Maya Chen|facebook/instagram"]
    why = run_json(archive, "why", str(maya))
    refs = [t["thread"] for t in why["threads"]]
    instagram = next(r for r in refs if r.startswith("instagram:"))
    assert run(archive, "unlink", instagram)[0] == 0
    split = ids(archive)
    assert split["Maya Chen|facebook"] == maya
    assert run(archive, "link", instagram, str(maya))[0] == 0
    assert ids(archive) == before
