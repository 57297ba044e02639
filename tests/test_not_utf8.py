"""Text that is not clean UTF-8: a folder whose name is not UTF-8, lone UTF-16
surrogates written as ``\\u`` escapes (``\\udfff``, a ``\\ud83d`` with no low
half), and an archive holding bytes that are not UTF-8 in one title. Each
becomes U+FFFD with a warning (or a problem ``check`` names), and nothing
else is lost."""

from __future__ import annotations

import io
import json
import os
import sqlite3
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archiver.ingest import jsonstream
from archiver.ingest.importer import import_downloads
from archiver.ingest.jsonstream.surrogates import SurrogateStream, replace_lone_surrogates
from tests.support.cli import db_rows, run, run_json
from tests.support.downloads import write_thread

T = 1_700_000_000_000
FFFD = "\ufffd"


def inbox(dl: Path) -> Path:
    return dl / "your_facebook_activity" / "messages" / "inbox"


def test_a_folder_whose_name_is_not_utf8(tmp_path: Path, archive: Path) -> None:
    dl = tmp_path / "facebook-jordanlee-2025"
    write_thread(inbox(dl) / "ok_2", [{"sender_name": "Ana", "timestamp_ms": T, "content": "fine"}])
    folder = os.fsencode(inbox(dl)) + b"/caf\xe9_1"
    try:
        os.mkdir(folder)
    except OSError:
        pytest.skip("this file system takes only UTF-8 names")
    thread = {"participants": [{"name": "Ana"}], "title": "Caf\u00c3\u00a9",
              "messages": [{"sender_name": "Ana", "timestamp_ms": T + 1, "content": "au caf\u00c3\u00a9"}]}
    with open(folder + b"/message_1.json", "w", encoding="ascii") as f:
        json.dump(thread, f)
    code, out, err = run(archive, "import", str(dl))
    assert code == 0, err
    assert "Traceback" not in out + err
    assert (f"inbox/caf{FFFD}_1: its name b'caf\\xe9_1' is not UTF-8; read with U+FFFD"
            in out)
    assert sorted(c["title"] for c in run_json(archive, "threads")) == ["Café", "Thread"]
    texts = [m["text"] for m in run_json(archive, "show", "Café")["messages"]]
    assert texts == ["au café"]
    assert db_rows(archive, "SELECT path FROM thread_files ORDER BY path")[0][0].endswith(
        f"caf{FFFD}_1/message_1.json")
    code, out, _err = run(archive, "import", str(dl))  # and again: nothing new, no error
    assert code == 0 and "messages added:      0" in out


def surrogate_download(root: Path) -> Path:
    """A download whose profile name, one thread's text, title and
    thread_path hold lone surrogates, as ASCII ``\\u`` escapes."""
    dl = root / "facebook-jordanlee-2025"
    (dl / "profile_information").mkdir(parents=True)
    (dl / "profile_information" / "profile_information.json").write_text(
        '{"profile_v2": {"name": {"full_name": "Jordan \\udfff Lee"}}}', encoding="ascii")
    bad = inbox(dl) / "odd_1"
    bad.mkdir(parents=True)
    (bad / "message_1.json").write_text(
        '{"participants": [{"name": "Ana"}, {"name": "Jordan \\udfff Lee"}], "messages": ['
        f'{{"sender_name": "Ana", "timestamp_ms": {T + 2}, '
        '"content": "low \\udfff, high \\ud83d, pair \\ud83d\\ude00, escaped \\\\udfff"},'
        f'{{"sender_name": "Jordan \\udfff Lee", "timestamp_ms": {T + 1}, "content": "hi"}}],'
        '"title": "Odd \\ud83d", "thread_path": "inbox/odd\\udfff_1"}', encoding="ascii")
    write_thread(inbox(dl) / "ok_2", [{"sender_name": "Ana", "timestamp_ms": T, "content": "fine"}])
    return dl


@pytest.mark.parametrize("streamed", [False, True], ids=["whole", "streamed"])
def test_lone_surrogates_become_replacement_characters(
    tmp_path: Path, archive: Path, monkeypatch: pytest.MonkeyPatch, streamed: bool
) -> None:
    dl = surrogate_download(tmp_path)
    if streamed:  # files past the limit stream through ijson, which fails on them
        monkeypatch.setattr(jsonstream, "WHOLE_LIMIT", 64)
    report = import_downloads(archive, [dl])
    assert not report.errors
    assert report.messages_added == 3
    odd = str(inbox(dl) / "odd_1" / "message_1.json")
    profile = str(dl / "profile_information" / "profile_information.json")
    assert f"{odd}: holds 6 lone UTF-16 surrogates (\\udfff…), which no text can hold; " \
           f"read as U+FFFD ({FFFD})" in report.warnings
    assert any(w.startswith(f"{profile}: holds a lone UTF-16 surrogate") for w in report.warnings)
    [shown] = [c for c in run_json(archive, "threads") if c["title"].startswith("Odd")]
    assert shown["title"] == f"Odd {FFFD}"
    assert shown["participants"] == ["Ana", f"Jordan {FFFD} Lee"]
    texts = [m["text"] for m in run_json(archive, "show", str(shown["id"]))["messages"]]
    assert texts == ["hi", f"low {FFFD}, high {FFFD}, pair 😀, escaped \\udfff"]
    assert db_rows(archive, "SELECT owner FROM downloads") == [(f"Jordan {FFFD} Lee",)]
    code, out, _err = run(archive, "show", str(shown["id"]))
    assert code == 0 and f"low {FFFD}" in out


CHUNKS = st.lists(st.integers(1, 13), min_size=1, max_size=40)
PIECES = st.sampled_from([rb"\udfff", rb"\ud83d", rb"\uDE00", rb"\\", b"a", rb"\"", rb"\u0041",
                          rb"\ud83d\ude00", rb"\\u", b"\xc3\xa9"])


class Chunked(io.RawIOBase):
    """``data`` read in the chunk sizes given, whatever size is asked."""

    def __init__(self, data: bytes, sizes: list[int]) -> None:
        self.data, self.sizes, self.at = data, sizes, 0

    def read(self, n: int = -1) -> bytes:
        size = self.sizes[self.at % len(self.sizes)] if self.data else 0
        out, self.data = self.data[:size], self.data[size:]
        self.at += 1
        return out


@settings(max_examples=200, deadline=None)
@given(st.lists(PIECES, max_size=16), CHUNKS)
def test_the_stream_replaces_what_the_whole_file_replaces(pieces: list[bytes],
                                                         sizes: list[int]) -> None:
    """Cut anywhere (inside an escape, between a pair's halves, inside a run
    of backslashes), the stream gives the bytes the whole-file path gives,
    and they parse to the text with each lone surrogate as U+FFFD."""
    data = b'"' + b"".join(pieces) + b'"'
    whole, count = replace_lone_surrogates(data)
    stream = SurrogateStream(Chunked(data, sizes))
    out = b"".join(iter(lambda: stream.read(8), b""))
    assert (out, stream.replaced) == (whole, count)
    expected = "".join(FFFD if "\ud800" <= c <= "\udfff" else c for c in json.loads(data))
    assert json.loads(out) == expected


@pytest.fixture
def bad_title_archive(tmp_path: Path) -> Path:
    """An archive whose conversation title holds bytes that are not UTF-8,
    written with a raw CAST, as a hand edit or a bad disk could leave it."""
    dl = tmp_path / "facebook-jordanlee-2025"
    write_thread(inbox(dl) / "cafe_1", [
        {"sender_name": "Ana", "timestamp_ms": T, "content": "un caf\u00c3\u00a9"}], title="Cafe")
    archive = tmp_path / "archive"
    assert run(archive, "import", str(dl))[0] == 0
    conn = sqlite3.connect(archive / "chatkeep.db")
    with conn:
        conn.execute("UPDATE conversations SET title = CAST(X'436166E920E9' AS TEXT)")
        conn.execute("UPDATE thread_parts SET title = CAST(X'436166E920E9' AS TEXT)")
    conn.close()
    return archive


def test_text_that_is_not_utf8_reads_back_in_every_command(bad_title_archive: Path,
                                                           tmp_path: Path) -> None:
    archive = bad_title_archive
    shown = f"Caf{FFFD} {FFFD}"
    for args in (["threads"], ["show", "1"], ["search", "cafe"], ["stats"], ["stats", "1"],
                 ["why", "1"], ["audit"], ["export", "1", "-o", str(tmp_path / "c.md")],
                 ["export", "1", "-o", str(tmp_path / "c.html"), "--format", "html"]):
        code, out, err = run(archive, *args)
        assert code == 0, (args, err)
        assert "damaged" not in err and "Traceback" not in out + err
    assert run_json(archive, "threads")[0]["title"] == shown
    assert shown in run(archive, "show", "1")[1]
    assert (tmp_path / "c.md").read_text(encoding="utf-8").startswith(f"# {shown}\n")


def test_check_names_text_that_is_not_utf8_and_repair_rewrites_it(
    bad_title_archive: Path,
) -> None:
    archive = bad_title_archive
    code, out, _err = run(archive, "check")
    assert code == 1
    assert ("text: 1 conversations.title value is not UTF-8 (rows 1); shown with U+FFFD "
            f"({FFFD}) in place of the bad bytes") in out
    assert "thread_parts.title" in out and "archive OK" not in out
    assert f"fix: chatkeep --archive {archive} check --repair" in out
    code, out, _err = run(archive, "check", "--repair")
    assert code == 0, out
    assert "Repaired: wrote 2 text values that were not UTF-8" in out
    assert out.splitlines()[-1].startswith("archive OK")
    raw = db_rows(archive, "SELECT CAST(title AS BLOB) FROM conversations")
    assert raw == [(f"Caf{FFFD} {FFFD}".encode(),)]
    assert run(archive, "check")[0] == 0
