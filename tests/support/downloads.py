"""The one writer of fake downloads: files written the way Meta writes them.

Meta's JSON downloads ("Download your information") store every string
mojibake: each UTF-8 byte of the text is its own ``\\u00XX`` escape. A
conversation is one folder of part files, ``message_1.json`` the newest,
each holding the participants, a slice of the messages (newest first), the
title and the thread's path.

Every fake download goes through here: the tests' small threads
(:func:`write_thread`), the seeded downloads of any size
(``tests.support.generate``, which encodes its million messages itself and
hands them to :func:`part_text`) and the demo downloads
(``sample_exports/make_samples.py``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

_MESSAGES = "\x00messages\x00"  # stands for the messages while the envelope is encoded


def mojibake(value: Any) -> Any:
    """``value`` (a string, or any JSON value) with every string as Meta
    stores it: each UTF-8 byte its own character. The inverse of the import's
    text repair."""
    if isinstance(value, str):
        return value.encode("utf-8").decode("latin-1")
    if isinstance(value, list):
        return [mojibake(v) for v in value]
    if isinstance(value, dict):
        return {k: mojibake(v) for k, v in value.items()}
    return value


def meta_json(value: Any, *, indent: int | None = None) -> str:
    """The JSON text of ``value`` as Meta writes it (ASCII, strings mojibake)."""
    return json.dumps(mojibake(value), indent=indent)


def meta_json_string(text: str) -> str:
    """One JSON string literal (with its quotes) exactly as Meta writes ``text``."""
    return json.dumps(mojibake(text))


def write_meta_json(path: Path, value: Any, *, indent: int | None = None) -> Path:
    """Write ``value`` to ``path`` as Meta writes its JSON files (profile
    files, Instagram's ``messages.json``); creates the folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(meta_json(value, indent=indent), encoding="ascii")
    return path


def thread_envelope(participants: Sequence[str], *, title: str, thread_path: str,
                    still_participant: bool = True, extra: dict | None = None) -> dict:
    """A part file's fields around its messages, in Meta's order (``messages``
    is filled by :func:`part_text`)."""
    return {
        "participants": [{"name": p} for p in participants],
        "messages": [],
        "title": title,
        "is_still_participant": still_participant,
        "thread_path": thread_path,
        **(extra or {}),
    }


def part_text(envelope: dict, messages: Sequence[dict] = (), *,
              encoded: Sequence[str] | None = None, indent: int | None = None) -> str:
    """The text of one part file: ``envelope`` holding ``messages`` (newest
    first). ``encoded``: messages already written as Meta's JSON, one string
    each, in place of ``messages`` (how a generator writes a million quickly;
    with ``indent=2`` they should be indented by four spaces)."""
    if encoded is None:
        return meta_json({**envelope, "messages": list(messages)}, indent=indent)
    text = meta_json({**envelope, "messages": _MESSAGES}, indent=indent)
    marker = json.dumps(_MESSAGES)
    if indent is None:
        body = "[" + ", ".join(encoded) + "]"
    else:
        pad = " " * indent
        body = "[\n" + ",\n".join(encoded) + "\n" + pad + "]" if encoded else "[]"
    return text.replace(marker, body, 1)


def write_part(folder: Path, envelope: dict, messages: Sequence[dict] = (), *, part: int = 1,
               encoded: Sequence[str] | None = None, indent: int | None = None) -> Path:
    """Write part file ``message_<part>.json`` of a conversation into ``folder``
    (see :func:`part_text`); creates the folder. Returns the file's path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"message_{part}.json"
    with open(path, "w", encoding="ascii", newline="\n") as fh:
        fh.write(part_text(envelope, messages, encoded=encoded, indent=indent))
    return path


def write_thread(folder: Path, messages: list[dict], *, title: str = "Thread",
                 participants: Sequence[str] = ("Ana", "Jordan Lee"), part: int = 1,
                 thread_path: str | None = None, indent: int | None = None,
                 extra: dict | None = None) -> Path:
    """Write one part file of a conversation (``messages`` newest first, as
    Meta orders them) into ``folder``, every string mojibake. The thread's
    path defaults to ``inbox/<folder name>``. Returns the file's path."""
    envelope = thread_envelope(participants, title=title,
                               thread_path=thread_path or f"inbox/{folder.name}", extra=extra)
    return write_part(folder, envelope, messages, part=part, indent=indent)
