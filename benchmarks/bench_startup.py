"""Start-up: the wall time of whole ``chatkeep`` commands on the demo archive.

Every command but the reader should start without importing Textual, and the
reading commands without sqlite-utils; the goal is ``chatkeep search WORD
--json`` in at most 0.15 s of CPU. Prints, for each command, the median wall
and CPU time of ``--repeat`` runs (each a fresh process, as a user runs it),
and what importing the engine and the reader costs alone. Python's compiled
bytecode is kept (in a temporary folder), as an installed chatkeep keeps it:
with PYTHONDONTWRITEBYTECODE set and no ``__pycache__`` in a checkout, every
start compiles the engine's modules again (about 0.06 s more).

    python -m benchmarks.bench_startup [--repeat 15]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SAMPLES = sorted(str(p) for p in (REPO / "sample_exports").iterdir() if p.is_dir())
GOAL_CPU_S = 0.15


def chatkeep() -> list[str]:
    """The console script where installed, else the same entry point."""
    script = shutil.which("chatkeep")
    if script:
        return [script]
    return [sys.executable, "-c", "from tui.cli import main; main()"]


def timed(cmd: list[str], repeat: int, env: dict[str, str]) -> tuple[float, float]:
    """Median wall time and median CPU time (user + system) of ``repeat`` runs.
    On a busy machine the wall time waits for a core; the CPU time is what
    the command costs, and what its wall time is on an idle machine."""
    walls, cpus = [], []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
                       cwd=REPO, env=env)
        walls.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "pycache")
        archive = str(Path(tmp) / "demo")
        subprocess.run([*chatkeep(), "--archive", archive, "import", "--json", *SAMPLES],
                       stdout=subprocess.DEVNULL, check=True, env=env)
        base = [*chatkeep(), "--archive", archive]
        rows = [
            ("python -c pass (the floor)", [sys.executable, "-c", "pass"]),
            ("import archiver.cli", [sys.executable, "-c", "import archiver.cli"]),
            ("import tui.app (the reader)", [sys.executable, "-c", "import tui.app"]),
            ("chatkeep --help", [*base, "--help"]),
            ("chatkeep threads --json", [*base, "threads", "--json"]),
            ("chatkeep search the --json", [*base, "search", "the", "--json"]),
            ("chatkeep show 3 --json", [*base, "show", "3", "--json"]),
        ]
        load = os.getloadavg()[0]
        print(f"median of {args.repeat} runs, demo archive (431 messages), "
              f"load average {load:.1f} on {os.cpu_count()} cores")
        print(f"  {'':<32} {'wall':>7} {'cpu':>7}")
        for label, cmd in rows:
            timed(cmd, 1, env)  # writes the bytecode (or not)
            w, c = timed(cmd, args.repeat, env)
            print(f"  {label:<32} {w:6.3f}s {c:6.3f}s")
        w, c = timed([*base, "search", "the", "--json"], args.repeat, env)
        verdict = "met" if c <= GOAL_CPU_S else "MISSED"
        print(f"search WORD --json: {w:.3f} s wall, {c:.3f} s cpu "
              f"(goal ≤ {GOAL_CPU_S} s cpu: {verdict})")


if __name__ == "__main__":
    main()
