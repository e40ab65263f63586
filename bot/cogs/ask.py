"""Questions: /ask, mentions, replies and threads (follow-ups), ask channels, and the buttons."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.app_commands import Range
from discord.ext import commands

from bot import asking, checks, render
from bot.client import SOMETHING_WRONG
from bot.feedback import FeedbackStore
from bot.scope import NO_DM_COLLECTION, NoCollection
from bot.views import answer_view
from bot.wording import say
from index.engine import MAX_QUESTION_CHARS
from index.errors import QabotError

if TYPE_CHECKING:
    from bot.client import QABot

log = logging.getLogger("qabot.bot")
THANKS = {"up": "Thanks! Glad it helped. 👍", "down": "Thanks, noted. 👎 Moderators review these."}
GONE = "That answer is too old to look up; ask again to get fresh passages."
QUIET = "🔕"  # a member's reaction on an answer: stop answering their unaddressed messages
OPTED_OUT = (
    "Done: I won't answer your messages in ask channels unless you mention me. "
    "`/autoanswer on:True` turns it back on."
)
OPTED_IN = "Done: I answer your questions in ask channels again."
ASK_CHANNEL_HINT = f"React {QUIET} or use /autoanswer to stop automatic answers to you."


class Ask(commands.Cog):
    def __init__(self, bot: QABot) -> None:
        self.bot = bot

    @app_commands.command()
    @app_commands.describe(question="What you want to know; the answer quotes the documents")
    @checks.in_allowed_channel()
    async def ask(
        self, interaction: discord.Interaction, question: Range[str, 1, MAX_QUESTION_CHARS]
    ) -> None:
        """Ask a question; the answer quotes the documents, with citations."""
        refusal = self._refusal(interaction.user, interaction.created_at)
        if refusal:
            await interaction.response.send_message(refusal, ephemeral=True)
            return
        await interaction.response.defer(thinking=True)
        channel = interaction.channel
        place = str(interaction.channel_id or "")
        try:
            # The collection of this server or channel, and its own feedback store.
            store = self.bot.scopes.feedback(interaction)
            follows = await self._thread_answer(channel, store)
            engine = await self.bot.scopes.engine(interaction)
            asked = await asking.ask(
                engine, store, question, follows=follows, place=place, pool=self.bot.questions
            )
        except QabotError as error:
            await interaction.followup.send(render.content(say(error)))
            return
        embed, view = render.answer_embed(asked.answer), answer_view(asked.key)
        forum = self._forum(interaction.guild)
        if forum is not None and follows is None:
            post = await forum.create_thread(
                name=asking.thread_name(question), embed=embed, view=view
            )
            await self._moved(store, asked.key, post.thread)
            await interaction.followup.send(render.in_thread(post.thread))
            return
        message = await interaction.followup.send(embed=embed, view=view, wait=True)
        if (
            self.bot.settings.threads
            and follows is None
            and isinstance(channel, discord.TextChannel)
        ):
            thread = await channel.create_thread(name=asking.thread_name(question), message=message)
            await self._moved(store, asked.key, thread)

    async def _moved(self, store: FeedbackStore, key: str, thread: discord.Thread) -> None:
        await asyncio.to_thread(store.move, key, str(thread.id))

    def _forum(self, guild: discord.Guild | None) -> discord.ForumChannel | None:
        wanted = self.bot.settings.forum.lower()
        if guild is None or not wanted:
            return None
        for forum in guild.forums:
            if wanted in (str(forum.id), forum.name.lower()):
                return forum
        return None

    async def _thread_answer(self, channel: object, store: FeedbackStore) -> str | None:
        """In a thread the bot answered in, the key of its last answer there."""
        if not isinstance(channel, discord.Thread):
            return None
        return await asyncio.to_thread(store.latest_in, str(channel.id))

    def _refusal(self, asker: discord.abc.User, asked_at: datetime) -> str | None:
        """The cooldown's refusal, if the asker must wait. The question itself is checked once,
        by the engine (index.engine.check_question), whichever way it was asked."""
        wait = checks.retry_after(self.bot.cooldown, asker, asked_at)
        return render.cooldown(wait) if wait else None

    @app_commands.command()
    @app_commands.describe(on="False: I stop answering you in ask channels unless you mention me")
    async def autoanswer(self, interaction: discord.Interaction, on: bool) -> None:
        """Turn automatic answers to your questions in ask channels on or off."""
        store = self._store(interaction)
        if store is None:
            await interaction.response.send_message(NO_DM_COLLECTION, ephemeral=True)
            return
        await asyncio.to_thread(store.set_opt_out, interaction.user.id, not on)
        await interaction.response.send_message(OPTED_IN if on else OPTED_OUT, ephemeral=True)

    @commands.Cog.listener()
    async def on_raw_reaction_add(self, event: discord.RawReactionActionEvent) -> None:
        """🔕 on one of the bot's answers opts the member out of ask-channel answers."""
        me = self.bot.user
        if str(event.emoji) != QUIET or me is None or event.user_id == me.id:
            return
        if event.message_author_id is not None and event.message_author_id != me.id:
            return
        store = self._store(event)
        if store is not None:
            await asyncio.to_thread(store.set_opt_out, event.user_id, True)

    def _store(self, where: object) -> FeedbackStore | None:
        """The feedback store of the collection this happens in; None where there is none."""
        try:
            return self.bot.scopes.feedback(where)
        except NoCollection:
            return None

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        """Mentions, replies to an answer, messages in an answer's thread and questions in an
        ask channel are questions; replies and threads carry their conversation."""
        if message.author.bot:
            return
        store = self._store(message)
        if store is None:  # a DM, and DMs have no collection
            if self.bot.settings.allow_dms and self._addressed_or_dm(message):
                await message.reply(NO_DM_COLLECTION, mention_author=False)
            return
        replied = await self._replied_answer(message)
        # The answer this follows up: the one it replies to, or else the bot's last answer in
        # this thread. Never one from another reply chain or thread.
        if replied is not None:
            follows = asking.answer_key(replied)
        else:
            follows = await self._thread_answer(message.channel, store)
        if not await self._is_question(message, replied is not None, follows, store):
            return
        me = self.bot.user
        assert me is not None
        role = message.guild.self_role if message.guild else None
        question = asking.strip_mentions(message.content, me.id, *([role.id] if role else []))
        await self.answer_message(message, question, follows)

    async def answer_message(
        self, message: discord.Message, question: str, follows: str | None = None
    ) -> None:
        """Answer a question asked in a message, as a reply to it."""
        refusal = self._refusal(message.author, message.created_at)
        if refusal:
            await message.reply(refusal, mention_author=False)
            return
        place = str(message.channel.id)
        try:
            async with message.channel.typing():
                engine = await self.bot.scopes.engine(message)
                store = self.bot.scopes.feedback(message)
                asked = await asking.ask(
                    engine, store, question, follows=follows, place=place, pool=self.bot.questions
                )
        except QabotError as error:
            await message.reply(render.content(say(error)), mention_author=False)
            return
        except Exception:
            log.exception("error answering a message question")
            await message.reply(SOMETHING_WRONG, mention_author=False)
            return
        embed = render.answer_embed(asked.answer)
        if self._in_ask_channel(message) and not self._addressed(message):
            embed.set_footer(text=f"{embed.footer.text} · {ASK_CHANNEL_HINT}")
        await message.reply(embed=embed, view=answer_view(asked.key), mention_author=False)

    async def _is_question(
        self,
        message: discord.Message,
        replies_to_answer: bool,
        follows: str | None,
        store: FeedbackStore,
    ) -> bool:
        settings = self.bot.settings
        if message.guild is None:
            return settings.allow_dms  # in a DM every message is addressed to the bot
        if not checks.channel_allowed(message.channel, settings):
            return False
        if self._addressed(message) or replies_to_answer:
            return True
        if follows is not None and message.content.strip():
            # In an answer's thread. Without the Message Content intent the text is empty
            # unless the message mentions the bot, so a mention is then needed.
            return True
        if self._in_ask_channel(message) and asking.looks_like_question(message.content):
            return not await asyncio.to_thread(store.opted_out, message.author.id)
        return False

    def _addressed_or_dm(self, message: discord.Message) -> bool:
        return message.guild is None or self._addressed(message)

    def _addressed(self, message: discord.Message) -> bool:
        me, guild = self.bot.user, message.guild
        role = guild.self_role if guild else None
        if me is not None and me.id in message.raw_mentions:
            return True
        return role is not None and role.id in message.raw_role_mentions

    def _in_ask_channel(self, message: discord.Message) -> bool:
        channel = message.channel
        names = {str(channel.id), str(getattr(channel, "name", "")).lower()}
        return any(c.lower() in names for c in self.bot.settings.ask_channels)

    async def _replied_answer(self, message: discord.Message) -> discord.Message | None:
        """The bot's answer this message replies to, if it replies to one."""
        ref = message.reference
        if ref is None or ref.message_id is None:
            return None
        target = ref.resolved
        if not isinstance(target, discord.Message):
            try:
                target = await message.channel.fetch_message(ref.message_id)
            except discord.HTTPException:
                return None
        mine = target.author.id == getattr(self.bot.user, "id", None) and bool(target.embeds)
        return target if mine else None

    async def on_answer_button(
        self, interaction: discord.Interaction, action: str, key: str
    ) -> None:
        """'Show passages' shows them privately; 👍 / 👎 are stored as feedback.

        Both look the answer up in this place's collection only: a button of another server's
        answer finds nothing here."""
        store = self._store(interaction)
        if store is None:
            await interaction.response.send_message(GONE, ephemeral=True)
            return
        if action == "passages":
            await interaction.response.defer(ephemeral=True, thinking=True)
            record = await asyncio.to_thread(store.answer, key)
            try:
                engine = await self.bot.scopes.engine(interaction) if record else None
            except QabotError:
                engine = None
            found = await asking.passages(engine, record.chunk_ids) if record and engine else ()
            if not found:
                await interaction.followup.send(GONE, ephemeral=True)
                return
            for embeds in render.passage_pages(found):
                await interaction.followup.send(embeds=embeds, ephemeral=True)
            return
        vote = 1 if action == "up" else -1
        record = await asyncio.to_thread(store.vote, key, interaction.user.id, vote)
        await interaction.response.send_message(THANKS[action] if record else GONE, ephemeral=True)


async def setup(bot: QABot) -> None:
    await bot.add_cog(Ask(bot))
