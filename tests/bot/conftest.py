"""Fixtures for the bot tests: the small corpus of benchmarks/small_corpus.py, one real engine for
the session, and the real bot inside SimCord's simulated Discord with a guild, a channel, a member
and a moderator.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import discord
import pytest
import simcord

from benchmarks.small_corpus import write_corpus
from bot import create_bot
from bot.client import QABot
from index.engine import Engine
from index.settings import EngineSettings
from tests.conftest import share_exported

COMMANDS = ("ask", "autoanswer", "quote", "sources", "reindex", "feedback", "gaps", "docs")
BOT_VARIABLES = (
    "DISCORD_TOKEN",
    "QABOT_CORPUS_DIR",
    "QABOT_INDEX_DIR",
    "QABOT_MOD_ROLE",
    "QABOT_CHANNELS",
    "QABOT_COOLDOWN_S",
    "QABOT_DMS",
    "QABOT_FEEDBACK_DB",
    "QABOT_THREADS",
    "QABOT_FORUM",
    "QABOT_ASK_CHANNELS",
    "QABOT_MESSAGE_CONTENT",
    "QABOT_DATA_DIR",
    "QABOT_FETCH_ALLOW",
    "QABOT_DM_COLLECTION",
    "QABOT_COLLECTION_CACHE",
    "QABOT_K",
    "QABOT_MODEL",
    "QABOT_DTYPE",
    "QABOT_ABSTAIN",
    "QABOT_WORKERS",
)


@pytest.fixture(autouse=True)
def hermetic_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No QABOT_* settings, token or .env from the developer's shell leak into a test."""
    for name in BOT_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="session")
def session_dirs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("shared")
    return write_corpus(root / "corpus"), root / "index"


@pytest.fixture(scope="session")
def engine(session_dirs: tuple[Path, Path], exported_model: Path, models) -> Engine:
    """The real engine, loaded once as the bot loads it (questions through the exported ONNX
    model, builds through sentence-transformers), over a corpus no test changes."""
    corpus, index = session_dirs
    share_exported(exported_model, index)
    return Engine.open(EngineSettings(corpus_dir=corpus, index_dir=index), models)


@pytest.fixture
def own_engine(engine: Engine, session_dirs: tuple[Path, Path], tmp_path: Path) -> Engine:
    """A real engine over a private copy of the corpus and index, for tests that change them."""
    corpus, index = session_dirs
    shutil.copytree(corpus, tmp_path / "corpus")
    shutil.copytree(index, tmp_path / "index", ignore=shutil.ignore_patterns("models"))
    share_exported(next((index / "models").glob("*.onnx")), tmp_path / "index")
    settings = EngineSettings(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index")
    return Engine.open(settings, engine.models, build_if_missing=False)


@pytest.fixture
def bot_engine(engine: Engine) -> Engine:
    """The engine the bot under test uses; override with own_engine where the corpus changes."""
    return engine


@pytest.fixture
def bot_settings() -> dict[str, object]:
    """Bot settings for the test; tests that exercise the cooldown set it themselves."""
    return {"cooldown_s": 0}


@pytest.fixture
def simcord_bot(bot_engine: Engine, bot_settings: dict[str, object], tmp_path: Path) -> QABot:
    return create_bot(engine=bot_engine, feedback_db=tmp_path / "feedback.sqlite3", **bot_settings)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """SimCord waits 5 s for the bot by default; builds embed text with the real model."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents and item.get_closest_marker("simcord") is None:
            item.add_marker(pytest.mark.simcord(settle_timeout=120))


@dataclass(frozen=True)
class World:
    env: simcord.Env
    bot: QABot
    guild: simcord.GuildHandle
    channel: simcord.ChannelHandle
    member: simcord.MemberActor
    moderator: simcord.MemberActor
    mods: simcord.RoleHandle

    def add_member(self, name: str) -> simcord.MemberActor:
        return self.guild.add_member(self.env.create_user(name))


@pytest.fixture
def world(simcord_env: simcord.Env, simcord_bot: QABot) -> World:
    guild = simcord_env.create_guild("Docs Club")
    channel = guild.create_text_channel("ask-the-docs")
    member = guild.add_member(simcord_env.create_user("ada"))
    mods = guild.create_role("Mods", permissions=discord.Permissions(manage_guild=True))
    moderator = guild.add_member(simcord_env.create_user("mo"), roles=[mods])
    return World(simcord_env, simcord_bot, guild, channel, member, moderator, mods)
