"""`qabot demo`: the real bot inside SimCord's simulated Discord, in a local browser page.

No token and no Discord account: SimCord runs discord.py against an in-memory Discord, and its
preview serves a channel view with a message composer on 127.0.0.1. The URL's fragment is the
page's access key.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import discord

from bot.client import QABot
from bot.config import Settings, SettingsError
from index.engine import Engine
from index.errors import QabotError

if TYPE_CHECKING:
    import simcord

CHANNEL = "ask-the-docs"
# SimCord waits for the bot between actions; a /reindex of a big corpus can take minutes.
SETTLE_TIMEOUT_S = 900
WELCOME = (
    "Welcome! Ask about the documents with `/ask`, or mention the bot with a question. "
    "`/quote` posts a passage, `/sources` lists the documents, and a moderator can `/reindex`."
)


@dataclass(frozen=True)
class DemoWorld:
    """What the preview shows: one server, one channel, a member and a moderator."""

    env: simcord.Env
    channel: simcord.ChannelHandle
    member: simcord.MemberActor
    moderator: simcord.MemberActor


def run_demo() -> int:
    """Serve the preview until Ctrl-C (or "End preview session" in the page)."""
    try:
        import simcord  # noqa: F401  (the optional `preview` extra)
    except ImportError:
        return _fail("the preview needs SimCord: pip install -e '.[preview]'")
    try:
        settings = Settings.from_env()
        asyncio.run(serve(settings, on_ready=_announce))
    except KeyboardInterrupt:
        print("qabot: preview stopped.")
    except (QabotError, SettingsError) as error:
        return _fail(str(error))
    except Exception as error:  # simcord.SetupError and friends: a missing extra, a busy port
        return _fail(f"the preview could not start: {error}")
    return 0


async def serve(
    settings: Settings,
    *,
    on_ready: Callable[[str, DemoWorld], Awaitable[None] | None] | None = None,
    port: int | None = None,
) -> None:
    """Run the bot in SimCord and serve the preview until its session is closed."""
    import simcord  # the optional `preview` extra

    print("qabot: loading the model and the index…", flush=True)
    engine = await asyncio.to_thread(Engine.open, settings.engine)
    # Votes cast in the preview stay out of the real bot's feedback summary.
    demo_db = settings.feedback_db.with_name("demo-feedback.sqlite3")
    bot = QABot(settings.with_overrides(feedback_db=demo_db, channels=()), engine=engine)
    async with simcord.run(bot, settle_timeout=SETTLE_TIMEOUT_S) as env:
        world = await _setup(env)
        preview = env.preview(
            world.channel, viewers=[world.member, world.moderator], layout="channel", port=port
        )
        async with preview:
            if on_ready is not None:
                result = on_ready(preview.url, world)
                if asyncio.iscoroutine(result):
                    await result
            await preview.wait_closed()


async def _setup(env: simcord.Env) -> DemoWorld:
    guild = env.create_guild("qabot preview")
    channel = guild.create_text_channel(CHANNEL, topic="Questions about the documents")
    mods = guild.create_role("Moderators", permissions=discord.Permissions(manage_guild=True))
    member = guild.add_member(env.create_user("member"))
    moderator = guild.add_member(env.create_user("moderator"), roles=[mods])
    await moderator.send(channel, WELCOME)
    return DemoWorld(env, channel, member, moderator)


def _announce(url: str, world: DemoWorld) -> None:
    print(
        f"qabot: the preview is running at\n\n    {url}\n\n"
        "Open it in a browser (the part after # is its access key). Switch between `member` "
        "and `moderator` in the page. Ctrl-C stops it.",
        flush=True,
    )


def _fail(message: str) -> int:
    print(f"qabot: {message}", file=sys.stderr)
    return 1
