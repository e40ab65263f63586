"""/docs and collections in SimCord with two servers: each adds documents (an upload, a URL from
a real HTTP server on 127.0.0.1) and sees only its own, in every command and button."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import discord
import pytest
import simcord

from bot.checks import NEED_MODERATOR, NotModerator
from tests.bot.conftest import World
from tests.bot.test_admin import enable_for
from tests.http_pages import Pages, serving
from tests.test_formats import SHORT_ARTICLE_PAGE, SHORT_PARAGRAPH

ALPHA = """# Alpha Club Rules

The alpha club meets every Tuesday evening in the old boathouse by the river.

New members pay a fee of twelve euros per year to the club treasurer.
"""
BETA = """Beta Guild Handbook

The beta guild keeps its brass telescope in the north tower of the castle.

Observation nights take place on the first Friday of every month.
"""
ALPHA_Q = "Where does the alpha club meet?"
BETA_Q = "Where does the beta guild keep its telescope?"


@dataclass(frozen=True)
class Server:
    guild: simcord.GuildHandle
    channel: simcord.ChannelHandle
    member: simcord.MemberActor
    moderator: simcord.MemberActor

    @property
    def collection(self) -> str:
        return f"guild/{self.guild.id}"


@pytest.fixture
def pages() -> Pages:
    with serving() as served:
        yield served


@pytest.fixture
def bot_settings(tmp_path: Path) -> dict[str, object]:
    return {"cooldown_s": 0, "data_dir": tmp_path / "data", "fetch_allow": "127.0.0.1"}


@pytest.fixture
def a(world: World) -> Server:
    return Server(world.guild, world.channel, world.member, world.moderator)


@pytest.fixture
def b(world: World) -> Server:
    guild = world.env.create_guild("Star Watchers")
    channel = guild.create_text_channel("questions")
    member = guild.add_member(world.env.create_user("bea"))
    mods = guild.create_role("Admins", permissions=discord.Permissions(manage_guild=True))
    moderator = guild.add_member(world.env.create_user("bo"), roles=[mods])
    return Server(guild, channel, member, moderator)


def corpus(world: World, server: Server) -> Path:
    return world.bot.collections.paths(server.collection).corpus_dir


def files_in(world: World, server: Server) -> list[str]:
    folder = corpus(world, server)
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def text_of(message: discord.Message) -> str:
    parts = [message.content or ""]
    for embed in message.embeds:
        parts += [embed.title or "", embed.description or "", embed.footer.text or ""]
        parts += [f"{f.name} {f.value}" for f in embed.fields]
    return "\n".join(parts)


async def add_both(world: World, a: Server, b: Server, pages: Pages) -> None:
    """Server A uploads a file; server B adds a URL served by the local test server."""
    upload = await a.moderator.slash(
        a.channel, "docs add", file=("Alpha Club Rules.md", ALPHA.encode())
    )
    assert upload.ephemeral and "Added “Alpha Club Rules.md”" in upload.response.content
    assert text_of(a.channel.last_message).startswith("\nIndex rebuilt")
    url = pages.add("/beta-handbook.txt", BETA)
    fetched = await b.moderator.slash(b.channel, "docs add", url=url)
    assert fetched.ephemeral and url in fetched.response.content
    assert b.channel.last_message.embeds[0].title == "Index rebuilt"


async def test_two_servers_each_answer_from_their_own_documents_only(
    world: World, a: Server, b: Server, pages: Pages
) -> None:
    await add_both(world, a, b, pages)
    assert files_in(world, a) == [".documents.json", "alpha-club-rules.md"]
    url = pages.url + "/beta-handbook.txt"

    # Questions: cited from their own server's documents, never the other's.
    await a.member.slash(a.channel, "ask", question=ALPHA_Q)
    answer_a = a.channel.last_message
    assert "old boathouse" in text_of(answer_a) and "Alpha Club Rules" in text_of(answer_a)
    await b.member.slash(b.channel, "ask", question=BETA_Q)
    answer_b = b.channel.last_message
    assert "north tower" in text_of(answer_b) and url in text_of(answer_b)  # the citation link
    await b.member.slash(b.channel, "ask", question=ALPHA_Q)
    leaked = text_of(b.channel.last_message)
    assert "boathouse" not in leaked and "Alpha" not in leaked
    await b.member.send(b.channel, f"<@{world.bot.user.id}> {ALPHA_Q}")
    assert "boathouse" not in text_of(b.channel.last_message)

    # /quote by text and its autocomplete.
    await b.member.slash(b.channel, "quote", text="old boathouse by the river")
    quoted = b.channel.last_message.embeds[0]
    assert "boathouse" not in quoted.description and "telescope" in quoted.description
    assert await b.member.autocomplete(b.channel, "quote", "ref", "Alpha") == []
    choices = await b.member.autocomplete(b.channel, "quote", "ref", "")
    assert choices and all(c["name"].startswith("Beta Guild") for c in choices)
    assert any(
        "Alpha" in c["name"]
        for c in await a.member.autocomplete(a.channel, "quote", "ref", "Alpha")
    )

    # /sources, /docs list and /docs remove's autocomplete.
    listed = await b.member.slash(b.channel, "sources")
    assert "Alpha" not in text_of(listed.response) and "Beta Guild" in text_of(listed.response)
    assert listed.response.embeds[0].description.startswith("1 documents")
    docs_b = await b.moderator.slash(b.channel, "docs list")
    assert "alpha" not in text_of(docs_b.response) and url in text_of(docs_b.response)
    offered = await b.moderator.autocomplete(b.channel, "docs remove", "document", "")
    assert [c["value"] for c in offered] == ["127-0-0-1-beta-handbook-txt.txt"]
    offered_a = await a.moderator.autocomplete(a.channel, "docs remove", "document", "")
    assert [c["value"] for c in offered_a] == ["alpha-club-rules.md"]

    # The buttons: Show passages shows this server's passages; votes count where they were cast.
    shown = await a.member.click(answer_a, label="Show passages")
    assert "boathouse" in text_of(shown.response)
    shown_b = await b.member.click(answer_b, label="Show passages")
    assert "boathouse" not in text_of(shown_b.response) and "north tower" in text_of(
        shown_b.response
    )
    await a.member.click(answer_a, custom_id=answer_a.components[0].children[2].custom_id)
    await a.member.slash(a.channel, "ask", question="Who is the king of Mars?")  # a gap in A
    votes_b = await b.moderator.slash(b.channel, "feedback")
    votes_a = await a.moderator.slash(a.channel, "feedback")
    assert text_of(votes_a.response) != text_of(votes_b.response)
    assert "👎 1" in text_of(votes_a.response) or "1 👎" in text_of(votes_a.response)
    assert "👎 1" not in text_of(votes_b.response) and "1 👎" not in text_of(votes_b.response)
    gaps_b = await b.moderator.slash(b.channel, "gaps")
    gaps_a = await a.moderator.slash(a.channel, "gaps")
    # B's own unanswered questions are its gaps; A's never show there.
    assert "Mars" in text_of(gaps_a.response) and "Mars" not in text_of(gaps_b.response)
    assert "alpha club meet" in text_of(gaps_b.response)  # asked in B, where it is a gap
    assert "👎 1" in text_of(gaps_a.response) and "👎 1" not in text_of(gaps_b.response)


async def test_members_cannot_change_documents_even_when_an_admin_shows_them(
    world: World, a: Server
) -> None:
    assert not any(c.startswith("docs") for c in a.member.available_commands(a.channel))
    assert "docs add" in a.moderator.available_commands(a.channel)
    await enable_for(world, "docs", a.guild.default_role)
    for command, options in (
        ("docs add", {"file": ("alpha.md", ALPHA.encode())}),
        ("docs remove", {"document": "alpha.md"}),
        ("docs refresh", {}),
        ("docs list", {}),
        ("docs bind", {"collection": "rules"}),
    ):
        refused = await a.member.slash(a.channel, command, **options)
        assert refused.ephemeral and refused.response.content == NEED_MODERATOR
        simcord.assert_error(world.env, NotModerator)
    assert files_in(world, a) == []
    assert await a.member.autocomplete(a.channel, "docs remove", "document", "") == []


BAD_UPLOADS = [
    ("../../etc/passwd", ALPHA.encode(), "Not added: the file name contains a path"),
    ("notes\x1b[2J.md", ALPHA.encode(), "Not added: the file name contains control characters"),
    ("report.pdf", b"\x7fELF\x02\x01\x01" + b"\x00" * 500, "named .pdf but holds binary data"),
    ("empty.txt", b"", "Not added: the file is empty"),
    ("huge.txt", b"a" * (25 * 1024 * 1024 + 1), "Not added: the file is over the 25 MB limit"),
]


@pytest.mark.parametrize(
    ("name", "data", "message"), BAD_UPLOADS, ids=[n for n, _, _ in BAD_UPLOADS]
)
async def test_bad_uploads_are_refused_privately_and_leave_nothing(
    world: World, a: Server, tmp_path: Path, name: str, data: bytes, message: str
) -> None:
    before = (
        sorted(p for p in (tmp_path / "data").rglob("*")) if (tmp_path / "data").exists() else []
    )
    refused = await a.moderator.slash(a.channel, "docs add", file=(name, data))
    assert refused.ephemeral and message in refused.response.content
    assert "\n" not in refused.response.content.strip()
    assert a.channel.last_message is None  # nothing public: no progress, no build
    after = (
        sorted(p for p in (tmp_path / "data").rglob("*")) if (tmp_path / "data").exists() else []
    )
    assert [p for p in after if p.is_file()] == [p for p in before if p.is_file()]


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/redirect?to=http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a private"),
        ("/redirect?to=http://10.0.0.7/", "10.0.0.7 is a private"),
        ("/big-declared", "over the 25 MB limit"),
        ("/big-streamed", "over the 25 MB limit"),
        ("/missing.txt", "answered 404"),
    ],
)
async def test_bad_urls_are_refused_privately_and_leave_nothing(
    world: World, a: Server, pages: Pages, path: str, message: str
) -> None:
    refused = await a.moderator.slash(a.channel, "docs add", url=pages.url + path)
    assert refused.ephemeral and message in refused.response.content
    assert refused.response.content.startswith("Not added: ")
    assert a.channel.last_message is None
    assert files_in(world, a) == []


async def test_a_page_whose_article_is_one_short_paragraph_is_added(
    world: World, a: Server, pages: Pages
) -> None:
    url = pages.add("/saltholm-ferry.html", SHORT_ARTICLE_PAGE, "text/html; charset=utf-8")
    added = await a.moderator.slash(a.channel, "docs add", url=url)
    assert added.ephemeral and added.response.content.startswith("Added "), added.response.content
    assert a.channel.last_message.embeds[0].title == "Index rebuilt"
    await a.member.slash(a.channel, "ask", question="How often does the Saltholm ferry leave?")
    assert SHORT_PARAGRAPH in a.channel.last_message.embeds[0].description


@pytest.mark.parametrize("bot_settings", [{"cooldown_s": 0, "data_dir": "data"}])
@pytest.mark.parametrize("host", ["127.0.0.1", "169.254.169.254"])
async def test_loopback_and_metadata_urls_are_refused_without_the_allow_list(
    world: World, a: Server, pages: Pages, host: str
) -> None:
    url = pages.add("/beta.txt", BETA).replace("127.0.0.1", host)
    refused = await a.moderator.slash(a.channel, "docs add", url=url)
    assert (
        refused.ephemeral
        and f"Not added: {host} is a private, loopback" in refused.response.content
    )
    assert files_in(world, a) == []


async def test_a_change_is_refused_while_that_collection_builds_and_others_go_on(
    world: World, a: Server, b: Server
) -> None:
    with world.bot.collections.changing(a.collection):  # a build of A's collection is running
        refused = await a.moderator.slash(a.channel, "docs add", file=("alpha.md", ALPHA.encode()))
        assert refused.ephemeral
        assert refused.response.content == (
            "This server's collection is being changed or rebuilt right now; "
            "try again when that finishes."
        )
        added = await b.moderator.slash(b.channel, "docs add", file=("beta.txt", BETA.encode()))
        assert "Added" in added.response.content
    assert files_in(world, a) == []
    assert "beta.txt" in files_in(world, b)


async def test_remove_and_refresh(world: World, a: Server, b: Server, pages: Pages) -> None:
    await add_both(world, a, b, pages)
    nothing_new = await b.moderator.slash(b.channel, "docs refresh")
    assert "1 unchanged" in nothing_new.response.content
    assert "Nothing to re-index" in nothing_new.response.content
    pages.add("/beta-handbook.txt", BETA + "\nThe guild also owns a small radio telescope.\n")
    refreshed = await b.moderator.slash(b.channel, "docs refresh")
    assert "1 changed" in refreshed.response.content
    report = b.channel.last_message.embeds[0]
    assert report.title == "Index rebuilt" and "Changed (1)" in [f.name for f in report.fields]
    await b.member.slash(
        b.channel, "ask", question="What kind of small telescope does the guild own?"
    )
    assert "radio telescope" in text_of(b.channel.last_message)

    removed = await a.moderator.slash(a.channel, "docs remove", document="alpha-club-rules.md")
    assert "Removed “Alpha Club Rules.md”" in removed.response.content
    await a.member.slash(a.channel, "ask", question=ALPHA_Q)
    assert "no documents yet" in a.channel.last_message.content
    assert "boathouse" not in text_of(a.channel.last_message)
    gone = await a.moderator.slash(a.channel, "docs remove", document="../../guilds/x")
    assert gone.ephemeral and gone.response.content.startswith("Not removed: ")


async def test_a_bound_channel_sees_its_own_collection(world: World, a: Server) -> None:
    rules_help = a.guild.create_text_channel("rules-help")
    bound = await a.moderator.slash(rules_help, "docs bind", collection="rules")
    assert bound.ephemeral and "the collection “rules”" in bound.response.content
    await a.moderator.slash(rules_help, "docs add", file=("alpha.md", ALPHA.encode()))
    await a.member.slash(rules_help, "ask", question=ALPHA_Q)
    assert "old boathouse" in text_of(rules_help.last_message)
    await a.member.slash(a.channel, "ask", question=ALPHA_Q)  # the server's own collection
    assert "no documents yet" in a.channel.last_message.content
    assert (
        world.bot.collections.data_dir / f"guilds/{a.guild.id}/collections/rules/corpus/alpha.md"
    ).exists()


@pytest.mark.parametrize("bot_settings", [{"cooldown_s": 0, "data_dir": "data", "allow_dms": True}])
async def test_dms_are_refused_without_a_dm_collection(world: World) -> None:
    await world.member.send_dm(ALPHA_Q)
    reply = world.member.user.dm_channel.last_message
    assert reply.content == "I don't answer in direct messages; ask me in a server channel."


@pytest.mark.parametrize(
    "bot_settings",
    [{"cooldown_s": 0, "data_dir": "data", "allow_dms": True, "dm_collection": "public"}],
)
async def test_dms_use_the_configured_collection(world: World) -> None:
    folder = world.bot.collections.paths("public").corpus_dir
    folder.mkdir(parents=True)
    (folder / "alpha.md").write_text(ALPHA, encoding="utf-8")
    await world.member.send_dm(ALPHA_Q)
    assert "old boathouse" in text_of(world.member.user.dm_channel.last_message)


@pytest.mark.parametrize(
    "bot_settings", [{"cooldown_s": 0, "data_dir": "data", "collection_cache": 1}]
)
async def test_an_evicted_collection_reloads_on_its_next_question(
    world: World, a: Server, b: Server
) -> None:
    await a.moderator.slash(a.channel, "docs add", file=("alpha.md", ALPHA.encode()))
    await b.moderator.slash(b.channel, "docs add", file=("beta.txt", BETA.encode()))
    assert world.bot.collections.loaded() == ["default", b.collection]  # A was evicted
    await a.member.slash(a.channel, "ask", question=ALPHA_Q)
    assert "old boathouse" in text_of(a.channel.last_message)
    assert world.bot.collections.loaded() == ["default", a.collection]
