"""/gaps: abstained questions and 👎 answers grouped by meaning, for moderators, resolvable."""

from __future__ import annotations

import sqlite3

import simcord

from bot import checks
from tests.bot.conftest import World
from tests.bot.test_admin import enable_for

PM = ("who is the PM of Japan", "Japan's prime minister?", "Who is the prime minister of Japan?")


async def ask_all(world: World, questions: tuple[str, ...]) -> None:
    for question in questions:
        await world.member.slash(world.channel, "ask", question=question)


async def test_gaps_groups_questions_by_meaning_with_count_time_and_example(world: World) -> None:
    await ask_all(world, (*PM, "What is the capital of Peru?"))
    await world.member.slash(world.channel, "ask", question="Why did apple prices fall?")
    answered = world.channel.last_message
    await world.member.click(answered, custom_id=answered.components[0].children[2].custom_id)

    listed = await world.moderator.slash(world.channel, "gaps")
    assert listed.ephemeral
    embed = listed.response.embeds[0]
    assert embed.description.startswith("5 questions in 3 groups")
    top = embed.fields[0]
    assert " · asked 3× · last " in top.name and "UTC" in top.name
    assert top.value.startswith("e.g. “Who is the prime minister of Japan?”")
    assert "3 abstained · 👎 0" in top.value
    rest = {f.value.split("\n")[0] for f in embed.fields[1:]}
    assert rest == {"e.g. “What is the capital of Peru?”", "e.g. “Why did apple prices fall?”"}
    assert "👎 1" in next(f.value for f in embed.fields if "apple" in f.value)


async def test_a_moderator_marks_a_gap_resolved(world: World) -> None:
    await ask_all(world, (*PM, "What is the capital of Peru?"))
    listed = await world.moderator.slash(world.channel, "gaps")
    gap_id = listed.response.embeds[0].fields[0].name.split(" · ")[0]
    choices = await world.moderator.autocomplete(world.channel, "gaps", "resolve", "prime")
    assert [c["value"] for c in choices] == [gap_id]

    done = await world.moderator.slash(world.channel, "gaps", resolve=gap_id)
    assert done.ephemeral
    assert done.response.content == (
        "Marked resolved: 3 questions like “Who is the prime minister of Japan?”."
    )
    after = (await world.moderator.slash(world.channel, "gaps")).response.embeds[0]
    assert [f.value.split("\n")[0] for f in after.fields] == ["e.g. “What is the capital of Peru?”"]
    unknown = await world.moderator.slash(world.channel, "gaps", resolve=gap_id)
    assert unknown.response.content.startswith("No open gap has the id")


async def test_members_cannot_read_or_resolve_gaps(world: World) -> None:
    await ask_all(world, PM)
    assert "gaps" not in world.member.available_commands(world.channel)
    await enable_for(world, "gaps", world.member)  # a server admin shows it to them
    refused = await world.member.slash(world.channel, "gaps")
    assert refused.ephemeral and refused.response.content == checks.NEED_MODERATOR
    simcord.assert_error(world.env, checks.NotModerator)
    assert await world.member.autocomplete(world.channel, "gaps", "resolve", "") == []
    assert len(world.bot.feedback.gaps()) == 3  # nothing was resolved


async def test_gaps_are_stored_without_member_ids(world: World) -> None:
    await ask_all(world, PM[:1])
    await world.member.slash(world.channel, "ask", question="Why did apple prices fall?")
    answered = world.channel.last_message
    await world.member.click(answered, custom_id=answered.components[0].children[2].custom_id)
    dump = "\n".join(sqlite3.connect(world.bot.settings.feedback_db).iterdump())
    assert str(world.member.id) not in dump
    assert world.bot.feedback.user_hash(world.member.id) in dump
