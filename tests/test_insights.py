"""Insights (``chatkeep stats [THREAD]``): figures checked against fixtures
counted by hand, in zones where a naive hour or day would be wrong."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from archiver.ingest.importer import import_downloads
from archiver.read.insights import median_of_counts
from archiver.store.opening import open_archive
from tests.support.cli import run, run_json
from tests.support.downloads import write_thread
from tests.support.paths import FIXTURES, SAMPLES

OWNER = "Jordan Lee"
ANA = "Ana Souza"
NEW_YORK = ZoneInfo("America/New_York")
LISBON = ZoneInfo("Europe/Lisbon")
UTC_ZONE = ZoneInfo("UTC")

# The demo downloads the first-release archive was made from (fixtures/archive_v1).
SAMPLES_V1 = FIXTURES / "samples_v1"


def ms(year: int, month: int, day: int, hour: int, minute: int, tz: ZoneInfo) -> int:
    return int(datetime(year, month, day, hour, minute, tzinfo=tz).timestamp() * 1000)


def msg(sender: str, when: int, text: str, **more: Any) -> dict[str, Any]:
    return {"sender_name": sender, "timestamp_ms": when, "content": text, **more}


# Ana: around the start of daylight saving time in New York (2021-03-14, 02:00
# became 03:00). Local times, by hand:
ANA_MESSAGES = [
    msg(ANA, ms(2021, 3, 12, 12, 0, NEW_YORK), "Friday noon"),
    msg(OWNER, ms(2021, 3, 13, 12, 0, NEW_YORK), "Saturday noon",
        reactions=[{"reaction": "❤", "actor": ANA}]),
    msg(ANA, ms(2021, 3, 14, 12, 0, NEW_YORK), "Sunday noon, 23 hours later"),
    msg(OWNER, ms(2021, 3, 15, 0, 30, NEW_YORK), "Monday just past midnight"),
    msg(ANA, ms(2021, 3, 16, 0, 30, NEW_YORK), "Tuesday just past midnight"),
    msg(OWNER, ms(2021, 3, 20, 23, 30, NEW_YORK), "Saturday night",
        photos=[{"uri": "photos/night.jpg", "creation_timestamp": 1616297400}]),
    msg(OWNER, ms(2021, 3, 20, 23, 35, NEW_YORK), "and again"),
]

# Crew: a group over months in Lisbon; the last message is 31 May in UTC but
# 1 June in Lisbon (summer time, UTC+1).
CREW_MESSAGES = [
    msg("Sam Okafor", ms(2021, 1, 5, 10, 0, UTC_ZONE), "Who has the boat?",
        reactions=[{"reaction": "❤", "actor": OWNER}, {"reaction": "❤", "actor": "Lee Chen"},
                   {"reaction": "😂", "actor": OWNER}]),
    msg("Lee Chen", ms(2021, 1, 5, 10, 2, UTC_ZONE), "Not me"),
    msg(OWNER, ms(2021, 1, 5, 10, 3, UTC_ZONE), "Me",
        photos=[{"uri": "photos/boat.jpg", "creation_timestamp": 1609840980}]),
    msg("Sam Okafor", ms(2021, 3, 1, 10, 0, UTC_ZONE), "Sailing video",
        videos=[{"uri": "videos/sail.mp4", "creation_timestamp": 1614592800}]),
    msg("Lee Chen", ms(2021, 5, 31, 23, 30, UTC_ZONE), "June already"),
]


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("insights")
    download = root / "facebook-jordanlee-2025"
    profile = download / "profile_information" / "profile_information.json"
    profile.parent.mkdir(parents=True)
    profile.write_text(json.dumps({"profile_v2": {"name": {"full_name": OWNER}}}))
    inbox = download / "your_facebook_activity" / "messages" / "inbox"
    write_thread(inbox / "anasouza_1", ANA_MESSAGES[::-1], title=ANA, participants=(ANA, OWNER))
    write_thread(inbox / "crew_2", CREW_MESSAGES[::-1], title="Crew",
                 participants=("Sam Okafor", "Lee Chen", OWNER))
    archive = root / "archive"
    report = import_downloads(archive, [download], copy_media=False)
    assert not report.errors
    return archive


def stats(archive: Path, *args: str) -> dict[str, Any]:
    data = run_json(archive, "stats", *args)
    assert isinstance(data, dict)
    return data


def test_a_conversation_across_the_start_of_summer_time(archive: Path) -> None:
    data = stats(archive, ANA, "--tz", "America/New_York")
    assert data["conversation"]["title"] == ANA
    assert data["messages"] == 7
    assert data["by_month"] == {"2021-03": 7}
    assert data["by_year"] == {"2021": 7}
    assert data["by_person"] == {OWNER: 4, ANA: 3}
    assert data["by_person_share"] == {OWNER: 0.5714, ANA: 0.4286}
    # Local days 12-16 March in a row (the 15th and 16th only just, at 00:30
    # summer time: a fixed winter offset would put them on the day before).
    assert data["longest_streak_days"] == 5
    assert data["longest_streak"] == {"days": 5, "from": "2021-03-12", "to": "2021-03-16"}
    # Nothing on 17, 18, 19 March (UTC days would say four: the 20th's 23:30 is the 21st).
    assert data["longest_silence_days"] == 3
    assert data["longest_silence"] == {"days": 3, "from": "2021-03-17", "to": "2021-03-19"}
    assert data["busiest_day"] == {"date": "2021-03-20", "messages": 2}
    assert data["first"] == "2021-03-12T17:00:00.000Z"
    assert data["last"] == "2021-03-21T03:35:00.000Z"
    grid = data["by_weekday_hour"]
    assert len(grid) == 7 and all(len(row) == 24 for row in grid)
    expected = {(4, 12): 1, (5, 12): 1, (6, 12): 1, (0, 0): 1, (1, 0): 1, (5, 23): 2}
    assert {(d, h): n for d, row in enumerate(grid) for h, n in enumerate(row) if n} == expected
    # Replies: Jordan after 24 h, 12 h 30 min and 4 days 23 h; Ana after 23 h
    # (the clocks went forward that night) and 24 h.
    assert data["replies"] == {OWNER: 3, ANA: 2}
    assert data["reply_seconds_median"] == {OWNER: 86_400, ANA: (82_800 + 86_400) // 2}
    assert data["media"] == {"photo": 1}
    assert data["reactions"] == {"❤": 1}
    assert data["reactions_given"] == {ANA: {"❤": 1}}


def test_the_heatmap_hour_in_a_half_hour_zone(archive: Path) -> None:
    """India is UTC+5:30: 03:30 and 03:35 UTC on Sunday are 09:00 and 09:05
    there (counting whole UTC hours would put them at 08:00)."""
    data = stats(archive, ANA, "--tz", "Asia/Kolkata")
    grid = data["by_weekday_hour"]
    assert grid[6][9] == 2 and grid[6][8] == 0
    assert grid[4][22] == 1  # Friday 17:00 UTC is 22:30 there
    assert sum(map(sum, grid)) == 7


def test_months_in_the_zone_and_every_month_between(archive: Path) -> None:
    data = stats(archive, "Crew", "--tz", "Europe/Lisbon")
    assert data["by_month"] == {
        "2021-01": 3, "2021-02": 0, "2021-03": 1, "2021-04": 0, "2021-05": 0, "2021-06": 1,
    }
    assert sum(data["by_month"].values()) == data["messages"] == 5
    assert data["by_person"] == {"Lee Chen": 2, "Sam Okafor": 2, OWNER: 1}
    assert data["media"] == {"photo": 1, "video": 1}
    assert data["reactions"] == {"❤": 2, "😂": 1}
    assert data["reactions_given"] == {OWNER: {"❤": 1, "😂": 1}, "Lee Chen": {"❤": 1}}
    # In UTC the last message is still May.
    utc = stats(archive, "Crew", "--tz", "UTC")
    assert list(utc["by_month"].items())[-1] == ("2021-05", 1)


def test_the_whole_archive_keeps_its_figures_and_adds_the_insights(archive: Path) -> None:
    data = stats(archive, "--tz", "Europe/Lisbon")
    # What stats printed before insights, unchanged.
    assert data["conversations"] == 2
    assert data["platforms"] == {"facebook": {"messages": 12, "threads": 2}}
    assert [d["messages"] for d in data["downloads"]] == [12]
    assert data["messages"] == 12 == sum(data["by_month"].values())
    assert sum(data["by_year"].values()) == 12
    assert data["by_person"] == {OWNER: 5, ANA: 3, "Lee Chen": 2, "Sam Okafor": 2}
    assert sum(map(sum, data["by_weekday_hour"])) == 12
    assert data["media"] == {"photo": 2, "video": 1}
    assert data["reactions"] == {"❤": 3, "😂": 1}
    assert data["first"] == "2021-01-05T10:00:00.000Z"


def test_after_and_before_exclude_the_whole_period_named(archive: Path) -> None:
    data = stats(archive, "Crew", "--after", "2021-01", "--before", "June 2021",
                 "--tz", "Europe/Lisbon")
    assert data["messages"] == 1
    assert data["by_month"] == {"2021-03": 1}
    assert data["by_person"] == {"Sam Okafor": 1}
    assert data["media"] == {"video": 1}
    assert data["reactions"] == {}
    nothing = stats(archive, "--after", "2030", "--tz", "UTC")
    assert nothing["messages"] == 0 and nothing["by_month"] == {} and nothing["first"] is None
    assert nothing["conversations"] == 2  # the archive's own figures stay whole


def test_a_range_counts_its_first_and_last_day_whole(tmp_path: Path) -> None:
    """A message at the first millisecond of the range and one at its last
    count; the ones a millisecond outside it do not (in the zone asked for:
    Lisbon is UTC+1 in April)."""
    edges = [(3, 31, 23, 59, 59_999), (4, 1, 0, 0, 0), (4, 15, 12, 0, 0),
             (4, 30, 23, 59, 59_999), (5, 1, 0, 0, 0)]
    archive = tmp_path / "archive"
    for zone in (UTC_ZONE, LISBON):
        times = [ms(2023, mo, d, h, mi, zone) + extra for mo, d, h, mi, extra in edges]
        folder = tmp_path / zone.key / "messages" / "inbox" / f"edges_{len(zone.key)}"
        write_thread(folder, [msg(ANA, t, f"edge {n}") for n, t in enumerate(times)][::-1],
                     title=f"Edges {zone.key}", participants=(ANA, OWNER))
        assert run(archive, "import", str(tmp_path / zone.key))[0] == 0
        data = stats(archive, f"Edges {zone.key}", "--after", "2023-03-31", "--before",
                     "2023-05-01", "--tz", zone.key)
        assert data["messages"] == 3, zone.key
        assert (data["first"], data["last"]) == (
            insights_iso(times[1]), insights_iso(times[3])), zone.key
        assert data["by_month"] == {"2023-04": 3}
        assert data["active_days"] == 3


def insights_iso(when: int) -> str:
    """A time as ``--json`` gives it."""
    return datetime.fromtimestamp(when / 1000, UTC_ZONE).strftime("%Y-%m-%dT%H:%M:%S.") + \
        f"{when % 1000:03d}Z"


def test_the_terminal_report_draws_every_section(archive: Path) -> None:
    code, out, err = run(archive, "stats", ANA, "--tz", "America/New_York")
    assert code == 0, err
    for heading in ("Messages per month", "Messages per year", "Who writes",
                    "When (weekday × hour, America/New_York)", "Rhythm", "Media",
                    "Reactions, and who gives them", "Median reply time"):
        assert heading in out
    assert "longest streak      5 days (2021-03-12 → 2021-03-16)" in out
    assert "longest silence     3 days (2021-03-17 → 2021-03-19)" in out
    assert "busiest day         2021-03-20, Sat: 2 messages" in out
    lines = out.splitlines()
    sat = next(line for line in lines if line.startswith("Sat "))
    assert sat[4 + 2 * 12:4 + 2 * 13] != "  " and sat[4 + 2 * 23:4 + 2 * 24] == "██"
    assert any(line.startswith(OWNER) and "57.1%" in line for line in lines)
    assert all(len(line) <= 80 for line in lines)
    empty = run(archive, "stats", "--after", "2030")
    assert empty[0] == 0 and "No messages in this period." in empty[1]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--after", "someday"], "--after 'someday' is not a date"),
        (["--before", "2021-13-45"], "--before '2021-13-45' is not a date"),
        # Two readings are never guessed between; a time is not dropped in silence.
        (["--after", "01/12/2023"],
         ("--after '01/12/2023' is ambiguous (2023-12-01 or 2023-01-12?) "
         "(use 2023-12-01, 2023-12, 2023 or \"Dec 2023\")")),
        (["--after", "2023-12-01 23:59"],
         "--after '2023-12-01 23:59' holds a time; dates are whole days (write 2023-12-01)"),
        (["--tz", "Mars/Olympus"], "unknown time zone 'Mars/Olympus'"),
        (["Nobody"], "no conversation matches 'Nobody'"),
    ],
)
def test_bad_options_are_one_line_errors(archive: Path, args: list[str], message: str) -> None:
    code, out, err = run(archive, "stats", *args)
    assert code == 2 and out == ""
    assert err.startswith("chatkeep: ") and message in err and len(err.splitlines()) == 1


def test_a_cross_app_conversation_counts_each_message_once(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    samples = [SAMPLES / "facebook-jordanlee-2025", SAMPLES / "instagram-jordan.lee-2024"]
    import_downloads(archive, samples, copy_media=False)
    data = stats(archive, "Maya Chen", "--tz", "UTC")
    assert data["conversation"]["cross_app"] is True
    assert data["messages"] == 58  # 52 in both downloads, 2 Facebook only, 4 Instagram only
    shown = run_json(archive, "show", "Maya Chen")
    senders = Counter(m["sender"] for m in shown["messages"])  # type: ignore[index]
    assert data["by_person"] == dict(senders.most_common())
    assert "Jordan L." not in data["by_person"]  # the owner's Instagram name is the same person
    assert set(data["reply_seconds_median"]) <= set(senders)
    # Reactions on a message both apps held count once.
    reactions = Counter(r["reaction"] for m in shown["messages"]  # type: ignore[index]
                        for r in m["reactions"])
    assert data["reactions"] == dict(reactions)


@pytest.mark.parametrize(
    ("pairs", "median"),
    [([(5, 1)], 5), ([(1, 1), (4, 1)], 3), ([(1, 2), (9, 1)], 1), ([(2, 1), (3, 1)], 3),
     ([(10, 3), (20, 3)], 15)],
)
def test_median_from_counted_values(pairs: list[tuple[int, int]], median: int) -> None:
    assert median_of_counts(pairs, sum(c for _, c in pairs)) == median


def test_an_archive_of_the_first_release_gains_the_insights_index(tmp_path: Path) -> None:
    old = tmp_path / "old"
    shutil.copytree(FIXTURES / "archive_v1", old)
    fresh = tmp_path / "fresh"
    import_downloads(fresh, sorted(SAMPLES_V1.glob("*/")), copy_media=True)

    def schema(folder: Path) -> tuple[int, list[tuple[str, str]]]:
        db = open_archive(folder)
        try:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            rows = db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                              "AND sql IS NOT NULL ORDER BY name").fetchall()
            return version, rows
        finally:
            db.conn.close()

    assert schema(old) == schema(fresh)
    assert any(name == "idx_messages_conversation_id_position_timestamp_ms_sender"
               for name, _ in schema(old)[1])
    assert without_ids(stats(old, "--tz", "UTC")) == without_ids(stats(fresh, "--tz", "UTC"))


def without_ids(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k != "downloads"}


class _SvgText(HTMLParser):
    """The tooltips (``<title>`` in the drawings, ``title`` on a person's row),
    the charts' captions and the figures beside the people's bars."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.titles: list[str] = []
        self.labels: list[str] = []
        self.captions: list[str] = []
        self.svgs: list[str] = []
        self._in: list[str] = []
        self._depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "svg":
            self._depth += 1
            self.svgs.append(a.get("class") or "")
        if "person" in (a.get("class") or "").split():
            self.titles.append(a.get("title") or "")
        if self._depth and tag == "title":
            self._in.append(tag)
            self.titles.append("")
        elif tag == "figcaption" or "figure" in (a.get("class") or "").split():
            self._in.append(tag)
            (self.captions if tag == "figcaption" else self.labels).append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg":
            self._depth -= 1
        if self._in and tag in (self._in[-1], "span") and (
                tag == self._in[-1] or self._in[-1] == "span"):
            self._in.pop()

    def handle_data(self, data: str) -> None:
        if self._in:
            kind = self._in[-1]
            target = (self.titles if kind == "title" else self.captions if kind == "figcaption"
                      else self.labels)
            target[-1] += data


def charts(path: Path) -> _SvgText:
    reader = _SvgText()
    reader.feed(path.read_text(encoding="utf-8"))
    return reader


def test_html_export_draws_the_same_figures_as_svg(archive: Path, tmp_path: Path) -> None:
    out = tmp_path / "html"
    code, _, err = run(archive, "export", "--all", "--format", "html", "-o", str(out),
                       "--tz", "Europe/Lisbon")
    assert code == 0, err
    [crew] = out.glob("Crew-*.html")
    page = charts(crew)
    assert page.svgs == ["months", "heatmap"]
    assert [c.split(" (")[0] for c in page.captions] == [
        "Messages per month", "Messages by weekday and hour", "Who writes"]
    # One bar per month with messages, in Lisbon's months (June, not May).
    months = [t for t in page.titles if t[:4] == "2021"]
    assert months == ["2021-01: 3 messages", "2021-03: 1 message", "2021-06: 1 message"]
    # The heatmap: Tuesday 5 January, 10:00 in Lisbon (UTC in winter).
    assert "Tue 10:00–10:59: 3 messages" in page.titles
    assert "Tue 00:00–00:59: 1 message" in page.titles  # 1 June 00:30 summer time
    # A name is isolated in its tooltip (FSI … PDI), so that a right-to-left
    # name cannot move the count after it.
    assert "\u2068Lee Chen\u2069: 2 messages" in page.titles and "2 (40.0%)" in page.labels
    text = crew.read_text(encoding="utf-8")
    assert "<dt>Longest silence</dt><dd>91 days (2021-03-02 → 2021-05-31)</dd>" in text
    assert "<dt>Longest streak</dt><dd>1 day (2021-01-05 → 2021-01-05)</dd>" in text
    # index.html: the whole archive.
    index = charts(out / "index.html")
    assert index.svgs == ["months", "heatmap"]
    assert sum(int(t.split(": ")[1].split()[0].replace(",", "")) for t in index.titles
               if t[:2] == "20" and t[4] == "-" and len(t.split(":")[0]) == 7) == 12
    assert f"\u2068{OWNER}\u2069: 5 messages" in index.titles


def test_html_export_charts_only_the_messages_written(archive: Path, tmp_path: Path) -> None:
    out = tmp_path / "crew.html"
    code, _, err = run(archive, "export", "Crew", "--format", "html", "-o", str(out),
                       "--after", "2021-01", "--tz", "Europe/Lisbon")
    assert code == 0, err
    page = charts(out)
    assert [t for t in page.titles if t[:4] == "2021"] == [
        "2021-03: 1 message", "2021-06: 1 message"]


def test_html_charts_say_1_message_in_the_singular(tmp_path: Path) -> None:
    write_thread(tmp_path / "dl" / "messages" / "inbox" / "solo_1",
                 [{"sender_name": "Ana", "timestamp_ms": 1_600_000_000_000, "content": "hi"}],
                 title="Solo", participants=("Ana", "Jordan Lee"))
    archive = tmp_path / "archive"
    run_json(archive, "import", str(tmp_path / "dl"))
    out = tmp_path / "solo.html"
    code, _, err = run(archive, "export", "Solo", "--format", "html", "-o", str(out))
    assert code == 0, err
    page = charts(out)
    text = out.read_text(encoding="utf-8")
    assert "<dt>Busiest day</dt><dd>2020-09-13: 1 message</dd>" in text
    assert "\u2068Ana\u2069: 1 message" in page.titles
    assert "1 messages" not in text


def test_reply_medians_merge_no_name_with_unknown_sender_in_order() -> None:
    """Replies are read as a stream, person by person: messages without a
    sender and those of a sender literally named "Unknown sender" come apart
    and are one person, their median taken over both in order of gap."""
    import sqlite3

    from archiver.read import insights as ins

    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE messages (id INTEGER PRIMARY KEY, conversation_id INTEGER, "
                 "position INTEGER, timestamp_ms INTEGER, sender TEXT, duplicate_of INTEGER)")
    # Replies to Ana: no name after 100 s and 400 s; "Unknown sender" after
    # 200 s and 300 s; Bo after 50 s. Gaps 100, 200, 300, 400: median 250.
    rows = [("Ana", 0), (None, 100), ("Ana", 1000), ("Unknown sender", 1200),
            ("Ana", 2000), ("Unknown sender", 2300), ("Ana", 3000), (None, 3400),
            ("Ana", 4000), ("Bo", 4050)]
    conn.executemany(
        "INSERT INTO messages (conversation_id, position, timestamp_ms, sender) VALUES (1, ?, ?, ?)",
        [(i, seconds * 1000, who) for i, (who, seconds) in enumerate(rows)])
    medians, replies = ins._replies(conn, ins._Scope(None, None, None), {})
    assert replies == {"Ana": 4, "Unknown sender": 4, "Bo": 1}
    assert medians == {"Ana": 750, "Unknown sender": 250, "Bo": 50}
