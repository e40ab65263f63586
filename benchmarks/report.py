"""Medians, min–max and ratios to the baseline: latest.json, latest.md and chart.png."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import numpy as np

NOT_RUN_100K = (
    "The 100k tier (SciFact, then pydoc text of the standard library, then /usr/share/doc) was"
    " not run: about 90k of its chunks have no cached embedding, which costs over an hour of"
    " live embedding on this CPU. `python -m benchmarks.run --tiers 1k 100k --max-embed 100000`"
    " embeds it once; later runs read the cache."
)


def spread(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def _fmt(s: dict[str, float], digits: int = 1) -> str:
    if s["min"] == s["max"]:
        return f"{s['median']:.{digits}f}"
    return f"{s['median']:.{digits}f} ({s['min']:.{digits}f}–{s['max']:.{digits}f})"


def summarise_builds(builds: dict, megabytes: float) -> dict:
    out: dict = {"mode": builds["mode"]}
    for pipeline in ("ours", "baseline"):
        runs = builds.get(pipeline)
        if not runs:
            continue
        out[pipeline] = {
            "seconds": spread([r["seconds"] for r in runs]),
            "chunks": runs[0]["chunks"],
            "chunks_per_s": spread([r["chunks"] / r["seconds"] for r in runs]),
            "mb_per_s": spread([megabytes / r["seconds"] for r in runs]),
            "disk_mb": runs[-1]["disk_mb"],
            "peak_rss_mb": spread([r["peak_rss_mb"] for r in runs]),
        }
        if "incremental" in runs[0]:
            out[pipeline]["incremental_s"] = spread([r["incremental"]["seconds"] for r in runs])
            out[pipeline]["incremental_embedded"] = runs[0]["incremental"]["embedded"]
    if "baseline" in out:  # paired ratios: each repeat ran ours and the baseline back to back
        pairs = zip(builds["ours"], builds["baseline"], strict=True)
        out["speedup_mb_per_s"] = spread([b["seconds"] / o["seconds"] for o, b in pairs])
    return out


def summarise_serving(runs: list[dict]) -> dict:
    def per_run(key: str, q: float) -> dict[str, float]:
        return spread([float(np.percentile(r[key], q)) for r in runs])

    return {
        "p50_ms": per_run("total_ms", 50),
        "p95_ms": per_run("total_ms", 95),
        "p99_ms": per_run("total_ms", 99),
        "embed_p50_ms": per_run("embed_ms", 50),
        "search_p50_ms": per_run("search_ms", 50),
        "answer_p50_ms": per_run("answer_ms", 50),
        "cold_start_s": spread([r["cold_start_s"] for r in runs]),
        # The whole process per question: start to first answer, then every question answered
        # warm, over the number of questions (how a script asking N questions in one run sees it).
        "whole_per_question_ms": spread(
            [(r["cold_start_s"] * 1000 + sum(r["total_ms"])) / len(r["total_ms"]) for r in runs]
        ),
        "peak_rss_mb": spread([r["peak_rss_mb"] for r in runs]),
    }


def summarise(results: dict) -> dict:
    tiers = {}
    live = None
    for name, entry in results["tiers"].items():
        tier = entry["tier"]
        builds = summarise_builds(entry["builds"], tier["megabytes"])
        if entry["builds"]["mode"] == "live embedding":
            live = builds
        elif live is not None:  # cached build: add the live embedding time the 1k tier measured
            ours = builds["ours"]
            rate = live["ours"]["chunks_per_s"]["median"]
            estimate = ours["seconds"]["median"] + tier["chunks"] / rate
            ours["estimated_live_build_s"] = estimate
            ours["incremental_share_of_estimated_build"] = (
                ours["incremental_s"]["median"] / estimate
            )
        serve = {p: summarise_serving(runs) for p, runs in entry["serve"].items()}
        tiers[name] = {"tier": tier, "builds": builds, "serve": serve, "faiss": entry["faiss"]}
    return tiers


def write(results: dict, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    results["summary"] = summarise(results)
    (folder / "latest.json").write_text(json.dumps(results, indent=1))
    (folder / "latest.md").write_text(markdown(results))
    chart(results["summary"], folder / "chart.png")


def _flags(flags: dict[str, bool]) -> str:
    has = ", ".join(flag for flag, present in flags.items() if present) or "none"
    lacks = ", ".join(flag for flag, present in flags.items() if not present) or "none"
    return f"The CPU has {has}; it lacks {lacks}. Int8 and bf16 figures depend on these."


def markdown(results: dict) -> str:
    summary, m = results["summary"], results["machine"]
    lines = [
        f"# Benchmarks ({m['date']}, {m['cores']} cores, {m['cpu']})",
        "",
        _flags(m.get("cpu_flags", {})),
        "",
        f"Medians over {results['repeats']} runs, (min–max) beside them; the machine is shared,"
        f" load average at start {m['load_average_at_start'][0]:.1f}. Ratios compare runs made"
        " back to back in the same session.",
        "",
        "## Speed, memory and size",
        "",
        "| Tier | Figure | Ours | Baseline | Ratio |",
        "|---|---|---|---|---|",
    ]
    for name, tier in summary.items():
        lines += _tier_rows(name, tier)
    for name, reason in results["skipped"].items():
        lines.append(f"| {name} | not run | {reason} | | |")
    if "100k" not in summary and "100k" not in results["skipped"]:
        lines += ["", NOT_RUN_100K]
    lines += ["", "## Targets", "", *_target_rows(summary)]
    lines += ["", "## Quality", "", *_quality_rows(results["quality"])]
    lines += ["", "## Probes behind the engine recommendations", "", *_probe_rows(results)]
    return "\n".join(lines) + "\n"


def _target_rows(summary: dict) -> list[str]:
    """The issue's targets against the largest tier measured (100k when it was run)."""
    name = max(summary, key=lambda n: summary[n]["tier"]["chunks"])
    largest, live = summary[name], next(t for t in summary.values() if "baseline" in t["builds"])
    serve, build = largest["serve"]["ours"], largest["builds"]["ours"]
    incremental = build.get("incremental_share_of_estimated_build")
    if incremental is None:
        incremental = build["incremental_s"]["median"] / build["seconds"]["median"]
    speedup = live["builds"]["speedup_mb_per_s"]["median"]
    serving_rss, building_rss = serve["peak_rss_mb"]["median"], build["peak_rss_mb"]["median"]
    p50, p99 = serve["p50_ms"]["median"], serve["p99_ms"]["median"]
    cold = serve["cold_start_s"]["median"]
    # Warm latency includes the reader and the answer model (the answer-or-abstain issue's
    # targets); cold start and serving memory are the lean-serving issue's.
    rows = [
        ("Build throughput (1k tier, live)", "≥ 2.5× baseline", f"{speedup:.2f}×", speedup >= 2.5),
        (f"Warm latency p50 ({name})", "≤ 40 ms", f"{p50:.1f} ms", p50 <= 40),
        (f"Warm latency p99 ({name})", "≤ 80 ms", f"{p99:.1f} ms", p99 <= 80),
        (
            f"Incremental rebuild ({name})",
            "≤ 5% of full",
            f"{incremental:.1%}",
            incremental <= 0.05,
        ),
        (f"Cold start ({name})", "≤ 2.5 s", f"{cold:.1f} s", cold <= 2.5),
        (f"Peak RSS serving ({name})", "≤ 500 MB", f"{serving_rss:.0f} MB", serving_rss <= 500),
        (
            f"Peak RSS building ({name})",
            "≤ 1.5 GB",
            f"{building_rss:.0f} MB",
            building_rss <= 1536,
        ),
    ]
    lines = ["| Target | Goal | Measured | Met |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {'yes' if ok else 'no'} |" for a, b, c, ok in rows]
    if name != "100k":
        lines.append(f"| (100k tier not measured; figures are for the {name} tier) | | | |")
    return lines


def _tier_rows(name: str, tier: dict) -> list[str]:
    b, s = tier["builds"], tier["serve"]
    label = f"{name} ({tier['tier']['chunks']:,} chunks, {tier['tier']['megabytes']:.1f} MB)"
    rows = []

    def row(figure: str, ours: str, base: str = "", ratio: str = "") -> None:
        rows.append(f"| {label} | {figure} | {ours} | {base} | {ratio} |")

    ours, base = b["ours"], b.get("baseline")
    if base:
        row(
            "full build, s",
            _fmt(ours["seconds"]),
            _fmt(base["seconds"]),
            f"{_fmt(b['speedup_mb_per_s'], 2)}× the baseline's speed",
        )
        row("build, MB of text/s", _fmt(ours["mb_per_s"], 3), _fmt(base["mb_per_s"], 3))
        row("build, chunks/s", _fmt(ours["chunks_per_s"]), _fmt(base["chunks_per_s"]))
        row("chunks", f"{ours['chunks']:,}", f"{base['chunks']:,}")
    else:
        row("build from cached vectors, s", _fmt(ours["seconds"]))
        row("full build estimate, s", f"{ours['estimated_live_build_s']:.0f}")
    inc = ours["incremental_s"]
    full = ours.get("estimated_live_build_s") or ours["seconds"]["median"]
    row(
        "incremental, 1 file changed, s",
        _fmt(inc, 2),
        "full rebuild",
        f"{inc['median'] / full:.1%} of a full build",
    )
    row("index on disk, MB", f"{ours['disk_mb']:.1f}", f"{base['disk_mb']:.1f}" if base else "")
    row(
        "peak RSS while building, MB",
        _fmt(ours["peak_rss_mb"], 0),
        _fmt(base["peak_rss_mb"], 0) if base else "",
    )
    so, sb = s["ours"], s.get("baseline")
    for key, figure in (
        ("p50_ms", "answer p50, ms"),
        ("p95_ms", "answer p95, ms"),
        ("p99_ms", "answer p99, ms"),
        ("embed_p50_ms", "  embed p50, ms"),
        ("search_p50_ms", "  search p50, ms"),
        ("answer_p50_ms", "  answer step p50 (ours: reader and answer model), ms"),
        ("cold_start_s", "cold start to first answer, s"),
        ("whole_per_question_ms", "whole process per question (cold start + answers) / N, ms"),
        ("peak_rss_mb", "peak RSS while serving, MB"),
    ):
        ratio = f"{so[key]['median'] / sb[key]['median']:.2f}×" if sb else ""
        row(figure, _fmt(so[key]), _fmt(sb[key]) if sb else "", ratio)
    probes = [tier["faiss"], tier["faiss"].get("with_sentences")]
    for probe in filter(None, probes):
        for kind, r in probe["results"].items():
            figure = f"FAISS {kind} over {probe['vectors']:,} vectors: search ms / recall@10"
            row(figure, f"{r['ms']:.3f} / {r['recall_at_10']:.3f}")
    return rows


def _quality_rows(quality: dict) -> list[str]:
    seed = quality["seed_dev"]
    keys = ("cite_at_1", "cite_at_3", "answer", "sources", "abstain", "answer_rate")
    lines = ["| Seed dev set | " + " | ".join(keys) + " |", "|---" * (len(keys) + 1) + "|"]
    for name in ("ours", "baseline"):
        lines.append(f"| {name} | " + " | ".join(f"{seed[name][k]:.2f}" for k in keys) + " |")
    if "scifact_train" in quality:
        s = quality["scifact_train"]["ours"]
        lines += [
            "",
            f"SciFact train (ours, {s['queries']} queries): nDCG@10 {s['ndcg_at_10']:.4f},"
            f" Recall@10 {s['recall_at_10']:.4f}, Recall@100 {s['recall_at_100']:.4f},"
            f" MRR@10 {s['mrr_at_10']:.4f}.",
        ]
    return lines


def _probe_rows(results: dict) -> list[str]:
    runs = results["embedding_probe"]
    runs = runs if isinstance(runs, list) else [runs]
    probe = runs[0]
    lines = [
        f"| Embedding path (1k tier sample, {len(runs)} runs) | texts/s | min cosine to ST fp32 |",
        "|---|---|---|",
    ]
    for name, r in probe["throughput"].items():
        rate = _fmt(spread([run["throughput"][name]["texts_per_s"] for run in runs]))
        lines.append(f"| {name} | {rate} | {r.get('min_cosine', 1.0):.5f} |")
    lines += ["", "| Query embedding path | median ms |", "|---|---|"]
    for name in probe["query_ms_median"]:
        lines.append(f"| {name} | {_fmt(spread([r['query_ms_median'][name] for r in runs]))} |")
    if "tokens_embedded" in probe:
        t = probe["tokens_embedded"]
        lines += [
            "",
            f"Word pieces fed to the model for the 1k tier: ours {t['ours']:,},"
            f" baseline {t['baseline']:,} ({t['ours'] / t['baseline']:.2f}×).",
        ]
    lines += _contention_rows(results.get("contention_probe", {}))
    chunking = results.get("chunking_probe")
    if chunking and "large_file_s" in chunking:
        lines += [
            "",
            f"Chunking a {chunking['large_file_mb']:.2f} MB text file: "
            f"{chunking['large_file_s']:.2f} s ({chunking['large_file_chunks']:,} chunks); "
            f"the tier's {chunking['corpus_documents']:,} documents: {chunking['corpus_s']:.2f} s.",
        ]
    if "imports_probe" in results:
        lines += ["", "Cold start budget (process start plus imports, before any model or index):"]
    for name, seconds in results.get("imports_probe", {}).items():
        lines.append(f"- Process start + `{name}`: {_fmt(spread(seconds), 2)} s")
    return lines


def _contention_rows(probe: dict) -> list[str]:
    if not probe:
        return []
    scenarios = ("idle", "embedding_in_a_thread", "embedding_in_another_process")
    lines = [
        "",
        "Answer latency (1k tier, ms, p50 / p95) while both cores are busy embedding, by the"
        " OpenMP wait policy of the answering process:",
        "",
        "| Wait policy | cores idle | a /reindex in the same process | another process |",
        "|---|---|---|---|",
    ]
    for policy, runs in probe.items():
        cells = []
        for scenario in scenarios:
            p50 = spread([r[scenario]["p50"] for r in runs])
            p95 = spread([r[scenario]["p95"] for r in runs])
            cells.append(f"{_fmt(p50)} / {_fmt(p95)}")
        lines.append(f"| {policy} | " + " | ".join(cells) + " |")
    return lines


def chart(summary: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 5))
    lines = (("ours", "tab:blue"), ("baseline", "tab:grey"))
    for pipeline, colour in lines:
        points = [
            (t["tier"]["chunks"], t["serve"][pipeline])
            for t in summary.values()
            if pipeline in t["serve"]
        ]
        if not points:
            continue
        x = [p[0] for p in points]
        for key, style in (("p50_ms", "-o"), ("p99_ms", "--^")):
            y = [p[1][key]["median"] for p in points]
            err = [
                [v - p[1][key]["min"] for v, p in zip(y, points, strict=True)],
                [p[1][key]["max"] - v for v, p in zip(y, points, strict=True)],
            ]
            left.errorbar(
                x,
                y,
                yerr=err,
                fmt=style,
                color=colour,
                capsize=3,
                label=f"{pipeline} {key.removesuffix('_ms')}",
            )
    left.set(
        xscale="log",
        xlabel="corpus size, chunks",
        ylabel="answer latency, ms",
        title="Warm question latency (median, bars min–max)",
    )
    left.set_ylim(bottom=0)
    left.legend(fontsize=8, loc="lower right", ncol=2)
    live = next(t["builds"] for t in summary.values() if "baseline" in t["builds"])
    names = ["ours", "baseline"]
    values = [{k: v * 1000 for k, v in live[n]["mb_per_s"].items()} for n in names]
    right.bar(
        names,
        [v["median"] for v in values],
        color=["tab:blue", "tab:grey"],
        yerr=[[v["median"] - v["min"] for v in values], [v["max"] - v["median"] for v in values]],
        capsize=4,
    )
    right.set(
        ylabel="kB of text per second", title="Full build throughput, 1k tier (median, min–max)"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=120)


if __name__ == "__main__":  # re-render latest.md and chart.png from latest.json
    results_folder = Path(__file__).parent / "results"
    write(json.loads((results_folder / "latest.json").read_text()), results_folder)
