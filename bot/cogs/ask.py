"""Questions: /ask, mentions, replies to an answer, and the buttons under each answer."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot import asking, checks, render
from bot.client import SOMETHING_WRONG
from bot.views import answer_view
from index.errors import QabotError

if TYPE_CHECKING:
    from bot.client import QABot

log = logging.getLogger("qabot.bot")
THANKS = {"up": "Thanks! Glad it helped. 👍", "down": "Thanks, noted. 👎 Moderators review these."}
GONE = "That answer is too old to look up; ask again to get fresh passages."


class Ask(commands.Cog):
    def __init__(self, bot: QABot) -> None:
        self.bot = bot

    @app_commands.command()
    @app_commands.describe(question="What you want to know; the answer quotes the documents")
    @checks.in_allowed_channel()
    async def ask(self, interaction: discord.Interaction, question: str) -> None:
        """Ask a question; the answer quotes the documents, with citations."""
        refusal = self._refusal(interaction.user.id, question)
        if refusal:
            await interaction.response.send_message(refusal, ephemeral=True)
            return
        await interaction.response.defer(thinking=True)
        try:
            asked = await asking.ask(
                self.bot.engine, self.bot.feedback, question, self.bot.questions
            )
        except QabotError as error:
            await interaction.followup.send(render.content(str(error)))
            return
        embed = render.answer_embed(asked.answer)
        await interaction.followup.send(embed=embed, view=answer_view(asked.key))

    def _refusal(self, user_id: int, question: str) -> str | None:
        problem = asking.problem(question)
        if problem:
            return problem
        wait = self.bot.cooldown.retry_after(user_id)
        return render.cooldown(wait) if wait else None

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        """A message that mentions the bot, or replies to one of its answers, is a question."""
        if message.author.bot or not await self._is_question(message):
            return
        me = self.bot.user
        assert me is not None
        role = message.guild.self_role if message.guild else None
        question = asking.strip_mentions(message.content, me.id, *([role.id] if role else []))
        await self.answer_message(message, question)

    async def answer_message(self, message: discord.Message, question: str) -> None:
        """Answer a question asked in a message, as a reply to it."""
        refusal = self._refusal(message.author.id, question)
        if refusal:
            await message.reply(refusal, mention_author=False)
            return
        try:
            async with message.channel.typing():
                asked = await asking.ask(
                    self.bot.engine, self.bot.feedback, question, self.bot.questions
                )
        except QabotError as error:
            await message.reply(render.content(str(error)), mention_author=False)
            return
        except Exception:
            log.exception("error answering a message question")
            await message.reply(SOMETHING_WRONG, mention_author=False)
            return
        embed = render.answer_embed(asked.answer)
        await message.reply(embed=embed, view=answer_view(asked.key), mention_author=False)

    async def _is_question(self, message: discord.Message) -> bool:
        settings = self.bot.settings
        if message.guild is None:
            return settings.allow_dms  # in a DM every message is addressed to the bot
        if not checks.channel_allowed(message.channel, settings):
            return False
        me = self.bot.user
        role = message.guild.self_role
        if me is not None and me.id in message.raw_mentions:
            return True
        if role is not None and role.id in message.raw_role_mentions:
            return True
        return await self._replies_to_me(message)

    async def _replies_to_me(self, message: discord.Message) -> bool:
        ref = message.reference
        if ref is None or ref.message_id is None:
            return False
        target = ref.resolved
        if not isinstance(target, discord.Message):
            try:
                target = await message.channel.fetch_message(ref.message_id)
            except discord.HTTPException:
                return False
        return target.author.id == getattr(self.bot.user, "id", None) and bool(target.embeds)

    async def on_answer_button(
        self, interaction: discord.Interaction, action: str, key: str
    ) -> None:
        """'Show passages' shows them privately; 👍 / 👎 are stored as feedback."""
        store = self.bot.feedback
        if action == "passages":
            await interaction.response.defer(ephemeral=True, thinking=True)
            record = await asyncio.to_thread(store.answer, key)
            found = await asking.passages(self.bot.engine, record.chunk_ids) if record else ()
            if not found:
                await interaction.followup.send(GONE, ephemeral=True)
                return
            for embeds in render.passage_pages(found):
                await interaction.followup.send(embeds=embeds, ephemeral=True)
            return
        vote = 1 if action == "up" else -1
        record = await asyncio.to_thread(store.vote, key, interaction.user.id, vote)
        await interaction.response.send_message(THANKS[action] if record else GONE, ephemeral=True)
