"""Resident memory of this process, read from /proc/self/status.

The peak is VmHWM, the high-water mark of this process's own address space. `ru_maxrss` is not
used: Linux carries it across exec, so a worker spawned by a large parent reports the parent's
resident size when that is the larger (the harness that has just read a 100k-chunk corpus made
every worker it started report at least its own 610 MB).
"""

from __future__ import annotations

from pathlib import Path


def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"/proc/self/status has no {field} line")


def peak_rss_mb() -> float:
    """The largest resident set this process has had since it started, in MB."""
    return _status_mb("VmHWM")


def rss_now_mb() -> float:
    """The resident set now, in MB."""
    return _status_mb("VmRSS")
