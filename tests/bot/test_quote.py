"""/quote drops a sourced passage into a discussion; /sources lists what the bot has read."""

from __future__ import annotations

from benchmarks.small_corpus import LONG_PARAGRAPH
from index.engine import Engine
from tests.bot.conftest import World
from tests.bot.discord_rules import assert_valid, pings, sent_allowed_mentions

FROST_PASSAGE = "A late frost in April destroyed most of the cherry blossoms"


async def test_autocomplete_offers_passages_and_quote_by_ref_posts_one(world: World) -> None:
    choices = await world.member.autocomplete(world.channel, "quote", "ref", "cherry")
    assert choices and choices[0]["name"].startswith("Orchard Cooperative Report ¶2: A late frost")
    assert all(len(c["name"]) <= 100 for c in choices)

    result = await world.member.slash(world.channel, "quote", ref=choices[0]["value"])
    assert not result.ephemeral
    message = world.channel.last_message
    assert_valid(message)
    embed = message.embeds[0]
    assert embed.description.startswith(f"> {FROST_PASSAGE}")
    assert embed.description.endswith(
        "— Orchard Cooperative Report, ¶2 · Sources: Radio North (September 10)"
    )
    assert embed.footer.text == f"orchard.md · ref {choices[0]['value']}"


async def test_quote_by_text_finds_the_passage_that_contains_it(world: World) -> None:
    await world.member.slash(world.channel, "quote", text="LARGEST CROP in a decade")
    message = world.channel.last_message
    assert message.content == ""  # an exact match needs no note
    assert "1,200 tonnes of apples" in message.embeds[0].description
    assert "Farm Journal (September 9)" in message.embeds[0].description
    assert "Publication" not in message.embeds[0].footer.text


async def test_quote_by_text_falls_back_to_the_closest_passage(world: World) -> None:
    await world.member.slash(world.channel, "quote", text="new harbour terminal council decision")
    message = world.channel.last_message
    assert message.content.startswith("No exact match; the closest passage")
    assert "container terminal" in message.embeds[0].description
    assert "Publication: Coastal Weekly · Volume: 3 · Issue: 12" in message.embeds[0].footer.text


async def test_quote_needs_exactly_one_of_ref_or_text(world: World) -> None:
    neither = await world.member.slash(world.channel, "quote")
    both = await world.member.slash(world.channel, "quote", ref="x", text="y")
    for result in (neither, both):
        assert result.ephemeral and "`ref:`" in result.response.content


async def test_an_unknown_ref_says_how_to_pick_one(world: World) -> None:
    await world.member.slash(world.channel, "quote", ref="not-a-ref")
    assert "pick one from the list" in world.channel.last_message.content


async def test_a_5000_character_paragraph_still_gives_valid_messages(world: World) -> None:
    assert len(LONG_PARAGRAPH) > 5000
    await world.member.slash(
        world.channel, "ask", question="How much shorter was the Brennfjell glacier tongue?"
    )
    answer = world.channel.last_message
    assert_valid(answer)
    assert "Brennfjell glacier tongue" in answer.embeds[0].description
    shown = await world.member.click(answer, label="Show passages")
    for page in [shown.response, *shown.followups]:
        assert_valid(page.message)
    await world.member.slash(world.channel, "quote", text="Survey team 30 measured")
    assert_valid(world.channel.last_message)
    assert "Survey team 30 measured" in world.channel.last_message.embeds[0].description


async def test_sources_lists_documents_with_metadata_and_build_time(
    world: World, engine: Engine
) -> None:
    result = await world.member.slash(world.channel, "sources")
    assert result.ephemeral
    embed = result.response.embeds[0]
    status = engine.status()
    assert embed.description.startswith(f"4 documents · {status.chunks} passages · built 20")
    fields = {f.name: f.value for f in embed.fields}
    assert set(fields) == {
        "Northport Harbor Expansion",
        "Orchard Cooperative Report",
        "Volunteer Club Notice",
        "Glacier Survey Log",
    }
    assert fields["Northport Harbor Expansion"].startswith("`harbor.txt` · 3 passages")
    assert (
        "Publication: Coastal Weekly · Volume: 3 · Issue: 12"
        in fields["Northport Harbor Expansion"]
    )


async def test_mentions_in_the_quoted_phrase_ping_no_one(world: World) -> None:
    team = world.guild.create_role("Cleanup Team", mentionable=True)
    phrase = f"@everyone @here {team.mention} {world.moderator.mention} beach party"
    await world.member.slash(world.channel, "quote", text=phrase)
    message = world.channel.last_message
    # The phrase is shown as typed, in the message content, and nobody is notified.
    assert "@everyone @here" in message.content and team.mention in message.content
    assert pings(world.env, message) == ([], [], False)
    sent = sent_allowed_mentions(world.env)
    assert sent and all(a == {"parse": []} for a in sent)
