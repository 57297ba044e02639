"""Markdown export: the layout (a golden file), determinism, media, file names, CLI."""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import unquote

import pytest

from archiver.export import (
    export_all,
    export_markdown,
    render_header,
    slugify,
)
from archiver.read.conversations import Conversation, Part, list_conversations
from archiver.store.opening import open_archive
from tests.support.cli import run
from tests.support.downloads import write_thread
from tests.support.exports import (
    ANA,
    FOLDER,
    JORDAN,
    LISBON,
    PHOTO,
    every_kind_files,
    every_kind_messages,
    import_thread,
    ms,
    only_conversation,
)
from tests.support.paths import FIXTURES

GOLDEN = FIXTURES / "export" / "golden.md"
@pytest.fixture
def every_kind(tmp_path: Path) -> Path:
    """An archive with one conversation of every message kind."""
    return import_thread(tmp_path, every_kind_messages(), title=ANA, folder=FOLDER,
                         files=every_kind_files())


def export_once(archive: Path, out: Path) -> bytes:
    db = open_archive(archive, readonly=True)
    export_markdown(db, archive, only_conversation(archive), out, tz=LISBON)
    return out.read_bytes()


def test_export_matches_golden_file(every_kind: Path, tmp_path: Path) -> None:
    got = export_once(every_kind, tmp_path / "out" / "ana.md")
    if os.environ.get("CHATKEEP_UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_bytes(got)
    assert got.decode("utf-8") == GOLDEN.read_text(encoding="utf-8")


def test_export_is_deterministic(every_kind: Path, tmp_path: Path) -> None:
    first = export_once(every_kind, tmp_path / "one" / "ana.md")
    second = export_once(every_kind, tmp_path / "one" / "ana.md")  # over the first
    third = export_once(every_kind, tmp_path / "two" / "ana.md")
    assert first == second == third


def test_media_is_copied_beside_the_file_and_links_resolve(every_kind: Path, tmp_path: Path) -> None:
    out = tmp_path / "out" / "Ana export.md"
    db = open_archive(every_kind, readonly=True)
    result = export_markdown(db, every_kind, only_conversation(every_kind), out, tz=LISBON)
    text = out.read_text(encoding="utf-8")
    media_dir = tmp_path / "out" / "Ana export_media"
    assert result.media_dir == media_dir
    # Photo (twice, same content), sticker and video: three distinct files.
    copied = sorted(p.name for p in media_dir.iterdir())
    assert len(copied) == 3 and result.media_copied == 3
    assert copied == ["10001.png", "clip one.mp4", "sticker_1.png"]  # as the download named them
    assert result.media_missing == 1
    targets = re.findall(r"\]\(([^)]+)\)", text)
    local_targets = [t for t in targets if not t.startswith("https://")]
    assert len(local_targets) == 4  # photo, sticker, video, the photo again
    for target in set(local_targets):
        assert target.startswith("Ana%20export_media/")
        assert (out.parent / unquote(target)).is_file()
    photo_links = re.findall(r"!\[photo\]\(([^)]+)\)", text)
    assert len(photo_links) == 2 and photo_links[0] == photo_links[1]
    assert (out.parent / unquote(photo_links[0])).read_bytes() == PHOTO
    assert "*(photo missing: gone.jpg)*" in text
    assert "[photo: remote_photo.jpg](https://scontent.example.com/v/remote_photo.jpg)" in text


def test_exported_media_keep_their_names_made_unique_where_two_collide(tmp_path: Path) -> None:
    # Two different photos both called IMG_2041.jpg (two folders of the
    # download), and the same photo sent twice: three messages, two files.
    messages = [
        {"sender_name": ANA, "timestamp_ms": ms("2020-01-01T10:00"),
         "photos": [{"uri": f"messages/inbox/{FOLDER}/a/IMG_2041.jpg"}]},
        {"sender_name": ANA, "timestamp_ms": ms("2020-01-01T10:01"),
         "photos": [{"uri": f"messages/inbox/{FOLDER}/b/IMG_2041.jpg"}]},
        {"sender_name": ANA, "timestamp_ms": ms("2020-01-01T10:02"),
         "photos": [{"uri": f"messages/inbox/{FOLDER}/c/img_2041.JPG"}]},
    ]
    files = {"a/IMG_2041.jpg": PHOTO, "b/IMG_2041.jpg": PHOTO + b"other", "c/img_2041.JPG": PHOTO}
    archive = import_thread(tmp_path, messages, title=ANA, folder=FOLDER, files=files)
    for fmt, name in (("md", "ana.md"), ("html", "ana.html"), ("json", "ana.json")):
        out = tmp_path / fmt / name
        code, _out, err = run(archive, "export", "ana", "--format", fmt, "-o", str(out))
        assert code == 0, err
        media = out.with_name("ana_media")
        assert sorted(p.name for p in media.iterdir()) == ["IMG_2041-2.jpg", "IMG_2041.jpg"]
        assert (media / "IMG_2041.jpg").read_bytes() == PHOTO
        assert (media / "IMG_2041-2.jpg").read_bytes() == PHOTO + b"other"
        text = out.read_text(encoding="utf-8")
        assert text.count("ana_media/IMG_2041.jpg") >= 2 and "ana_media/IMG_2041-2.jpg" in text


def test_media_already_exported_is_not_copied_again(every_kind: Path, tmp_path: Path) -> None:
    db = open_archive(every_kind, readonly=True)
    cid = only_conversation(every_kind)
    out = tmp_path / "ana.md"
    assert export_markdown(db, every_kind, cid, out, tz=LISBON).media_copied == 3
    assert export_markdown(db, every_kind, cid, out, tz=LISBON).media_copied == 0


def test_no_media_folder_without_media(tmp_path: Path) -> None:
    archive = import_thread(
        tmp_path, [{"sender_name": ANA, "timestamp_ms": ms("2020-02-02T10:00"), "content": "hi"}],
        title=ANA, folder=FOLDER,
    )
    out = tmp_path / "out" / "x.md"
    export_once(archive, out)
    assert sorted(p.name for p in out.parent.iterdir()) == ["x.md"]


def test_header_marks_cross_app_and_frozen_conversations() -> None:
    conv = Conversation(
        id=7, title="Zoë # 1", platforms=["facebook", "instagram"], participants=["Zoë", "Jordan Lee"],
        messages=25_500, first_ms=ms("2016-01-01T12:00"), last_ms=ms("2023-11-30T12:00"),
        cross_app=True, frozen=True,
        parts=[Part("instagram", "instagram-jordanlee-2025", "inbox", "Zoë", 10),
               Part("facebook", "facebook-jordanlee-2025", "inbox", "Zoë", 25_490)],
    )
    assert render_header(conv, LISBON) == (
        "# Zoë \\# 1\n"
        "\n"
        "- Platforms: Facebook Messenger, Instagram\n"
        "- Participants: Zoë, Jordan Lee\n"
        "- Messages: 25,500 · 2016-01-01 → 2023-11-30 (times in Europe/Lisbon)\n"
        "- Downloads: facebook-jordanlee-2025, instagram-jordanlee-2025\n"
        "- Cross-app conversation (Facebook ↔ Instagram), read-only since December 2023\n"
    )
    conv.frozen = False
    conv.platforms = ["messenger", "instagram"]
    header = render_header(conv, LISBON)
    assert "- Platforms: Messenger (encrypted chats), Instagram\n" in header
    assert header.endswith("- Cross-app conversation (Messenger ↔ Instagram)\n")


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Ana María González", "Ana-María-González"),
        ("AC/DC fans", "AC-DC-fans"),
        ("..\\..\\etc\\passwd", "etc-passwd"),
        ("🎉 Party 🎉", "Party"),
        ("🎉🎉", ""),
        ("CON", "CON"),
        ("tab\tand\nnewline\x00", "tab-and-newline"),
        ("Łódź — 東京", "Łódź-東京"),
    ],
)
def test_slugify(title: str, slug: str) -> None:
    assert slugify(title) == slug


def test_slugify_limits_length_at_a_character_boundary() -> None:
    slug = slugify("é" * 200)
    assert len(slug.encode("utf-8")) <= 80 and slug == "é" * 40


def test_export_all_names_files_safely_and_stably(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    titles = {"acdc_1": "AC/DC fans", "party_2": "🎉🎉", "book_3": "Book club", "book_4": "Book club"}
    for i, (folder, title) in enumerate(titles.items()):
        import_thread(
            tmp_path,
            [{"sender_name": f"Person {i}", "timestamp_ms": ms(f"2020-02-0{i + 1}T10:00"),
              "content": f"message {i} in {folder}"}],
            title=title, folder=folder, participants=(f"Person {i}", JORDAN), archive=archive,
        )
    db = open_archive(archive, readonly=True)
    ids = {c.title: [] for c in list_conversations(db)}
    for c in sorted(list_conversations(db), key=lambda c: c.id):
        ids[c.title].append(c.id)
    ticks: list[int] = []
    paths = export_all(db, archive, tmp_path / "all", tz=LISBON, progress=lambda: ticks.append(1))
    assert len(ticks) == 4
    [acdc], [party], books = ids["AC/DC fans"], ids["🎉🎉"], ids["Book club"]
    assert [p.name for p in paths] == sorted(
        [f"AC-DC-fans-{acdc}.md", f"conversation-{party}.md",
         f"Book-club-{books[0]}.md", f"Book-club-{books[1]}.md"],
        key=lambda name: int(name[:-3].rsplit("-", 1)[1]),
    )
    assert sorted(p.name for p in (tmp_path / "all").iterdir()) == sorted(p.name for p in paths)
    assert (tmp_path / "all" / f"AC-DC-fans-{acdc}.md").read_text().startswith("# AC/DC fans\n")
    again = export_all(db, archive, tmp_path / "again", tz=LISBON)
    assert [p.name for p in again] == [p.name for p in paths]
    for a, b in zip(paths, again, strict=True):
        assert a.read_bytes() == b.read_bytes()


# --------------------------------------------------------------------------- CLI


def test_cli_exports_one_conversation_to_the_current_folder(
    every_kind: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    code, out, err = run(every_kind, "export", "Ana", "--tz", "Europe/Lisbon")
    assert code == 0, err
    cid = only_conversation(every_kind)
    written = work / f"Ana-María-González-{cid}.md"
    assert f"Wrote {written} (13 messages, 3 media files copied, 1 attachment not in the archive)" in out
    assert written.read_bytes() == GOLDEN.read_bytes().replace(b"ana_media/", (
        f"Ana-María-González-{cid}_media/".encode()))
    assert (work / f"Ana-María-González-{cid}_media").is_dir()


def test_cli_counts_one_message_and_one_file_in_the_singular(tmp_path: Path) -> None:

    folder = tmp_path / "d" / "your_facebook_activity" / "messages" / "inbox" / "solo_1"
    write_thread(folder, [{"sender_name": "Ana", "timestamp_ms": 1_600_000_000_000,
                           "photos": [{"uri": "your_facebook_activity/messages/inbox/solo_1/"
                                              "photos/a.jpg"}]}], title="Solo")
    (folder / "photos").mkdir()
    (folder / "photos" / "a.jpg").write_bytes(b"\xff\xd8\xff\xe0 not much of a photo")
    archive = tmp_path / "archive"
    assert run(archive, "import", str(tmp_path / "d"))[0] == 0
    target = tmp_path / "out" / "solo.md"
    code, out, err = run(archive, "export", "Solo", "--output", str(target))
    assert code == 0, err
    assert f"Wrote {target} (1 message, 1 media file copied)" in out


def test_cli_output_file_and_folder(every_kind: Path, tmp_path: Path) -> None:
    target = tmp_path / "out" / "chat.md"
    code, out, err = run(every_kind, "export", "Ana", "-o", str(target), "--tz", "Europe/Lisbon")
    assert code == 0, err
    assert out.startswith(f"Wrote {target} (13 messages")
    assert target.read_bytes() == GOLDEN.read_bytes().replace(b"ana_media/", b"chat_media/")
    assert (tmp_path / "out" / "chat_media").is_dir()
    code, _out, err = run(every_kind, "export", "Ana", "-o", str(tmp_path / "out"))
    assert code == 0, err
    assert any(p.name.startswith("Ana-María-González-") for p in (tmp_path / "out").iterdir())


def test_cli_export_all(every_kind: Path, tmp_path: Path) -> None:
    code, out, err = run(every_kind, "export", "--all", "-o", str(tmp_path / "all"))
    assert code == 0, err
    assert out.strip() == f"Wrote 1 conversation to {tmp_path / 'all'}"
    names = sorted(p.name for p in (tmp_path / "all").iterdir())
    cid = only_conversation(every_kind)
    assert names == [f"Ana-María-González-{cid}.md", f"Ana-María-González-{cid}_media"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["export"], "name the conversation to export"),
        (["export", "--all"], "--all needs a folder"),
        (["export", "Ana", "--all", "-o", "x"], "either THREAD or --all"),
        (["export", "nobody"], "no conversation matches 'nobody'"),
        (["export", "Ana", "--tz", "Mars/Olympus"], "unknown time zone"),
    ],
)
def test_cli_usage_errors(every_kind: Path, args: list[str], message: str) -> None:
    code, _out, err = run(every_kind, *args)
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_cli_export_without_archive(tmp_path: Path) -> None:
    code, _out, err = run(tmp_path / "none", "export", "x")
    assert code == 2 and "No archive" in err
