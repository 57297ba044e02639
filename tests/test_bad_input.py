"""Broken, odd and hostile downloads: what chatkeep does with each.

The rule, for every case: a message is kept whenever it has a usable timestamp
(an unknown sender shows as "Unknown sender", odd values are kept raw in the
message's ``raw`` column, each oddity a warning naming the file and the
message's position); a file that cannot be read is rejected whole and named;
the rest of the download is imported; the exit status is 1 when a file was
rejected (2 when nothing at all could be imported); never a traceback; and the
archive is left whole (``chatkeep check`` finds nothing wrong).

Each case is a download: a folder of ``tests/fixtures/bad/`` (JSON written by
hand) or one built by a function below (binary, huge, deep, zips, links),
imported together with the good thread of ``tests/fixtures/bad/good`` (three
messages) unless it says otherwise.
"""

from __future__ import annotations

import io
import json
import os
import random
import shutil
import sqlite3
import tempfile
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from archiver.ingest.dialects import ODD_NUMBER
from archiver.read.check import check_archive
from tests.support.cli import run
from tests.support.paths import FIXTURES

BAD = FIXTURES / "bad"
GOOD_MESSAGES = 3
T = 1600000000000
THREAD = "messages/inbox/odd_1/message_1.json"


NO_OFFSET = "the pages do not say which offset their times are in"


@dataclass(frozen=True)
class Expect:
    exit: int
    messages: int  # in the whole archive, the good thread's three included
    errors: tuple[str, ...] = ()  # each a piece of one "path: problem" line, in order
    warnings: tuple[str, ...] = ()  # each a piece of some warning
    check: Callable[[Path], None] | None = None  # more about the archive
    good_thread: bool = True  # import tests/fixtures/bad/good along


def ok(messages: int = 1, *warnings: str, **kw) -> Expect:
    return Expect(0, GOOD_MESSAGES + messages, warnings=warnings, **kw)


def rejected(*errors: str, messages: int = 0, **kw) -> Expect:
    return Expect(1, GOOD_MESSAGES + messages, errors=errors, **kw)


# -- helpers to look into the archive -----------------------------------------------

def rows(archive: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(archive / "chatkeep.db")
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def odd_messages(archive: Path) -> list[tuple]:
    """(sender, timestamp_ms, kind, text, raw) of the messages not in the good thread."""
    return rows(
        archive,
        "SELECT m.sender, m.timestamp_ms, m.kind, m.text, m.raw FROM messages m "
        "JOIN threads t ON t.id = m.thread_id WHERE t.key != 'good_1' "
        "ORDER BY m.timestamp_ms, m.id",
    )


def raw_of_odd(archive: Path) -> dict:
    [(_s, _t, _k, _x, raw)] = odd_messages(archive)
    return json.loads(raw)


def expect_raw(**fields: object) -> Callable[[Path], None]:
    def check(archive: Path) -> None:
        raw = raw_of_odd(archive)
        for key, value in fields.items():
            assert raw[key] == value, (key, raw)
    return check


def expect_senders(*senders: str) -> Callable[[Path], None]:
    def check(archive: Path) -> None:
        assert [m[0] for m in odd_messages(archive)] == list(senders)
    return check


def expect_texts(*texts: str | None) -> Callable[[Path], None]:
    def check(archive: Path) -> None:
        assert [m[3] for m in odd_messages(archive)] == list(texts)
    return check


def expect_thread_titles(*titles: str) -> Callable[[Path], None]:
    def check(archive: Path) -> None:
        found = [r[0] for r in rows(archive, "SELECT title FROM threads ORDER BY title")]
        assert found == sorted(titles)
    return check


def all_checks(*checks: Callable[[Path], None]) -> Callable[[Path], None]:
    def check(archive: Path) -> None:
        for c in checks:
            c(archive)
    return check


# -- downloads built by code ---------------------------------------------------------

def thread_json(messages: list, **keys: object) -> dict:
    data = {"participants": [{"name": "Ana"}, {"name": "Jordan Lee"}], "messages": messages,
            "title": "Odd"}
    data.update(keys)
    return data


def message(i: int = 0, **keys: object) -> dict:
    return {"sender_name": "Ana", "timestamp_ms": T + i * 1000, "content": f"message {i}", **keys}


def write(root: Path, rel: str, data: bytes | str | dict | list) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, (dict, list)):
        data = json.dumps(data)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def build_bom(d: Path) -> None:
    write(d, THREAD, b"\xef\xbb\xbf" + json.dumps(thread_json([message()])).encode())


def build_binary_garbage(d: Path) -> None:
    write(d, THREAD, random.Random(7).randbytes(50_000))


def build_not_utf8(d: Path) -> None:
    write(d, THREAD, json.dumps(thread_json([message(content="café")]), ensure_ascii=False)
          .encode("latin-1"))


def build_huge_single_line(d: Path) -> None:
    # 20,000 messages and one of 5 MB, all on one line (no newline anywhere).
    messages = [message(i) for i in range(20_000)] + [message(20_000, content="x" * 5_000_000)]
    write(d, THREAD, json.dumps(thread_json(messages), separators=(",", ":")))

def build_odd_numbers(d: Path) -> None:
    # Numbers msgspec, ijson and SQLite refuse, written as the file has them.
    write(d, THREAD, json.dumps(thread_json([message(content="kept"),
                                             message(1, content="also kept")]))
          .replace('"content": "kept"', '"content": "kept", "big": 100000000000000000000000000000, '
                   '"two_to_63": 9223372036854775808, "nan": NaN, '
                   '"deep": {"inf": 1e400, "neg": -Infinity}, "call_duration": 1e400')
          .replace('"content": "also kept"',
                   '"content": "also kept", "big": -9223372036854775809'))


def build_big_integers(d: Path) -> None:
    # No NaN or infinity: msgspec reads the file, the integers arrive as Python ints.
    write(d, THREAD, json.dumps(thread_json([message(
        big=10**30, nested={"n": 2**64, "m": 2**62})])))


def build_e2ee_odd_numbers(d: Path) -> None:
    data = {"participants": ["Ana", "Jordan Lee"], "threadName": "Ana",
            "messages": [{"senderName": "Ana", "timestamp": T, "text": "hi", "type": "text",
                          "n": "@"}]}
    write(d, "Ana_1.json", json.dumps(data).replace('"@"', "NaN"))



def build_deep_content(d: Path) -> None:
    text = json.dumps(thread_json([message(content="@")])).replace('"@"', nested(100_000))
    write(d, THREAD, text)


def build_deep_thread_key(d: Path) -> None:
    write(d, THREAD, json.dumps(thread_json([message()]))[:-1] + ', "magic_words": '
          + nested(100_000) + "}")


def build_deep_unclosed(d: Path) -> None:
    # A file cut off inside 100,000 open brackets.
    write(d, THREAD, '{"participants": [], "messages": [' + "[" * 100_000)


def build_nesting_within_limit(d: Path) -> None:
    text = json.dumps(thread_json([message(content="@")])).replace('"@"', nested(200))
    write(d, THREAD, text)


def build_deep_instagram(d: Path) -> None:
    conv = [{"sender": "ana", "created_at": "2020-07-12T14:30:19+00:00", "text": "@"}]
    text = json.dumps([{"participants": ["ana", "kim"], "conversation": conv}])
    write(d, "messages.json", text.replace('"@"', nested(100_000)))


def build_deep_e2ee(d: Path) -> None:
    data = {"participants": ["Ana", "Jordan Lee"], "threadName": "Ana",
            "messages": [{"senderName": "Ana", "timestamp": T, "text": "@", "type": "text"}]}
    write(d, "Ana_1.json", json.dumps(data).replace('"@"', nested(100_000)))


def build_deep_profile(d: Path) -> None:
    # The owner's profile file is read whole with json; too deep, it is just not used.
    write(d, "profile_information/profile_information.json", '{"profile_v2": ' + nested(100_000)
          + "}")
    write(d, THREAD, thread_json([message()]))


def build_e2ee_truncated(d: Path) -> None:
    data = json.dumps({"participants": ["Ana", "Jordan Lee"], "threadName": "Ana",
                       "messages": [{"senderName": "Ana", "timestamp": T, "text": "hi"}]})
    write(d, "Ana_1.json", data[: len(data) // 2])


def build_e2ee_empty(d: Path) -> None:
    write(d, "Ana_1.json", b"")


def _zip(path: Path, members: list[tuple[str, str | bytes]], *, compress: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with warnings.catch_warnings(), zipfile.ZipFile(path, "w", method) as zf:
        warnings.simplefilter("ignore")  # "Duplicate name": wanted here
        for name, data in members:
            zf.writestr(zipfile.ZipInfo(name), data)
    return path


def _good_members() -> list[tuple[str, bytes]]:
    return [(p.relative_to(BAD / "good").as_posix(), p.read_bytes())
            for p in sorted((BAD / "good").rglob("*.json"))]


def build_zip_member_dotdot(d: Path) -> list[Path]:
    return [_zip(d / "download.zip", [
        *_good_members(),
        ("../../escaped/message_1.json", json.dumps(thread_json([message()]))),
        ("messages/inbox/../../../escaped_2/message_1.json", json.dumps(thread_json([message()]))),
    ])]


def build_zip_member_absolute(d: Path) -> list[Path]:
    return [_zip(d / "download.zip", [
        *_good_members(), ("/tmp/messages/inbox/abs_1/message_1.json", "{}"),
    ])]


def build_zip_duplicate_members(d: Path) -> list[Path]:
    return [_zip(d / "download.zip", [
        *_good_members(),
        (THREAD, json.dumps(thread_json([message(0)]))),
        (THREAD, json.dumps(thread_json([message(0), message(1)]))),
    ])]


def _zip_with_raw_name(d: Path, raw: bytes) -> list[Path]:
    """A zip whose member name holds ``raw`` bytes and no UTF-8 flag."""
    placeholder = "?" * len(raw)
    path = _zip(d / "download.zip", [
        *_good_members(),
        (f"messages/inbox/caf{placeholder}_1/message_1.json", json.dumps(thread_json([message()]))),
    ])
    data = path.read_bytes()
    assert data.count(f"caf{placeholder}_1".encode()) == 2  # local header and directory
    path.write_bytes(data.replace(f"caf{placeholder}_1".encode(), b"caf" + raw + b"_1"))
    return [path]


def build_zip_utf8_name_without_flag(d: Path) -> list[Path]:
    return _zip_with_raw_name(d, "é".encode())


def build_zip_non_utf8_name(d: Path) -> list[Path]:
    return _zip_with_raw_name(d, "é".encode("latin-1"))


def build_zip_truncated(d: Path) -> list[Path]:
    path = _zip(d / "download.zip", _good_members())
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    return [path]


def build_zip_truncated_beside_folder(d: Path) -> list[Path]:
    shutil.copytree(BAD / "good", d / "folder")
    return [*build_zip_truncated(d), d / "folder"]


def build_zip_part_damaged(d: Path) -> list[Path]:
    part1 = _zip(d / "facebook-ana-part1.zip", _good_members())
    part2 = _zip(d / "facebook-ana-part2.zip", [(THREAD, json.dumps(thread_json([message()])))])
    part2.write_bytes(part2.read_bytes()[:-40])  # the end of the directory is gone
    return [part1, part2]


def build_zip_corrupt_member(d: Path) -> list[Path]:
    text = json.dumps(thread_json([message(i, content=f"words {i} " * 20) for i in range(200)]))
    path = _zip(d / "download.zip", [*_good_members(), (THREAD, text)], compress=True)
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(THREAD)
    data = bytearray(path.read_bytes())
    start = info.header_offset + 30 + len(info.filename.encode())
    for i in range(start + 100, start + 140):
        data[i] ^= 0x55
    path.write_bytes(bytes(data))
    return [path]


def build_symlink_loop(d: Path) -> None:
    write(d, THREAD, thread_json([message()]))
    (d / "messages" / "inbox" / "odd_1" / "loop").symlink_to(d / "messages")


def build_broken_symlink(d: Path) -> None:
    (d / "messages/inbox/odd_1").mkdir(parents=True)
    (d / THREAD).symlink_to("message_0.json")


def build_link_to_file_outside(d: Path) -> None:
    outside = write(d.parent / "outside", "secret.json", thread_json([message()]))
    (d / "messages/inbox/odd_1").mkdir(parents=True)
    (d / THREAD).symlink_to(outside)


def build_link_to_folder_outside(d: Path) -> None:
    write(d.parent / "outside", "message_1.json", thread_json([message()]))
    (d / "messages/inbox").mkdir(parents=True)
    (d / "messages/inbox/odd_1").symlink_to(d.parent / "outside")


def build_folder_named_like_thread_file(d: Path) -> None:
    (d / THREAD).mkdir(parents=True)


def build_fifo(d: Path) -> None:
    (d / "messages/inbox/odd_1").mkdir(parents=True)
    os.mkfifo(d / THREAD)


# -- the table -----------------------------------------------------------------------

Build = str | Callable[[Path], list[Path] | None]

CASES: dict[str, tuple[Build, Expect]] = {
    # Files that cannot be read: rejected whole, named, the rest imported.
    "truncated_json": ("truncated_json", rejected(f"{THREAD}: is not valid JSON")),
    "binary_garbage": (build_binary_garbage, rejected(f"{THREAD}: is not valid JSON")),
    "empty_file": ("empty_file", rejected(f"{THREAD}: the file is empty")),
    "not_utf8": (build_not_utf8, rejected(f"{THREAD}: is not valid JSON (lexical error: "
                                          "invalid bytes in UTF8 string.)")),
    "top_level_list": ("top_level_list", rejected(f"{THREAD}: the file's top level is not a JSON")),
    "messages_not_list": ("messages_not_list", rejected(f"{THREAD}: 'messages' is not a list")),
    "not_a_thread": ("not_a_thread", rejected(f"{THREAD}: is not a message thread")),
    # Numbers no column holds: the thread is read; a time among them is no time.
    "integer_overflow": ("integer_overflow", ok(
        0, f"{THREAD} message 0: has no usable timestamp; skipped")),
    "nan_literal": ("nan_literal", ok(0, f"{THREAD} message 0: has no usable timestamp; skipped")),
    "numbers_out_of_range": (build_odd_numbers, ok(
        2, f"{THREAD} message 0: {ODD_NUMBER}", f"{THREAD} message 1: {ODD_NUMBER}",
        check=lambda a: [json.loads(m[4]) for m in odd_messages(a)] == [
            {"big": "100000000000000000000000000000", "two_to_63": "9223372036854775808",
             "nan": "NaN", "deep": {"inf": "1e400", "neg": "-Infinity"},
             "call_duration": "1e400"},
            {"big": "-9223372036854775809"},
        ] and [m[3] for m in odd_messages(a)] == ["kept", "also kept"])),
    "numbers_out_of_range_without_nan": (build_big_integers, ok(
        1, f"{THREAD} message 0: {ODD_NUMBER}",
        check=expect_raw(big=str(10**30), nested={"n": "18446744073709551616", "m": 2**62}))),
    "numbers_out_of_range_in_an_encrypted_chat": (build_e2ee_odd_numbers, ok(
        1, f"Ana_1.json message 0: {ODD_NUMBER}", check=expect_raw(n="NaN"))),
    "deep_nesting_in_content": (build_deep_content, rejected(
        f"{THREAD}: is not valid JSON (its values nest more than 256 levels deep)")),
    "deep_nesting_in_thread_key": (build_deep_thread_key, rejected(
        f"{THREAD}: is not valid JSON (its values nest more than 256 levels deep)")),
    "deep_nesting_unclosed": (build_deep_unclosed, rejected(f"{THREAD}: is not valid JSON")),
    "deep_nesting_instagram_legacy": (build_deep_instagram, rejected(
        "messages.json: is not valid JSON (its values nest more than 256 levels deep)")),
    "deep_nesting_encrypted_chat": (build_deep_e2ee, rejected(
        "Ana_1.json: is not valid JSON (its values nest more than 256 levels deep)")),
    "encrypted_chat_truncated": (build_e2ee_truncated, rejected("Ana_1.json: is not valid JSON")),
    "instagram_messages_json_not_instagram": ("instagram_not_conversations", rejected(
        "messages.json: is not an Instagram messages.json (its top level is not a list)")),
    # One file, many conversations: those before the break are whole and kept.
    "instagram_messages_json_truncated": ("instagram_truncated", rejected(
        "messages.json: is not valid JSON", messages=1, check=expect_texts("first"))),

    # Files that are read: the odd values kept raw and warned about, by file and position.
    "byte_order_mark": (build_bom, ok(1)),
    "huge_single_line": (build_huge_single_line, ok(20_001)),
    "nesting_within_the_limit": (build_nesting_within_limit, ok(
        1, f"{THREAD} message 0: 'content' is not text; kept raw",
        check=expect_raw(content=json.loads(nested(200))))),
    "timestamp_as_text": ("timestamp_text", ok(
        1, f"{THREAD} message 0: 'timestamp_ms' is text; read as a number")),
    "timestamp_in_seconds": ("timestamp_in_seconds", ok(
        1, check=lambda a: [T] == [m[1] for m in odd_messages(a)])),
    "timestamp_float": ("timestamp_float", ok(1)),
    "timestamp_not_a_number": ("timestamp_not_a_number", ok(
        1, f"{THREAD} message 0: has no usable timestamp; skipped")),
    "timestamp_missing": ("timestamp_missing", ok(
        1, f"{THREAD} message 0: has no usable timestamp; skipped")),
    "timestamp_null": ("timestamp_null", ok(
        1, f"{THREAD} message 0: has no usable timestamp; skipped")),
    "timestamp_out_of_range": ("timestamp_out_of_range", ok(
        1, f"{THREAD} message 0: has no usable timestamp; skipped",
        f"{THREAD} message 1: has no usable timestamp; skipped",
        f"{THREAD} message 2: has no usable timestamp; skipped")),
    "sender_null": ("sender_null", ok(
        1, f"{THREAD} message 0: has no sender; shown as 'Unknown sender'",
        check=expect_senders("Unknown sender"))),
    "sender_missing": ("sender_missing", ok(
        1, f"{THREAD} message 0: has no sender", check=expect_senders("Unknown sender"))),
    "sender_not_text": ("sender_not_text", ok(
        2, f"{THREAD} message 0: has no sender", f"{THREAD} message 1: has no sender",
        check=expect_senders("Unknown sender", "Unknown sender"))),
    "content_a_list": ("content_list", ok(
        1, f"{THREAD} message 0: 'content' is not text; kept raw",
        check=expect_raw(content=["hello", "there"]))),
    "content_an_object_or_number": ("content_object", ok(
        2, f"{THREAD} message 0: 'content' is not text", f"{THREAD} message 1: 'content' is not")),
    "photos_not_a_list": ("photos_not_list", ok(
        1, f"{THREAD} message 0: 'photos' is not a list; kept raw",
        check=expect_raw(photos="photo.jpg"))),
    "photo_without_uri": ("photo_without_uri", ok(
        1, f"{THREAD} message 0: an entry of 'photos' without a uri; kept raw",
        check=expect_raw(photos=[{"creation_timestamp": 1600000000}]))),
    "reaction_without_actor": ("reaction_without_actor", ok(
        1, f"{THREAD} message 0: a reaction without an actor; shown as 'Unknown'",
        check=lambda a: rows(a, "SELECT actor, reaction FROM reactions") == [("Unknown", "❤")])),
    "reaction_without_emoji": ("reaction_without_emoji", ok(
        1, f"{THREAD} message 0: a reaction without an emoji; kept raw",
        check=expect_raw(reactions=[{"actor": "Jordan Lee"}, "like"]))),
    "reactions_not_a_list": ("reactions_not_list", ok(
        1, f"{THREAD} message 0: 'reactions' is not a list; kept raw")),
    "share_not_an_object": ("share_not_object", ok(
        1, f"{THREAD} message 0: 'share' is not an object; kept raw",
        check=expect_raw(share="https://example.com/"))),
    "sticker_without_uri": ("sticker_without_uri", ok(
        1, f"{THREAD} message 0: 'sticker' has no uri; kept raw")),
    "call_duration_text": ("call_duration_text", ok(
        1, f"{THREAD} message 0: 'call_duration' is not a number of seconds; kept raw",
        check=expect_raw(call_duration="long"))),
    "is_unsent_text": ("is_unsent_text", ok(
        1, f"{THREAD} message 0: 'is_unsent' is not true or false; kept raw")),
    "messages_that_are_not_objects": ("message_not_object", ok(
        1, *(f"{THREAD} message {i}: is not an object; skipped" for i in range(4)))),
    "unknown_keys": ("unknown_keys", ok(
        1, check=all_checks(
            expect_raw(future_feature={"mood": ["calm", 3]}),
            lambda a: json.loads(rows(a, "SELECT extra FROM threads WHERE key = 'odd_1'")[0][0])
            ["new_setting"] is True))),
    "duplicate_keys": ("duplicate_keys", ok(2)),
    "participants_missing": ("participants_missing", ok(1)),
    "participants_not_a_list": ("participants_not_list", ok(
        1, f"{THREAD}: 'participants' is not a list")),
    "participants_and_title_missing": ("participants_and_title_missing", ok(
        1, check=expect_thread_titles("Good Thread", "odd_1"))),
    "no_messages": ("messages_empty", ok(0)),
    "owner_profile_too_deep": (build_deep_profile, ok(1)),

    # Attachments.
    "media_uri_outside_the_download": ("media_outside_download", ok(
        1, "attachment '../../../../etc/passwd' points outside the download; not followed",
        "attachment '/etc/passwd' points outside the download; not followed",
        check=lambda a: rows(a, "SELECT COUNT(*) FROM attachments WHERE present = 0") == [(2,)])),
    "media_file_missing": ("media_missing_file", ok(1)),

    # HTML.
    # Pages that name no offset (no "Generated by" line, no media times).
    "html_download": ("html_download", Expect(
        2, 0, errors=(f"odd_1/message_1.html: {NO_OFFSET}", f"other_2/message_1.html: {NO_OFFSET}"),
        good_thread=False)),
    "html_thread_in_a_json_download": ("html_thread_in_json_download", rejected(
        f"odd_1/message_1.html: {NO_OFFSET}")),
    "html_copy_beside_json_part": ("html_copy_of_json_part", ok(
        1, "message_1.html: an HTML copy beside the JSON thread; the JSON is used")),
    "html_part_of_a_json_thread": ("html_part_of_json_thread", rejected(
        "odd_1/message_1.html: is a part of its thread in HTML format", messages=1)),

    # Folders.
    "thread_folder_without_message_file": ("thread_folder_without_message_file", ok(
        0, "messages/inbox/odd_1: a thread folder with no message file")),
    "symlink_loop": (build_symlink_loop, ok(1, "folder already visited (symlink loop); skipped")),
    "broken_symlink": (build_broken_symlink, rejected(f"{THREAD}: cannot be read (a broken link)")),
    "link_to_a_file_outside": (build_link_to_file_outside, rejected(
        f"{THREAD}: is a link to a file outside the download; not read")),
    "link_to_a_folder_outside": (build_link_to_folder_outside, rejected(
        "inbox/odd_1: is a link to a folder outside the download; not read")),
    "folder_named_like_a_thread_file": (build_folder_named_like_thread_file, rejected(
        f"{THREAD}: is a folder, not a file")),
    "fifo_named_like_a_thread_file": (build_fifo, rejected(f"{THREAD}: is not a regular file")),
    "encrypted_chat_empty_file": (build_e2ee_empty, ok(0, "Ana_1.json: is empty (0 bytes); skipped")),

    # Zips.
    "zip_member_with_dotdot": (build_zip_member_dotdot, Expect(
        1, GOOD_MESSAGES, errors=(
            "(member ../../escaped/message_1.json): points outside the download; not read",
            "(member messages/inbox/../../../escaped_2/message_1.json): points outside",
        ), good_thread=False)),
    "zip_member_absolute": (build_zip_member_absolute, Expect(
        1, GOOD_MESSAGES, errors=(
            "(member /tmp/messages/inbox/abs_1/message_1.json): points outside the download",
        ), good_thread=False)),
    "zip_duplicate_members": (build_zip_duplicate_members, Expect(
        0, GOOD_MESSAGES + 2, good_thread=False,
        warnings=(f"(member {THREAD}): appears twice in the zip; the last copy is used",),
        check=expect_texts("message 0", "message 1"))),
    "zip_utf8_name_without_flag": (build_zip_utf8_name_without_flag, Expect(
        0, GOOD_MESSAGES + 1, good_thread=False,
        check=lambda a: ("café_1",) in rows(a, "SELECT key FROM threads"))),
    "zip_name_not_utf8": (build_zip_non_utf8_name, Expect(
        0, GOOD_MESSAGES + 1, good_thread=False,
        check=lambda a: ("cafΘ_1",) in rows(a, "SELECT key FROM threads"))),  # read as cp437
    "zip_truncated": (build_zip_truncated, Expect(
        2, 0, errors=("download.zip: is not a readable zip file (damaged or incomplete)",),
        good_thread=False)),
    "zip_truncated_beside_a_folder": (build_zip_truncated_beside_folder, Expect(
        1, GOOD_MESSAGES, errors=("download.zip: is not a readable zip file",), good_thread=False)),
    "zip_part_damaged": (build_zip_part_damaged, Expect(
        1, GOOD_MESSAGES, errors=("facebook-ana-part2.zip: is not a readable zip file",),
        good_thread=False)),
    "zip_member_corrupt": (build_zip_corrupt_member, Expect(
        1, GOOD_MESSAGES, errors=(f"(member {THREAD}): is damaged inside its zip file",),
        good_thread=False)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input(name: str, tmp_path: Path) -> None:
    import_case(name, tmp_path)


# The cases of odd numbers, which a file read whole and a streamed file must
# treat alike.
ODD_NUMBER_CASES = ["integer_overflow", "nan_literal", "numbers_out_of_range",
                    "numbers_out_of_range_without_nan", "numbers_out_of_range_in_an_encrypted_chat"]


@pytest.mark.parametrize("name", ODD_NUMBER_CASES)
def test_odd_numbers_in_a_streamed_file(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same files streamed by ijson, as a thread file over 8 MB is: the same
    messages, warnings and raw values. Chunks of 7 bytes end inside numbers,
    strings and escapes."""
    from archiver.ingest import jsonstream

    def read_whole(*_args: object) -> None:
        raise AssertionError("the file was read whole")

    monkeypatch.setattr(jsonstream, "WHOLE_LIMIT", 0)
    monkeypatch.setattr(jsonstream, "STREAM_BUFFER", 7)
    monkeypatch.setattr(jsonstream, "_iter_whole", read_whole)
    import_case(name, tmp_path)


def test_odd_numbers_in_a_thread_file_over_8_mb(tmp_path: Path) -> None:
    """A real thread file past the whole-file limit (one 9 MB message makes it
    so), read by the second process a large import uses: odd numbers are kept
    as text, an odd time is no time, and the rest of the file is imported."""
    from archiver.ingest import jsonstream

    messages = [
        message(0, content="first", n="@1"),
        message(1, timestamp_ms="@2"),
        message(2, content="x" * 9_000_000),
        message(3, content="kept", big="@3", deep={"inf": "@4", "list": ["@5", 7]}),
        message(4, timestamp_ms="@6"),
        message(5, content="last", call_duration="@7"),
    ]
    text = json.dumps(thread_json(messages))
    for mark, number in [("@1", "NaN"), ("@2", "1e400"), ("@3", "18446744073709551616"),
                         ("@4", "-Infinity"), ("@5", "-9223372036854775809"), ("@6", "NaN"),
                         ("@7", "1E+400")]:
        text = text.replace(f'"{mark}"', number)
    download = tmp_path / "download"
    path = write(download, THREAD, text)
    assert path.stat().st_size > jsonstream.WHOLE_LIMIT
    shutil.copytree(BAD / "good", download, dirs_exist_ok=True)
    archive = tmp_path / "archive"

    code, out, err = run(archive, "import", "--json", str(download))

    assert code == 0, (out, err)
    report = json.loads(out)
    assert report["errors"] == []
    for where in ("message 0", "message 3", "message 5"):
        assert f"{THREAD} {where}: {ODD_NUMBER}" in [
            w.replace(str(download) + "/", "") for w in report["warnings"]]
    for where in ("message 1", "message 4"):
        assert any(w.startswith(f"{download / THREAD} {where}: has no usable timestamp; skipped")
                   for w in report["warnings"]), report["warnings"]
    kept = odd_messages(archive)
    assert [(m[1], m[3]) for m in kept] == [
        (T, "first"), (T + 2000, "x" * 9_000_000), (T + 3000, "kept"), (T + 5000, "last")]
    assert [json.loads(m[4]) if m[4] else None for m in kept] == [
        {"n": "NaN"}, None,
        {"big": "18446744073709551616", "deep": {"inf": "-Infinity",
                                                  "list": ["-9223372036854775809", 7]}},
        {"call_duration": "1E+400"},
    ]
    assert check_archive(archive).ok


def import_case(name: str, tmp_path: Path) -> None:
    """Import the download of ``CASES[name]`` (with the good thread) and check
    what it expects."""
    build, expect = CASES[name]
    download = tmp_path / "download"
    paths: list[Path] | None = None
    if isinstance(build, str):
        shutil.copytree(BAD / build, download)
    else:
        download.mkdir()
        paths = build(download)
    if paths is None:
        paths = [download]
    if expect.good_thread:
        shutil.copytree(BAD / "good", download, dirs_exist_ok=True)
    archive = tmp_path / "archive"

    code, out, err = run(archive, "import", "--json", *map(str, paths))

    assert "Traceback" not in err
    assert code == expect.exit, (out, err)
    report = json.loads(out)
    lines = [f"{e['path']}: {e['error']}" for e in report["errors"]]
    assert len(lines) == len(expect.errors), lines
    for line, piece in zip(lines, expect.errors, strict=True):
        assert piece in line, (piece, lines)
    for piece in expect.warnings:
        assert any(piece in w for w in report["warnings"]), (piece, report["warnings"])
    if expect.exit == 2 and not (archive / "chatkeep.db").exists():
        return
    assert rows(archive, "SELECT COUNT(*) FROM messages") == [(expect.messages,)]
    if expect.check:
        expect.check(archive)
    checked = check_archive(archive)
    assert checked.ok, checked.problems
    # Every conversation shows, odd values and all.
    for conv in json.loads(run(archive, "threads", "--json")[1]):
        code, shown, err = run(archive, "show", str(conv["id"]), "--json")
        assert code == 0 and "Traceback" not in err
        assert len(json.loads(shown)["messages"]) == conv["messages"]


def test_the_table_covers_at_least_thirty_kinds() -> None:
    assert len(CASES) >= 30


def test_nothing_is_written_outside_the_archive(tmp_path: Path) -> None:
    """Members and uris that climb out are never followed, so nothing lands
    next to the download or the archive."""
    download = tmp_path / "d"
    download.mkdir()
    [zipped] = build_zip_member_dotdot(download)
    archive = tmp_path / "archive"
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    run(archive, "import", str(zipped), str(BAD / "media_outside_download"))
    after = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")
                   if archive not in p.parents and p != archive)
    assert after == before
    assert not (tmp_path / "escaped").exists()


def test_the_reader_of_a_broken_file_says_which_and_why_in_one_line(tmp_path: Path) -> None:
    """Without --json: one line per rejected file on standard error, nothing more."""
    download = tmp_path / "download"
    shutil.copytree(BAD / "truncated_json", download)
    shutil.copytree(BAD / "good", download, dirs_exist_ok=True)
    code, _out, err = run(tmp_path / "archive", "import", str(download))
    assert code == 1
    [line] = err.strip().splitlines()
    assert line == f"error: {download / THREAD}: is not valid JSON ({line.split('(', 1)[1]}"
    assert "Traceback" not in err


def test_a_bad_zip_member_is_read_in_place_not_extracted(tmp_path: Path) -> None:
    [zipped] = build_zip_member_dotdot(tmp_path)
    with zipfile.ZipFile(zipped) as zf:
        assert any(".." in n for n in zf.namelist())
    assert not any(p.name == "escaped" for p in tmp_path.rglob("*"))


def test_deep_nesting_costs_little_memory(tmp_path: Path) -> None:
    """100,000 nested arrays are refused before the JSON parser builds them
    (ijson alone needs tens of GB for them)."""
    import resource

    download = tmp_path / "download"
    download.mkdir()
    build_deep_content(download)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    code, _out, _err = run(tmp_path / "archive", "import", str(download))
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert code in (1, 2)
    assert grown_mb < 200


def test_guard_counts_depth_across_chunks() -> None:
    """The depth guard reads strings and escapes right across chunk edges."""
    from archiver.ingest.jsonstream.guard import DepthGuard, TooDeep

    text = json.dumps({"a": ['x"]]]]\\', "[[[[", {"b": [[["\\\\"]]]}]}).encode()

    def read_all(chunk: int, limit: int) -> None:
        guard = DepthGuard(io.BytesIO(text), limit)
        while guard.read(chunk):
            pass

    for chunk in (1, 2, 3, 7, 64):
        read_all(chunk, 6)  # {"a": [ … {"b": [[[ : six deep; the brackets in strings do not count
        with pytest.raises(TooDeep):
            read_all(chunk, 5)


@pytest.mark.parametrize("whole_limit", [64 * 1024, 8 * 1024 * 1024])
def test_one_value_longer_than_the_cap_refuses_its_file(
    whole_limit: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cap on one value, lowered to 1 MB so the input stays small: a file
    streamed (larger than the whole-file limit) or read whole."""
    from archiver.ingest import jsonstream

    monkeypatch.setattr(jsonstream.guard, "MAX_VALUE", 1024 * 1024)
    monkeypatch.setattr(jsonstream, "WHOLE_LIMIT", whole_limit)
    download = tmp_path / "download"
    write(download, THREAD, json.dumps(thread_json([message(content="x" * 1_500_000)])))
    under = "messages/inbox/under_1/message_1.json"
    write(download, under, json.dumps(thread_json([message(content="y" * 900_000), message(1)])))
    shutil.copytree(BAD / "good", download, dirs_exist_ok=True)
    archive = tmp_path / "archive"

    code, out, err = run(archive, "import", "--json", str(download))

    assert code == 1, err
    report = json.loads(out)
    refused = "holds a value longer than 1 MB, more than any message needs; the file was not read"
    assert [(Path(e["path"]).as_posix().endswith(THREAD), e["error"])
            for e in report["errors"]] == [(True, refused)]
    texts = [r[0] for r in rows(archive, "SELECT text FROM messages ORDER BY timestamp_ms, id")]
    assert len(texts) == GOOD_MESSAGES + 2
    assert "y" * 900_000 in texts
    assert check_archive(archive).ok


def test_guard_measures_a_string_across_chunks() -> None:
    from archiver.ingest.jsonstream.guard import DepthGuard, TooLong

    guard = DepthGuard(None, max_value=100)
    guard.scan_all(b'{"a": "' + b"x" * 60, chunk=7)
    guard.scan_all(b"x" * 30 + b'", "b": "' + b"y" * 90, chunk=11)  # a new string, 90 long
    with pytest.raises(TooLong):
        guard.scan_all(b"y" * 20, chunk=5)
def test_a_thread_that_fails_after_rows_were_written_leaves_nothing(tmp_path: Path) -> None:
    """The thread's oldest part holds more messages than one chunk of rows, so
    rows are written before its newest part turns out broken: they must be
    rolled back, and only the good thread remains."""
    from archiver.ingest.pipeline import CHUNK

    download = tmp_path / "download"
    many = CHUNK + CHUNK // 2
    write(download, "messages/inbox/odd_1/message_2.json",
          thread_json([message(i) for i in reversed(range(many))]))
    write(download, "messages/inbox/odd_1/message_1.json",
          json.dumps(thread_json([message(many + 1)]))[:-20])
    shutil.copytree(BAD / "good", download, dirs_exist_ok=True)
    archive = tmp_path / "archive"

    code, out, err = run(archive, "import", "--json", str(download))

    assert code == 1, err
    [error] = json.loads(out)["errors"]
    assert error["path"].endswith("messages/inbox/odd_1/message_1.json")  # the broken part
    assert "not valid JSON" in error["error"] and "whole thread was left out" in error["error"]
    assert rows(archive, "SELECT COUNT(*) FROM messages") == [(GOOD_MESSAGES,)]
    assert rows(archive, "SELECT COUNT(*) FROM messages_fts") == [(GOOD_MESSAGES,)]
    assert rows(archive, "SELECT key FROM threads WHERE id IN "
                         "(SELECT thread_id FROM messages)") == [("good_1",)]
    assert check_archive(archive).ok


# -- files the user running chatkeep may not read ---------------------------------
# Root reads through any file mode, and tests run as root on CI: the import runs
# in a forked child that first becomes an unprivileged user (nobody).

NOBODY = 65534


def import_unprivileged(archive: Path, download: Path) -> tuple[int, str, str]:
    """`chatkeep import --json download` in a child process that, when this
    runs as root, drops to uid/gid 65534 first; returns (exit, stdout, stderr)."""
    # Everything the import needs is loaded before the child gives up root,
    # which may no longer read the interpreter's own library folder.
    run(download.parent / "warm-up", "import", "--json", str(BAD / "good"))
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        status = 0
        try:
            os.close(read_end)
            try:
                if os.geteuid() == 0:
                    os.setgroups([])
                    os.setgid(NOBODY)
                    os.setuid(NOBODY)
            except OSError as exc:
                result: object = {"no_privilege_drop": str(exc)}
            else:
                result = run(archive, "import", "--json", str(download))
            with os.fdopen(write_end, "w", encoding="utf-8") as pipe:
                json.dump(result, pipe)
        except BaseException:  # noqa: BLE001 - report anything, then leave
            status = 1
        finally:
            os._exit(status)
    os.close(write_end)
    with os.fdopen(read_end, encoding="utf-8") as pipe:
        answer = pipe.read()
    _pid, status = os.waitpid(pid, 0)
    assert status == 0 and answer, "the unprivileged import crashed"
    result = json.loads(answer)
    if isinstance(result, dict):
        pytest.skip(f"cannot drop root privileges here: {result['no_privilege_drop']}")
    code, out, err = result
    return code, out, err


@pytest.mark.parametrize(("unreadable", "error"), [
    (THREAD, f"{THREAD}: cannot be read (Permission"),
    ("messages/inbox/odd_1", "odd_1: cannot be read (Permission"),
])
def test_unreadable_file_or_folder(unreadable: str, error: str) -> None:
    work = Path(tempfile.mkdtemp(prefix="chatkeep-unreadable-"))  # not under root's 0700 tmp
    try:
        download = work / "download"
        write(download, THREAD, thread_json([message()]))
        shutil.copytree(BAD / "good", download, dirs_exist_ok=True)
        if os.geteuid() == 0:
            for path in (work, *work.rglob("*")):
                os.chown(path, NOBODY, NOBODY)
        (download / unreadable).chmod(0)

        code, out, err = import_unprivileged(work / "archive", download)

        assert "Traceback" not in err
        assert code == 1, (out, err)
        [line] = [f"{e['path']}: {e['error']}" for e in json.loads(out)["errors"]]
        assert error in line
        (download / unreadable).chmod(0o700)
        assert rows(work / "archive", "SELECT COUNT(*) FROM messages") == [(GOOD_MESSAGES,)]
        assert check_archive(work / "archive").ok
    finally:
        shutil.rmtree(work, ignore_errors=True)


def test_a_long_thread_that_fails_leaves_the_index_in_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Full-text rows are held back and written in bulk; a long thread writes
    its own as it goes. A thread that fails after that, beside threads whose
    rows are still held, leaves the index exactly in step with the messages."""
    from archiver.store import writer

    monkeypatch.setattr(writer, "FTS_ROWS_HELD", 100)
    download = tmp_path / "download"
    write(download, "messages/inbox/a_1/message_1.json",
          thread_json([message(i, content=f"early łódź {i}") for i in reversed(range(60))]))
    write(download, "messages/inbox/odd_1/message_2.json",
          thread_json([message(i) for i in reversed(range(1500))]))
    write(download, "messages/inbox/odd_1/message_1.json",
          json.dumps(thread_json([message(1501)]))[:-20])
    write(download, "messages/inbox/z_1/message_1.json",
          thread_json([message(i, content=f"late {i}") for i in reversed(range(250))]))
    archive = tmp_path / "archive"

    code, _out, err = run(archive, "import", "--json", str(download))

    assert code == 1, err
    assert rows(archive, "SELECT COUNT(*) FROM messages") == [(310,)]
    assert rows(archive, "SELECT COUNT(*) FROM messages_fts") == [(310,)]
    assert rows(archive, "SELECT COUNT(*) FROM messages_fts WHERE messages_fts MATCH 'early'") \
        == [(60,)]
    assert rows(archive, "SELECT COUNT(*) FROM messages_fts WHERE messages_fts MATCH 'late'") \
        == [(250,)]
    # Folded letters (ł as l) held back with them are indexed too.
    assert rows(archive, "SELECT COUNT(*) FROM messages_fts WHERE messages_fts MATCH 'lodz'") \
        == [(60,)]
    assert check_archive(archive).ok


def test_a_zip_media_member_that_expands_too_much_is_named(tmp_path: Path) -> None:
    """20 MB of zeros packed into 19 KB (a zip bomb's shape) is copied with a
    warning giving both sizes; a photo that barely shrinks gets none."""
    from PIL import Image

    from tests.support.downloads import write_thread

    src = tmp_path / "src"
    base = "your_facebook_activity/messages/inbox/z_1"
    write_thread(src / base, [
        {"sender_name": "Ana", "timestamp_ms": 1_700_000_000_000 + i,
         "photos": [{"uri": f"{base}/photos/{name}"}]}
        for i, name in enumerate(["zeros.jpg", "noise.png"])])
    noise = tmp_path / "noise.png"
    Image.effect_noise((64, 64), 60).save(noise)
    download = tmp_path / "facebook-jordanlee-2025.zip"
    with zipfile.ZipFile(download, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(src / base / "message_1.json", f"{base}/message_1.json")
        zf.writestr(f"{base}/photos/zeros.jpg", bytes(20_000_000))
        zf.write(noise, f"{base}/photos/noise.png")
        packed = zf.getinfo(f"{base}/photos/zeros.jpg").compress_size
    code, out, err = run(tmp_path / "archive", "import", str(download))
    assert code == 0, err
    assert (f"warning: {download} (member {base}/photos/zeros.jpg): expands from "
            f"{packed:,} bytes in the zip to 20,000,000 bytes, more than 100 times "
            "(a zip bomb?); copied anyway") in out
    assert "noise.png" not in out and "warnings:            1" in out
    assert "media copied:        2" in out
