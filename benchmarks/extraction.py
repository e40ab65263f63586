"""Extraction throughput per format, and its share of a full build of a mixed corpus.

    python -m benchmarks.extraction [--repeat 5]

For each format: pages/s (PDF pages, else documents) and MB/s of input, as the median of the
repeats with min–max, in-process (extract) and through the build's sandboxed worker (which adds
the copy of the bytes to the worker). Then one full build of a mixed corpus (the article, a
saved web page, a long PDF, a Word file and Markdown, several copies each) with the real model:
the share of its time spent extracting. A benchmark, not a test: nothing here asserts.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks import documents as files
from index.build.formats import extract
from index.build.formats.sandbox import Sandbox

ARTICLE = (
    Path(__file__).resolve().parent.parent / "docs_corpus" / "moscow-mulls-reaction-to-japan.txt"
)


def _inputs() -> dict[str, tuple[bytes, int]]:
    """format -> (bytes, pages): a 200-page PDF, the news page, the handbook."""
    pdf = files.long_pdf(200)
    return {
        "pdf": (pdf, 200),
        "html": (files.NEWS_PAGE.encode() * 1, 1),
        "docx": (files.guide_docx(), 1),
    }


def _timed(call, repeat: int) -> list[float]:
    seconds = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - started)
    return seconds


def _row(name: str, seconds: list[float], pages: int, size: int, runs: int = 1) -> str:
    median = statistics.median(seconds) / runs
    low, high = min(seconds) / runs, max(seconds) / runs
    return (
        f"| {name} | {pages / median:,.0f} ({pages / high:,.0f}–{pages / low:,.0f})"
        f" | {size / 1e6 / median:.1f} ({size / 1e6 / high:.1f}–{size / 1e6 / low:.1f})"
        f" | {median * 1000:.2f} |"
    )


def throughput(repeat: int) -> list[str]:
    lines = [
        "| format | pages/s (min–max) | MB/s (min–max) | ms per file |",
        "|---|---|---|---|",
    ]
    runs = 20  # small files: time 20 extractions per repeat
    with Sandbox() as sandbox:
        for kind, (data, pages) in _inputs().items():
            count = 1 if kind == "pdf" else runs
            extract(kind, data)  # warm up imports
            seconds = _timed(
                lambda k=kind, d=data, c=count: [extract(k, d) for _ in range(c)], repeat
            )
            lines.append(_row(f"{kind} (in-process)", seconds, pages, len(data), count))
            sandbox.extract(kind, data)
            seconds = _timed(
                lambda k=kind, d=data, c=count: [sandbox.extract(k, d) for _ in range(c)], repeat
            )
            lines.append(_row(f"{kind} (sandboxed)", seconds, pages, len(data), count))
    return lines


def build_share(copies: int) -> list[str]:
    """One fresh build of a mixed corpus with the real model: where the time goes."""
    import index.build.incremental as build_module
    from index.build.embed import Embedder
    from index.build.incremental import build_index

    spent = {"extract": 0.0}
    original = build_module.read_documents

    def timed_read(*args, **kwargs):
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent["extract"] += time.perf_counter() - started

    build_module.read_documents = timed_read
    try:
        with tempfile.TemporaryDirectory() as folder:
            corpus = Path(folder) / "corpus"
            corpus.mkdir()
            for n in range(copies):
                (corpus / f"article-{n}.txt").write_text(
                    ARTICLE.read_text(encoding="utf-8") + f"\n\nCopy {n}."
                )
                (corpus / f"news-{n}.html").write_text(
                    files.NEWS_PAGE.replace("</article>", f"<p>Edition {n}.</p></article>")
                )
                (corpus / f"ledger-{n}.pdf").write_bytes(files.long_pdf(20 + n))
                (corpus / f"handbook-{n}.docx").write_bytes(files.guide_docx())
                (corpus / f"guide-{n}.md").write_text(files.MARKDOWN + f"\nNote {n}.\n")
            embedder = Embedder()
            started = time.perf_counter()
            report = build_index(corpus, Path(folder) / "index", embedder, None)
            total = time.perf_counter() - started
    finally:
        build_module.read_documents = original
    share = spent["extract"] / total
    return [
        f"mixed corpus: {copies * 5} files, {report.chunks} chunks, {report.embedded} embedded",
        f"build {total:.1f} s, of which reading and extracting {spent['extract']:.2f} s"
        f" ({share:.1%})",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--copies", type=int, default=4)
    args = parser.parse_args()
    print("\n".join(throughput(args.repeat)))
    print()
    print("\n".join(build_share(args.copies)))


if __name__ == "__main__":
    main()
