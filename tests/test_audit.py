"""``chatkeep audit``: what the downloads held against what the archive holds,
from what each import recorded (the download need not be there any more)."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

from tests.support.cli import run, run_json
from tests.support.downloads import write_thread

DAY = 86_400_000
T0 = 1_600_000_000_000


def busy(start: int, n: int, sender: str = "Ana") -> list[dict]:
    return [{"sender_name": sender, "timestamp_ms": start + i * DAY // 2, "content": f"m{i}"}
            for i in range(n)]


def make_download(root: Path) -> Path:
    inbox = root / "messages" / "inbox"
    # 12 busy messages, 100.5 days without one (99 whole calendar days in
    # UTC, 19 September to 28 December), 12 busy messages; one without a time.
    messages = busy(T0, 12) + busy(T0 + 106 * DAY, 12)
    messages.append({"sender_name": "Ana", "content": "no time"})
    write_thread(inbox / "ana_1", list(reversed(messages)), title="Ana")
    write_thread(inbox / "kim_2", [
        {"sender_name": "Kim", "timestamp_ms": T0, "content": "look",
         "photos": [{"uri": "messages/inbox/kim_2/photos/gone.jpg"}]},
    ], title="Kim")
    broken = inbox / "lee_3"
    broken.mkdir(parents=True)
    (broken / "message_1.json").write_text('{"participants": [', encoding="ascii")
    cutover = root / "messages" / "e2ee_cutover" / "sam_4"
    write_thread(cutover, [{"sender_name": "Sam", "timestamp_ms": T0, "content": "bye"}],
                 title="Sam", participants=("Sam", "Jordan Lee"))
    return root


def test_the_audit_reports_what_the_import_left_out(tmp_path: Path) -> None:
    download = make_download(tmp_path / "facebook-jordan-2024")
    archive = tmp_path / "archive"
    assert run(archive, "import", str(download))[0] == 1  # one file rejected
    shutil.rmtree(download)  # the audit needs only the archive
    data = run_json(archive, "audit", "--tz", "UTC")
    [d] = data["downloads"]
    assert (d["name"], d["recorded"], d["held"], d["skipped"], d["in_archive"], d["missing"],
            d["rejected"]) == ("facebook-jordan-2024", True, 27, 1, 26, 0, 1)
    ana = next(t for t in d["threads"] if t["conversation_title"] == "Ana")
    assert (ana["held"], ana["skipped"], ana["in_archive"], ana["missing"]) == (25, 1, 24, 0)
    [skipped] = data["skipped"]
    assert skipped["thread"] == "facebook:ana_1"
    assert skipped["where"].endswith("ana_1/message_1.json message 0")
    assert skipped["reason"].startswith("has no usable timestamp; skipped")
    [rejected] = data["rejected"]
    assert rejected["path"].endswith("lee_3/message_1.json")
    assert rejected["problem"].startswith("is not valid JSON")
    [media] = data["media_missing"]["not_in_download"]
    assert (media["title"], media["attachments"], media["names"]) == ("Kim", 1, ["gone.jpg"])
    [cutover] = data["cutover_without_continuation"]
    assert cutover["title"] == "Sam"
    [silence] = data["silences"]
    assert (silence["title"], silence["days"], silence["messages_before"],
            silence["messages_after"]) == ("Ana", 99, 12, 12)

    code, out, err = run(archive, "audit")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[1].startswith("  facebook-jordan-2024 (facebook, imported ")
    assert lines[1].endswith(": 27 → 26 (1 skipped; 1 file rejected)")
    assert lines[2].startswith("    Ana (") and lines[2].endswith(": 25 → 24, 1 skipped")
    assert "Long silences (60+ days between busy stretches of 10+ messages in 30 days: " \
           "a missing part or download?): 1" in lines
    assert lines[-1] == "5 things to look at (above)."


def test_messages_lost_after_the_import_are_counted_missing(tmp_path: Path) -> None:
    download = make_download(tmp_path / "dl")
    archive = tmp_path / "archive"
    run(archive, "import", str(download))
    conn = sqlite3.connect(archive / "chatkeep.db")
    conn.execute("DELETE FROM message_downloads WHERE message_id IN "
                 "(SELECT id FROM messages WHERE text = 'm1')")
    conn.commit()
    conn.close()
    [d] = run_json(archive, "audit")["downloads"]
    assert d["missing"] == 2
    out = run(archive, "audit")[1]
    assert ": 27 → 24 (1 skipped; 1 file rejected; 2 MISSING)" in out


def test_an_archive_imported_before_the_audit_existed(tmp_path: Path) -> None:
    from tests.support.paths import FIXTURES

    archive = tmp_path / "old"
    shutil.copytree(FIXTURES / "archive_v1", archive)
    data = json.loads(run(archive, "audit", "--json")[1])
    assert all(not d["recorded"] and d["held"] is None for d in data["downloads"])
    out = run(archive, "audit")[1]
    assert "what its files held was not recorded (imported by an older chatkeep; " \
           "import it again to record it)" in out


def test_no_archive(tmp_path: Path) -> None:
    code, out, err = run(tmp_path / "none", "audit")
    assert (code, out) == (2, "")
    assert err.startswith("chatkeep: No archive at")
    assert not (tmp_path / "none").exists()


def test_a_silence_is_as_long_in_audit_as_in_stats(tmp_path: Path) -> None:
    """One definition of a silence: calendar days without a message, in the
    chosen zone. 165 days and 23 hours pass between 00:30 on 1 January and
    23:30 on 15 June; the days between hold none of them: 164 in UTC."""
    last_before = 1_672_533_000_000  # 2023-01-01 00:30 UTC
    first_after = 1_686_871_800_000  # 2023-06-15 23:30 UTC
    messages = busy(last_before - 11 * DAY // 2, 12) + busy(first_after, 12)
    write_thread(tmp_path / "dl" / "messages" / "inbox" / "ana_1", messages[::-1], title="Ana")
    archive = tmp_path / "archive"
    assert run(archive, "import", str(tmp_path / "dl"))[0] == 0
    for zone, days in (("UTC", 164), ("America/New_York", 165)):
        stats = run_json(archive, "stats", "ana", "--tz", zone)
        [silence] = run_json(archive, "audit", "--tz", zone)["silences"]
        assert stats["longest_silence_days"] == silence["days"] == days, zone


def test_a_silence_of_exactly_sixty_days_is_reported_and_fifty_nine_is_not(
    tmp_path: Path,
) -> None:
    """60 calendar days without a message between two busy stretches is a
    silence, 59 is not, and stats counts the same days. In New York, across
    the start of summer time: the 60-day silence lasts 2 minutes less than 60
    times 24 hours (one of its days has 23)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    zone = ZoneInfo("America/New_York")

    def at(month: int, day: int, hour: int, minute: int) -> int:
        return int(datetime(2023, month, day, hour, minute, tzinfo=zone).timestamp() * 1000)

    last_before = at(1, 20, 23, 59)
    for days, first_after in ((60, at(3, 22, 0, 1)), (59, at(3, 21, 0, 1))):
        messages = busy(last_before - 11 * DAY // 2, 12) + busy(first_after, 12)
        write_thread(tmp_path / "dl" / "messages" / "inbox" / f"gap_{days}", messages[::-1],
                     title=f"Gap of {days}")
    archive = tmp_path / "archive"
    assert run(archive, "import", str(tmp_path / "dl"))[0] == 0
    silences = run_json(archive, "audit", "--tz", zone.key)["silences"]
    assert [(s["title"], s["days"]) for s in silences] == [("Gap of 60", 60)]
    for days in (60, 59):
        stats = run_json(archive, "stats", f"Gap of {days}", "--tz", zone.key)
        assert stats["longest_silence_days"] == days
        assert stats["longest_silence"]["from"] == "2023-01-21"


def test_ten_messages_on_each_side_make_a_busy_stretch_and_nine_do_not(tmp_path: Path) -> None:
    """Busy: 10 messages within the 30 days before a silence and 10 within the
    30 days after (the one that ends it included)."""
    for n in (10, 9):
        start = T0 + n * 1000 * DAY
        before = [{"sender_name": "Ana", "timestamp_ms": start - i * 3 * DAY, "content": f"b{i}"}
                  for i in range(n)]  # the earliest exactly 27 days before the last
        after = [{"sender_name": "Ana", "timestamp_ms": start + 100 * DAY + i * 3 * DAY,
                  "content": f"a{i}"} for i in range(n)]
        # Old messages well before, so that the thread holds enough to be looked at.
        old = [{"sender_name": "Ana", "timestamp_ms": start - 400 * DAY + i, "content": f"o{i}"}
               for i in range(20)]
        write_thread(tmp_path / "dl" / "messages" / "inbox" / f"busy_{n}",
                     sorted(before + after + old, key=lambda m: -m["timestamp_ms"]),
                     title=f"Busy {n}")
    archive = tmp_path / "archive"
    assert run(archive, "import", str(tmp_path / "dl"))[0] == 0
    silences = run_json(archive, "audit", "--tz", "UTC")["silences"]
    assert [(s["title"], s["messages_before"], s["messages_after"]) for s in silences
            if s["days"] < 300] == [("Busy 10", 10, 10)]
