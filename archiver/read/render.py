"""Plain-text rendering of one message, shared by ``show`` and the reader."""

from __future__ import annotations

from datetime import datetime

from .attachments import Attachment
from .messages import MessageView, event_actor


def spoken_length(seconds: float) -> str:
    """A length of time as words, never as a clock (``12:34`` beside a message
    time of 16:20 reads as a time of day): ``45 s``, ``12 min 34 s``,
    ``1 h 2 min 3 s``; zero parts are left out (``3 min``, ``2 h``)."""
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{n} {unit}" for n, unit in ((hours, "h"), (minutes, "min"), (secs, "s")) if n]
    return " ".join(parts) or "0 s"


def describe_call(msg: MessageView) -> str:
    if msg.call_missed or not msg.call_seconds:
        return "Missed call"
    return f"Call, {spoken_length(msg.call_seconds)}"


def attachment_text(a: Attachment) -> str:
    """An attachment's original name and where its file is, or why there is none."""
    if a.file:
        return f"{a.label}  {a.file}"
    if a.remote:
        return f"{a.label} (missing: a remote link, {a.uri})"
    return f"{a.label} (missing: {a.reason})"


def human_size(size: int | None) -> str:
    """A file size as people read it (``2.3 MB``)."""
    if size is None:
        return ""
    if size < 1000:
        return f"{size} bytes"
    value = size / 1000
    for unit in ("KB", "MB"):
        if value < 1000:
            return f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} GB"


def display_sender(msg: MessageView) -> str:
    """The sender's name, with "(you)" for the owner of the download the
    message came from."""
    return f"{msg.sender} (you)" if msg.mine else msg.sender


def body_lines(msg: MessageView) -> list[str]:
    """What a message says, as lines of plain text (no sender, no time)."""
    lines: list[str] = []
    if msg.unsent:
        lines.append("(unsent a message)")
    elif msg.kind == "call":
        lines.append(describe_call(msg))
        if msg.text:
            lines.append(msg.text)
    elif msg.body_text:
        lines.extend(msg.body_text.splitlines() or [""])
    if msg.edited:
        lines.append("(edited)")
    if msg.share_link or msg.share_text:
        share = " ".join(p for p in (msg.share_caption, msg.share_link) if p)
        lines.append(f"↗ {share}")
    for a in msg.attachments:
        lines.append(f"[{a.kind}] {attachment_text(a)}")
    if msg.reactions:
        lines.append("  " + "  ".join(f"{r} {actor}" for actor, r in msg.reactions))
    return lines


def message_lines(msg: MessageView, when: datetime) -> list[str]:
    head = f"{when.strftime('%H:%M')}  {display_sender(msg)}"
    if msg.kind == "system":
        actor = event_actor(msg)
        who = f"{actor}: " if actor else ""
        return [f"{when.strftime('%H:%M')}  · {who}{' '.join(body_lines(msg))}"]
    return [head] + [f"       {line}" for line in body_lines(msg)]
