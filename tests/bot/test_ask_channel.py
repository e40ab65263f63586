"""Ask channels: questions answered without a mention, members can opt out, and the intent."""

from __future__ import annotations

import discord
import pytest

from bot.cogs.ask import OPTED_IN, OPTED_OUT
from bot.config import Settings
from bot.runner import REJECTED, intent_warning, run_bot
from tests.bot.conftest import World
from tests.bot.test_runner import TOKEN, discord_api  # noqa: F401 (a fixture)

ASK_CHANNEL = {"cooldown_s": 0, "ask_channels": "ask-the-docs"}
PRICES = "Why did apple prices fall by 12 percent?"


def bot_messages(world: World, channel=None) -> list[discord.Message]:
    return [m for m in (channel or world.channel).history() if m.author.id == world.bot.user.id]


@pytest.mark.parametrize("bot_settings", [ASK_CHANNEL])
async def test_questions_in_an_ask_channel_need_no_mention(world: World) -> None:
    asked = await world.member.send(world.channel, PRICES)
    reply = world.channel.last_message
    assert reply.reference.message_id == asked.id and "good harvest" in reply.embeds[0].description
    assert "React 🔕" in reply.embeds[0].footer.text
    await world.member.send(world.channel, "how many tonnes of apples were harvested")
    assert "1,200 tonnes" in world.channel.last_message.embeds[0].description
    await world.member.send(world.channel, "Great, thanks. The harvest festival starts at noon.")
    assert len(bot_messages(world)) == 2  # chatter is left alone
    elsewhere = world.guild.create_text_channel("off-topic")
    await world.member.send(elsewhere, PRICES)
    assert bot_messages(world, elsewhere) == []


@pytest.mark.parametrize("bot_settings", [ASK_CHANNEL])
async def test_a_member_opts_out_with_a_reaction_and_back_in_with_a_command(world: World) -> None:
    await world.member.send(world.channel, PRICES)
    await world.member.react(world.channel.last_message, "🔕")
    await world.member.send(world.channel, PRICES)
    assert len(bot_messages(world)) == 1
    await world.moderator.send(world.channel, PRICES)  # others still get answers
    assert len(bot_messages(world)) == 2
    await world.member.send(world.channel, f"{world.bot.user.mention} {PRICES}")
    assert len(bot_messages(world)) == 3  # a mention is always answered

    back = await world.member.slash(world.channel, "autoanswer", on=True)
    assert back.ephemeral and back.response.content == OPTED_IN
    await world.member.send(world.channel, PRICES)
    assert len(bot_messages(world)) == 4
    out = await world.member.slash(world.channel, "autoanswer", on=False)
    assert out.response.content == OPTED_OUT
    await world.member.send(world.channel, PRICES)
    assert len(bot_messages(world)) == 4
    assert str(world.member.id) not in "".join(world.bot.feedback.opt_outs())


@pytest.mark.simcord(settle_timeout=120, approved_intents=discord.Intents.default())
@pytest.mark.parametrize("bot_settings", [{**ASK_CHANNEL, "message_content": False}])
async def test_without_the_intent_an_ask_channel_needs_a_mention(world: World) -> None:
    await world.member.send(world.channel, PRICES)
    assert bot_messages(world) == []
    await world.member.send(world.channel, f"{world.bot.user.mention} {PRICES}")
    assert "good harvest" in world.channel.last_message.embeds[0].description


def test_qabot_run_says_in_one_line_when_the_intent_is_missing(
    monkeypatch: pytest.MonkeyPatch,
    discord_api: str,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", TOKEN)
    monkeypatch.setenv("QABOT_ASK_CHANNELS", "ask-the-docs")
    monkeypatch.setenv("QABOT_MESSAGE_CONTENT", "0")
    assert run_bot() == 2
    warning = intent_warning(Settings.from_env())
    assert warning and "\n" not in warning
    assert capsys.readouterr().err == f"qabot: {warning}\nqabot: {REJECTED}\n"
    assert intent_warning(Settings(ask_channels=("ask-the-docs",))) is None  # intent requested
