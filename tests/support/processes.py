"""Processes seen through /proc (Linux): which a process started, whether
one still runs, and this process's peak memory."""

from __future__ import annotations

from pathlib import Path


def children(pid: int) -> list[int]:
    """The processes ``pid`` started that still exist."""
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(c) for c in text.split()]


def alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie, ended but not yet reaped, is not alive)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def peak_mb() -> float:
    """This process's own peak memory in MB (VmHWM starts afresh at exec;
    ru_maxrss keeps the peak of the process that started it, such as a
    whole test run)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise OSError("no VmHWM in /proc/self/status")
