"""Who may do what, where: named check decorators, plus the per-user question cooldown.

The server side always checks again: hiding /reindex with default_permissions is only a UI hint,
and a server admin can re-enable it for anyone in the Integrations settings.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

import discord
from discord import app_commands
from discord.ext import commands

from bot.config import Settings

T = TypeVar("T")
QuestionCooldown = commands.CooldownMapping[discord.abc.User]

NEED_MODERATOR = "You need the Manage Server permission (or the moderator role) to do that."


class NotModerator(app_commands.CheckFailure):
    def __init__(self) -> None:
        super().__init__(NEED_MODERATOR)


class ChannelNotAllowed(app_commands.CheckFailure):
    """The channel is not on QABOT_CHANNELS, or it is a DM and DMs are off."""


def is_moderator(user: discord.abc.User, settings: Settings) -> bool:
    """Manage Server, or the role named (or numbered) by QABOT_MOD_ROLE."""
    if not isinstance(user, discord.Member):
        return False
    if user.guild_permissions.manage_guild:
        return True
    wanted = settings.mod_role.strip().lower()
    return bool(wanted) and any(wanted in (str(r.id), r.name.lower()) for r in user.roles)


def channel_allowed(channel: object, settings: Settings) -> bool:
    # Anything outside a server (a DM, or a channel Discord only sent as an id) counts as a DM.
    if getattr(channel, "guild", None) is None:
        return settings.allow_dms
    if not settings.channels:
        return True
    parent = getattr(channel, "parent", None)  # a thread follows its parent channel
    names = {str(getattr(c, "id", "")) for c in (channel, parent) if c is not None}
    names |= {str(getattr(c, "name", "")).lower() for c in (channel, parent) if c is not None}
    return any(allowed.lower() in names for allowed in settings.channels)


def where_allowed(settings: Settings) -> str:
    """The refusal for a channel outside the allow-list."""
    if not settings.channels:
        return "I don't answer in direct messages; ask me in a server channel."
    listed = ", ".join(f"#{c}" if not c.isdigit() else f"<#{c}>" for c in settings.channels)
    return f"I only answer in {listed}."


def _settings(interaction: discord.Interaction) -> Settings:
    return interaction.client.settings  # type: ignore[attr-defined]


def moderator_only() -> Callable[[T], T]:
    """Refuse anyone without Manage Server or the moderator role, whatever the UI showed."""

    def predicate(interaction: discord.Interaction) -> bool:
        if not is_moderator(interaction.user, _settings(interaction)):
            raise NotModerator()
        return True

    return app_commands.check(predicate)


def in_allowed_channel() -> Callable[[T], T]:
    """Answer only in QABOT_CHANNELS (every channel when unset), and in DMs only when enabled."""

    def predicate(interaction: discord.Interaction) -> bool:
        settings = _settings(interaction)
        if not channel_allowed(interaction.channel, settings):
            raise ChannelNotAllowed(where_allowed(settings))
        return True

    return app_commands.check(predicate)


def question_cooldown(seconds: float) -> QuestionCooldown | None:
    """One question per user per `seconds`, shared by /ask and questions asked in messages.

    None when QABOT_COOLDOWN_S is 0: no limit.
    """
    if seconds <= 0:
        return None
    return commands.CooldownMapping.from_cooldown(1, seconds, _asker_id)


def retry_after(
    cooldown: QuestionCooldown | None, asker: discord.abc.User, asked_at: datetime
) -> float:
    """Seconds `asker` must wait; 0 means go ahead (and starts their next wait).

    `asked_at` is Discord's time of the message or interaction, as RoboDanny's spam check uses.
    """
    if cooldown is None:
        return 0.0
    return cooldown.update_rate_limit(asker, asked_at.timestamp()) or 0.0


def _asker_id(asker: discord.abc.User) -> int:
    return asker.id
