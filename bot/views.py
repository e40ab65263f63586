"""The buttons under an answer. Their custom ids carry the answer key, so restarts keep them."""

from __future__ import annotations

import re
from typing import Any

import discord

# action -> (label, emoji, style)
_BUTTONS: dict[str, tuple[str | None, str | None, discord.ButtonStyle]] = {
    "passages": ("Show passages", None, discord.ButtonStyle.secondary),
    "up": (None, "👍", discord.ButtonStyle.secondary),
    "down": (None, "👎", discord.ButtonStyle.secondary),
}


class AnswerButton(
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"qabot:(?P<action>passages|up|down):(?P<key>[0-9a-f]{12})",
):
    def __init__(self, action: str, key: str) -> None:
        label, emoji, style = _BUTTONS[action]
        super().__init__(
            discord.ui.Button(
                label=label, emoji=emoji, style=style, custom_id=f"qabot:{action}:{key}"
            )
        )
        self.action = action
        self.key = key

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> AnswerButton:
        return cls(match["action"], match["key"])

    async def callback(self, interaction: discord.Interaction) -> None:
        # The ask cog owns what the buttons do; the button only routes the click there.
        cog = interaction.client.get_cog("Ask")  # type: ignore[attr-defined]
        await cog.on_answer_button(interaction, self.action, self.key)


def answer_view(key: str) -> discord.ui.View:
    """The answer's buttons; none when it could not be stored (the database was down)."""
    view = discord.ui.View(timeout=None)
    for action in _BUTTONS if key else ():
        view.add_item(AnswerButton(action, key))
    return view
