"""Several worker processes on one machine: questions per second with 1, 2 and 4 workers against
one process, the memory each extra worker adds, and (with a database and a store) the time a
worker taking over a collection needs to answer its first question from object storage.

    python -m benchmarks.workers [--index DIR] [--seconds 20] [--repeats 3]

Every worker is a process of its own serving the same index, as workers on one machine share a
cache; they start together and answer questions as fast as they can for --seconds. Memory: each
worker's private memory (USS, /proc/PID/smaps_rollup) and RSS after its questions; the mapped index
files are shared page cache and count in RSS, not in USS. With QABOT_DATABASE_URL and
QABOT_STORAGE_URL set, a last run publishes the index as a collection and times a new worker with
an empty cache from process start to its first answer.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.run import _cpu_flags, _cpu_name

REPO = Path(__file__).resolve().parent.parent
QUESTIONS = [
    "What did Tokyo urge Japanese citizens to do?",
    "What did the US and Japan agree to establish in Tokyo?",
    "Why is Moscow angry at Japan?",
    "Who is the prime minister of Japan?",
    "What did the Russian official attribute the downgrading to?",
    "Which newspaper reported on July 29?",
]


def serve(index: Path, corpus: Path, seconds: float) -> None:
    """One worker: load, say ready, wait for go, answer for `seconds`, report."""
    from index.engine import Engine
    from index.settings import EngineSettings

    engine = Engine.open(EngineSettings(corpus_dir=corpus, index_dir=index), build_if_missing=False)
    engine.answer(QUESTIONS[0])  # warm
    print("ready", flush=True)
    sys.stdin.readline()
    done, end = 0, time.perf_counter() + seconds
    while time.perf_counter() < end:
        engine.answer(QUESTIONS[done % len(QUESTIONS)])
        done += 1
    print(json.dumps({"answers": done, "uss_mb": _uss_mb(), "rss_mb": _status("VmRSS")}))


def _uss_mb() -> float:
    fields = {}
    for line in Path("/proc/self/smaps_rollup").read_text().splitlines()[1:]:
        name, value = line.split(":", 1)
        fields[name] = int(value.split()[0])
    return round((fields["Private_Clean"] + fields["Private_Dirty"]) / 1024, 1)


def _status(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def run_workers(n: int, index: Path, corpus: Path, seconds: float) -> dict:
    command = [sys.executable, "-m", "benchmarks.workers", "--serve", str(index)]
    command += ["--corpus", str(corpus), "--seconds", str(seconds)]
    env = os.environ | {"PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1"}
    workers = [
        subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
        for _ in range(n)
    ]
    for worker in workers:
        assert worker.stdout is not None and worker.stdout.readline().strip() == "ready"
    for worker in workers:  # all start at once
        assert worker.stdin is not None
        worker.stdin.write("go\n")
        worker.stdin.flush()
    reports = [json.loads(w.communicate()[0].strip().splitlines()[-1]) for w in workers]
    return {
        "qps": sum(r["answers"] for r in reports) / seconds,
        "uss_mb": [r["uss_mb"] for r in reports],
        "rss_mb": [r["rss_mb"] for r in reports],
    }


def takeover(index: Path, corpus: Path) -> float | None:
    """Seconds from a new worker's start to its first answer from object storage, or None."""
    if not (os.environ.get("QABOT_DATABASE_URL") and os.environ.get("QABOT_STORAGE_URL")):
        return None
    name = f"bench-{os.getpid()}"
    script = (
        "import sys, time; from index.library.collections import Collections;"
        "from index.settings import EngineSettings, LibrarySettings;"
        f"c = Collections(EngineSettings(), LibrarySettings.from_env(), None);"
        f"print(c.engine({name!r}).answer({QUESTIONS[0]!r}).answered)"
    )
    with tempfile.TemporaryDirectory() as publisher, tempfile.TemporaryDirectory() as taker:
        _publish(name, corpus, Path(publisher))
        env = os.environ | {"PYTHONPATH": str(REPO), "QABOT_DATA_DIR": taker}
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", script], check=True, env=env, cwd=taker)
        return time.perf_counter() - started


def _publish(name: str, corpus: Path, data: Path) -> None:
    from index.library import intake
    from index.library.collections import Collections
    from index.settings import EngineSettings, LibrarySettings

    library = LibrarySettings.from_values(os.environ | {"QABOT_DATA_DIR": str(data)})
    collections = Collections(EngineSettings(), library)
    with collections.changing(name) as paths:
        for file in sorted(corpus.iterdir()):
            intake.add(paths, file.name, file.read_bytes())
        collections.rebuild(name)


def summary(values: list[float]) -> str:
    return f"{statistics.median(values):.1f} ({min(values):.1f}–{max(values):.1f})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--corpus", type=Path, default=REPO / "docs_corpus")
    parser.add_argument("--index", type=Path, help="a built index (default: one built here)")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.serve, args.corpus, args.seconds)
        return 0
    index = args.index or _built(args.corpus)
    runs = {
        n: [run_workers(n, index, args.corpus, args.seconds) for _ in range(args.repeats)]
        for n in (1, 2, 4)
    }
    one = statistics.median(r["qps"] for r in runs[1])
    print(f"CPU: {_cpu_name()}, {os.cpu_count()} cores; flags: {_cpu_flags()}")
    print(
        f"index: {index} ({_chunks(index)} chunks);"
        f" {args.seconds:.0f} s per run, {args.repeats} runs"
    )
    for n, results in runs.items():
        qps = [r["qps"] for r in results]
        uss = [u for r in results for u in r["uss_mb"]]
        rss = [u for r in results for u in r["rss_mb"]]
        print(
            f"{n} worker(s): {summary(qps)} questions/s, {statistics.median(qps) / one:.2f}x one"
            f" process; per worker USS {summary(uss)} MB, RSS {summary(rss)} MB"
        )
    seconds = takeover(index, args.corpus)
    if seconds is not None:
        print(
            f"takeover: first answer from object storage {seconds:.1f} s after the worker started"
        )
    return 0


def _built(corpus: Path) -> Path:
    from index.build.rebuild import rebuild
    from index.runtime import load_models
    from index.settings import EngineSettings

    index = REPO / "benchmarks" / ".cache" / "workers-index"
    settings = EngineSettings(corpus_dir=corpus, index_dir=index)
    rebuild(settings, load_models(settings))[1].close()
    return index


def _chunks(index: Path) -> int:
    from index.store import read_manifest

    return int(read_manifest(index)["chunk_count"])


if __name__ == "__main__":
    sys.exit(main())
