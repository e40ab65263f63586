"""Settings come from the environment and .env, once, and never show the token."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import create_bot
from bot.config import Settings, SettingsError

TOKEN = "MTIz.secret-token-value"


def test_defaults() -> None:
    s = Settings.from_env({}, dotenv_path=None)
    assert (s.token, s.channels, s.cooldown_s, s.allow_dms) == ("", (), 5.0, False)
    assert s.corpus_dir == Path("docs_corpus") and s.index_dir == Path(".qabot/index")


def test_environment_wins_over_dotenv_and_overrides_win_over_both(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text(
        f"DISCORD_TOKEN={TOKEN}\nQABOT_CHANNELS=#ask-the-docs, 1234\nQABOT_COOLDOWN_S=9\n"
        "QABOT_MOD_ROLE=Mods\nQABOT_DMS=yes\n"
    )
    s = Settings.from_env({"QABOT_COOLDOWN_S": "2.5"}, dotenv_path=dotenv, mod_role="Helpers")
    assert s.token == TOKEN
    assert s.channels == ("ask-the-docs", "1234")
    assert s.cooldown_s == 2.5
    assert s.mod_role == "Helpers"
    assert s.allow_dms is True


def test_the_token_never_appears_in_the_settings_repr() -> None:
    s = Settings.from_env({"DISCORD_TOKEN": TOKEN}, dotenv_path=None)
    assert TOKEN not in repr(s) and TOKEN not in str(s)


@pytest.mark.parametrize("raw", ["soon", "-1"])
def test_a_bad_cooldown_names_the_variable(raw: str) -> None:
    with pytest.raises(SettingsError, match="QABOT_COOLDOWN_S"):
        Settings.from_env({"QABOT_COOLDOWN_S": raw}, dotenv_path=None)


def test_create_bot_reads_the_environment_and_keyword_overrides(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("QABOT_CHANNELS", "general")
    monkeypatch.setenv("QABOT_CORPUS_DIR", "/elsewhere")
    bot = create_bot(corpus_dir=tmp_path, cooldown_s=1)
    assert bot.settings.channels == ("general",)
    assert bot.settings.corpus_dir == tmp_path
    assert bot.settings.cooldown_s == 1
    assert bot.allowed_mentions.everyone is False and bot.allowed_mentions.roles is False


def test_an_unknown_setting_is_refused() -> None:
    with pytest.raises(SettingsError, match="colour"):
        create_bot(colour="red")


def test_thread_forum_ask_channel_and_intent_settings() -> None:
    default = Settings.from_env({}, dotenv_path=None)
    assert (default.threads, default.forum, default.ask_channels) == (False, "", ())
    assert default.message_content
    env = {
        "QABOT_THREADS": "1",
        "QABOT_FORUM": "#questions",
        "QABOT_ASK_CHANNELS": "#ask-the-docs, 42",
        "QABOT_MESSAGE_CONTENT": "off",
    }
    s = Settings.from_env(env, dotenv_path=None)
    assert (s.threads, s.forum, s.ask_channels) == (True, "questions", ("ask-the-docs", "42"))
    assert not s.message_content
    assert create_bot(message_content=False, ask_channels="help").intents.message_content is False
