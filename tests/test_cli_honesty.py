"""Honest answers: each case is the exit code, the exact message, no traceback,
and nothing written where nothing should be."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.cli import run, run_json
from tests.support.downloads import write_thread
from tests.support.paths import SAMPLES

DOWNLOADS = sorted(str(p) for p in SAMPLES.glob("*-20*"))


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    archive = tmp_path_factory.mktemp("demo") / "archive"
    run_json(archive, "import", *DOWNLOADS)
    return archive


def invoke(*args: str) -> tuple[int, str, str]:
    """The CLI with the arguments exactly as typed (no --archive added)."""
    from click.testing import CliRunner

    from archiver.cli import main

    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


SEARCH_CASES = [
    # (query words, expected standard error lines after the results)
    (("the",), ["chatkeep: showing 50 of 108; --limit N for more"]),
    (("the", "--limit", "200"), []),
    (("after:garbage",), [
        'No messages match "after:garbage".',
        "chatkeep: after:garbage is not a date, searched as words",
    ]),
    (("on:2023-13", "has:banana"), [
        'No messages match "on:2023-13 has:banana".',
        "chatkeep: on:2023-13 is not a date, searched as words",
        ("chatkeep: has:banana is not one of photo, video, audio, file, gif, sticker, attachment, "
         "link, reaction, searched as words"),
    ]),
    (("after:01/12/2023", "see"), [
        'No messages match "after:01/12/2023 see".',
        "chatkeep: after:01/12/2023 is ambiguous (2023-12-01 or 2023-01-12?), searched as words",
    ]),
    (("platform:tiktok",), [
        'No messages match "platform:tiktok".',
        "chatkeep: platform:tiktok is not one of facebook, instagram, messenger, searched as words",
    ]),
    (("in:nonexistent", "the"), [
        'No messages match "in:nonexistent the".',
        "chatkeep: in:nonexistent matches no conversation",
    ]),
    (("from:nobody",), [
        'No messages match "from:nobody".',
        "chatkeep: from:nobody matches no sender",
    ]),
    (("-the", "see"), []),
]


@pytest.mark.parametrize(("query", "notes"), SEARCH_CASES, ids=lambda v: " ".join(v)
                         if isinstance(v, tuple) else None)
def test_search_says_what_it_did_not_understand(
    demo: Path, query: tuple[str, ...], notes: list[str]
) -> None:
    code, out, err = run(demo, "search", *query)
    assert code == 0
    assert err.splitlines() == notes
    assert "Traceback" not in out + err


def test_a_query_may_start_with_an_excluded_word(demo: Path) -> None:
    code, out, err = run(demo, "search", "-the", "see", "--json")
    assert (code, err) == (0, "")
    hits = json.loads(out)
    assert hits and all("see" in h["text"].lower() for h in hits)
    assert not any(" the " in f" {h['text'].lower()} " for h in hits)
    assert run(demo, "search", "-the", "-see")[0] == 0


def test_the_truncation_note_stays_off_standard_output(demo: Path) -> None:
    code, out, err = run(demo, "search", "the", "--json", "--limit", "3")
    assert code == 0 and len(json.loads(out)) == 3
    assert err == "chatkeep: showing 3 of 108; --limit N for more\n"


@pytest.mark.parametrize("args", [
    ("--archive", "{a}", "threads"), ("threads", "--archive", "{a}"),
    ("--tz", "UTC", "--archive", "{a}", "threads"), ("threads", "--tz", "utc", "--archive", "{a}"),
    ("--archive", "/nonexistent/elsewhere", "threads", "--archive", "{a}"),
], ids=["before", "after", "tz before", "tz after", "the last one counts"])
def test_archive_and_tz_anywhere(demo: Path, args: tuple[str, ...]) -> None:
    expected = run(demo, "threads", "--tz", "UTC")
    assert invoke(*(a.replace("{a}", str(demo)) for a in args)) == expected


@pytest.mark.parametrize(("zone", "first"), [
    ("UTC", "2024-12-26"), ("utc", "2024-12-26"), ("pacific/kiritimati", "2024-12-27"),
    ("PACIFIC/PAGO_PAGO", "2024-12-26"),
])
def test_zone_names_ignore_case(demo: Path, zone: str, first: str) -> None:
    code, out, err = run(demo, "threads", "--tz", zone)
    assert (code, err) == (0, "")
    assert out.split()[1] == first


@pytest.mark.parametrize(("zone", "message"), [
    ("", "chatkeep: the time zone is empty (give an IANA name such as Europe/Lisbon)\n"),
    ("  ", "chatkeep: the time zone is empty (give an IANA name such as Europe/Lisbon)\n"),
    ("Mars/Olympus", ("chatkeep: unknown time zone 'Mars/Olympus' (use an IANA name such as "
                      "Europe/Lisbon)\n")),
])
@pytest.mark.parametrize("where", ["before", "after"])
def test_an_empty_or_unknown_zone_is_an_error(
    demo: Path, zone: str, message: str, where: str
) -> None:
    args = (["--tz", zone, "threads"] if where == "before" else ["threads", "--tz", zone])
    assert invoke("--archive", str(demo), *args) == (2, "", message)


def test_chatkeep_tz_opens_the_reader_in_that_zone(
    demo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    import tui.app
    from tui.cli import main

    opened: list[tuple[Path, str | None]] = []
    monkeypatch.setattr(tui.app, "run_reader",
                        lambda archive, thread=None, tz=None, **_: opened.append((archive, tz)))
    for args in (["--tz", "UTC", "--archive", str(demo)], ["--archive", str(demo), "--tz", "UTC"],
                 ["browse", "--tz", "UTC", "--archive", str(demo)]):
        result = CliRunner().invoke(main, args, catch_exceptions=False)
        assert result.exit_code == 0
    assert opened == [(demo, "UTC")] * 3


def test_why_prints_times_in_the_zone(demo: Path) -> None:
    utc = run(demo, "why", "Maya", "--tz", "UTC")[1]
    lisbon = run(demo, "--tz", "Europe/Lisbon", "why", "Maya")[1]
    assert "2021-09-04 20:15 → 2023-12-10 21:03 UTC" in utc
    assert "2021-09-04 21:15 → 2023-12-10 21:03 Europe/Lisbon" in lisbon


@pytest.mark.parametrize("args", [("threads",), ("show", "Ana"), ("search", "the"),
                                  ("stats",), ("threads", "--json")], ids=" ".join)
def test_a_closed_pipe_ends_quietly(demo: Path, args: tuple[str, ...]) -> None:
    """As ``chatkeep threads | head -0``: the reader is gone before the first line."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "archiver", "--archive", str(demo), *args],
            stdout=write_end, stderr=subprocess.PIPE, timeout=60, check=False,
        )
    finally:
        os.close(write_end)
    assert (done.returncode, done.stderr) == (0, b"")


def test_importing_a_path_that_does_not_exist_creates_nothing(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    missing = tmp_path / "nope.zip"
    code, out, err = run(archive, "import", str(missing))
    assert (code, out) == (2, "")
    assert err == f"chatkeep: no such file or folder: {missing}; nothing was imported\n"
    assert not archive.exists()
    # Among existing ones too: nothing is imported before the typo is fixed.
    code, _out, err = run(archive, "import", DOWNLOADS[0], str(missing))
    assert code == 2 and "nothing was imported" in err
    assert not archive.exists()


def test_an_import_that_imported_nothing_says_so(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    full = write_thread(tmp_path / "dl" / "trunc", [
        {"sender_name": "Ana", "timestamp_ms": 1600000000000, "content": "hello"},
    ])
    only = tmp_path / "trunc.json"
    only.write_bytes(full.read_bytes()[:40])
    code, out, err = run(archive, "import", str(only))
    assert code == 1
    assert err.startswith(f"error: {only}: ")
    assert out.splitlines()[0] == "Nothing was imported; see the error above"


def test_an_import_with_nothing_new_says_so(demo: Path, tmp_path: Path) -> None:
    code, out, _err = run(demo, "import", DOWNLOADS[0])
    assert code == 0
    assert out.splitlines()[0] == (f"Nothing new in {Path(DOWNLOADS[0]).name}: every message "
                                   "was already in the archive")


def test_every_flag_in_help_is_in_the_readme() -> None:
    import click

    from tests.support.paths import REPO
    from tui.cli import main

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    missing = []
    for name, command in [("", main), *main.commands.items()]:
        for param in command.params:
            if isinstance(param, click.Option) and not param.hidden:
                flags = [f for f in param.opts if f.startswith("--")]
                if not any(re.search(rf"(?<![\w-]){f}(?![\w-])", readme) for f in flags):
                    missing.append(f"chatkeep {name} {flags[0]}")
    assert missing == []
    assert "chatkeep --version" in readme and "chatkeep audit" in readme


def test_a_folder_that_is_no_download_leaves_no_archive(tmp_path: Path) -> None:
    photos = tmp_path / "Photos"
    photos.mkdir()
    (photos / "beach.txt").write_text("not a download", encoding="utf-8")
    archive = tmp_path / "archive"
    code, out, err = run(archive, "import", str(photos))
    assert code == 2
    assert err == f"error: {photos}: holds no Facebook, Messenger or Instagram conversations\n"
    # One sentence, no table of zeros, and no empty archive left behind.
    assert out == f"Nothing was imported; see the error above; no archive was made at {archive}\n"
    assert not archive.exists()
    # An archive that was there stays, whole.
    code, _, err = run(archive, "import", DOWNLOADS[0])
    assert code == 0, err
    code, _, _ = run(archive, "import", str(photos))
    assert code == 2 and (archive / "chatkeep.db").is_file()


def test_stats_on_an_empty_archive_says_it_is_empty(tmp_path: Path) -> None:
    from archiver.store.opening import open_archive

    archive = tmp_path / "archive"
    open_archive(archive).conn.close()
    code, out, err = run(archive, "stats")
    assert (code, err) == (0, "")
    assert out == (f"The archive at {archive} holds no messages yet. "
                   "Import a download: chatkeep import PATH\n")
