"""One qabot worker over a shard range, in a process of its own, driven through its own SimCord.

Run as `python -m tests.worker_process --shards 0-1 --shard-count 4`, with the worker's settings
in the environment (QABOT_DATABASE_URL, QABOT_STORAGE_URL, AWS_*, QABOT_DATA_DIR). It builds the
bot exactly as `qabot run` does (bot.create_bot with the shard range), attaches it to a simulated
Discord, then reads one JSON command per stdin line and answers with one JSON line on stdout:

    {"do": "server", "id": 20971520}           a server with that id, a channel, a member, a mod
    {"do": "sees"}                               whether the bot has the server
    {"do": "add", "file": "a.md", "text": "…"}   /docs add file: by the moderator
    {"do": "ask", "question": "…"}               a mention by the member: the reply's text or None
    {"do": "vote", "action": "up"}               the member's vote on the last answer
    {"do": "slash", "command": "feedback"}       a moderator command: its private reply's text
    {"do": "quit"}

Used by tests/test_workers.py; logs go to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import threading

import discord
import simcord

from bot import create_bot


def text_of(message: discord.Message | None) -> str | None:
    if message is None:
        return None
    parts = [message.content or ""]
    for embed in message.embeds:
        parts += [embed.title or "", embed.description or ""]
        parts += [f"{f.name}: {f.value}" for f in embed.fields]
    return "\n".join(parts)


class Driver:
    def __init__(self, env: simcord.Env, bot) -> None:
        self.env, self.bot = env, bot
        self.guild = self.channel = self.member = self.moderator = None
        self.last_answer: discord.Message | None = None

    async def server(self, id: int) -> dict:
        self.guild = self.env.create_guild("Alpha Club", id=id)
        self.channel = self.guild.create_text_channel("questions")
        mods = self.guild.create_role("Mods", permissions=discord.Permissions(manage_guild=True))
        self.member = self.guild.add_member(self.env.create_user("ada"))
        self.moderator = self.guild.add_member(self.env.create_user("mo"), roles=[mods])
        return {"ok": True}

    async def sees(self) -> dict:
        return {"sees": self.bot.get_guild(self.guild.id) is not None}

    async def add(self, file: str, text: str) -> dict:
        result = await self.moderator.slash(self.channel, "docs add", file=(file, text.encode()))
        return {"reply": result.response.content, "channel": text_of(self.channel.last_message)}

    async def ask(self, question: str) -> dict:
        asked = await self.member.send(self.channel, f"{self.bot.user.mention} {question}")
        reply = self.channel.last_message
        if reply is None or reply.id == asked.id:
            return {"reply": None}
        self.last_answer = reply
        return {"reply": text_of(reply), "buttons": bool(reply.components)}

    async def vote(self, action: str) -> dict:
        [key] = {b.custom_id.rsplit(":", 1)[1] for b in self.last_answer.components[0].children}
        result = await self.member.click(self.last_answer, custom_id=f"qabot:{action}:{key}")
        return {"reply": result.response.content}

    async def slash(self, command: str, **options) -> dict:
        result = await self.moderator.slash(self.channel, command, **options)
        response = result.response
        return {
            "reply": response.content or "",
            "embeds": [text_of_embed(e) for e in response.embeds],
        }


def text_of_embed(embed: discord.Embed) -> str:
    fields = [f"{f.name}: {f.value}" for f in embed.fields]
    return "\n".join([embed.title or "", embed.description or "", *fields])


def _read_lines(loop: asyncio.AbstractEventLoop, queue: asyncio.Queue) -> None:
    """stdin in a thread of its own (not an executor SimCord would wait for)."""
    for line in sys.stdin:
        loop.call_soon_threadsafe(queue.put_nowait, line)
    loop.call_soon_threadsafe(queue.put_nowait, None)


async def serve(shards: str, shard_count: int) -> None:
    bot = create_bot(shard_ids=shards, shard_count=shard_count, cooldown_s=0)
    queue: asyncio.Queue = asyncio.Queue()
    reader = threading.Thread(
        target=_read_lines, args=(asyncio.get_running_loop(), queue), daemon=True
    )
    # check_errors=False: what the bot logs is the point here (the test reads it), and errors that
    # reach the command tree's on_error are handled there, not raised again at the end.
    async with simcord.run(bot, strict_sync=False, settle_timeout=300, check_errors=False) as env:
        driver = Driver(env, bot)
        print(json.dumps({"ready": True}), flush=True)
        reader.start()
        while (line := await queue.get()) is not None:
            command = json.loads(line)
            action = command.pop("do")
            if action == "quit":
                break
            with env.time_context():
                answer = await getattr(driver, action)(**command)
            print(json.dumps(answer), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shards", required=True)
    parser.add_argument("--shard-count", type=int, required=True)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(name)s %(message)s")
    asyncio.run(serve(args.shards, args.shard_count))


if __name__ == "__main__":
    main()
