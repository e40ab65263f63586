"""Index builds killed with SIGKILL at random moments, and what a user finds after each kill.

A helper process loads the model once (one thread, so forking is safe) and then forks one real
`qabot index build` per request; the parent kills it after a random delay. The corpus alternates
between two versions, so every build has a file to add and one to drop. After each kill:

- `qabot ask` answers, from a build whose files are exactly those of one version, all checksums
  intact (store.read checks every file), never an error;
- the next build succeeds, and leaves one build folder and no leftovers.

Used by tests/test_faults.py (10 moments) and benchmarks/faults.py (50).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ARTICLE = REPO / "docs_corpus" / "moscow-mulls-reaction-to-japan.txt"
QUESTION = "What did Tokyo urge Japanese citizens to do?"


def notes(version: str) -> str:
    """A file of about 20 chunks, so that embedding is one of the phases a kill can land in."""
    body = "\n\n".join(
        " ".join(
            f"Logbook {version} entry {i}.{j} records that the barge {version}-{i} carried"
            f" {i * j + 3} crates of timber to the northern quay."
            for j in range(12)
        )
        for i in range(20)
    )
    return f"Harbour Logbook {version.upper()}\n\n{body}\n"


VERSIONS = {"a": {"logbook-a.txt": notes("a")}, "b": {"logbook-b.txt": notes("b")}}


@dataclass(frozen=True)
class Kill:
    delay: float  # seconds after the build started
    phase: str  # what the kill left behind: see phase_left()
    served: str  # the corpus version `qabot ask` answered from


def write_version(corpus: Path, version: str) -> None:
    for other in VERSIONS.values():
        for name in other:
            (corpus / name).unlink(missing_ok=True)
    for name, text in VERSIONS[version].items():
        (corpus / name).write_text(text, encoding="utf-8")


class Builder:
    """The helper process: one forked `qabot index build` per call to start()."""

    def __init__(self, corpus: Path, index: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.killed_builds", str(corpus), str(index)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=REPO,
        )
        assert self._line() == "ready"

    def _line(self) -> str:
        line = self.process.stdout.readline().strip()
        if not line:
            raise RuntimeError("the build helper died")
        return line

    def start(self) -> int:
        self.process.stdin.write("build\n")
        self.process.stdin.flush()
        return int(self._line())

    def wait(self) -> int:
        """The build's exit code; -9 when it was killed."""
        return int(self._line())

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=30)


def phase_left(index: Path, before: set[str]) -> str:
    """reading/embedding (nothing written yet), writing (a .partial folder), switching (a complete
    folder CURRENT doesn't name), or switched (CURRENT names the new build)."""
    from index import store

    folders = {p.name for p in index.glob("build-*")} - before
    live = store.live_folder(index)
    if live is not None and live.name not in before:
        return "switched"
    if any(name.endswith(".partial") for name in folders):
        return "writing"
    if folders:
        return "switching"
    return "reading or embedding"


def served_version(index: Path) -> str:
    """Ask as a user does; return which corpus version the live build holds, wholly."""
    from bot.cli import main
    from index import store

    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(["ask", "--json", "--index", str(index), QUESTION])
    assert code == 0 and not err.getvalue(), err.getvalue()
    answer = json.loads(out.getvalue())
    stored = store.read_index(index)  # every file's checksum
    files = set(stored.manifest["files"])
    matches = [v for v, names in VERSIONS.items() if files == {ARTICLE.name, *names}]
    assert len(matches) == 1, f"a mix of versions is served: {sorted(files)}"
    cited = {c["doc"] for c in answer["citations"] + answer["related"]}
    assert cited and cited <= files
    assert "Japanese citizens not to visit Russia" in answer["answer"]
    return matches[0]


def assert_clean(index: Path) -> None:
    """One build folder, named by CURRENT, and nothing left over."""
    from index import store

    names = sorted(p.name for p in index.iterdir() if p.name not in ("models", ".build.lock"))
    live = store.live_folder(index)
    assert live is not None and names == sorted(["CURRENT", live.name]), names


def run_kills(root: Path, moments: int, seed: int) -> tuple[float, list[Kill]]:
    """Kill `moments` builds at random moments, checking the index after each. Returns how long
    a whole build took (the moments are spread over 1.3 times that: builds vary) and the kills."""
    corpus, index = root / "corpus", root / "index"
    corpus.mkdir(parents=True)
    shutil.copy(ARTICLE, corpus)
    write_version(corpus, "b")
    builder = Builder(corpus, index)
    try:
        builder.start()
        assert builder.wait() == 0  # the first build (and the question model's export)
        write_version(corpus, "a")
        started = time.perf_counter()
        builder.start()
        assert builder.wait() == 0
        full = time.perf_counter() - started  # a whole build, to spread the moments over
        rng = random.Random(seed)
        # Stratified: one random moment in each of `moments` equal slices of the build, shuffled,
        # so short phases (writing, switching) are reached as often as their share of the time.
        delays = [(i + rng.random()) / moments * full * 1.3 for i in range(moments)]
        rng.shuffle(delays)
        kills = []
        for delay in delays:
            serving = served_version(index)
            write_version(corpus, "b" if serving == "a" else "a")
            before = {p.name for p in index.glob("build-*")}
            pid = builder.start()
            time.sleep(delay)
            with contextlib.suppress(ProcessLookupError):  # the build may have ended already
                os.kill(pid, signal.SIGKILL)
            builder.wait()
            phase = phase_left(index, before)
            served = served_version(index)
            expected = serving if phase != "switched" else ("b" if serving == "a" else "a")
            assert served == expected, (phase, served, expected)
            builder.start()
            assert builder.wait() == 0  # the next build succeeds
            assert_clean(index)
            kills.append(Kill(round(delay, 3), phase, served))
        return full, kills
    finally:
        builder.close()


def _serve(corpus: str, index: str) -> None:
    """The helper process's loop: fork a build per line on stdin, report its pid and exit code."""
    import torch

    torch.set_num_threads(1)  # no OpenMP pool in this process: forked children can use torch
    from bot import cli
    from index import runtime
    from index.settings import EngineSettings

    models = runtime.Models(EngineSettings())
    models.build_embedder()  # loaded once, before the forks
    runtime.load_models = lambda settings: models  # type: ignore[assignment]
    print("ready", flush=True)
    for _ in sys.stdin:
        pid = os.fork()
        if pid == 0:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            os._exit(cli.main(["index", "build", "--json", "--corpus", corpus, "--index", index]))
        print(pid, flush=True)
        _, status = os.waitpid(pid, 0)
        print(os.waitstatus_to_exitcode(status), flush=True)


if __name__ == "__main__":
    _serve(sys.argv[1], sys.argv[2])
