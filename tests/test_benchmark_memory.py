"""The benchmarks' peak-memory figure belongs to the measured process, not to whoever started it."""

import json
import subprocess
import sys

from benchmarks.memory import peak_rss_mb, rss_now_mb

CHILD = (
    "import json\n"
    "from benchmarks.memory import peak_rss_mb\n"
    "block = bytearray(64 * 2**20)\n"
    "block[:: 4096] = b'\\x01' * len(block[:: 4096])\n"
    "print(json.dumps(peak_rss_mb()))\n"
)


def test_a_worker_started_by_a_large_parent_reports_its_own_peak():
    parent_block = bytearray(400 * 2**20)
    parent_block[::4096] = b"\x01" * len(parent_block[::4096])  # touch every page
    assert rss_now_mb() > 400

    done = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, check=True)
    child_peak = json.loads(done.stdout)

    assert 64 < child_peak < 300, child_peak  # its own 64 MB and an interpreter, not our 400
    assert peak_rss_mb() >= rss_now_mb() > 400
    del parent_block
