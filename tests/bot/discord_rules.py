"""Discord's message limits, checked the way Discord's API would reject a message.

SimCord stores what the bot sends without enforcing these sizes, so the tests check them here.
"""

from __future__ import annotations

import discord
import simcord

LIMITS = {"content": 2000, "title": 256, "description": 4096, "field_name": 256}
LIMITS |= {"field_value": 1024, "footer": 2048, "fields": 25, "total": 6000, "embeds": 10}


def problems(content: str | None, embeds: list[discord.Embed]) -> list[str]:
    """Why Discord would reject this message; empty when it is valid."""
    found = []
    if content and len(content) > LIMITS["content"]:
        found.append(f"content has {len(content)} characters")
    if len(embeds) > LIMITS["embeds"]:
        found.append(f"{len(embeds)} embeds")
    for e in embeds:
        sizes = {
            "title": len(e.title or ""),
            "description": len(e.description or ""),
            "footer": len(e.footer.text or ""),
            "fields": len(e.fields),
        }
        for f in e.fields:
            sizes["field_name"] = max(sizes.get("field_name", 0), len(f.name or ""))
            sizes["field_value"] = max(sizes.get("field_value", 0), len(f.value or ""))
            if not f.name or not f.value:
                found.append("a field with an empty name or value")
        found += [f"{k} is {v}" for k, v in sizes.items() if v > LIMITS[k]]
    total = sum(len(e) for e in embeds)
    if total > LIMITS["total"]:
        found.append(f"embeds hold {total} characters in total")
    return found


def assert_valid(message: discord.Message) -> None:
    assert problems(message.content, message.embeds) == [], message


def pings(env: simcord.Env, message: discord.Message) -> tuple[list[int], list[int], bool]:
    """Who Discord would notify for this message: (users, roles, everyone).

    Read from SimCord's stored message, which keeps the mentions a message shows apart from the
    pings its allowed_mentions let through. (The backend is SimCord's internal model.)
    """
    stored = env.backend.get_message(message.channel.id, message.id)
    return list(stored.ping_user_ids), list(stored.ping_role_ids), bool(stored.mention_everyone)


def sent_allowed_mentions(env: simcord.Env) -> list[object]:
    """The allowed_mentions of every message the bot sent or edited, as sent over HTTP."""
    return [
        r.json["allowed_mentions"]
        for r in env.http_requests
        if isinstance(r.json, dict) and "allowed_mentions" in r.json
    ]
