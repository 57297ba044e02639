"""``chatkeep audit``: am I missing messages?

Works only from what the archive recorded when each download was imported
(``thread_files``: the message entries each file held; ``import_problems``:
messages skipped and files rejected), so the downloads need not be at hand.
It reports:

- per download and per thread, the messages its files held against the
  messages the archive holds from it (held = kept + skipped; a shortfall
  means messages were lost after the import);
- every skipped message with its reason, and every rejected file;
- downloads whose import was interrupted, with what it had not read yet;
- media missing: attachments the download itself did not hold, and copies
  missing from ``media/``;
- Facebook threads moved to end-to-end encryption (``e2ee_cutover``) whose
  encrypted-chat continuation was never imported;
- long silences inside a busy conversation, which suggest a missing part
  file or download: at least :data:`SILENCE_DAYS` calendar days without a
  message (counted as ``stats`` counts its longest silence, in the chosen
  zone: :func:`archiver.timefmt.silence_days`), with at least
  :data:`BUSY_MESSAGES` messages in the :data:`BUSY_DAYS` days on each side.

Nothing is written; the archive is opened read-only.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import UTC, tzinfo
from pathlib import Path
from typing import Any

from ..store.media import locate_media
from ..store.opening import open_archive
from ..timefmt import iso, silence_days

DAY_MS = 86_400_000
SILENCE_DAYS = 60
BUSY_DAYS = 30
BUSY_MESSAGES = 10


@dataclass
class AuditReport:
    archive: str
    downloads: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    media_not_in_download: list[dict[str, Any]] = field(default_factory=list)
    media_missing_from_archive: list[dict[str, Any]] = field(default_factory=list)
    cutover_without_continuation: list[dict[str, Any]] = field(default_factory=list)
    silences: list[dict[str, Any]] = field(default_factory=list)

    @property
    def lost(self) -> int:
        """Messages the files held (and were not skipped) that the archive lacks."""
        return sum(d["missing"] or 0 for d in self.downloads)

    @property
    def unfinished(self) -> list[dict[str, Any]]:
        """Downloads whose last import was cut short before it read everything."""
        return [d for d in self.downloads if d["not_read"]]

    def findings(self) -> int:
        """How many things deserve a look."""
        return (
            self.lost + len(self.skipped) + len(self.rejected)
            + sum(len(d["not_read"]) for d in self.downloads)
            + sum(m["attachments"] for m in self.media_not_in_download)
            + len(self.media_missing_from_archive) + len(self.cutover_without_continuation)
            + len(self.silences)
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "archive": self.archive,
            "downloads": self.downloads,
            "skipped": self.skipped,
            "rejected": self.rejected,
            "media_missing": {
                "not_in_download": self.media_not_in_download,
                "missing_from_archive": self.media_missing_from_archive,
            },
            "cutover_without_continuation": self.cutover_without_continuation,
            "silences": self.silences,
        }


def audit_archive(archive_dir: Path, tz: tzinfo = UTC) -> AuditReport:
    """Audit the archive in ``archive_dir`` (see the module docstring); days
    of silence are counted in ``tz``."""
    archive_dir = Path(archive_dir)
    db = open_archive(archive_dir, readonly=True)
    conn = db.conn
    try:
        report = AuditReport(str(archive_dir))
        _downloads(conn, report)
        _media(conn, archive_dir, report)
        _cutovers(conn, report)
        _silences(conn, report, tz)
        return report
    finally:
        conn.close()


def _downloads(conn: Any, report: AuditReport) -> None:
    titles = {cid: title for cid, title in conn.execute("SELECT id, title FROM conversations")}
    in_archive: dict[tuple[int, int], int] = {
        (t, d): n for t, d, n in conn.execute(
            "SELECT m.thread_id, md.download_id, COUNT(*) FROM message_downloads md "
            "JOIN messages m ON m.id = md.message_id GROUP BY 1, 2"
        )
    }
    held: dict[tuple[int, int], int] = {
        (t, d): n for t, d, n in conn.execute(
            "SELECT thread_id, download_id, SUM(messages) FROM thread_files GROUP BY 1, 2"
        )
    }
    skipped: dict[tuple[int, int], int] = {}
    refs: dict[int, str] = {}
    for tid, platform, key, cid in conn.execute(
        "SELECT id, platform, key, conversation_id FROM threads"
    ):
        refs[tid] = f"{platform}:{key}"
    names = {d: name for d, name in conn.execute("SELECT id, name FROM downloads")}
    unread: dict[int, list[str]] = {}
    for did, tid, kind, path, problem in conn.execute(
        "SELECT download_id, thread_id, kind, path, problem FROM import_problems ORDER BY id"
    ):
        if kind == "skipped":
            skipped[(tid, did)] = skipped.get((tid, did), 0) + 1
            report.skipped.append({
                "download": names.get(did), "thread": refs.get(tid), "where": path,
                "reason": problem,
            })
        elif kind == "unread":  # an import that was cut short before reading it
            unread.setdefault(did, []).append(path)
        else:
            report.rejected.append({"download": names.get(did), "path": path, "problem": problem})
    parts: dict[int, list[dict[str, Any]]] = {}
    for tid, did, section, title, cid in conn.execute(
        "SELECT tp.thread_id, tp.download_id, tp.section, tp.title, t.conversation_id "
        "FROM thread_parts tp JOIN threads t ON t.id = tp.thread_id "
        "ORDER BY tp.download_id, t.conversation_id, t.platform, t.key"
    ):
        key = (tid, did)
        files_held = held.get(key)
        n_skipped = skipped.get(key, 0)
        have = in_archive.get(key, 0)
        parts.setdefault(did, []).append({
            "thread": refs.get(tid), "conversation": cid,
            "conversation_title": titles.get(cid) or title, "section": section,
            "held": files_held, "skipped": n_skipped, "in_archive": have,
            "missing": None if files_held is None else max(files_held - n_skipped - have, 0),
        })
    only_html = _only_in_html(conn)
    for did, name, platform, source, imported, offset, basis in conn.execute(
        "SELECT id, name, platform, source, last_imported, time_offset, time_basis "
        "FROM downloads ORDER BY id"
    ):
        threads = parts.get(did, [])
        recorded = bool(threads) and all(t["held"] is not None for t in threads)
        report.downloads.append({
            "name": name, "platform": platform, "source": source, "imported": imported,
            "format": "html" if offset is not None else "json",
            # HTML: the offset its page times were read in, and why.
            "time_offset": offset, "time_basis": basis,
            # HTML: messages no JSON download of the same threads holds.
            "only_in_html": only_html.get(did, 0) if offset is not None else None,
            "recorded": recorded,
            "held": sum(t["held"] or 0 for t in threads) if recorded else None,
            "skipped": sum(t["skipped"] for t in threads),
            "rejected": sum(1 for r in report.rejected if r["download"] == name),
            "in_archive": sum(t["in_archive"] for t in threads),
            "missing": sum(t["missing"] or 0 for t in threads) if recorded else None,
            # Its last import was interrupted: the threads' files (or folders)
            # it had not read yet; the same command finishes it.
            "not_read": unread.get(did, []),
            "threads": threads,
        })


def _only_in_html(conn: Any) -> dict[int, int]:
    """Per HTML download, its messages in threads that a JSON download also
    holds which no JSON download holds (an HTML download's own threads count
    only when a JSON download of them was imported too)."""
    return {did: n for did, n in conn.execute(
        "SELECT md.download_id, COUNT(*) FROM message_downloads md "
        "JOIN downloads d ON d.id = md.download_id AND d.time_offset IS NOT NULL "
        "JOIN messages m ON m.id = md.message_id "
        "WHERE EXISTS (SELECT 1 FROM thread_parts tp JOIN downloads j ON j.id = tp.download_id "
        "  WHERE tp.thread_id = m.thread_id AND j.time_offset IS NULL) "
        "AND NOT EXISTS (SELECT 1 FROM message_downloads o JOIN downloads j "
        "  ON j.id = o.download_id WHERE o.message_id = md.message_id "
        "  AND j.time_offset IS NULL) "
        "GROUP BY md.download_id"
    )}


def _media(conn: Any, archive_dir: Path, report: AuditReport) -> None:
    for cid, title, n, names in conn.execute(
        "SELECT m.conversation_id, c.title, COUNT(*), GROUP_CONCAT(a.name, '\x1f') "
        "FROM attachments a JOIN messages m ON m.id = a.message_id "
        "LEFT JOIN conversations c ON c.id = m.conversation_id "
        "WHERE a.present = 0 AND a.remote = 0 AND m.duplicate_of IS NULL "
        "GROUP BY m.conversation_id ORDER BY COUNT(*) DESC, m.conversation_id"
    ):
        report.media_not_in_download.append({
            "conversation": cid, "title": title, "attachments": n,
            "names": sorted({x for x in (names or "").split("\x1f") if x}),
        })
    root = archive_dir.resolve()
    for media_path, uses, cid in conn.execute(
        "SELECT a.media_path, COUNT(*), MIN(m.conversation_id) FROM attachments a "
        "JOIN messages m ON m.id = a.message_id WHERE a.media_path IS NOT NULL "
        "GROUP BY a.media_path ORDER BY a.media_path"
    ):
        if not _held(root, media_path):
            report.media_missing_from_archive.append(
                {"path": media_path, "attachments": uses, "conversation": cid}
            )


def _held(root: Path, media_path: str) -> bool:
    """Whether the archive holds the file: a regular file inside ``media/``
    reached through no link (a link leads outside the archive: not held)."""
    try:
        locate_media(root, media_path)
    except OSError:
        return False
    return True


def _cutovers(conn: Any, report: AuditReport) -> None:
    for cid, title, last in conn.execute(
        "SELECT DISTINCT c.id, c.title, c.last_ms FROM thread_parts tp "
        "JOIN threads t ON t.id = tp.thread_id JOIN conversations c ON c.id = t.conversation_id "
        "WHERE tp.section = 'e2ee_cutover' AND NOT EXISTS (SELECT 1 FROM threads o "
        "WHERE o.conversation_id = c.id AND o.platform = 'messenger') ORDER BY c.id"
    ):
        report.cutover_without_continuation.append(
            {"conversation": cid, "title": title, "last": iso(last)}
        )


def _silences(conn: Any, report: AuditReport, tz: tzinfo) -> None:
    """Long gaps between two busy stretches of one conversation."""
    titles = {cid: title for cid, title in conn.execute("SELECT id, title FROM conversations")}
    current: int | None = None
    times: list[int] = []

    def look(cid: int | None) -> None:
        if cid is None or len(times) < 2 * BUSY_MESSAGES:
            return
        for i in range(1, len(times)):
            # Elapsed time first: most gaps are far shorter than a silence.
            if times[i] - times[i - 1] < (SILENCE_DAYS - 1) * DAY_MS:
                continue
            days = silence_days(times[i - 1], times[i], tz)
            if days < SILENCE_DAYS:
                continue
            before = i - bisect.bisect_left(times, times[i - 1] - BUSY_DAYS * DAY_MS, 0, i)
            after = bisect.bisect_right(times, times[i] + BUSY_DAYS * DAY_MS, i) - i
            if before >= BUSY_MESSAGES and after >= BUSY_MESSAGES:
                report.silences.append({
                    "conversation": cid, "title": titles.get(cid),
                    "from": iso(times[i - 1]), "to": iso(times[i]), "days": days,
                    "messages_before": before, "messages_after": after,
                })

    for cid, ts in conn.execute(
        "SELECT conversation_id, timestamp_ms FROM messages WHERE duplicate_of IS NULL "
        "AND position IS NOT NULL ORDER BY conversation_id, position"
    ):
        if cid != current:
            look(current)
            current, times = cid, []
        times.append(ts)
    look(current)
