"""Properties of the mojibake repair, the message fingerprint and the JSON
depth guard, over generated inputs (hypothesis).

Meta's encoding ``m(t) = t.encode("utf-8").decode("latin-1")`` turns every
UTF-8 byte into one character. ``repair`` undoes it when it can, and these are
the properties that hold exactly:

- it never raises, on any string (lone surrogates included);
- it inverts Meta's encoding for every text: ``repair(m(t)) == t``;
- it leaves real text alone: ASCII, text with a character above U+00FF (all
  emoji, CJK, most of Polish…), and Latin-1 text whose bytes are not UTF-8;
- so it is idempotent on everything it produces from real text:
  ``repair(repair(m(t))) == repair(m(t))`` whenever ``t`` is real text.

It is *not* idempotent on text that is itself mojibake-looking Latin-1 (a
twice-encoded string loses one layer per pass): the last test pins that
boundary down, so that nobody relies on more than holds.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from archiver.fingerprint import (
    OccurrenceCounter,
    ThreadFingerprints,
    attachment_names,
    content_fingerprint,
    with_occurrence,
)
from archiver.ingest.importer import import_downloads
from archiver.ingest.jsonstream import iter_object
from archiver.ingest.jsonstream.guard import DepthGuard, TooDeep
from archiver.ingest.text import OddNumbers, repair, repair_any
from archiver.records import Attachment, Message
from tests.support.downloads import write_thread
from tests.support.paths import REPO


def meta(text: str) -> str:
    """How Meta's download writes a string (each UTF-8 byte one character)."""
    return text.encode("utf-8").decode("latin-1")


# Any text at all, lone surrogates included (they can come out of a JSON "\ud800").
any_string = st.text(st.characters(codec=None, categories=None))
# Text a person wrote: any Unicode scalar value.
texts = st.text(st.characters(exclude_categories=("Cs",)))
# Real text that repair must leave alone because one character is above U+00FF.
wide_char = st.characters(min_codepoint=0x100, exclude_categories=("Cs",))
real_texts = st.builds(lambda a, c, b: a + c + b, texts, wide_char, texts)
latin1 = st.text(st.characters(min_codepoint=0, max_codepoint=0xFF))


# -- mojibake repair --------------------------------------------------------------

@given(any_string)
def test_repair_never_raises(s: str) -> None:
    assert isinstance(repair(s), str)


@given(texts)
def test_repair_inverts_metas_encoding(t: str) -> None:
    assert repair(meta(t)) == t


@given(texts)
def test_repair_inverts_metas_encoding_read_back_from_json(t: str) -> None:
    """Through the file: Meta's "\\u00c3\\u00a9" escapes, as a parser returns them."""
    written = json.dumps({"content": meta(t)})  # ensure_ascii: Meta's \\u00XX escapes
    assert repair(json.loads(written)["content"]) == t


@given(real_texts)
def test_repair_leaves_text_with_a_wide_character_alone(t: str) -> None:
    assert repair(t) == t


@given(st.text(st.characters(max_codepoint=0x7F)))
def test_repair_leaves_ascii_alone(t: str) -> None:
    assert repair(t) == t


@given(latin1)
def test_repair_leaves_latin1_that_is_not_utf8_alone(t: str) -> None:
    try:
        t.encode("latin-1").decode("utf-8")
    except UnicodeDecodeError:
        assert repair(t) == t
    else:
        assume(False)


@given(real_texts)
def test_repair_is_idempotent_on_what_it_makes_of_real_text(t: str) -> None:
    once = repair(meta(t))
    assert repair(once) == once == t


@given(texts)
def test_repair_changes_only_what_is_mojibake(t: str) -> None:
    """Whenever it changes a string, the string was Meta's encoding of the result."""
    r = repair(t)
    assert r == t or meta(r) == t


def test_repair_is_not_idempotent_on_twice_encoded_text() -> None:
    twice = meta(meta("café"))  # 'cafÃ\x83Â©'
    assert repair(twice) == meta("café") == "cafÃ©"
    assert repair(repair(twice)) == "café"


# -- fingerprints -------------------------------------------------------------------

names = st.sampled_from(["Ana", "Jordan Lee", "Ana María González", "Facebook user", "😀"])
times = st.integers(1_500_000_000_000, 1_500_000_000_000 + 5)  # few values: many ties
contents = st.sampled_from(["ok", "ok", "haha", "café", "", "❤️", "\ud800 lone"])
files = st.lists(st.sampled_from(["a.jpg", "b.jpg"]), max_size=2)
messages = st.builds(
    lambda s, t, c, f: Message(s, t, "text", c or None,
                               attachments=[Attachment("photo", f"photos/{n}") for n in f]),
    names, times, contents, files,
)


def base_fingerprint(platform: str, thread_key: str, msg: Message) -> bytes:
    """The reference fingerprint of ``msg`` before its occurrence number."""
    return content_fingerprint(platform, thread_key, msg.sender, msg.timestamp_ms, msg.text,
                               attachment_names(msg))


@given(st.lists(messages, max_size=30), st.sampled_from(["facebook", "instagram"]))
def test_fingerprints_are_stable_and_equal_messages_get_distinct_ones(
    batch: list[Message], platform: str
) -> None:
    def fingerprints() -> list[bytes]:
        counter = OccurrenceCounter()
        out = []
        for msg in sorted(batch, key=lambda m: m.timestamp_ms):
            base = base_fingerprint(platform, "ana_1", msg)
            out.append(with_occurrence(base, counter.next(base, msg.timestamp_ms)))
        return out

    first = fingerprints()
    assert fingerprints() == first
    assert len(set(first)) == len(first)  # a double "ok" in one millisecond: two messages


@given(st.lists(messages, max_size=40), st.sampled_from(["sorted", "reversed", "shuffled"]),
       st.sampled_from([0, -(1 << 47), 1 << 50]))
def test_the_import_computes_the_same_fingerprints_as_the_reference(
    batch: list[Message], order: str, shift: int
) -> None:
    """The import's fast path (``ThreadFingerprints``) gives every message the
    bytes the reference functions give, in any order and at extreme times:
    otherwise a re-import would add each message again."""
    if order != "shuffled":
        batch = sorted(batch, key=lambda m: m.timestamp_ms, reverse=order == "reversed")
    for msg in batch:
        msg.timestamp_ms += shift
    counter = OccurrenceCounter()
    fast = ThreadFingerprints("facebook", "ana_1")
    for msg in batch:
        base = base_fingerprint("facebook", "ana_1", msg)
        expected = with_occurrence(base, counter.next(base, msg.timestamp_ms))
        names = ",".join(a.uri.rsplit("/", 1)[-1] for a in msg.attachments)
        assert fast.next(msg.sender, msg.timestamp_ms, msg.text, names) == expected


@given(messages, messages)
def test_fingerprints_sort_by_thread_then_time(a: Message, b: Message) -> None:
    fa = base_fingerprint("facebook", "ana_1", a)
    fb = base_fingerprint("facebook", "ana_1", b)
    if a.timestamp_ms < b.timestamp_ms:
        assert fa < fb
    assert fa[:4] == fb[:4]


SAMPLE = Message("Ana María", 1600000000000, "text", "café ❤",
                 attachments=[Attachment("photo", "messages/inbox/x/photos/a.jpg")])
# Fingerprints are the identity of every archived message: if they ever change,
# a new release would import every download again as new messages.
SAMPLE_FINGERPRINT = "dad2600c4174876e8000dd51544b061f"


def test_fingerprints_are_the_same_bytes_in_every_run() -> None:
    assert base_fingerprint("facebook", "ana_1", SAMPLE).hex() == SAMPLE_FINGERPRINT
    script = (
        "from archiver.fingerprint import attachment_names, content_fingerprint\n"
        "from archiver.records import Attachment, Message\n"
        "m = Message('Ana María', 1600000000000, 'text', 'café ❤', "
        "attachments=[Attachment('photo', 'messages/inbox/x/photos/a.jpg')])\n"
        "print(content_fingerprint('facebook', 'ana_1', m.sender, m.timestamp_ms, m.text, "
        "attachment_names(m)).hex())\n"
    )
    for seed in ("0", "12345"):  # str hashing differs between these runs
        out = subprocess.run(
            [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout.strip()
        assert out == SAMPLE_FINGERPRINT


meta_messages = st.lists(
    st.fixed_dictionaries({
        "sender_name": names, "timestamp_ms": times,
        "content": st.sampled_from(["ok", "ok", "haha", "café", "❤️"]),
    }),
    min_size=1, max_size=40,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(meta_messages, st.lists(st.integers(1, 39), max_size=4))
def test_a_thread_split_into_parts_gets_the_fingerprints_of_one_file(
    batch: list[dict], cuts: list[int]
) -> None:
    """Meta splits a long thread into message_1.json (newest) … message_N.json;
    however it is split, the thread's messages get the same fingerprints, so a
    download split differently adds nothing to the archive."""
    newest_first = sorted(batch, key=lambda m: -m["timestamp_ms"])  # as Meta writes, stable
    bounds = sorted({c for c in cuts if c < len(newest_first)})
    parts = [newest_first[a:b] for a, b in zip([0, *bounds], [*bounds, len(newest_first)],
                                               strict=True)]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_thread(root / "one" / "messages" / "inbox" / "ana_1", newest_first)
        for n, part in enumerate(parts, 1):
            write_thread(root / "split" / "messages" / "inbox" / "ana_1", part, part=n)

        one = _fingerprints(root / "a", root / "one")
        split = _fingerprints(root / "b", root / "split")
        assert one == split
        assert len(set(one)) == len(batch)  # equal messages stay distinct

        report = import_downloads(root / "a", [root / "split"])
        assert (report.messages_added, report.messages_already_present) == (0, len(batch))


def _fingerprints(archive: Path, download: Path) -> list[bytes]:
    import sqlite3

    report = import_downloads(archive, [download])
    assert not report.errors
    conn = sqlite3.connect(archive / "chatkeep.db")
    try:
        return sorted(r[0] for r in conn.execute("SELECT fingerprint FROM messages"))
    finally:
        conn.close()


# -- the JSON depth guard -----------------------------------------------------------

guard_text = st.text(st.sampled_from(list('ab"\\[]{}\n\u00e9\u2764 ')), max_size=12)
json_values = st.recursive(
    st.none() | st.integers() | guard_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(guard_text, inner, max_size=4),
    max_leaves=40,
)


def _depth(value: object) -> int:
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    return 0


class _Chunks(io.RawIOBase):
    """A file that hands out its bytes in the given chunk sizes, in turn."""

    def __init__(self, data: bytes, sizes: list[int]) -> None:
        self.data, self.sizes, self.pos, self.calls = data, sizes, 0, 0

    def read(self, n: int = -1) -> bytes:
        if n == 0:  # ijson's look at the type of the file's data
            return b""
        size = self.sizes[self.calls % len(self.sizes)]
        self.calls += 1
        out = self.data[self.pos:self.pos + size]
        self.pos += size
        return out


@settings(max_examples=500)
@given(json_values, st.lists(st.integers(1, 9), min_size=1, max_size=4), st.integers(0, 6),
       st.booleans())
def test_depth_guard_is_exact_wherever_the_chunks_break(
    value: object, sizes: list[int], limit: int, ascii_only: bool
) -> None:
    """Brackets and quotes inside strings, escapes split across chunks: the
    guard stops a text exactly when it nests deeper than its limit."""
    data = json.dumps(value, ensure_ascii=ascii_only).encode()
    guard = DepthGuard(_Chunks(data, sizes), limit)
    try:
        while guard.read(1):
            pass
    except TooDeep:
        too_deep = True
    else:
        too_deep = False
    assert too_deep == (_depth(value) > limit)


# -- odd numbers, read whole and streamed --------------------------------------------

_number_texts = (
    st.sampled_from(["NaN", "Infinity", "-Infinity", "1e400", "-1E+400", "1.5e308", "2e-400",
                     "0", "-0", "12", "1" + "0" * 400 + ".5", "1" + "0" * 5000])
    | st.integers(-(2**70), 2**70).map(str)
    | st.floats(allow_nan=False, allow_infinity=False).map(repr)
)
_string_texts = guard_text.map(json.dumps) | st.sampled_from(
    ['"NaN"', '": 1e400"', '"[9223372036854775808"', '",-Infinity"', '"a\\\\"'])
_spaces = st.sampled_from(["", " ", "\n  "])
_json_texts = st.recursive(
    _number_texts | _string_texts | st.sampled_from(["true", "null"]),
    lambda inner: st.tuples(st.lists(inner, max_size=4), _spaces).map(
        lambda t: "[" + ("," + t[1]).join(t[0]) + "]")
    | st.tuples(st.dictionaries(_string_texts, inner, max_size=4), _spaces).map(
        lambda t: "{" + ("," + t[1]).join(f"{k}:{t[1]}{v}" for k, v in t[0].items()) + "}"),
    max_leaves=30,
)


def _as_read(entries: list[tuple[str, object]]) -> tuple[object, int]:
    """What a dialect makes of the entries: values with odd numbers as text,
    and how many there were."""
    before = OddNumbers.seen
    values = [(key, repr(repair_any(value))) for key, value in entries]
    return values, OddNumbers.seen - before


@settings(max_examples=400, deadline=None)
@given(st.lists(_json_texts, max_size=5), _json_texts,
       st.lists(st.integers(1, 9), min_size=1, max_size=4))
# The first chunk ends between a backslash and the quote it escapes.
@example(items=['"\\""', "NaN"], title="1", sizes=[16])
def test_a_streamed_file_reads_odd_numbers_as_a_file_read_whole(
    items: list[str], title: str, sizes: list[int]
) -> None:
    """NaN, infinities, 1e400 and integers past 64 bits, among strings that
    look like them, wherever the chunks break: the streamed reader gives what
    the whole-file reader gives."""
    data = ('{"messages": [' + ", ".join(items) + '], "title": ' + title + "}").encode()
    whole = list(iter_object(io.BytesIO(data), "messages", len(data)))
    streamed = list(iter_object(_Chunks(data, sizes), "messages", len(data), whole_limit=0))
    assert _as_read(streamed) == _as_read(whole)


# -- any message object at all --------------------------------------------------------

_scalars = (st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.floats()
            | st.text(max_size=5) | st.integers(-(10**16), 10**16)
            | st.sampled_from(["2020-07-12T14:30:19.783799+00:00", "2020-07-12T14:30:19",
                               "9999-12-31T23:59:59-14:00", "1600000000000"]))


def _objects(keys: list[str]) -> st.SearchStrategy[dict]:
    values = st.recursive(
        _scalars,
        lambda inner: st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(keys) | st.text(max_size=3), inner, max_size=3),
        max_leaves=8,
    )
    return st.dictionaries(st.sampled_from(keys), values, max_size=8)


_DIALECT_KEYS = {
    "meta_dyi": ["sender_name", "timestamp_ms", "timestamp", "content", "photos", "videos",
                 "gifs", "sticker", "share", "reactions", "call_duration", "missed", "users",
                 "is_unsent", "type", "uri", "reaction", "actor", "link", "share_text"],
    "messenger_e2ee": ["senderName", "timestamp", "text", "type", "isUnsent", "media",
                       "reactions", "uri", "actor", "reaction"],
    "instagram_legacy": ["sender", "created_at", "text", "likes", "heart", "action",
                         "media_url", "media", "voice_media", "media_share_url", "link",
                         "story_share", "username", "date"],
}


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_any_message_object_is_kept_or_skipped_never_a_crash(data: st.DataObject) -> None:
    """Whatever a message object holds, reading it never raises, and what is
    kept can be stored (SQLite's 64-bit integers) and shown (a date)."""
    import importlib
    import sqlite3

    from archiver.fingerprint import ThreadFingerprints
    from archiver.ingest.dialects import ReadContext, ThreadSource
    from archiver.ingest.pipeline import Preparer, ThreadStats
    from archiver.ingest.sources import DownloadTree
    from archiver.timefmt import iso

    name = data.draw(st.sampled_from(sorted(_DIALECT_KEYS)))
    raw = data.draw(_objects(_DIALECT_KEYS[name]))
    module = importlib.import_module(f"archiver.ingest.dialects.{name}")
    ctx = ReadContext()
    msg = module.parse_message(raw, "file message 0", ctx)
    if msg is None:
        assert any(w.startswith("file message 0: ") for w in ctx.warnings)
        return
    tree = DownloadTree("d", [Path("/nonexistent")])
    source = ThreadSource(name, "facebook", "k", [], folder="f")
    preparer = Preparer(tree, ctx, None)
    row = preparer._row(0, msg, ThreadFingerprints("facebook", "k").next)
    attachments = [(0, *preparer._attachment(a, source, ThreadStats())) for a in msg.attachments]
    reactions = [(0, r.actor, r.reaction, r.timestamp_ms) for r in msg.reactions]
    conn = sqlite3.connect(":memory:")
    for values in (row, *reactions, *attachments):
        conn.execute(f"SELECT {', '.join('?' * len(values))}", values)
    assert iso(msg.timestamp_ms).endswith("Z")


def _safe_relative_by_parts(name: str) -> str | None:
    """safe_relative as its docstring defines it, one part at a time."""
    name = name.replace("\\", "/")
    if not name or name.startswith("/") or (len(name) > 1 and name[0].isascii()
                                             and name[0].isalpha() and name[1] == ":"):
        return None
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts:
        return None
    return "/".join(parts) or None


@given(st.text(alphabet="ab./\\:C", max_size=12))
def test_safe_relative_keeps_inside_and_refuses_outside(name: str) -> None:
    from archiver.paths import safe_relative

    assert safe_relative(name) == _safe_relative_by_parts(name)


class _NotPlainDict(dict):
    """A message object the fast paths do not take (they want a plain dict)."""


_good_reaction = st.fixed_dictionaries(
    {"reaction": st.sampled_from(["\u00e2\u009d\u00a4", "x"]),
     "actor": st.sampled_from(["Ana", "Zo\u00c3\u00ab"])},
    optional={"timestamp": st.sampled_from([1_600_000_000, 1_700_000_000])},
)
_odd_reaction = st.fixed_dictionaries(
    {},
    optional={
        "reaction": st.sampled_from(["x", 3]),
        "actor": st.sampled_from(["Ana", None]),
        "timestamp": st.sampled_from([1.5, 10**17, None, True]),
        "extra": st.just(1),
    },
)
_reactions = st.lists(st.one_of(_good_reaction, _good_reaction, _odd_reaction), max_size=3)
_reacted = st.fixed_dictionaries(
    {"sender_name": st.sampled_from(["Ana", "Zo\u00c3\u00ab", "Ana", "", 5]),
     "timestamp_ms": st.sampled_from([1_600_000_000_000, 1_600_000_000_001, 10**17,
                                      "1600000000000"]),
     "reactions": st.one_of(_reactions, _reactions, st.just("no"))},
    optional={"content": st.sampled_from(
        ["hi", "caf\u00c3\u00a9 (edited)", "Ana reacted x to your message", None, 7]),
              "type": st.sampled_from(["Generic", "Share"]),
              "is_geoblocked_for_viewer": st.booleans()},
)


@given(_reacted)
def test_the_reactions_fast_path_reads_as_the_general_path(raw: dict) -> None:
    """A text message with reactions takes a short path; whatever it holds,
    the record (and every warning) is the one the general path makes."""
    from archiver.ingest.dialects import ReadContext, meta_dyi

    fast_ctx, general_ctx = ReadContext(), ReadContext()
    fast = meta_dyi.parse_message(dict(raw), "f message 0", fast_ctx)
    general = meta_dyi.parse_message(_NotPlainDict(raw), "f message 0", general_ctx)
    assert fast == general
    assert fast_ctx.warnings == general_ctx.warnings
