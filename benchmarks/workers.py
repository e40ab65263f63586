"""Several worker processes on one machine: questions per second with 1, 2 and 4 workers against
one process, the memory each extra worker adds, and (with a database and a store) the time a
worker taking over a collection needs to answer its first question from object storage.

    python -m benchmarks.workers [--tier article|100k] [--seconds 20] [--repeats 3]

--tier article: the shipped article (13 chunks) with its own questions; 100k: the 100k-chunk
tier with SciFact's questions, built with stand-in vectors (benchmarks/large_index.py).

Every worker is a process of its own serving the same index, as workers on one machine share a
cache; they start together and answer questions as fast as they can for --seconds. Memory: each
worker's private memory (USS, /proc/PID/smaps_rollup), PSS and RSS after its questions. Mapped
files (the index, the models' weights) count in USS only while one process maps them: what an
extra worker adds is the USS of each worker when two or four run. With QABOT_DATABASE_URL and
QABOT_STORAGE_URL set, a last run publishes the index as a collection and times a new worker with
an empty cache of builds from process start to its first answer: on a machine whose models folder
another worker already holds, and on a new machine (the exports written first).
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

from benchmarks.run import _cpu_flags, _cpu_name, _cpuinfo

REPO = Path(__file__).resolve().parent.parent
QUESTIONS = [
    "What did Tokyo urge Japanese citizens to do?",
    "What did the US and Japan agree to establish in Tokyo?",
    "Why is Moscow angry at Japan?",
    "Who is the prime minister of Japan?",
    "What did the Russian official attribute the downgrading to?",
    "Which newspaper reported on July 29?",
]
MEMORY = ("uss_mb", "pss_mb", "rss_mb")


def serve(index: Path, corpus: Path, questions: list[str], seconds: float) -> None:
    """One worker: load, say ready, wait for go, answer for `seconds`, report."""
    from index.engine import Engine
    from index.settings import EngineSettings

    engine = Engine.open(EngineSettings(corpus_dir=corpus, index_dir=index), build_if_missing=False)
    engine.answer(questions[0])  # warm
    print("ready", flush=True)
    sys.stdin.readline()
    done, end = 0, time.perf_counter() + seconds
    while time.perf_counter() < end:
        engine.answer(questions[done % len(questions)])
        done += 1
    print("done", flush=True)
    sys.stdin.readline()  # measured while every worker still runs: no page is left to one alone
    print(json.dumps({"answers": done, **_rollup(), "rss_mb": _status("VmRSS")}))


def _rollup() -> dict[str, float]:
    fields = {}
    for line in Path("/proc/self/smaps_rollup").read_text().splitlines()[1:]:
        name, value = line.split(":", 1)
        fields[name] = int(value.split()[0])
    uss = fields["Private_Clean"] + fields["Private_Dirty"]
    return {"uss_mb": round(uss / 1024, 1), "pss_mb": round(fields["Pss"] / 1024, 1)}


def _status(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def run_workers(n: int, tier: str, seconds: float) -> dict:
    command = [sys.executable, "-m", "benchmarks.workers", "--serve", tier]
    command += ["--seconds", str(seconds)]
    env = os.environ | {"PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1"}
    workers = [
        subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
        for _ in range(n)
    ]
    for worker in workers:
        assert worker.stdout is not None and worker.stdout.readline().strip() == "ready"
    _tell(workers, "go")  # all start at once
    for worker in workers:
        assert worker.stdout is not None and worker.stdout.readline().strip() == "done"
    _tell(workers, "report")
    reports = [json.loads(w.communicate()[0].strip().splitlines()[-1]) for w in workers]
    answers = sum(r["answers"] for r in reports)
    return {"qps": answers / seconds} | {key: [r[key] for r in reports] for key in MEMORY}


def _tell(workers: list[subprocess.Popen], line: str) -> None:
    for worker in workers:
        assert worker.stdin is not None
        worker.stdin.write(line + "\n")
        worker.stdin.flush()


def takeover(index: Path, question: str, models_ready: bool) -> float | None:
    """Seconds from a new worker's start to its first answer from object storage, or None.
    `models_ready`: the machine's models folder is there (another worker wrote it)."""
    if not (os.environ.get("QABOT_DATABASE_URL") and os.environ.get("QABOT_STORAGE_URL")):
        return None
    name = f"bench-{os.getpid()}-{time.monotonic_ns() % 10**6}"
    script = (
        "from index.library.collections import Collections;"
        "from index.settings import EngineSettings, LibrarySettings;"
        "c = Collections(EngineSettings(), LibrarySettings.from_env(), None);"
        f"print(c.engine({name!r}).answer({question!r}).answered)"
    )
    with tempfile.TemporaryDirectory() as publisher, tempfile.TemporaryDirectory() as taker:
        _publish(name, index, Path(publisher))
        if models_ready:
            _link_tree(index / "models", Path(taker) / "models")
        env = os.environ | {"PYTHONPATH": str(REPO), "QABOT_DATA_DIR": taker}
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", script], check=True, env=env, cwd=taker)
        return time.perf_counter() - started


def _publish(name: str, index: Path, data: Path) -> None:
    """Publish a built index as the collection `name`, as the worker that built it does."""
    from index.library import shared
    from index.library.collections import Collections
    from index.settings import EngineSettings, LibrarySettings

    library = LibrarySettings.from_values(os.environ | {"QABOT_DATA_DIR": str(data)})
    collections = Collections(EngineSettings(), library)
    shared.publish_build(collections.state, collections.blobs, name, index)


def _link_tree(source: Path, target: Path) -> None:
    for file in source.rglob("*"):
        if file.is_file():
            (target / file.relative_to(source)).parent.mkdir(parents=True, exist_ok=True)
            os.link(file, target / file.relative_to(source))


def summary(values: list[float]) -> str:
    return f"{statistics.median(values):.1f} ({min(values):.1f}–{max(values):.1f})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", choices=["article", "100k"], help=argparse.SUPPRESS)
    parser.add_argument("--tier", choices=["article", "100k"], default="article")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    if args.serve:
        serve(*_tier(args.serve), args.seconds)
        return 0
    index, _, questions = _tier(args.tier)
    print(f"CPU: {_cpu_name()}, {os.cpu_count()} cores; flags: {_cpu_flags()}, AMX: {_amx()}")
    print(f"load average at the start: {os.getloadavg()[0]:.2f} (other jobs may share the CPU)")
    print(f"index: {index} ({_chunks(index)} chunks); {args.seconds:.0f} s per run")
    runs = {
        n: [run_workers(n, args.tier, args.seconds) for _ in range(args.repeats)] for n in (1, 2, 4)
    }
    one = statistics.median(r["qps"] for r in runs[1])
    for n, results in runs.items():
        qps = [r["qps"] for r in results]
        memory = {key: summary([u for r in results for u in r[key]]) for key in MEMORY}
        print(
            f"{n} worker(s), {len(results)} runs: {summary(qps)} questions/s,"
            f" {statistics.median(qps) / one:.2f}x one process; per worker USS"
            f" {memory['uss_mb']} MB, PSS {memory['pss_mb']} MB, RSS {memory['rss_mb']} MB"
        )
    for ready, what in ((True, "models folder ready"), (False, "new machine")):
        times = [takeover(index, questions[0], ready) for _ in range(args.repeats if ready else 1)]
        if times and times[0] is not None:
            seconds = [t for t in times if t is not None]
            print(f"takeover ({what}), {len(seconds)} runs: first answer {summary(seconds)} s")
    return 0


def _tier(tier: str) -> tuple[Path, Path, list[str]]:
    """(index, corpus, questions) of a tier, built on first use, with its exports."""
    from index.runtime import export_models
    from index.settings import BUNDLED_MODEL

    if tier == "100k":
        from benchmarks.large_index import large_index, scifact_questions

        corpus, index = large_index()
        export_models(BUNDLED_MODEL, index)  # found there after the first run
        return index, corpus, scifact_questions()
    return _built(REPO / "docs_corpus"), REPO / "docs_corpus", QUESTIONS


def _amx() -> bool:
    return "amx_tile" in (_cpuinfo("flags") or "").split()


def _built(corpus: Path) -> Path:
    index = REPO / "benchmarks" / ".cache" / "workers-index"
    if not (index / "CURRENT").exists():
        from index.build.rebuild import rebuild
        from index.runtime import load_models
        from index.settings import EngineSettings

        settings = EngineSettings(corpus_dir=corpus, index_dir=index)
        rebuild(settings, load_models(settings))[1].close()
    return index


def _chunks(index: Path) -> int:
    from index.store import read_manifest

    return int(read_manifest(index)["chunk_count"])


if __name__ == "__main__":
    sys.exit(main())
