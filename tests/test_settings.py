"""One settings reader: QABOT_* from the environment and .env (the environment wins), for the
engine, the CLI and the bot alike."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import Settings, SettingsError
from index.settings import EngineSettings
from tests.conftest import ARTICLE

ENGINE_VARIABLES = (
    "QABOT_CORPUS_DIR",
    "QABOT_INDEX_DIR",
    "QABOT_MODEL",
    "QABOT_DTYPE",
    "QABOT_K",
    "QABOT_ABSTAIN",
)
UNANSWERED = "Who is the prime minister of Japan?"


def write_dotenv(folder: Path, **variables: str) -> None:
    (folder / ".env").write_text("".join(f"{k}={v}\n" for k, v in variables.items()))


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No QABOT_* from the developer's shell; the working folder is the test's own."""
    for name in ENGINE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def quick_build(served_models) -> None:
    """`qabot index build` with the session's model and its export (both tested elsewhere)."""


def dotenv_corpus(folder: Path) -> Path:
    corpus = folder / "papers"
    corpus.mkdir()
    shutil.copy(ARTICLE, corpus)
    write_dotenv(folder, QABOT_CORPUS_DIR=str(corpus), QABOT_INDEX_DIR="served/index", QABOT_K="1")
    return corpus


def passages_shown(out: str) -> int:
    answer = json.loads(out)
    return len(answer["citations"]) + len(answer["related"])


def test_dotenv_is_read_and_the_environment_wins(clean_env: Path, monkeypatch) -> None:
    write_dotenv(clean_env, QABOT_INDEX_DIR="from-dotenv", QABOT_K="3", QABOT_ABSTAIN="strict")
    monkeypatch.setenv("QABOT_K", "7")
    settings = EngineSettings.from_env()
    assert settings.index_dir == Path("from-dotenv")
    assert (settings.k, settings.abstain) == (7, "strict")
    assert EngineSettings.from_env(index_dir="flag").index_dir == Path("flag")  # flags win


def test_the_bot_settings_hold_the_same_engine_settings(clean_env: Path, monkeypatch) -> None:
    write_dotenv(clean_env, QABOT_INDEX_DIR="from-dotenv", QABOT_K="3", QABOT_WORKERS="4")
    bot = Settings.from_env()
    assert bot.engine == EngineSettings.from_env()
    assert (bot.index_dir, bot.engine.k, bot.workers) == (Path("from-dotenv"), 3, 4)
    assert bot.with_overrides(k=2, index_dir="x").engine.k == 2


@pytest.mark.parametrize("variable", ["QABOT_K", "QABOT_WORKERS"])
def test_a_bad_number_in_dotenv_names_the_variable(clean_env: Path, variable: str) -> None:
    write_dotenv(clean_env, **{variable: "many"})
    with pytest.raises(SettingsError, match=variable):
        Settings.from_env()


def test_build_and_ask_use_the_index_dir_and_k_from_dotenv(
    capsys, clean_env: Path, quick_build, monkeypatch
) -> None:
    dotenv_corpus(clean_env)
    assert main(["index", "build", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["added"] == [ARTICLE.name]
    assert (clean_env / "served" / "index" / "CURRENT").is_file()
    assert not (clean_env / ".qabot").exists()  # nothing went to the default folder

    assert main(["ask", "--json", UNANSWERED]) == 0
    assert passages_shown(capsys.readouterr().out) == 1  # QABOT_K=1
    monkeypatch.setenv("QABOT_K", "5")  # the environment wins over .env
    assert main(["ask", "--json", UNANSWERED]) == 0
    assert passages_shown(capsys.readouterr().out) == 3


def test_eval_indexes_go_beside_the_configured_index(clean_env: Path) -> None:
    from bot.eval_cli import _eval_index_dir

    write_dotenv(clean_env, QABOT_INDEX_DIR="served/index")
    assert _eval_index_dir(clean_env, "squad").parent == Path("served")
