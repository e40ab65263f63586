"""Faults a build must survive: a kill at any moment, a full disk, a read-only index folder, and
a missing or damaged CURRENT pointer. The old index keeps serving; errors are one clear line."""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.killed_builds import run_kills
from bot.cli import main
from tests.conftest import ARTICLE

FERRY = "Island Ferry\n\nThe electric ferry to Saltholm leaves every 40 minutes.\n"
TOKYO = "What did Tokyo urge Japanese citizens to do?"


@pytest.fixture
def cli_model(served_models) -> None:
    """The CLI with the session's model, and its export put in place as a build would."""


def mount(*args: str) -> bool:
    return subprocess.run(["mount", *args], capture_output=True).returncode == 0


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    disk = tmp_path / "disk"
    disk.mkdir()
    if not mount("-t", "tmpfs", "-o", "size=2m", "tmpfs", str(disk)):
        pytest.skip("mounting a small tmpfs needs root (CAP_SYS_ADMIN); not available here")
    yield disk
    subprocess.run(["umount", "--lazy", str(disk)], check=True)  # engines may hold files open


def article_corpus(folder: Path) -> Path:
    folder.mkdir()
    shutil.copy(ARTICLE, folder)
    return folder


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def ask_tokyo(capsys, flags: list[str]) -> dict:
    code, out, err = run(capsys, "ask", "--json", *flags, TOKYO)
    assert code == 0, err
    answer = json.loads(out)
    assert "Japanese citizens not to visit Russia" in answer["answer"]
    return answer


def fill(disk: Path) -> Path:
    """Take every free byte of the disk."""
    filler = disk / "filler"
    with filler.open("wb") as handle:
        try:
            while True:
                handle.write(b"\0" * 65536)
                handle.flush()
        except OSError:
            pass
    return filler


def test_a_full_disk_fails_the_build_in_one_line_and_the_old_index_serves(
    capsys, tmp_path, small_disk, cli_model
) -> None:
    corpus = article_corpus(tmp_path / "corpus")
    flags = ["--corpus", str(corpus), "--index", str(small_disk / "index")]
    assert run(capsys, "index", "build", *flags)[0] == 0
    old = sorted(p.name for p in (small_disk / "index").iterdir())
    filler = fill(small_disk)
    (corpus / "ferry.txt").write_text(FERRY)

    code, _, err = run(capsys, "index", "build", *flags)
    assert code == 1 and "Traceback" not in err
    assert err.count("\n") == 1 and "No space left on device" in err, err
    assert "the old index is unchanged" in err
    assert sorted(p.name for p in (small_disk / "index").iterdir()) == old  # nothing partial
    ask_tokyo(capsys, flags)

    filler.unlink()
    assert run(capsys, "index", "build", *flags)[0] == 0  # room again: the build goes through
    code, out, _ = run(capsys, "ask", "--json", *flags, "How often does the ferry leave?")
    assert "every 40 minutes" in out


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[list[Path]]:
    """Folders to make read-only with a bind mount (root ignores file permission bits)."""
    mounted: list[Path] = []
    yield mounted
    for folder in mounted:
        subprocess.run(["umount", "--lazy", str(folder)], check=True)


def test_a_read_only_index_folder_refuses_builds_clearly_and_still_answers(
    capsys, tmp_path, read_only, cli_model
) -> None:
    corpus = article_corpus(tmp_path / "corpus")
    index = tmp_path / "index"
    flags = ["--corpus", str(corpus), "--index", str(index)]
    assert run(capsys, "index", "build", *flags)[0] == 0
    if not (mount("--bind", str(index), str(index)) and read_only.append(index) is None):
        pytest.skip("a read-only bind mount needs root (CAP_SYS_ADMIN); not available here")
    if not mount("-o", "remount,bind,ro", str(index)):
        pytest.skip("remounting read-only needs root (CAP_SYS_ADMIN); not available here")
    (corpus / "ferry.txt").write_text(FERRY)

    code, _, err = run(capsys, "index", "build", *flags)
    assert code == 1 and err.count("\n") == 1 and "Traceback" not in err
    assert f"can't build in the index folder {index} (Read-only file system)" in err
    ask_tokyo(capsys, flags)


@pytest.fixture
def built(capsys, tmp_path, cli_model) -> list[str]:
    corpus = article_corpus(tmp_path / "corpus")
    flags = ["--corpus", str(corpus), "--index", str(tmp_path / "index")]
    assert run(capsys, "index", "build", *flags)[0] == 0
    return flags


@pytest.mark.parametrize("damage", ["missing", b"\xff\xfe garbage", b"build-nowhere\n", b""])
def test_a_missing_or_damaged_pointer_falls_back_to_the_newest_complete_build(
    capsys, tmp_path, built, caplog, damage
) -> None:
    index = tmp_path / "index"
    live = (index / "CURRENT").read_text().strip()
    (index / "build-19990101T000000-1-1.partial").mkdir()  # a crashed build: never served
    if damage == "missing":
        (index / "CURRENT").unlink()
    else:
        (index / "CURRENT").write_bytes(damage)
    with caplog.at_level(logging.WARNING, logger="qabot.index"):
        answer = ask_tokyo(capsys, built)
    assert len(caplog.records) == 1 and live in caplog.text and "CURRENT" in caplog.text
    assert answer["citations"]
    assert run(capsys, "index", "build", *built)[0] == 0  # and the next build repairs it
    assert (index / "CURRENT").read_text().strip().startswith("build-")
    assert not (index / "build-19990101T000000-1-1.partial").exists()


def test_a_damaged_pointer_and_no_build_is_a_clear_error(capsys, tmp_path, built) -> None:
    index = tmp_path / "index"
    shutil.rmtree(next(index.glob("build-*")))
    (index / "CURRENT").write_text("build-gone\n")
    code, _, err = run(capsys, "ask", *built, TOKYO)
    assert code == 1 and err.count("\n") == 1 and "names no complete build" in err


def test_builds_killed_at_ten_random_moments_never_break_the_index(tmp_path) -> None:
    # run_kills asserts after every kill: `qabot ask` answers from one whole version, all files
    # intact, and the next build succeeds and leaves nothing behind. Where the kills landed
    # varies with the machine's load; benchmarks/faults.py reports it over 50 moments.
    full, kills = run_kills(tmp_path, moments=10, seed=12)
    assert len(kills) == 10 and full > 0
