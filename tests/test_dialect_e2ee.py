"""Messenger encrypted chats: finding the thread files and reading them."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archiver.ingest.dialects import (
    ReadContext,
    ReadError,
    ThreadSource,
    find_threads,
    messenger_e2ee,
    read_thread,
)
from archiver.ingest.sources import DownloadTree, open_download
from archiver.records import KINDS, Attachment, Message, Reaction, ThreadInfo

FIXTURES = Path(__file__).parent / "fixtures" / "e2ee"
DOWNLOAD = FIXTURES / "download"
MESSAGES = DOWNLOAD / "your_activity_across_facebook" / "messages"
T0 = 1705000000000  # 2024-01-11T19:06:40Z


def _read(tree: DownloadTree, source: ThreadSource, ctx: ReadContext) -> tuple[ThreadInfo, list[Message]]:
    info = ThreadInfo()
    return info, list(read_thread(tree, source, info, ctx))


def _sources(path: Path) -> tuple[DownloadTree, ReadContext, dict[str, ThreadSource]]:
    tree = open_download([path])
    ctx = ReadContext()
    return tree, ctx, {s.key: s for s in find_threads(tree, ctx)}


def test_finds_thread_files_beside_meta_threads_and_warns_about_empty_ones():
    _tree, ctx, sources = _sources(DOWNLOAD)
    e2ee = {k: s for k, s in sources.items() if s.dialect == "messenger_e2ee"}
    assert sorted(e2ee) == ["Alice Example_1", "Weekend crew_2_3"]
    # The Meta DYI thread next to them stays Meta DYI's; the settings file is nobody's.
    assert sources["bob_123"].dialect == "meta_dyi"
    assert len(sources) == 3
    alice = e2ee["Alice Example_1"]
    assert alice.platform == "messenger"
    assert alice.section is None
    assert alice.folder == "your_activity_across_facebook/messages"
    assert [m.path for m in alice.files] == [
        "your_activity_across_facebook/messages/Alice Example_1.json"
    ]
    assert ctx.warnings == [f"{MESSAGES / 'Empty Chat_4.json'}: is empty (0 bytes); skipped"]
    assert ctx.rejected == []


def test_messages_are_sorted_and_mapped():
    tree, ctx, sources = _sources(DOWNLOAD)
    info, msgs = _read(tree, sources["Alice Example_1"], ctx)
    assert info.title == "Alice Example"
    assert info.participants == ["Bartłomiej Nowak", "Alice Example"]
    assert [(m.timestamp_ms - T0, m.sender, m.kind, m.text) for m in msgs] == [
        (-60000, "Alice Example", "text", "call me"),
        (0, "Bartłomiej Nowak", "media", None),
        # Equal times keep the file's order.
        (60000, "Alice Example", "unsent", None),
        (60000, "Bartłomiej Nowak", "share", "https://example.com/a"),
        (120000, "Alice Example", "text", "third"),
        (180000, "Bartłomiej Nowak", "media", None),
        (240000, "Alice Example", "media", None),
        (300000, "Alice Example", "text", None),
        (360000, "Bartłomiej Nowak", "unsent", None),
    ]
    call_me, photo, unsent, link, third, failed, many, odd, gone = msgs

    assert call_me.extra == {"type": "call_log", "forwarded": True}
    assert photo.attachments == [Attachment("photo", "./media/5f0c1a.jpeg")]
    assert photo.reactions == [Reaction("Alice Example", "👍")]
    assert photo.extra is None

    assert unsent.unsent and unsent.text is None
    assert unsent.extra == {"text": "User unsent a message"}
    assert gone.unsent and gone.extra == {"text": "gone"}
    assert not third.unsent and third.extra is None

    assert link.share_link == "https://example.com/a"

    assert failed.attachments == [Attachment("file", "Failed to download media", missing=True)]

    assert [(a.kind, a.uri, a.remote, a.missing) for a in many.attachments] == [
        ("video", "./media/clip.mp4", False, False),
        ("audio", "./media/voice.m4a", False, False),
        ("gif", "./media/funny.gif", False, False),
        ("file", "./media/notes.pdf", False, False),
    ]
    assert many.reactions == [Reaction("Bartłomiej Nowak", "❤"), Reaction("Alice Example", "😂")]

    # Wrong types are kept raw rather than crashing or vanishing.
    assert odd.extra == {
        "text": 42, "type": "call_log", "isUnsent": "no", "media": "nope", "reactions": "x",
    }
    assert not odd.unsent and odd.attachments == [] and odd.reactions == []


def test_warnings_name_the_file_and_position():
    tree, ctx, sources = _sources(DOWNLOAD)
    ctx.warnings.clear()
    _read(tree, sources["Alice Example_1"], ctx)
    label = str(MESSAGES / "Alice Example_1.json")
    assert ctx.warnings[0].startswith(f"{label} message 6: has no usable timestamp; skipped: ")
    assert ctx.warnings[1:] == [
        # An unknown type is reported once per file though two messages have it.
        (f'{label} message 7: has an unknown message type "call_log"; kept raw '
         "(reported once per file)"),
        f"{label} message 8: 'text' is not text; kept raw",
        f"{label} message 8: 'isUnsent' is not true or false; kept raw",
        f"{label} message 8: 'media' is not a list; kept raw",
        f"{label} message 8: 'reactions' is not a list; kept raw",
    ]


def test_thread_name_ending_in_a_number_is_the_title_as_written():
    tree, ctx, sources = _sources(DOWNLOAD)
    ctx.warnings.clear()
    info, msgs = _read(tree, sources["Weekend crew_2_3"], ctx)
    assert info.title == "Weekend crew_2"
    assert info.participants == ["Alice Example", "Bartłomiej Nowak", "Chloé Martin"]
    assert info.extra == {"magic_words": []}
    assert [(m.timestamp_ms, m.sender, m.text) for m in msgs] == [
        (1705100000000, "Chloé Martin", "café ☕ at 10?"),  # clean text goes through untouched
        (1705100060000, "Alice Example", "pics"),
    ]
    pics = msgs[1]
    assert [a.kind for a in pics.attachments] == ["photo", "photo", "video", "audio", "photo"]
    # An entry with more than a uri is kept whole as well.
    assert pics.extra == {"media": [
        {"uri": "./media/a.heic"}, {"uri": "./media/b.webp"}, {"uri": "./media/c.MOV"},
        {"uri": "./media/d.wav"}, {"uri": "./media/e.png", "creation_timestamp": 1705100059},
    ]}
    assert ctx.warnings == []


def test_a_single_thread_file_can_be_imported_alone():
    tree, ctx, sources = _sources(MESSAGES / "Weekend crew_2_3.json")
    assert list(sources) == ["Weekend crew_2_3"]
    assert sources["Weekend crew_2_3"].folder == "messages"
    assert len(_read(tree, sources["Weekend crew_2_3"], ctx)[1]) == 2


def test_broken_json_is_a_read_error_before_any_message():
    tree, ctx, sources = _sources(FIXTURES / "broken")
    assert list(sources) == ["Broken Chat_1"]
    info = ThreadInfo()
    messages = read_thread(tree, sources["Broken Chat_1"], info, ctx)
    with pytest.raises(ReadError) as err:
        next(messages)
    assert str(err.value).startswith("is not valid JSON (")
    assert "\n" not in str(err.value)


def test_a_file_that_is_not_an_object_is_a_read_error(tmp_path: Path):
    # Recognised by its start, broken later: the top level is a list.
    (tmp_path / "Odd_1.json").write_text('[{"threadName": "x"}]')
    (tmp_path / "Odd Two_1.json").write_text('{"threadName": "x", "messages": {"a": 1}}')
    tree, ctx, sources = _sources(tmp_path)
    assert sorted(sources) == ["Odd Two_1"]  # a list does not look like a thread file
    with pytest.raises(ReadError, match="'messages' is not a list"):
        _read(tree, sources["Odd Two_1"], ctx)


def test_msgvault_e2ee_fixture(shared_fixtures: Path):
    path = shared_fixtures / "msgvault" / "e2ee_simple"
    tree, ctx, sources = _sources(path)
    assert sorted(sources) == ["alice_1", "group_2"]
    assert all(s.dialect == "messenger_e2ee" for s in sources.values())
    assert sources["alice_1"].folder == "your_activity_across_facebook/messages"

    info, msgs = _read(tree, sources["alice_1"], ctx)
    assert info.title == "Alice Example"
    assert info.participants == ["Test User", "Alice Example"]
    assert [(m.timestamp_ms, m.sender, m.kind, m.text) for m in msgs] == [
        (1600000000000, "Test User", "text", "Hello"),
        (1600000060000, "Alice Example", "text", "café time?"),  # their mojibake, repaired
        (1600000120000, "Test User", "text", "See you soon"),
        (1600000180000, "Test User", "unsent", None),
    ]
    assert msgs[1].reactions == [Reaction("Test User", "❤")]
    assert msgs[3].extra == {"type": "Generic", "text": "oops"}

    info, msgs = _read(tree, sources["group_2"], ctx)
    assert info.title == "Weekend crew"
    assert [(m.sender, m.kind) for m in msgs] == [("Alice Example", "text"),
                                                  ("Bob Builder", "media")]
    assert msgs[1].attachments == [Attachment("photo", "./media/photo.jpg")]
    # Their synthetic type "Generic" is reported once per file.
    assert [w for w in ctx.warnings if "unknown message type" in w] == [
        f"{path / 'your_activity_across_facebook/messages' / name} message 0: has an unknown "
        'message type "Generic"; kept raw (reported once per file)'
        for name in ("alice_1.json", "group_2.json")
    ]


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                 max_size=3),
    max_leaves=8,
)
_fields = st.sampled_from(
    ["senderName", "timestamp", "text", "type", "isUnsent", "media", "reactions", "other"]
)


@given(st.dictionaries(_fields, _json) | _json)
def test_any_message_shape_is_read_or_warned_about_never_a_crash(raw: object):
    ctx = ReadContext()
    msg = messenger_e2ee.parse_message(raw, "f message 0", ctx, set())
    if msg is None:
        assert ctx.warnings
    else:
        assert msg.kind in KINDS and isinstance(msg.sender, str)
        assert isinstance(msg.timestamp_ms, int)
