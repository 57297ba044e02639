"""Instagram before December 2020: one messages.json, read as a stream."""

from __future__ import annotations

import calendar
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archiver.ingest.dialects import (
    ReadContext,
    ReadError,
    ThreadSource,
    find_threads,
    instagram_legacy,
)
from archiver.ingest.sources import DownloadTree, open_download
from archiver.records import KINDS, Attachment, Message, Reaction, ThreadInfo

FIXTURES = Path(__file__).parent / "fixtures" / "instagram_legacy"
DOWNLOAD = FIXTURES / "download"
KEYS = [
    "legacy:me_user,zoe.k", "legacy:amy,bob_b,me_user", "legacy:me_user,yan",
    "legacy:me_user,quiet",
]


def utc_ms(y: int, mo: int, d: int, h: int, mi: int, s: int, ms: int = 0) -> int:
    return calendar.timegm((y, mo, d, h, mi, s)) * 1000 + ms


def _open(path: Path) -> tuple[DownloadTree, ReadContext, ThreadSource]:
    tree = open_download([path])
    ctx = ReadContext()
    sources = find_threads(tree, ctx)
    assert len(sources) == 1
    return tree, ctx, sources[0]


def _read_all(
    tree: DownloadTree, source: ThreadSource, ctx: ReadContext
) -> list[tuple[ThreadSource, ThreadInfo, list[Message]]]:
    return [(sub, info, list(msgs))
            for sub, info, msgs in instagram_legacy.iter_conversations(tree, source, ctx)]


def _write(folder: Path, data: object | str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    text = data if isinstance(data, str) else json.dumps(data)
    (folder / "messages.json").write_text(text, encoding="utf-8")
    return folder


def test_one_source_for_the_file():
    _tree, ctx, source = _open(DOWNLOAD)
    assert (source.dialect, source.platform, source.key, source.index) == (
        "instagram_legacy", "instagram", "", None)
    assert [m.path for m in source.files] == ["messages.json"]
    assert ctx.warnings == []


def test_conversations_keys_and_participants():
    tree, ctx, source = _open(DOWNLOAD)
    convs = _read_all(tree, source, ctx)
    assert [sub.key for sub, _, _ in convs] == KEYS
    assert [sub.index for sub, _, _ in convs] == [0, 1, 2, 3]
    assert all((s.dialect, s.platform) == ("instagram_legacy", "instagram") for s, _, _ in convs)
    assert [info.participants for _, info, _ in convs] == [
        ["zoe.k", "me_user"], ["me_user", "bob_b", "amy"], ["yan", "me_user"],
        ["me_user", "quiet"],
    ]
    assert [len(msgs) for _, _, msgs in convs] == [12, 2, 1, 0]


def test_message_fields():
    tree, ctx, source = _open(DOWNLOAD)
    msgs = _read_all(tree, source, ctx)[0][2]
    assert [(m.sender, m.kind) for m in msgs] == [
        ("zoe.k", "text"), ("me_user", "text"), ("zoe.k", "media"), ("zoe.k", "media"),
        ("me_user", "media"), ("zoe.k", "media"), ("me_user", "share"), ("zoe.k", "share"),
        ("me_user", "share"), ("zoe.k", "share"), ("me_user", "call"), ("zoe.k", "text"),
    ]
    (liked, heart, photo, video, voice, gif, post, story, profile, link, call, hey) = msgs

    # "+02:00" honoured: 16:30:19.783799 there is 14:30:19.783 UTC.
    assert liked.timestamp_ms == utc_ms(2020, 7, 12, 14, 30, 19, 783)
    assert liked.text == "see you there"
    assert liked.reactions == [Reaction("me_user", "❤", utc_ms(2020, 7, 12, 14, 31, 0))]
    assert liked.extra is None
    assert hey.timestamp_ms == utc_ms(2020, 7, 11, 14, 0, 0)  # -05:00
    assert hey.text == "hey 👋 café"

    assert heart.text == "❤️" and heart.timestamp_ms == utc_ms(2020, 7, 12, 14, 29, 0, 500)

    assert photo.attachments == [Attachment(
        "photo", "https://scontent.cdninstagram.com/v/t51/123_n.jpg?_nc_ht=x", remote=True)]
    assert video.attachments == [Attachment(
        "video", "https://scontent.cdninstagram.com/v/t50/456_n.mp4?efg=1", remote=True)]
    assert voice.attachments == [Attachment("audio", "https://cdn.example.com/audio/789",
                                            remote=True)]
    assert gif.attachments == [Attachment("gif", "https://media.giphy.com/media/abc/200.gif",
                                          remote=True)]
    assert gif.extra is not None and "animated_media_images" in gif.extra  # renditions kept

    assert (post.share_link, post.share_text) == (
        "https://scontent.cdninstagram.com/p/xyz.jpg", "Sunset #beach")
    assert post.extra == {"media_owner": "natgeo"}
    assert (story.share_link, story.share_text) == (None, "Mentioned you in their story")
    assert story.extra == {"mentioned_username": "me_user"}
    assert (profile.share_link, profile.share_text) == (None, "National Geographic")
    assert profile.extra == {"profile_share_username": "natgeo"}
    assert (link.text, link.share_link) == ("https://example.org/x", "https://example.org/x")

    assert call.text == "Video chat ended" and call.call_seconds is None


def test_group_event_and_a_message_without_a_date():
    tree, ctx, source = _open(DOWNLOAD)
    _sub, _info, msgs = _read_all(tree, source, ctx)[1]
    assert [(m.sender, m.kind, m.text, m.timestamp_ms) for m in msgs] == [
        ("amy", "system", "amy named the group Pals", utc_ms(2019, 12, 31, 23, 59, 59, 999)),
        ("bob_b", "text", "hi all", utc_ms(2019, 12, 31, 23, 0, 0)),
    ]
    label = str(DOWNLOAD / "messages.json")
    assert len(ctx.warnings) == 1
    assert ctx.warnings[0].startswith(
        f"{label} conversation 1 message 2: has no usable 'created_at'; skipped: ")


def test_participants_after_the_conversation():
    tree, ctx, source = _open(DOWNLOAD)
    sub, info, msgs = _read_all(tree, source, ctx)[2]
    assert sub.key == "legacy:me_user,yan"
    assert info.participants == ["yan", "me_user"]
    assert [(m.sender, m.text) for m in msgs] == [("yan", "late participants")]


def test_conversations_left_unread_are_skipped(tmp_path: Path):
    tree, ctx, source = _open(DOWNLOAD)
    seen = []
    for sub, _info, msgs in instagram_legacy.iter_conversations(tree, source, ctx):
        if sub.index == 0:
            seen.append(next(msgs).text)  # read one message, drop the rest
        seen.append(sub.key)
    assert seen == ["see you there", *KEYS]


def test_read_thread_of_one_conversation():
    tree, ctx, source = _open(DOWNLOAD)
    sub = ThreadSource(dialect="instagram_legacy", platform="instagram", key=KEYS[1],
                       files=source.files, index=1)
    info = ThreadInfo()
    msgs = list(instagram_legacy.read_thread(tree, sub, info, ctx))
    assert [m.text for m in msgs] == ["amy named the group Pals", "hi all"]
    assert info.participants == ["me_user", "bob_b", "amy"]
    with pytest.raises(ReadError, match="iter_conversations"):
        list(instagram_legacy.read_thread(tree, source, ThreadInfo(), ctx))


def test_late_participants_and_other_keys_when_the_list_comes_first(tmp_path: Path):
    folder = _write(tmp_path / "d", [
        {"conversation": [
            {"sender": "b", "created_at": "2020-01-01T00:00:01+00:00", "text": "2"},
            {"sender": "a", "created_at": "2020-01-01T00:00:00+00:00", "text": "1"}],
         "participants": ["b", "a"], "thread_type": "private"},
        {"participants": ["c", "a"], "conversation": [
            {"sender": "c", "created_at": "2020-01-02T00:00:00+00:00", "text": "3"}]},
        {"conversation": [
            {"sender": "d", "created_at": "2020-01-03T00:00:00+00:00", "text": "4"}]},
    ])
    tree, ctx, source = _open(folder)
    convs = _read_all(tree, source, ctx)
    assert [sub.key for sub, _, _ in convs] == ["legacy:a,b", "legacy:a,c",
                                                "legacy:conversation-2"]
    assert convs[0][1].extra == {"thread_type": "private"}
    assert [[m.text for m in msgs] for _, _, msgs in convs] == [["2", "1"], ["3"], ["4"]]
    assert ctx.warnings == [
        (f"{folder / 'messages.json'} conversation 2: has no participants; "
         "keyed by its position in the file")
    ]


def test_a_time_without_offset_is_utc_with_one_warning(tmp_path: Path):
    folder = _write(tmp_path / "d", [{"participants": ["a", "b"], "conversation": [
        {"sender": "a", "created_at": "2020-07-12T14:30:19.783799", "text": "x"},
        {"sender": "b", "created_at": "2020-07-12T14:30:00", "text": "y"}]}])
    tree, ctx, source = _open(folder)
    msgs = _read_all(tree, source, ctx)[0][2]
    assert [m.timestamp_ms for m in msgs] == [utc_ms(2020, 7, 12, 14, 30, 19, 783),
                                              utc_ms(2020, 7, 12, 14, 30, 0)]
    assert ctx.warnings == [
        (f"{folder / 'messages.json'} conversation 0 message 0: time '2020-07-12T14:30:19.783799'"
         " has no time zone; read as UTC (reported once per file)")
    ]


def test_not_an_instagram_file():
    tree, ctx, source = _open(FIXTURES / "not_conversations")
    with pytest.raises(ReadError, match=r"^is not an Instagram messages.json \(its top level"):
        _read_all(tree, source, ctx)


@pytest.mark.parametrize("data, reason", [
    ([{"foo": 1}], "its first item has neither 'participants' nor 'conversation'"),
    (["x"], "its first item is not an object"),
])
def test_a_list_of_something_else(tmp_path: Path, data: object, reason: str):
    tree, ctx, source = _open(_write(tmp_path / "d", data))
    with pytest.raises(ReadError) as err:
        _read_all(tree, source, ctx)
    assert str(err.value) == f"is not an Instagram messages.json ({reason})"


def test_broken_json_in_the_middle(tmp_path: Path):
    text = (DOWNLOAD / "messages.json").read_text(encoding="utf-8")
    cut = text[: text.index('"hi all"') + 3]
    tree, ctx, source = _open(_write(tmp_path / "d", cut))
    got = []
    with pytest.raises(ReadError, match=r"^is not valid JSON \(") as err:
        for sub, _info, msgs in instagram_legacy.iter_conversations(tree, source, ctx):
            got.append(sub.key)
            try:
                got.append(len(list(msgs)))
            except ReadError:
                got.append("error")  # raised once, from the conversation that broke
                raise
    assert "\n" not in str(err.value)
    assert got == [KEYS[0], 12, KEYS[1], "error"]


def test_found_at_any_depth_and_empty_files_are_skipped(tmp_path: Path):
    _write(tmp_path / "instagram-me_user-2019", [{"participants": ["a"], "conversation": []}])
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "messages.json").write_bytes(b"")
    tree = open_download([tmp_path])
    ctx = ReadContext()
    sources = list(instagram_legacy.find_threads(tree, ctx))
    assert [s.files[0].path for s in sources] == ["instagram-me_user-2019/messages.json"]
    assert sources[0].folder == "instagram-me_user-2019"
    assert ctx.warnings == [f"{tmp_path / 'old' / 'messages.json'}: is empty (0 bytes); skipped"]


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8)
    | st.just("2020-07-12T14:30:19+00:00") | st.just("https://x.example/a.jpg"),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                 max_size=3),
    max_leaves=8,
)
_fields = st.sampled_from(sorted(instagram_legacy.MAPPED_KEYS) + ["other"])


@given(st.dictionaries(_fields, _json) | _json)
def test_any_item_shape_is_read_or_warned_about_never_a_crash(raw: object):
    ctx = ReadContext()
    msg = instagram_legacy.parse_message(raw, "f conversation 0 message 0", ctx)
    if msg is None:
        assert ctx.warnings
    else:
        assert msg.kind in KINDS and isinstance(msg.sender, str)
        assert isinstance(msg.timestamp_ms, int)
