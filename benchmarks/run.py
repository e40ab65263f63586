"""`make bench`: our engine against the tutorial pipeline, tier by tier, in one run.

    python -m benchmarks.run            tiers 1k, 10k, 100k; 3 repeats
    python -m benchmarks.run --quick    tiers 1k and 10k; 1 repeat
    python -m benchmarks.run --seed-index DIR   reuse the vectors of an index the engine built

Build throughput is measured with live embedding on the 1k tier, ours and the baseline
interleaved. Larger tiers are built from cached embeddings (real vectors of their own text) and
measured for latency, size, memory and incremental rebuilds; a tier whose embeddings are not
cached and would take more than --max-embed live embeddings is skipped and reported as such.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks import report
from benchmarks.cache import CACHE_DIR, VectorCache, seed_from_index
from benchmarks.corpora import SCIFACT, Tier, make_tier
from benchmarks.probes import LIBGOMP_DEFAULT_SPINCOUNT

ROOT = Path(__file__).resolve().parent.parent
WORK = CACHE_DIR / "work"
PYTHON = sys.executable
ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PYTHONWARNINGS": "ignore"}
for _setting in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT"):  # ours runs as shipped: the engine sets it
    ENV.pop(_setting, None)
# The baseline keeps libgomp's own default (its spin count when OMP_WAIT_POLICY is unset).
LIBGOMP_DEFAULT_ENV = {**ENV, "GOMP_SPINCOUNT": LIBGOMP_DEFAULT_SPINCOUNT}
WAIT_POLICIES = {
    "libgomp default (spin 300,000)": LIBGOMP_DEFAULT_ENV,
    "passive": {**ENV, "OMP_WAIT_POLICY": "PASSIVE"},
    "spin 10,000 (the engine's)": ENV,
}


def _worker(
    *args: str, module: str = "benchmarks.worker", env: dict | None = None
) -> tuple[dict, float | None]:
    """Run one measurement process; returns its result and seconds from spawn to first answer."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [PYTHON, "-m", module, *args], cwd=ROOT, env=env or ENV, stdout=subprocess.PIPE, text=True
    )
    first, result = None, {}
    assert process.stdout is not None
    for line in process.stdout:
        event = json.loads(line)
        if event.get("event") == "first":
            first = time.perf_counter() - started
        else:
            result = event
    if process.wait() != 0:
        raise RuntimeError(f"benchmark worker failed: {' '.join(args)}")
    return result, first


def _model_namespace() -> str:
    from index.modelfiles import resolve_model_path, weights_sha256
    from index.settings import BUNDLED_MODEL

    return weights_sha256(resolve_model_path(BUNDLED_MODEL))


def _missing_vectors(tier: Tier, cache: VectorCache) -> int:
    from index.build.chunk import chunk_document
    from index.build.ingest import list_corpus, read_documents
    from index.build.keys import search_text, sentence_spans

    files, _ = list_corpus(tier.folder)
    chunks = [c for f in files for d in read_documents(f)[0] for c in chunk_document(d)]
    found = cache.count([search_text(c) for c in chunks], [sentence_spans(c) for c in chunks])
    return len(chunks) - found


def _cached_baseline(tier: Tier, max_embed: int) -> bool:
    """Build the baseline of a larger tier from cached vectors (embedding what is missing)."""
    from benchmarks.baseline import cache_namespace, split_corpus

    texts = [c["text"] for c in split_corpus(tier.folder)]
    missing = len(texts) - VectorCache(cache_namespace()).count(texts, [[] for _ in texts])
    if missing > max_embed:
        return False
    workdir = WORK / f"{tier.name}-baseline"
    args = ("build", "baseline", str(tier.folder), str(workdir), "--cached")
    result, _ = _worker(*args, env=LIBGOMP_DEFAULT_ENV)
    print(
        f"  baseline from cache: {result['chunks']} chunks in {result['seconds']:.1f} s", flush=True
    )
    return True


def _seed(folders: list[Path], cache: VectorCache) -> None:
    from index import store

    for folder in folders:
        manifest = store.read_manifest(folder)
        index = store.load_index(folder, manifest["model_sha256"], manifest["dim"])
        print(f"seeded {seed_from_index(cache, index)} vectors from {folder}", flush=True)


def measure_builds(tier: Tier, repeats: int) -> dict[str, list[dict]]:
    """Full builds with live embedding, ours and baseline interleaved, so noise hits both."""
    runs: dict[str, list[dict]] = {"ours": [], "baseline": []}
    for repeat in range(repeats):
        for pipeline in ("ours", "baseline"):
            workdir = WORK / f"{tier.name}-{pipeline}"
            env = LIBGOMP_DEFAULT_ENV if pipeline == "baseline" else ENV
            result, _ = _worker("build", pipeline, str(tier.folder), str(workdir), env=env)
            runs[pipeline].append(result)
            print(f"  build {pipeline} #{repeat + 1}: {result['seconds']:.1f} s", flush=True)
    return runs


def measure_serving(tier: Tier, pipeline: str, repeats: int, questions: Path) -> list[dict]:
    workdir = WORK / f"{tier.name}-{pipeline}"
    runs = []
    for _ in range(repeats):
        args = ("serve", pipeline, str(workdir / "corpus"), str(workdir / "index"), str(questions))
        env = LIBGOMP_DEFAULT_ENV if pipeline == "baseline" else ENV
        result, cold = _worker(*args, env=env)
        result["cold_start_s"] = cold
        runs.append(result)
        print(f"  serve {pipeline}: p50 {statistics.median(result['total_ms']):.1f} ms", flush=True)
    return runs


def _qabot_eval(*args: str) -> dict:
    """`qabot eval --json ...` in its own process, as a user runs it."""
    qabot = str(Path(PYTHON).parent / "qabot")
    done = subprocess.run(
        [qabot, "eval", "--json", *args],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def measure_quality(workdir: Path, index_10k: Path | None) -> dict:
    seed_dev = ROOT / "tests/data/seed_dev.jsonl"
    corpus = ROOT / "docs_corpus"
    ours = _qabot_eval(str(seed_dev), "--corpus", str(corpus), "--index", str(workdir / "seed"))
    ours.pop("failures", None)
    base, _ = _worker("quality", "baseline", str(corpus), str(workdir / "seed-base"), str(seed_dev))
    result = {"seed_dev": {"ours": ours, "baseline": base}}
    if index_10k is not None:
        beir = _qabot_eval("--beir", str(SCIFACT), "--index", str(index_10k))
        result["scifact_train"] = {"ours": beir}
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiers 1k and 10k, one repeat")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--tiers", nargs="*", default=None)
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--max-embed", type=int, default=2000, help="live embeddings per tier")
    parser.add_argument("--seed-index", type=Path, action="append", default=[])
    args = parser.parse_args(argv)
    repeats = 1 if args.quick else args.repeats
    names = args.tiers or (["1k", "10k"] if args.quick else ["1k", "10k", "100k"])

    questions = [json.loads(line)["text"] for line in (SCIFACT / "queries.jsonl").open()]
    CACHE_DIR.mkdir(parents=True, exist_ok=True)  # a fresh clone has no cache yet
    questions_file = CACHE_DIR / "questions.json"
    questions_file.write_text(json.dumps(questions[: args.questions]))
    cache = VectorCache(_model_namespace())
    _seed(args.seed_index, cache)

    results: dict = {"machine": _machine(), "repeats": repeats, "questions": args.questions}
    results["tiers"], results["skipped"] = {}, {}
    for name in names:
        tier = make_tier(name)
        print(f"tier {name}: {tier.chunks} chunks, {tier.files} files", flush=True)
        entry: dict = {"tier": tier.__dict__ | {"folder": str(tier.folder)}}
        if name == names[0]:
            entry["builds"] = measure_builds(tier, repeats)
            entry["builds"]["mode"] = "live embedding"
        else:
            missing = _missing_vectors(tier, cache)
            if missing > args.max_embed:
                results["skipped"][name] = (
                    f"{missing} of {tier.chunks} chunks have no cached embedding; embedding them "
                    f"live (~{missing / 20 / 60:.0f} min at 20 chunks/s) exceeds --max-embed"
                )
                print(f"  skipped: {results['skipped'][name]}", flush=True)
                continue
            workdir = WORK / f"{name}-ours"
            result, _ = _worker("build", "ours", str(tier.folder), str(workdir), "--cached")
            entry["builds"] = {"ours": [result], "mode": "cached embeddings"}
        serve_baseline = "baseline" in entry["builds"] or _cached_baseline(tier, args.max_embed)
        if not serve_baseline:
            results["skipped"][f"{name} baseline"] = (
                "the baseline's own chunks have no cached embedding, and embedding them live"
                " exceeds --max-embed; its latency is not measured at this tier"
            )
        entry["serve"] = {"ours": measure_serving(tier, "ours", repeats, questions_file)}
        if serve_baseline:
            entry["serve"]["baseline"] = measure_serving(tier, "baseline", repeats, questions_file)
        faiss_args = ("faiss", str(_live_vectors(WORK / f"{name}-ours")), str(questions_file))
        entry["faiss"] = _worker(*faiss_args, module="benchmarks.probes")[0]
        results["tiers"][name] = entry

    first = make_tier(names[0])
    probe = ("embed", str(first.folder), str(questions_file))
    results["embedding_probe"] = [
        _worker(*probe, module="benchmarks.probes")[0] for _ in range(repeats)
    ]
    contention = ("contention", str(WORK / f"{first.name}-ours"), str(questions_file))
    results["contention_probe"] = {
        policy: [
            _worker(*contention, module="benchmarks.probes", env=env)[0] for _ in range(repeats)
        ]
        for policy, env in WAIT_POLICIES.items()
    }
    chunking = ("chunk", str(first.folder), "-")
    results["chunking_probe"] = _worker(*chunking, module="benchmarks.probes")[0]
    results["imports_probe"] = _worker("imports", "-", "-", module="benchmarks.probes")[0]
    index_10k = _live_index(WORK / "10k-ours") if "10k" in results["tiers"] else None
    results["quality"] = measure_quality(WORK / "quality", index_10k)
    report.write(results, ROOT / "benchmarks/results")
    return 0


def _live_index(workdir: Path) -> Path:
    return workdir / "index"


def _live_vectors(workdir: Path) -> Path:
    from index.store.layout import VECTORS, live_folder

    folder = live_folder(workdir / "index")
    assert folder is not None
    return folder / VECTORS


def _cpuinfo(field: str) -> str | None:
    """The first CPU's `field` line of /proc/cpuinfo, or None."""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith(field):
            return line.split(":", 1)[1].strip()
    return None


def _cpu_name() -> str:
    return _cpuinfo("model name") or platform.machine()


# The instruction sets the figures depend on: int8 and bf16 matrix multiplies run several times
# faster where the CPU has them, and machines named alike ("AMD EPYC") differ in them.
MATRIX_FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "avx512_bf16")


def _cpu_flags() -> dict[str, bool]:
    present = set((_cpuinfo("flags") or "").split())
    return {flag: flag in present for flag in MATRIX_FLAGS} if present else {}


def _machine() -> dict:
    import psutil

    return {
        "cpu": _cpu_name(),
        "cpu_flags": _cpu_flags(),
        "cores": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "load_average_at_start": os.getloadavg(),
        "date": time.strftime("%Y-%m-%d %H:%M"),
    }


if __name__ == "__main__":
    raise SystemExit(main())
