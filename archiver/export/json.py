"""JSON: a conversation for programs, streamed.

The document holds everything ``show --json`` has, and where it came from::

    {"format": "chatkeep-export", "version": 1,
     "thread": {...as in show --json...},
     "time_zone": "Europe/Lisbon",
     "selection": {"after": null, "before": null, "messages": N, "first": TIME, "last": TIME},
     "downloads": [{"name", "platform", "dialect", "owner", "first_imported", "last_imported"}],
     "messages": [{...as in show --json..., "downloads": [NAME, ...],
                   "attachments": [{..., "uri", "remote", "export_file"}]}]}

``downloads`` of a message names every download that held it (a cross-app
message, kept once, names the Facebook and the Instagram download). An
attachment's ``uri`` is where the download had it, ``path`` and ``file`` its
copy in the archive (as in ``show --json``), ``export_file`` its copy beside
the export (relative to the JSON file's folder, null when there is none). Messages are written one at a time as they
are read, so a million of them take the memory of one page.
"""

from __future__ import annotations

import json
from datetime import tzinfo
from pathlib import Path
from typing import Any

from ..controls import json_safe
from ..read.messages import MessageView
from ..read.provenance import conversation_downloads, message_downloads
from ..store.database import Database
from ..timefmt import iso, tz_name
from .common import (
    EXPORT_PAGE,
    DateRange,
    ExportResult,
    MediaCopier,
    atomic_text,
    attachment_name,
    media_dir_for,
    one_snapshot,
    select,
)

FORMAT_NAME = "chatkeep-export"
FORMAT_VERSION = 1


# One encoder for every message: json.dumps builds a new one per call when
# given any option.
_encode = json.JSONEncoder(ensure_ascii=False).encode


def _dumps(value: Any) -> str:
    # C1 and bidi controls as \u escapes: the same data, safe to `cat`.
    return json_safe(_encode(value))


def message_json(msg: MessageView, downloads: list[str], media: MediaCopier) -> dict[str, Any]:
    """One message: ``show --json``'s fields, its downloads, and its files."""
    data = msg.as_json()
    data["downloads"] = downloads
    attachments = []
    for att, shown in zip(msg.attachments, data["attachments"], strict=True):
        copied = None
        if att.path and not att.missing and not att.remote:
            copied = media.copy(att.path, attachment_name(att))
        if copied is None and not att.remote and not media.skipping:
            media.result.media_missing += 1
        shown["uri"] = att.uri
        shown["remote"] = att.remote
        shown["export_file"] = f"{media.media_dir.name}/{copied}" if copied else None
        attachments.append(shown)
    data["attachments"] = attachments
    return data


@one_snapshot
def export_json(
    db: Database,
    archive_dir: Path,
    conversation_id: int,
    out_path: Path,
    *,
    tz: tzinfo,
    span: DateRange | None = None,
) -> ExportResult:
    """Write one conversation (its messages inside ``span``) as one JSON document."""
    out_path = Path(out_path)
    chosen = select(db, conversation_id, tz, span)
    result = ExportResult(path=out_path, media_dir=media_dir_for(out_path))
    media = MediaCopier(Path(archive_dir), result.media_dir, result)
    shown = chosen.conv
    selection = {
        "after": chosen.range.after_text, "before": chosen.range.before_text,
        "messages": shown.messages, "first": iso(shown.first_ms),
        "last": iso(shown.last_ms),
    }
    with atomic_text(out_path) as out:
        out.write(
            f'{{"format": "{FORMAT_NAME}", "version": {FORMAT_VERSION},\n'
            f' "thread": {_dumps(chosen.full.as_json())},\n'
            f' "time_zone": {_dumps(tz_name(tz))},\n'
            f' "selection": {_dumps(selection)},\n'
            f' "downloads": {_dumps(conversation_downloads(db, conversation_id))},\n'
            ' "messages": ['
        )
        page: list[MessageView] = []
        for msg in chosen.messages(db):
            page.append(msg)
            if len(page) == EXPORT_PAGE:
                _write_page(db, conversation_id, page, media, out, result)
                page = []
        _write_page(db, conversation_id, page, media, out, result)
        out.write("\n]}\n")
    return result


def _write_page(
    db: Database, cid: int, page: list[MessageView], media: MediaCopier,
    out: Any, result: ExportResult,
) -> None:
    if not page:
        return
    downloads = message_downloads(db, cid, [m.id for m in page])
    for msg in page:
        out.write(("," if result.messages else "") + "\n  "
                  + _dumps(message_json(msg, downloads.get(msg.id, []), media)))
        result.messages += 1
