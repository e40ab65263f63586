"""Build throughput as a share of this machine's float32 matrix-multiply peak, in one run.

    python -m benchmarks.gemm_share [--tier 1k] [--repeats 3]

Each repeat measures, back to back:
- the peak: torch float32 matrix multiplies of the model's own shapes (a batch of 8 chunks of the
  tier's mean length, times the attention and feed-forward weights), on all cores, the best of 20
  runs of each shape, weighted as the model mixes them;
- a full build of the tier in float32 (`QABOT_DTYPE=float32`: what a CPU without bf16 runs), into
  a fresh folder, with the bundled model.

The build's useful work is counted from the word pieces of the distinct chunk texts it embeds
(truncated at the model's window): per layer 24·T·d² for the dense layers and 4·T²·d for
attention, for a text of T pieces and width d. Padding, tokenizing, pooling, chunking and writing
the index all count against the build. Prints medians with min–max over the repeats.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

BATCH = 8  # the engine's build batch (index.build.embed.Embedder)


def model_flops(lengths: list[int], width: int, layers: int) -> float:
    """Multiply-adds x 2 of the encoder's forward pass over texts of these lengths (no padding)."""
    return float(sum(layers * (24 * t * width**2 + 4 * t * t * width) for t in lengths))


def gemm_peak(rows: int, width: int, hidden: int) -> float:
    """FLOP/s of torch float32 matmuls of the model's shapes, weighted by how often each runs."""
    import torch

    shapes = [(rows, width, width, 4), (rows, width, hidden, 1), (rows, hidden, width, 1)]
    flops = seconds = 0.0
    for m, k, n, per_layer in shapes:
        a, b = torch.randn(m, k), torch.randn(k, n)
        for _ in range(3):
            torch.matmul(a, b)
        best = min(_timed(torch.matmul, a, b) for _ in range(20))
        flops += per_layer * 2 * m * k * n
        seconds += per_layer * best
    return flops / seconds


def _timed(function, *args) -> float:
    started = time.perf_counter()
    function(*args)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tier", default="1k")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    from benchmarks.corpora import make_tier
    from benchmarks.probes import _texts
    from index.build.embed import Embedder
    from index.build.incremental import build_index

    tier = make_tier(args.tier)
    embedder = Embedder(dtype="float32")
    config = embedder.model[0].auto_model.config
    width, hidden, layers = config.hidden_size, config.intermediate_size, config.num_hidden_layers
    texts = sorted(set(_texts(tier.folder, limit=10**9)))
    pieces = embedder.model.tokenizer(
        texts, truncation=True, max_length=embedder.model.max_seq_length
    )["input_ids"]
    lengths = [len(ids) for ids in pieces]
    work = model_flops(lengths, width, layers)
    rows = BATCH * round(statistics.mean(lengths))
    print(
        f"tier {tier.name}: {len(texts)} distinct chunk texts, {sum(lengths):,} word pieces, "
        f"{work / 1e9:.0f} GFLOP of model work; peak measured at {rows} x {width}/{hidden}"
    )
    peaks, rates, shares = [], [], []
    for repeat in range(args.repeats):
        peak = gemm_peak(rows, width, hidden)
        folder = Path(tempfile.mkdtemp(prefix="qabot-gemm-"))
        try:
            started = time.perf_counter()
            report = build_index(tier.folder, folder / "index", embedder, None)
            seconds = time.perf_counter() - started
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        achieved = work / seconds
        peaks.append(peak / 1e9)
        rates.append(report.chunks / seconds)
        shares.append(achieved / peak)
        print(
            f"  #{repeat + 1}: peak {peak / 1e9:.1f} GFLOP/s; build {seconds:.1f} s, "
            f"{report.chunks / seconds:.1f} chunks/s, {achieved / 1e9:.1f} GFLOP/s = "
            f"{achieved / peak:.0%} of the peak",
            flush=True,
        )
    for name, values, unit in (
        ("float32 GEMM peak", peaks, " GFLOP/s"),
        ("build", rates, " chunks/s"),
        ("share of the peak", [100 * s for s in shares], "%"),
    ):
        print(
            f"{name:18s} {statistics.median(values):.1f}{unit} "
            f"({min(values):.1f}–{max(values):.1f})"
        )


if __name__ == "__main__":
    main()
