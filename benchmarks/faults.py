"""Builds killed with SIGKILL at 50 random moments (the test suite runs 10): after every kill
`qabot ask` answers from one whole version of the corpus and the next build succeeds.

    python -m benchmarks.faults [--moments 50] [--seed 12]

Prints where the kills landed (by what each left on disk) and writes
benchmarks/results/faults.json. benchmarks/killed_builds.py holds the harness and its checks.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections import Counter
from dataclasses import asdict
from pathlib import Path

from benchmarks.killed_builds import run_kills

RESULTS = Path(__file__).resolve().parent / "results"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--moments", type=int, default=50)
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as root:
        full, kills = run_kills(Path(root), args.moments, args.seed)
    result = {
        "moments": len(kills),
        "seed": args.seed,
        "whole_build_s": round(full, 3),
        "phases": dict(Counter(kill.phase for kill in kills)),
        "all_checks_passed": True,  # run_kills raises on the first failed check
        "seconds": round(time.perf_counter() - started, 1),
        "kills": [asdict(kill) for kill in kills],
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "faults.json").write_text(json.dumps(result, indent=2))
    print(json.dumps({k: v for k, v in result.items() if k != "kills"}, indent=2))


if __name__ == "__main__":
    main()
