"""`chatkeep show` in the terminal (not --json): days, times and zones."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from tests.support.cli import run, run_json
from tests.support.downloads import write_thread


def ms(stamp: str) -> int:
    return int(datetime.fromisoformat(stamp).replace(tzinfo=UTC).timestamp() * 1000)


def test_show_puts_messages_under_their_day_in_the_zone_asked_for(
    tmp_path: Path, archive: Path
) -> None:
    write_thread(tmp_path / "dl" / "messages" / "inbox" / "ana_1", [
        {"sender_name": "Ana", "timestamp_ms": ms("2016-07-01T23:30:00"),
         "content": "late"},
        {"sender_name": "Ana", "timestamp_ms": ms("2016-07-01T12:00:00"), "content": "noon"},
    ], title="Ana")
    run_json(archive, "import", str(tmp_path / "dl"))

    code, out, err = run(archive, "show", "Ana", "--tz", "Europe/Lisbon")
    assert code == 0, err
    lines = out.splitlines()
    friday = lines.index("── 2016-07-01, Friday ──")
    saturday = lines.index("── 2016-07-02, Saturday ──")
    assert lines[friday + 1] == "13:00  Ana"
    assert lines[saturday + 1] == "00:30  Ana"
    assert friday < saturday

    code, out, _ = run(archive, "show", "Ana", "--tz", "UTC")
    assert code == 0 and "── 2016-07-02" not in out
    assert "23:30  Ana" in out.splitlines()


def test_a_call_length_reads_as_minutes_and_seconds_not_a_clock(
    tmp_path: Path, archive: Path
) -> None:
    write_thread(tmp_path / "dl" / "messages" / "inbox" / "ana_1", [
        {"sender_name": "Ana", "timestamp_ms": ms("2017-02-11T16:20:00"),
         "content": "The video call ended.", "call_duration": 754},
        {"sender_name": "Ana", "timestamp_ms": ms("2017-02-11T15:00:00"),
         "content": "The call ended.", "call_duration": 3723},
        {"sender_name": "Ana", "timestamp_ms": ms("2017-02-11T14:00:00"),
         "content": "The call ended.", "call_duration": 45},
    ], title="Ana")
    run_json(archive, "import", str(tmp_path / "dl"))
    code, out, err = run(archive, "show", "Ana", "--tz", "UTC")
    assert code == 0, err
    assert "Call, 45 s" in out and "Call, 1 h 2 min 3 s" in out and "Call, 12 min 34 s" in out
    assert "12:34" not in out
