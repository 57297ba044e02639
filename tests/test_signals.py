"""An import ended by a signal leaves no process behind and no lock held.

The import reads in a second process (forked by archiver/ingest/pipeline.py). Ended by
SIGTERM, SIGHUP (a closed terminal) or SIGKILL, sent to the importing process
alone, that reading process must end too, and the next import must run at once
instead of finding the archive locked.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.cli import run
from tests.support.downloads import write_thread
from tests.support.paths import REPO
from tests.support.processes import alive, children

MESSAGES = 3000
STOPS_WITHIN = 4.0  # seconds from the signal to the end of the import, load included
# A slow input, simulated: every plain message costs the reading process 20 ms,
# so the whole read would take a minute. Any download is read in a second process.
IMPORT = (
    "import time; import archiver.ingest.pipeline as p; import archiver.ingest.dialects.meta_dyi as m; "
    "p.PARALLEL_MIN_BYTES = 0; plain = m.plain_message; "
    "m.plain_message = lambda raw: (time.sleep(0.02), plain(raw))[1]; "
    "from archiver.cli import main; main()"
)

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="finds the reading process through /proc")


@pytest.fixture(scope="module")
def download(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One long thread: the reading process sends nothing for many seconds
    (its first rows come after 1,000 messages), so it would not notice a
    broken pipe soon."""
    path = tmp_path_factory.mktemp("signals") / "download"
    write_thread(path / "messages" / "inbox" / "ana_1",
                 [{"sender_name": "Ana", "timestamp_ms": 1600000000000 + i * 1000,
                   "content": f"message {i}"} for i in reversed(range(MESSAGES))])
    return path


def wait_until(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGKILL],
                         ids=["SIGTERM", "SIGHUP", "SIGKILL"])
def test_a_signal_ends_the_reading_process_too_and_frees_the_lock(
    signum: int, download: Path, tmp_path: Path
) -> None:
    archive = tmp_path / "archive"
    # Files, not pipes: a process left behind would hold a pipe open.
    with open(tmp_path / "stderr", "w+") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-c", IMPORT, "--archive", str(archive), "import", "--json",
             str(download)],
            cwd=REPO, stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True,
        )
        try:
            assert wait_until(lambda: children(proc.pid), 60), "no reading process started"
            [reader] = children(proc.pid)
            time.sleep(0.3)  # well into reading
            proc.send_signal(signum)  # to the importing process alone, not its group
            signalled = time.monotonic()
            proc.wait(timeout=60)
            stopping = time.monotonic() - signalled
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        stderr.seek(0)
        err = stderr.read()

    assert wait_until(lambda: not alive(reader), 5), "the reading process outlived the import"
    if signum == signal.SIGKILL:
        assert proc.returncode == -signal.SIGKILL
    else:  # stopped as cleanly as Ctrl-C, and at once: the import ends its
        # reading process rather than waiting for it (5 s) to notice
        assert proc.returncode == 1
        assert stopping < STOPS_WITHIN, f"the import took {stopping:.1f} s to stop"
        # One thread, cut short before it was read whole: nothing of it is kept.
        assert err.strip() == (
            "chatkeep: import interrupted; nothing of it was kept yet; 1 not read yet: "
            "run the same command to finish."
        )

    code, out, err = run(archive, "import", "--json", str(download))
    assert code == 0, err
    report = json.loads(out)
    assert report["messages_added"] + report["messages_already_present"] == MESSAGES
