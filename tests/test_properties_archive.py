"""Properties of a whole archive, each against an oracle, over generated
downloads and command sequences (hypothesis; fixed inputs under ``CI``).

- Importing any subsets of a download's part files, in any order, in one
  command or several, from folders or zips, gives the archive that importing
  all of those files at once gives.
- Whatever sequence of imports, ``link`` and ``unlink``: a conversation keeps
  its id while its threads stay together, a joined one takes the smallest of
  its threads' ids, a split one gives each thread its id back, and a new
  thread never takes an id that was ever given.
- Every conversation is in time order, and its first and last dates and its
  count are those of its messages.
- Every attachment is the bytes of its own download's file, whatever other
  download holds a file at the same path.

Everything is read as a user reads it: ``threads``, ``show``, ``stats`` and
``audit`` (``--json``), and the thread rows of the archive.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from tests.support.cli import db_rows, run, run_json, without
from tests.support.downloads import write_thread

OWNER = "Jordan Lee"
DOWNLOAD = "facebook-jordanlee-2024-01-01"
START = 1_600_000_000_000
# Each of these imports a few small downloads: a modest number of examples.
FEW = settings(max_examples=15, deadline=None,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@contextmanager
def scratch() -> Iterator[Path]:
    """A fresh folder per example (pytest's tmp_path is one per test)."""
    with tempfile.TemporaryDirectory(prefix="chatkeep-property-") as tmp:
        yield Path(tmp)


def import_ok(archive: Path, *paths: Path) -> dict:
    code, out, err = run(archive, "import", "--json", *(str(p) for p in paths))
    assert code == 0, err
    return json.loads(out)


def zipped(folder: Path, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w") as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(folder).as_posix())
    return target


# -- any subsets of a download's parts -------------------------------------------------

# A thread: runs of messages, each run at its own millisecond (later runs
# later), one message or a double "ok" (two identical messages, told apart by
# their occurrence); part boundaries fall between runs, as Meta cuts by count.
_runs = st.lists(
    st.tuples(st.sampled_from(["Ana", OWNER]), st.sampled_from(["ok", "haha", "café", "❤️"]),
              st.integers(1, 2), st.integers(1, 3_000_000_000)),
    min_size=1, max_size=12,
)
_thread = st.tuples(_runs, st.lists(st.integers(1, 11), max_size=3))


def write_parts(root: Path, name: str, runs: list, cuts: list[int]) -> list[Path]:
    """The thread's part files under ``root`` (message_1.json newest), the
    oldest part last; returns the part files."""
    messages = []
    when = START
    for sender, text, copies, gap in runs:
        when += gap
        messages.extend([{"sender_name": sender, "timestamp_ms": when, "content": text}] * copies)
    # Cut between runs: a run's copies stay in one part.
    ends, count = [], 0
    for *_, copies, _gap in runs:
        count += copies
        ends.append(count)
    bounds = sorted({ends[c - 1] for c in cuts if c < len(runs)})
    pieces = [messages[a:b] for a, b in zip([0, *bounds], [*bounds, len(messages)], strict=True)]
    folder = root / "messages" / "inbox" / name
    return [write_thread(folder, piece[::-1], title=name.split("_")[0].title(),
                         participants=(name.split("_")[0].title(), OWNER), part=n)
            for n, piece in enumerate(reversed(pieces), 1)]


def select_parts(whole: Path, parts: list[Path], into: Path) -> Path:
    """A copy of the download ``whole`` holding only ``parts``, named as it is."""
    target = into / DOWNLOAD
    for part in parts:
        dest = target / part.relative_to(whole)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(part, dest)
    return target


def archive_as_seen(archive: Path) -> Any:
    """What every reading command says of the archive, without what depends on
    when and from where it was imported, or on the order ids were given in."""
    drop = ("id", "conversation", "imported", "first_imported", "last_imported", "source",
            "archive", "file")
    audit = without(run_json(archive, "audit", "--tz", "UTC"), *drop)
    for download in audit["downloads"]:  # listed by conversation id
        download["threads"].sort(key=lambda t: t["thread"])
    seen: dict[str, Any] = {
        # Most recent first; conversations that end at the same time, by id.
        "threads": sorted(without(run_json(archive, "threads"), *drop),
                          key=lambda c: json.dumps(c, sort_keys=True)),
        "stats": without(run_json(archive, "stats", "--tz", "UTC"), *drop),
        "audit": audit,
    }
    for conv in run_json(archive, "threads"):
        seen[conv["title"]] = without(run_json(archive, "show", str(conv["id"])), *drop)
    return seen


@FEW
@given(
    threads=st.lists(_thread, min_size=1, max_size=2),
    commands=st.lists(st.tuples(st.sets(st.integers(0, 7), min_size=1),
                                st.sampled_from(["folder", "zip", "zip parts"])),
                      min_size=1, max_size=4),
)
def test_any_subsets_of_parts_in_any_order_give_the_same_archive(
    threads: list, commands: list[tuple[set[int], str]]
) -> None:
    with scratch() as tmp:
        whole = tmp / "whole" / DOWNLOAD
        parts: list[Path] = []
        for n, (runs, cuts) in enumerate(threads):
            parts += write_parts(whole, f"{('ana', 'bo')[n]}_{n + 1}", runs, cuts)
        archive = tmp / "archive"
        union: set[Path] = set()
        for n, (chosen, container) in enumerate(commands):
            subset = sorted({parts[i % len(parts)] for i in chosen})
            union.update(subset)
            if container == "zip parts" and len(subset) > 1:
                # Meta's zip parts, side by side, passed together: one download.
                beside = tmp / f"command{n}"
                import_ok(archive, *(
                    zipped(select_parts(whole, half, tmp / f"command{n}-{k}"),
                           beside / f"{DOWNLOAD}-{k}.zip")
                    for k, half in enumerate([subset[::2], subset[1::2]], 1)))
                continue
            folder = select_parts(whole, subset, tmp / f"command{n}")
            import_ok(archive, folder if container == "folder"
                      else zipped(folder, folder.with_suffix(".zip")))
        oracle = tmp / "oracle"
        import_ok(oracle, select_parts(whole, sorted(union), tmp / "all"))
        assert archive_as_seen(archive) == archive_as_seen(oracle)


# -- conversation ids through imports, link and unlink -----------------------------------

THREADS = 4
_operations = st.lists(
    st.one_of(
        st.tuples(st.just("import"), st.sets(st.integers(0, THREADS - 1), min_size=1),
                  st.booleans()),
        st.tuples(st.just("link"), st.integers(0, THREADS - 1), st.integers(0, THREADS - 1)),
        st.tuples(st.just("unlink"), st.integers(0, THREADS - 1), st.booleans()),
    ),
    min_size=1, max_size=10,
)


def key_of(n: int) -> str:
    return f"friend{n}_{100 + n}"


def conversation_of(archive: Path) -> dict[str, int]:
    """Each thread's conversation id, by the thread's key (the archive's rows)."""
    return dict(db_rows(archive, "SELECT key, conversation_id FROM threads"))


@FEW
@given(st.tuples(st.just("import"), st.sets(st.integers(0, THREADS - 1), min_size=2),
                 st.just(False)), _operations)
# Two threads joined only through a third: taking the third out keeps them one.
@example(("import", {1, 2}, False), [("import", {0}, False), ("link", 0, 1), ("link", 0, 2),
                                     ("import", {0}, True), ("unlink", 0, True)])
def test_ids_are_kept_and_never_given_twice(first: tuple, later: list[tuple]) -> None:
    """The oracle: each thread's own id is the one it got when it first came
    (larger than every id given before); a conversation's id is the smallest
    own id of its threads; link joins two conversations, unlink splits one
    into its threads or takes one thread out, leaving the rest together."""
    operations = [first, *later]
    with scratch() as tmp:
        archive = tmp / "archive"
        own: dict[str, int] = {}  # each thread's own id
        groups: list[set[str]] = []  # the conversations, as sets of thread keys
        sizes = [1] * THREADS  # messages each thread's next download holds
        for step, (op, a, b) in enumerate(operations):
            group_of = {k: g for g in groups for k in g}
            if op == "import":
                root = tmp / f"import{step}" / DOWNLOAD
                for n in sorted(a):
                    sizes[n] += int(b)  # a later download, one message more
                    write_thread(root / "messages" / "inbox" / key_of(n), [
                        {"sender_name": f"Friend {n}", "timestamp_ms": START + n * 1000 + i,
                         "content": f"message {i}"} for i in reversed(range(sizes[n]))],
                        title=f"Friend {n}", participants=(f"Friend {n}", OWNER))
                import_ok(archive, root)
                new = [key_of(n) for n in sorted(a) if key_of(n) not in own]
                seen = conversation_of(archive)
                given_before = max(own.values(), default=0)
                assert sorted(seen[k] for k in new) == list(
                    range(given_before + 1, given_before + 1 + len(new)))
                own.update({k: seen[k] for k in new})
                groups += [{k} for k in new]
            elif op == "link":
                ka, kb = key_of(a), key_of(b)
                if ka not in own or kb not in own:
                    continue
                ids = conversation_of(archive)
                code, _, err = run(archive, "link", str(ids[ka]), str(ids[kb]))
                assert code == 0, err
                event("linked")
                ga, gb = group_of[ka], group_of[kb]
                if ga is not gb:
                    groups = [g for g in groups if g is not ga and g is not gb] + [ga | gb]
            else:
                ka = key_of(a)
                if ka not in own:
                    continue
                target = f"facebook:{ka}" if b else str(conversation_of(archive)[ka])
                code, _, err = run(archive, "unlink", target)
                assert code == 0, err
                event("unlinked one" if b else "unlinked")
                ga = group_of[ka]
                rest = [g for g in groups if g is not ga]
                if b:  # that thread alone out; the others stay together
                    groups = rest + [{ka}] + ([ga - {ka}] if ga - {ka} else [])
                else:
                    groups = rest + [{k} for k in ga]
            expected = {k: min(own[x] for x in g) for g in groups for k in g}
            assert conversation_of(archive) == expected, (step, op)
            listed = sorted(c["id"] for c in run_json(archive, "threads"))
            assert listed == sorted(set(expected.values()))


# -- time order ------------------------------------------------------------------------

_scattered = st.lists(  # (time, part) of each message: parts overlap, in any order
    st.tuples(st.integers(0, 20), st.integers(0, 3)), min_size=1, max_size=30)


@FEW
@given(_scattered, st.lists(st.tuples(st.sets(st.integers(0, 3), min_size=1), st.booleans()),
                            min_size=1, max_size=3), st.randoms(use_true_random=False))
def test_every_conversation_is_in_time_order_with_its_dates(
    scattered: list[tuple[int, int]], commands: list[tuple[set[int], bool]], rnd: Any
) -> None:
    """Part files whose times overlap, each in no order, imported a few at a
    time: every conversation reads oldest first, each message once, and its
    first and last dates and its count are its messages'."""
    with scratch() as tmp:
        files: dict[int, list[dict]] = {}
        for i, (when, part) in enumerate(scattered):
            files.setdefault(part, []).append(
                {"sender_name": ("Ana", OWNER)[i % 2], "timestamp_ms": START + when * 60_000,
                 "content": f"message {i}"})
        archive = tmp / "archive"
        imported: set[int] = set()
        for n, (chosen, as_zip) in enumerate(commands):
            root = tmp / f"command{n}" / DOWNLOAD
            for part in sorted(chosen & set(files)):
                rnd.shuffle(files[part])
                write_thread(root / "messages" / "inbox" / "ana_1", files[part], title="Ana",
                             participants=("Ana", OWNER), part=part + 1)
                imported |= {int(m["content"].split()[1]) for m in files[part]}
            if not root.exists():
                continue
            import_ok(archive, zipped(root, root.with_suffix(".zip")) if as_zip else root)
            for conv in run_json(archive, "threads"):
                shown = run_json(archive, "show", str(conv["id"]))["messages"]
                times = [m["time"] for m in shown]
                assert times == sorted(times)
                assert (conv["first"], conv["last"], conv["messages"]) == (
                    times[0], times[-1], len(times))
                assert sorted(int(m["text"].split()[1]) for m in shown) == sorted(imported)


# -- attachments -----------------------------------------------------------------------

_photos = st.lists(st.tuples(st.sampled_from(["a.jpg", "b.jpg", "c.png"]), st.integers(0, 2)),
                   min_size=1, max_size=4)


@FEW
@given(st.lists(_photos, min_size=2, max_size=3), st.lists(st.booleans(), min_size=3,
                                                            max_size=3),
       st.integers(1, 3))
def test_every_attachment_is_its_own_downloads_file(
    downloads: list[list[tuple[str, int]]], as_zip: list[bool], per_command: int
) -> None:
    """Several downloads of one thread hold files at the same paths with other
    bytes (or the same bytes, stored once): each message's attachment is the
    file its own download holds, imported together or apart."""
    with scratch() as tmp:
        roots, expected = [], {}
        for d, photos in enumerate(downloads):
            root = tmp / f"facebook-jordanlee-2024-0{d + 1}-01"
            folder = root / "messages" / "inbox" / "ana_1"
            messages = []
            for m, (name, variant) in enumerate(photos):
                text = f"download {d} message {m}"
                (folder / "photos").mkdir(parents=True, exist_ok=True)
                (folder / "photos" / name).write_bytes(
                    f"{name} variant {variant} of download {d % 2}".encode())
                messages.append({"sender_name": "Ana", "timestamp_ms": START + d * 1000 + m,
                                 "content": text,
                                 "photos": [{"uri": f"messages/inbox/ana_1/photos/{name}"}]})
            # Messages naming one path share the file (its last bytes written).
            for msg in messages:
                name = msg["photos"][0]["uri"].rsplit("/", 1)[-1]
                expected[msg["content"]] = (folder / "photos" / name).read_bytes()
            write_thread(folder, messages[::-1], title="Ana", participants=("Ana", OWNER))
            roots.append(zipped(root, root.with_suffix(".zip")) if as_zip[d] else root)
        archive = tmp / "archive"
        for start in range(0, len(roots), per_command):
            import_ok(archive, *roots[start:start + per_command])
        shown = run_json(archive, "show", "Ana")["messages"]
        assert {m["text"]: Path(m["attachments"][0]["file"]).read_bytes() for m in shown} == \
            expected
