"""Follow-ups in replies, threads and forum posts, with and without the Message Content intent."""

from __future__ import annotations

import discord
import pytest

from bot import render
from tests.bot.conftest import World
from tests.bot.discord_rules import assert_valid

FROST = "What failed because of the late frost in April?"
WHO = "Who reported it?"  # "it" only means something after the first question
APPROVED = "What did the city council of Northport approve?"
NO_CONTENT_INTENT = discord.Intents.default()  # the portal's privileged Message Content is off


def last_answer(channel) -> discord.Message:
    message = channel.last_message
    assert message is not None and message.embeds, "the bot did not answer there"
    assert_valid(message)
    return message


async def test_a_reply_carries_the_previous_question_and_its_passages(world: World) -> None:
    await world.member.slash(world.channel, "ask", question=FROST)
    first = last_answer(world.channel)
    await world.member.send(world.channel, WHO, reply_to=first)
    followed = last_answer(world.channel).embeds[0].description
    assert followed.startswith("> A late frost in April") and "Radio North" in followed
    # The same words asked afresh, outside the conversation, have nothing to lean on.
    await world.member.send(world.channel, f"{world.bot.user.mention} {WHO}")
    assert last_answer(world.channel).embeds[0].description.startswith(render.NOT_ANSWERED)


@pytest.mark.parametrize("bot_settings", [{"cooldown_s": 0, "threads": True}])
async def test_ask_opens_a_thread_named_after_the_question_for_follow_ups(world: World) -> None:
    await world.member.slash(world.channel, "ask", question=FROST)
    [thread] = world.channel.threads
    assert thread.name == FROST
    await world.member.send(thread, WHO)  # no mention: the bot reads its own thread
    assert last_answer(thread).embeds[0].description.startswith("> A late frost in April")


@pytest.mark.parametrize("bot_settings", [{"cooldown_s": 0, "threads": True}])
async def test_context_never_crosses_from_one_thread_to_another(world: World) -> None:
    await world.member.slash(world.channel, "ask", question=FROST)
    await world.moderator.slash(world.channel, "ask", question=APPROVED)
    frost, harbor = world.channel.threads
    await world.moderator.send(harbor, WHO)
    assert "late frost" not in last_answer(harbor).embeds[0].description
    await world.member.send(frost, WHO)
    assert last_answer(frost).embeds[0].description.startswith("> A late frost in April")


@pytest.mark.simcord(settle_timeout=120, approved_intents=NO_CONTENT_INTENT)
@pytest.mark.parametrize(
    "bot_settings", [{"cooldown_s": 0, "threads": True, "message_content": False}]
)
async def test_without_the_intent_a_thread_follow_up_needs_a_mention(world: World) -> None:
    await world.member.slash(world.channel, "ask", question=FROST)
    [thread] = world.channel.threads
    await world.member.send(thread, WHO)
    assert thread.last_message.author.id == world.member.id  # the bot saw no text: quiet
    await world.member.send(thread, f"{world.bot.user.mention} {WHO}")
    assert last_answer(thread).embeds[0].description.startswith("> A late frost in April")


async def test_a_forum_post_the_bot_opens_takes_follow_ups(world: World) -> None:
    forum = world.guild.create_forum_channel("questions")
    world.bot.settings = world.bot.settings.with_overrides(forum="questions")
    result = await world.member.slash(world.channel, "ask", question=FROST)
    [post] = forum.threads
    assert post.name == FROST
    assert result.response.content == f"I answered in <#{post.id}>. Ask follow-ups there."
    assert last_answer(post).embeds[0].description.startswith("> A late frost in April")
    await world.member.send(post, WHO)
    assert len([m for m in post.history() if m.author.id == world.bot.user.id]) == 2
    assert last_answer(post).embeds[0].description.startswith("> A late frost in April")
