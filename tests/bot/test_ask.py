"""Asking questions through Discord: /ask, mentions, replies, buttons, limits and abuse guards."""

from __future__ import annotations

from dataclasses import replace

import discord
import pytest
import simcord

from bot import create_bot
from bot.checks import ChannelNotAllowed
from index.engine import MAX_QUESTION_CHARS, Engine, check_question
from index.errors import QuestionError
from tests.bot.conftest import World
from tests.bot.discord_rules import assert_valid, pings

FROST = "What failed because of the late frost in April?"


def answer_of(world: World) -> discord.Message:
    message = world.channel.last_message
    assert message is not None and message.author.id == world.bot.user.id
    assert_valid(message)
    return message


async def test_ask_replies_with_each_quote_once_then_its_citation(world: World) -> None:
    result = await world.member.slash(world.channel, "ask", question=FROST)
    assert not result.ephemeral
    embed = answer_of(world).embeds[0]
    assert embed.title == FROST
    quote, line = embed.description.split("\n")
    assert quote.startswith("> A late frost in April destroyed most of the cherry")
    assert line == "[1] Orchard Cooperative Report, ¶2 · Sources: Radio North (September 10)"
    assert not embed.fields  # the quote is the answer: it is not shown a second time
    assert embed.footer.text.startswith("Answered in ")


async def test_a_question_the_documents_dont_answer_says_so(world: World) -> None:
    await world.member.slash(world.channel, "ask", question="What is the capital of Peru?")
    embed = answer_of(world).embeds[0]
    assert embed.description.startswith("The documents don't answer this question.")
    lines = embed.description.split("\n")
    citation_lines = [line for line in lines if line.startswith("[")]
    assert 1 <= len(citation_lines) <= 3
    assert len([line for line in lines if line.startswith("> ")]) == len(citation_lines)


class TestTheClosestSentence:
    """Below the bar but near it: the closest sentence, plainly not an answer."""

    @pytest.fixture
    def bot_engine(self, engine: Engine) -> Engine:
        settings = replace(engine.settings, abstain="0.999")
        return Engine.open(settings, engine.models, build_if_missing=False)

    async def test_it_is_shown_as_possibly_not_answering(self, world: World) -> None:
        await world.member.slash(world.channel, "ask", question=FROST)
        embed = answer_of(world).embeds[0]
        head, quote, line = embed.description.split("\n")
        assert head.startswith("The documents may not answer this question.")
        assert quote.startswith("> A late frost in April destroyed most of the cherry")
        assert line.startswith("[1] Orchard Cooperative Report, ¶2")
        assert "not a confirmed answer" in embed.footer.text
        assert embed.colour != discord.Colour(0x3BA55D)  # not an answer's green


async def test_a_mention_is_answered_as_a_reply(world: World) -> None:
    asked = await world.member.send(
        world.channel, f"{world.bot.user.mention} Why did apple prices fall by 12 percent?"
    )
    reply = answer_of(world)
    assert reply.reference is not None and reply.reference.message_id == asked.id
    assert reply.embeds[0].title == "Why did apple prices fall by 12 percent?"
    assert "good harvest" in reply.embeds[0].description


async def test_replying_to_an_answer_asks_a_follow_up(world: World) -> None:
    await world.member.slash(world.channel, "ask", question=FROST)
    first = answer_of(world)
    follow_up = await world.member.send(
        world.channel, "How many tonnes of apples were harvested?", reply_to=first
    )
    reply = answer_of(world)
    assert reply.reference.message_id == follow_up.id
    assert "1,200 tonnes of apples" in reply.embeds[0].description
    assert "Farm Journal (September 9)" in reply.embeds[0].description


async def test_plain_chatter_and_other_bots_are_ignored(world: World) -> None:
    await world.member.send(world.channel, "Why did apple prices fall by 12 percent?")  # no mention
    other_bot = world.guild.add_member(world.env.create_user("helper", bot=True))
    await other_bot.send(
        world.channel, f"{world.bot.user.mention} Why did apple prices fall by 12 percent?"
    )
    assert all(m.author.id != world.bot.user.id for m in world.channel.history())


async def test_document_mentions_ping_no_one(world: World) -> None:
    await world.member.slash(world.channel, "ask", question="When is the beach cleanup day?")
    message = answer_of(world)
    shown = message.embeds[0].description
    assert "@everyone" in shown and "<@&424242>" in shown and "<@1234567890>" in shown
    # What SimCord stored: nobody, no role and not everyone gets notified.
    assert pings(world.env, message) == ([], [], False)


async def test_a_question_mentioning_everyone_pings_no_one(world: World) -> None:
    team = world.guild.create_role("Cleanup Team", mentionable=True)
    await world.member.send(
        world.channel,
        f"{world.bot.user.mention} @everyone {team.mention} when is the beach cleanup day?",
    )
    reply = answer_of(world)
    assert "@everyone" in reply.embeds[0].title and team.mention in reply.embeds[0].title
    assert pings(world.env, reply) == ([], [], False)  # not even the member who asked


async def test_show_passages_is_private_and_votes_are_stored(world: World) -> None:
    await world.member.slash(world.channel, "ask", question=FROST)
    answer = answer_of(world)
    shown = await world.member.click(answer, label="Show passages")
    assert shown.ephemeral
    passage = shown.response.embeds[0]
    assert passage.title == "[1] Orchard Cooperative Report, ¶2"
    assert passage.description.startswith("> A late frost in April")
    assert (
        "orchard.md" in passage.footer.text and "Radio North (September 10)" in passage.footer.text
    )

    up = answer.components[0].children[1].custom_id
    down = answer.components[0].children[2].custom_id
    thanks = await world.member.click(answer, custom_id=down)
    assert thanks.ephemeral and "noted" in thanks.response.content
    await world.moderator.click(answer, custom_id=up)
    [vote_a, vote_b] = world.bot.feedback.votes()
    assert {vote_a.vote, vote_b.vote} == {1, -1}
    assert vote_a.question == FROST and vote_a.chunk_ids

    summary = await world.moderator.slash(world.channel, "feedback")
    assert summary.ephemeral
    embed = summary.response.embeds[0]
    assert embed.description.startswith("👍 1 · 👎 1 from 2 members on 1 answers")
    assert embed.fields[0].name == FROST


async def test_buttons_keep_working_after_a_restart(world: World) -> None:
    await world.member.slash(world.channel, "ask", question=FROST)
    answer = answer_of(world)
    # A new process: a fresh bot on the same feedback database.
    settings = world.bot.settings
    await world.env.restart_bot(
        create_bot(engine=world.bot.engine, feedback_db=settings.feedback_db, cooldown_s=0)
    )
    shown = await world.member.click(answer, label="Show passages")
    assert shown.response.embeds[0].description.startswith("> A late frost in April")


def engine_refusal(question: str) -> str:
    """What the engine's one check of a question says about it."""
    with pytest.raises(QuestionError) as refused:
        check_question(question)
    return str(refused.value)


async def test_an_empty_question_gets_the_engines_message(world: World) -> None:
    await world.member.slash(world.channel, "ask", question="   ")
    assert world.channel.last_message.content == engine_refusal("   ")
    await world.member.send(world.channel, world.bot.user.mention)
    assert world.channel.last_message.content == engine_refusal("")


async def test_discord_refuses_an_ask_over_1000_characters(world: World) -> None:
    [option] = world.bot.tree.get_command("ask").to_dict(world.bot.tree)["options"]
    assert (option["min_length"], option["max_length"]) == (1, MAX_QUESTION_CHARS)
    with pytest.raises(simcord.OptionError, match="at most 1000 characters"):
        await world.member.slash(world.channel, "ask", question="why " * 300)
    assert world.channel.last_message is None


async def test_a_message_question_over_1000_characters_gets_the_engines_message(
    world: World,
) -> None:
    await world.member.send(world.channel, f"{world.bot.user.mention} {'why ' * 300}")
    assert world.channel.last_message.content == engine_refusal("why " * 300)
    assert "1199 characters long; the limit is 1000" in world.channel.last_message.content


@pytest.mark.parametrize("bot_settings", [{"cooldown_s": 5}])
async def test_one_question_per_five_seconds_per_member(world: World) -> None:
    await world.member.slash(world.channel, "ask", question=FROST)
    again = await world.member.slash(
        world.channel, "ask", question="Why did apple prices fall by 12 percent?"
    )
    assert again.ephemeral
    assert again.response.content == "One question at a time, please: try again in 5.0 s."
    other = await world.moderator.slash(
        world.channel, "ask", question="Why did apple prices fall by 12 percent?"
    )
    assert not other.ephemeral  # the cooldown is per member

    await world.member.send(world.channel, f"{world.bot.user.mention} Why did prices fall?")
    assert world.channel.last_message.content.startswith("One question at a time")

    await world.env.advance_time(5)
    later = await world.member.slash(
        world.channel, "ask", question="Why did apple prices fall by 12 percent?"
    )
    assert not later.ephemeral and "good harvest" in answer_of(world).embeds[0].description


async def test_a_cooldown_of_zero_lets_a_member_ask_again_at_once(world: World) -> None:
    await world.member.slash(world.channel, "ask", question=FROST)
    again = await world.member.slash(
        world.channel, "ask", question="Why did apple prices fall by 12 percent?"
    )
    assert not again.ephemeral and "good harvest" in answer_of(world).embeds[0].description


async def test_twenty_members_asking_in_turn_all_get_answers(world: World) -> None:
    members = [world.add_member(f"asker{i}") for i in range(20)]
    for member in members:
        await member.send(world.channel, f"{world.bot.user.mention} {FROST}")
    answers = [m for m in world.channel.history() if m.author.id == world.bot.user.id]
    assert len(answers) == 20
    assert all(m.embeds[0].description.startswith("> A late frost") for m in answers)


@pytest.mark.parametrize("bot_settings", [{"cooldown_s": 0, "channels": "ask-the-docs"}])
async def test_only_allowed_channels_are_answered(world: World) -> None:
    elsewhere = world.guild.create_text_channel("off-topic")
    refused = await world.member.slash(elsewhere, "ask", question=FROST)
    assert refused.ephemeral and refused.response.content == "I only answer in #ask-the-docs."
    simcord.assert_error(world.env, ChannelNotAllowed)
    await world.member.send(elsewhere, f"{world.bot.user.mention} {FROST}")
    assert elsewhere.last_message.author.id == world.member.id  # no reply there
    await world.member.slash(world.channel, "ask", question=FROST)
    assert answer_of(world).embeds[0].description.startswith("> A late frost")


async def test_direct_messages_are_off_by_default(world: World) -> None:
    await world.member.send_dm(FROST)
    dm = world.member.user.dm_channel
    assert [m.author.id for m in dm.history()] == [world.member.id]


@pytest.mark.parametrize("bot_settings", [{"cooldown_s": 0, "allow_dms": True}])
async def test_direct_messages_are_answered_when_enabled(world: World) -> None:
    await world.member.send_dm(FROST)
    reply = world.member.user.dm_channel.last_message
    assert reply.author.id == world.bot.user.id
    assert reply.embeds[0].description.startswith("> A late frost")


async def test_slash_commands_in_direct_messages_are_refused_when_dms_are_off(
    world: World,
) -> None:
    refused = await world.member.user.slash("ask", question=FROST)
    assert refused.ephemeral
    assert (
        refused.response.content == "I don't answer in direct messages; ask me in a server channel."
    )
    simcord.assert_error(world.env, ChannelNotAllowed)
