"""Plant known bugs one at a time and see whether the tests notice.

A test suite is worth what it catches. This script copies the code to a
temporary folder, and for each bug of a fixed list (text repair, fingerprints,
parts, search bounds, the joining rules, export escaping, time zones, and a few
more that tests once missed) changes one line, runs the tests of that area,
and reports whether some test failed ("caught") or all passed ("SURVIVED").
Each bug is a realistic slip, not a syntax error. A bug whose line is no
longer in the code is reported as "stale": edit its entry below.

It is a script to run before a release, not part of CI (it runs the tests
about 30 times: 10-20 minutes on two cores). Its last result is in
benchmarks/README.md.

    python -m tests.support.mutation            # every bug
    python -m tests.support.mutation --list     # the bugs, without running anything
    python -m tests.support.mutation --only parts_sorted_as_text,cutover_no_limit
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
COPIED = ("archiver", "tui", "tests", "benchmarks", "sample_exports", "pyproject.toml")


@dataclass(frozen=True)
class Bug:
    name: str
    area: str
    file: str
    old: str  # must occur exactly once in the file
    new: str
    tests: tuple[str, ...]
    what: str


BUGS: tuple[Bug, ...] = (
    # Text repair.
    Bug("repair_list_first_item_only", "text repair", "archiver/ingest/text.py",
        "return [repair_any(v) for v in value]",
        "return [repair_any(value[0]), *value[1:]] if value else value",
        ("tests/test_import.py", "tests/test_bad_input.py"),
        "only the first string of a list in an unmapped field is repaired"),
    Bug("repair_keeps_dict_keys_raw", "text repair", "archiver/ingest/text.py",
        "return {repair(k) if isinstance(k, str) else k: repair_any(v)",
        "return {k: repair_any(v)",
        ("tests/test_import.py", "tests/test_bad_input.py", "tests/test_properties.py"),
        "keys of unmapped objects stay mojibake"),
    Bug("repair_replaces_genuine_latin1", "text repair", "archiver/ingest/text.py",
        'return s.encode("latin-1").decode("utf-8")',
        'return s.encode("latin-1").decode("utf-8", errors="replace")',
        ("tests/test_import.py", "tests/test_properties.py", "tests/test_bad_input.py"),
        "text that is not mojibake gets U+FFFD instead of being kept"),
    Bug("match_text_keeps_case", "text repair", "archiver/folding.py",
        '    return " ".join(text.split()).casefold()',
        '    return " ".join(text.split())',
        ("tests/test_crossapp.py",),
        "the same message in two apps must match in case too"),
    # Fingerprints.
    Bug("fingerprint_ignores_sender", "fingerprints", "archiver/fingerprint.py",
        "f\"{sender}{_SEP}{text or ''}{_SEP}{names}\"",
        "f\"{text or ''}{_SEP}{names}\"",
        ("tests/test_import.py", "tests/test_crossapp.py", "tests/test_properties.py"),
        "two people saying the same thing at the same time are one message"),
    Bug("occurrences_not_counted", "fingerprints", "archiver/fingerprint.py",
        "self._counts[base] = n + 1",
        "self._counts[base] = n",
        ("tests/test_import.py", "tests/test_properties.py"),
        "a double 'ok' in the same millisecond keeps one of them"),
    # Parts.
    Bug("parts_sorted_as_text", "parts", "archiver/ingest/dialects/meta_dyi.py",
        "parts = sorted(folders[folder], key=lambda p: p[0])",
        "parts = sorted(folders[folder], key=lambda p: p[1].path)",
        ("tests/test_import.py",),
        "message_10.json read before message_2.json"),
    Bug("parts_read_newest_first", "parts", "archiver/ingest/dialects/meta_dyi.py",
        "for member in reversed(source.files):",
        "for member in source.files:",
        ("tests/test_import.py", "tests/test_crash.py"),
        "parts read from message_1.json on: messages out of time order"),
    Bug("failed_thread_not_rolled_back", "parts", "archiver/store/writer.py",
        'self.conn.execute("ROLLBACK TO thread")',
        "pass",
        ("tests/test_bad_input.py", "tests/test_crash.py"),
        "a thread that breaks after its first chunk keeps half its rows"),
    # Search bounds.
    Bug("period_end_inclusive", "search bounds", "archiver/read/search/sql.py",
        '("m.timestamp_ms < ?", hi)',
        '("m.timestamp_ms <= ?", hi)',
        ("tests/test_search.py",),
        "before:2024 and on:2023 include the first millisecond of 2024"),
    Bug("period_start_exclusive", "search bounds", "archiver/read/search/sql.py",
        '("m.timestamp_ms >= ?", lo)',
        '("m.timestamp_ms > ?", lo)',
        ("tests/test_search.py",),
        "on:2024 and after:2023 leave out the first millisecond of 2024"),
    Bug("periods_in_utc", "time zones", "archiver/read/search/dates.py",
        "return int(datetime(day.year, day.month, day.day, tzinfo=tz).timestamp() * 1000)",
        "return int(datetime(day.year, day.month, day.day, tzinfo=_utc).timestamp() * 1000)",
        ("tests/test_search.py",),
        "dates in queries are UTC days whatever --tz says"),
    # Joining rules.
    Bug("cutover_no_limit", "joining rules", "archiver/store/crossapp/rules.py",
        "if 0 < gap <= CUTOVER_MAX_GAP_MS:",
        "if 0 < gap:",
        ("tests/test_crossapp.py",),
        "an encrypted chat joins a cutover thread years later"),
    Bug("cutover_overlap_allowed", "joining rules", "archiver/store/crossapp/rules.py",
        "if 0 < gap <= CUTOVER_MAX_GAP_MS:",
        "if gap <= CUTOVER_MAX_GAP_MS:",
        ("tests/test_crossapp.py",),
        "an encrypted chat that starts before the cutover thread ends joins it"),
    Bug("two_matches_join", "joining rules", "archiver/store/crossapp/rules.py",
        "MIN_MATCHED = 3",
        "MIN_MATCHED = 2",
        ("tests/test_crossapp.py",),
        "two coincidences join two chats"),
    Bug("share_rule_dropped", "joining rules", "archiver/store/crossapp/rules.py",
        "if matched < MIN_MATCHED_SHARE * compared:",
        "if False:",
        ("tests/test_crossapp.py",),
        "a few matches spread over years join two chats"),
    # Export escaping.
    Bug("markdown_line_start_unescaped", "export escaping", "archiver/export/markdown.py",
        'if first in _ASCII_PUNCTUATION and first not in "\\\\<>":',
        "if False:",
        ("tests/test_export.py", "tests/test_export_hostile.py"),
        "a message starting with '# ' becomes a heading"),
    Bug("markdown_html_unescaped", "export escaping", "archiver/export/markdown.py",
        'if "<" in core or ">" in core:',
        "if False:",
        ("tests/test_export.py", "tests/test_export_hostile.py"),
        "raw HTML in a message becomes HTML in the export"),
    Bug("markdown_controls_raw", "export escaping", "archiver/export/markdown.py",
        "core = _CONTROL.sub(_reference, core)",
        "pass",
        ("tests/test_export.py", "tests/test_export_hostile.py",
         "tests/test_terminal_safety.py"),
        "terminal escapes written raw into the Markdown file"),
    Bug("terminal_escapes_printed", "export escaping", "archiver/cli/base.py",
        "click.echo(text if styled else terminal_text(text), err=err)",
        "click.echo(text, err=err)",
        ("tests/test_terminal_safety.py", "tests/test_search.py"),
        "a title that retitles or clears the terminal is printed raw"),
    # Time zones.
    Bug("show_ignores_tz", "time zones", "archiver/cli/reading.py",
        "conversation_lines(db, select(db, cid, zone), zone)",
        "conversation_lines(db, select(db, cid, zone), _utc)",
        ("tests/test_show.py",),
        "chatkeep show --tz prints UTC times"),
    Bug("reader_ignores_tz", "time zones", "tui/app.py",
        "self.tz: tzinfo = tz if isinstance(tz, tzinfo) else resolve_tz(tz)",
        "self.tz: tzinfo = _utc",
        ("tests/tui/test_reader.py",),
        "the reader shows UTC whatever its zone"),
    Bug("markdown_in_utc", "time zones", "archiver/export/markdown.py",
        "when = local(msg.timestamp_ms, tz)",
        "when = local(msg.timestamp_ms, _utc)",
        ("tests/test_export.py",),
        "the Markdown export's days and times in UTC"),
    # Privacy.
    Bug("reader_opens_read_write", "privacy", "tui/app.py",
        "self.db = open_archive(self.archive_dir, readonly=True)",
        "self.db = open_archive(self.archive_dir)",
        ("tests/tui/test_reader.py", "tests/test_privacy.py"),
        "the reader's own connection can write"),
    # Hostile input.
    Bug("reactions_listed_twice", "big lists", "archiver/read/messages.py",
        "if pair not in pairs:",
        "if True:",
        ("tests/test_big_lists.py", "tests/test_crossapp.py"),
        "a reaction held by both apps' copies is shown twice"),
    Bug("media_copy_not_sparse", "media", "archiver/store/media.py",
        "out.seek(HOLE, os.SEEK_CUR)",
        "out.write(_ZEROS)",
        ("tests/test_import.py",),
        "a zero-filled attachment takes its full size on disk"),
    # Bugs the suite once let through (tests/test_regressions.py).
    Bug("notice_selector_not_ignored", "events", "archiver/notices.py",
        '(found.group("reaction").replace("\\ufe0f", ""),))',
        '(found.group("reaction"),))',
        ("tests/test_regressions.py", "tests/test_events.py"),
        "\"Ana reacted ❤️\" is shown beside the ❤ it repeats"),
    Bug("stored_selector_not_ignored", "events", "archiver/read/messages.py",
        "AND replace(r.reaction, char(65039), '') IN ({emoji}) LIMIT 1",
        "AND r.reaction IN ({emoji}) LIMIT 1",
        ("tests/test_regressions.py", "tests/test_events.py"),
        "\"Bo reacted ❤\" is shown beside the ❤️ it repeats"),
    Bug("html_split_at_ten_thousand", "exports", "archiver/export/html.py",
        "if chosen.conv.messages > SPLIT_OVER:",
        "if chosen.conv.messages >= SPLIT_OVER:",
        ("tests/test_regressions.py",),
        "a conversation of exactly 10,000 messages becomes two HTML pages"),
    Bug("new_id_ignores_remembered_ids", "stable ids", "archiver/store/conversations.py",
        '"COALESCE((SELECT MAX(home_conversation_id) FROM threads), 0)) + 1"',
        '"0) + 1"',
        ("tests/test_regressions.py", "tests/test_stable_ids.py"),
        "after a join freed id 2, the next new chat takes 2"),
    Bug("readers_not_ended", "signals", "archiver/ingest/pipeline.py",
        "worker.terminate()",
        "pass",
        ("tests/test_signals.py",),
        "an interrupted import waits 5 s for its reading process"),
    Bug("readers_left_on_write_error", "importer", "archiver/ingest/pipeline.py",
        "            if worker.is_alive():\n                worker.terminate()",
        "            if worker.is_alive() and not isinstance(sys.exc_info()[1], GeneratorExit):\n"
        "                worker.terminate()",
        ("tests/test_writer_errors.py",),
        "an import whose writing fails (a full disk) waits 5 s for each reading process"),
    Bug("new_thread_kept_in_reading_order", "parts", "archiver/ingest/threads.py",
        "if t.numbering and not ordered:",
        "if False:",
        ("tests/test_regressions.py",),
        "a new thread's out-of-order parts are shown out of order, with wrong dates"),
    Bug("media_copies_by_path_only", "media", "archiver/store/media.py",
        "key = (str(member.origin), member.path)",
        'key = ("", member.path)',
        ("tests/test_regressions.py",),
        "two downloads in one command: the second's photo is the first's file"),
    Bug("file_key_without_checksum", "importer", "archiver/ingest/changes.py",
        "{member.size}:{crc:08x}",
        "{member.size}",
        ("tests/test_regressions.py",),
        "a thread file corrected without changing its size is taken as unchanged"),
    Bug("parts_count_last_import_only", "importer", "archiver/ingest/threads.py",
        "        if not t.fresh:\n            # Other parts",
        "        if False:\n            # Other parts",
        ("tests/test_regressions.py",),
        "a download imported a part at a time holds only the last part's messages"),
    Bug("audit_forgets_earlier_parts", "audit", "archiver/store/downloads.py",
        "replaced = [label for label in earlier if part_name(label) in read]",
        "replaced = earlier",
        ("tests/test_regressions.py",),
        "the audit counts only the files the last import of a download read"),
    Bug("owner_from_this_import_only", "identity", "archiver/ingest/importer.py",
        "if owner is None and not created:",
        "if False:",
        ("tests/test_regressions.py",),
        "a download imported thread by thread never learns its owner"),
    # Bugs an unrelated test once caught by chance; now their own tests do.
    Bug("marks_lost_at_text_end", "search marks", "archiver/folding.py",
        "    origin.append(len(original))",
        "    pass",
        ("tests/test_matching.py",),
        "a folded word that ends a message crashes the marks of a hit"),
    Bug("html_share_any_scheme", "export escaping", "archiver/export/html.py",
        "    if link and link.startswith(LINKABLE_SCHEMES):",
        "    if link:",
        ("tests/test_export_html_hostile.py",),
        "a javascript: share becomes a link in the HTML page"),
    Bug("markdown_share_any_scheme", "export escaping", "archiver/export/markdown.py",
        "    if link and link.startswith(LINKABLE_SCHEMES):",
        "    if link:",
        ("tests/test_export_hostile.py",),
        "a javascript: share becomes a link in the Markdown file"),
    Bug("range_start_exclusive", "date ranges", "archiver/read/timeline.py",
        "        if found[0] >= ms:",
        "        if found[0] > ms:",
        ("tests/test_export_formats.py",),
        "export --after leaves out a message at the first millisecond of the range"),
    Bug("stats_range_end_inclusive", "date ranges", "archiver/read/insights.py",
        'parts.append(f"{alias}.timestamp_ms < ?")',
        'parts.append(f"{alias}.timestamp_ms <= ?")',
        ("tests/test_insights.py",),
        "stats --before counts a message at the first millisecond after the range"),
    Bug("silence_of_sixty_days_ignored", "audit", "archiver/read/audit.py",
        "            if days < SILENCE_DAYS:",
        "            if days <= SILENCE_DAYS:",
        ("tests/test_audit.py",),
        "a silence of exactly 60 days is not reported"),
    Bug("silence_measured_in_hours", "audit", "archiver/read/audit.py",
        "< (SILENCE_DAYS - 1) * DAY_MS:",
        "< SILENCE_DAYS * DAY_MS:",
        ("tests/test_audit.py",),
        "a 60-day silence with a 23-hour day in it is not reported"),
    Bug("busy_needs_eleven", "audit", "archiver/read/audit.py",
        "if before >= BUSY_MESSAGES and after >= BUSY_MESSAGES:",
        "if before > BUSY_MESSAGES and after >= BUSY_MESSAGES:",
        ("tests/test_audit.py",),
        "10 messages before a silence are not a busy stretch"),
    Bug("upgrade_forgets_provenance", "migrations", "archiver/store/migrations.py",
        '"SELECT ?, download_id FROM message_downloads WHERE message_id = ?", (keep, mid),',
        '"SELECT ?, download_id FROM message_downloads WHERE 0", (keep,),',
        ("tests/test_identity.py",),
        "joining an NFD-keyed thread forgets which downloads held its messages"),
    # Senders, reactions, symbols and snapshots (the second round of real downloads).
    Bug("every_owner_one_person", "senders", "archiver/store/crossapp/owners.py",
        "    for a, b in sorted(edges):",
        "    for a, b in [(x, y) for x in names for y in names]:",
        ("tests/test_senders.py",),
        "two people's downloads show every owner under the first one's name"),
    Bug("you_is_any_owner", "senders", "archiver/read/messages.py",
        "        v.mine = v.sender in names",
        "        v.mine = v.sender in {n for ns in owners.values() for n in ns}",
        ("tests/test_senders.py",),
        "show marks another download's owner \"(you)\""),
    Bug("from_misses_shown_name", "senders", "archiver/read/search/resolve.py",
        '(" \\n " + fold(aliases[r[0]]) if r[0] in aliases else "")',
        '""',
        ("tests/test_senders.py",),
        "from: does not find an owner's other name by the name every view shows"),
    Bug("reactions_kept_twice", "reactions", "archiver/ingest/pipeline.py",
        "        if (r.actor, r.reaction) not in seen:",
        "        if True:",
        ("tests/test_reactions_once.py",),
        "a reaction a file lists twice counts twice in stats"),
    Bug("emoji_glued_to_words", "search", "archiver/store/migrations.py",
        "    if row is None or FTS_TOKENIZE_SQL not in (row[0] or \"\"):",
        "    if False:",
        ("tests/test_search_symbols.py",),
        "an upgraded archive's index keeps a word glued to its emoji"),
    Bug("export_without_snapshot", "export", "archiver/read/snapshot.py",
        "    if conn.in_transaction:\n        yield\n        return",
        "    if True:\n        yield\n        return",
        ("tests/test_export_snapshot.py",),
        "an import during an export writes messages twice and leaves others out"),
    Bug("first_names_notice_shown", "events", "archiver/notices.py",
        '        if sender.startswith(self.named + " "):\n            return sender',
        "        pass",
        ("tests/test_events.py",),
        "\"Mary Ann reacted 👏\" (by Mary Ann Smith) printed under the 👏 it repeats"),
    Bug("senderless_notice_shown", "events", "archiver/read/messages.py",
        "OR substr(r.actor, 1, length(?)) = ?",
        "OR 0 AND ? = ?",
        ("tests/test_events.py",),
        "an HTML notice with no sender, \"Sofia reacted 🤜\", printed beside her 🤜"),
    # Downloads as found, and interrupted imports.
    Bug("two_threads_in_one_folder_merged", "threads", "archiver/ingest/dialects/meta_dyi.py",
        "    if len(groups) <= 1:\n",
        "    if True:\n        groups = dict(list(groups.items())[:1])\n",
        ("tests/test_downloads_as_found.py",),
        "message_1.json of a group and message_2.json of a friend, in one folder, are one thread"),
    Bug("media_paths_tell_no_platform", "platforms", "archiver/ingest/dialects/meta.py",
        "found = _APP_URI.search(carry + chunk)",
        "found = None",
        ("tests/test_downloads_as_found.py",),
        "loose Instagram files are labelled Facebook"),
    Bug("guessed_platform_joins_apps", "platforms", "archiver/store/crossapp/rules.py",
        "if sorted_pair(me.ref, them.ref) in splits or other in guessed:",
        "if sorted_pair(me.ref, them.ref) in splits:",
        ("tests/test_downloads_as_found.py",),
        "a thread whose app was guessed is joined to another app's conversation"),
    Bug("unchanged_thread_media_never_found", "media", "archiver/ingest/importer.py",
        "report.media_found += restore.find_missing_media(conn, preparer, held_before,",
        "report.media_found += restore.find_missing_media(conn, preparer, {},",
        ("tests/test_downloads_as_found.py",),
        "a later download never brings the media an unchanged thread lacked"),
    Bug("batches_saved_on_size_only", "interruptions", "archiver/store/writer.py",
        "or time.monotonic() - self.batch_started >= BATCH_SECONDS):",
        "):",
        ("tests/test_interrupted.py",),
        "a slow import saves nothing for minutes: Ctrl-C loses all of it"),
    Bug("interruption_counts_unsaved", "interruptions", "archiver/ingest/importer.py",
        "return ImportInterrupted(self.kept.conversations, self.kept.messages, unread,",
        "return ImportInterrupted(self.kept.conversations + self.pending.conversations, "
        "self.kept.messages + self.pending.messages, unread,",
        ("tests/test_interrupted.py",),
        "Ctrl-C claims the batch it just dropped"),
    Bug("signal_between_commit_and_count", "interruptions", "archiver/store/writer.py",
        "with interrupts.held():",
        "if True:",
        ("tests/test_interrupted.py",),
        "Ctrl-C right after a batch is kept says nothing was kept"),
    Bug("time_window_capped", "search", "archiver/read/search/planner.py",
        "count = float(n) if n < PROBE_CAP else max(float(PROBE_CAP), _window_size(conn, lo, hi))",
        "count = _counted(n, PROBE_CAP)",
        ("tests/test_search.py",),
        "a search in an old conversation after a date reads every newer message"),
    Bug("kind_count_capped", "search", "archiver/read/search/planner.py",
        "    return n * total / max(last or 1, 1)",
        "    return PROBE_CAP * 5.0",
        ("tests/test_search.py",),
        "has:photo with a person and a year reads every photo of the archive"),
    Bug("unread_threads_never_struck", "interruptions", "archiver/ingest/importer.py",
        "downloads.mark_read(self.conn, download_id, event.source.where)",
        "pass",
        ("tests/test_interrupted.py",),
        "audit lists every thread of an interrupted import as unread"),
    # HTML downloads: story shares and the owner's name.
    Bug("html_story_owner_read_as_text", "html", "archiver/ingest/dialects/html_page.py",
        "            elif _share_shaped(slot):  # also where the page left out the empty slots",
        "            elif False:",
        ("tests/test_html_stories_and_owners.py",),
        "a story share on a page without its empty slots keeps its owner as text: "
        "the JSON twin adds the message again"),
    Bug("html_generated_by_first_connector", "html", "archiver/ingest/dialects/html_page.py",
        r'rf"^{re.escape(before)}\s+(.+)\s+', r'rf"^{re.escape(before)}\s+(.+?)\s+',
        ("tests/test_html_stories_and_owners.py",),
        "'Généré par Jean le Blanc le samedi …' names the owner Jean"),
    Bug("html_generated_by_any_sender", "html", "archiver/ingest/dialects/meta_html.py",
        "elif len(senders) == 2 and facts.title in senders:\n"
        "            names.update(s for s in senders if s != facts.title)",
        "elif senders:\n            names.update(senders)",
        ("tests/test_html_stories_and_owners.py",),
        "an owner who never writes is named after the one who does, part of the owner's name"),
)


def copy_code(into: Path) -> None:
    for name in COPIED:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, into / name, ignore=shutil.ignore_patterns(
                "__pycache__", "*.pyc", ".pytest_cache"))
        else:
            shutil.copy2(source, into / name)


def plant(root: Path, bug: Bug) -> str | None:
    """Apply ``bug`` to the copy; None, or why it cannot be."""
    path = root / bug.file
    text = path.read_text(encoding="utf-8")
    found = text.count(bug.old)
    if found != 1:
        return f"stale: the line is found {found} times in {bug.file}"
    new = bug.new
    text = text.replace(bug.old, new)
    if "_utc" in new:  # the zone a time-zone bug falls back to
        text += "\n_utc = __import__('datetime').timezone.utc\n"
    path.write_text(text, encoding="utf-8")
    return None


def run_tests(root: Path, tests: tuple[str, ...], timeout: int) -> tuple[str, str]:
    """("caught" | "SURVIVED" | "timeout" | "error", the first failing test)."""
    env = {**os.environ, "TEXTUAL_ANIMATIONS": "none", "PYTHONPATH": str(root),
           "PYTHONDONTWRITEBYTECODE": "1"}
    command = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
               "-p", "no:randomly", *tests]
    try:
        done = subprocess.run(command, check=False, cwd=root, env=env, capture_output=True,
                              text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "timeout", ""
    failed = [line.split(" ")[1] for line in done.stdout.splitlines()
              if line.startswith(("FAILED ", "ERROR "))]
    if done.returncode == 0:
        return "SURVIVED", ""
    if done.returncode == 1 and failed:
        return "caught", failed[0]
    last = (done.stdout + done.stderr).strip().splitlines()
    return "error", last[-1] if last else f"exit {done.returncode}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--list", action="store_true", help="List the bugs and stop.")
    parser.add_argument("--only", help="Comma-separated bug names.")
    parser.add_argument("--timeout", type=int, default=600, help="Seconds per bug.")
    args = parser.parse_args()
    bugs = BUGS
    if args.only:
        wanted = set(args.only.split(","))
        unknown = wanted - {b.name for b in BUGS}
        if unknown:
            parser.error(f"unknown bug(s): {', '.join(sorted(unknown))}")
        bugs = tuple(b for b in BUGS if b.name in wanted)
    if args.list:
        for bug in bugs:
            print(f"{bug.name:<34} {bug.area:<16} {bug.what}")
        return

    results: list[tuple[Bug, str, str, float]] = []
    with tempfile.TemporaryDirectory(prefix="chatkeep-mutation-") as tmp:
        pristine = Path(tmp) / "pristine"
        pristine.mkdir()
        copy_code(pristine)
        # The copy, not the installed package, must be what the tests import.
        probe = subprocess.run(
            [sys.executable, "-c", "import archiver, tui; print(archiver.__file__, tui.__file__)"],
            cwd=pristine, env={**os.environ, "PYTHONPATH": str(pristine)},
            capture_output=True, text=True, check=True,
        ).stdout
        assert probe.count(str(pristine)) == 2, f"the tests would import {probe}"
        for bug in bugs:
            work = Path(tmp) / "work"
            shutil.rmtree(work, ignore_errors=True)
            shutil.copytree(pristine, work)
            started = time.perf_counter()
            problem = plant(work, bug)
            if problem:
                outcome, detail = "stale", problem
            else:
                outcome, detail = run_tests(work, bug.tests, args.timeout)
            seconds = time.perf_counter() - started
            results.append((bug, outcome, detail, seconds))
            print(f"{outcome:<9} {bug.name:<34} {seconds:6.0f} s  {detail}", flush=True)

    caught = sum(1 for _, outcome, _, _ in results if outcome in ("caught", "timeout"))
    print(f"\n{caught} of {len(results)} planted bugs caught.")
    survivors = [(b, o) for b, o, _, _ in results if o not in ("caught", "timeout")]
    for bug, outcome in survivors:
        print(f"  {outcome}: {bug.name} ({bug.area}): {bug.what}")
    print("\n| bug | area | result | first failing test |\n|---|---|---|---|")
    for bug, outcome, detail, _ in results:
        print(f"| `{bug.name}` | {bug.area} | {outcome} | {detail.replace('|', '/')} |")
    sys.exit(1 if survivors else 0)


if __name__ == "__main__":
    main()
