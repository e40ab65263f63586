"""Shard ranges: which Discord servers one worker process serves.

Discord splits a bot's servers into shards, `shard_id = (guild_id >> 22) % shard_count`, and sends
each shard's events (messages, slash commands, buttons) only to the connection that identified
as that shard. `qabot run --shards 0-3 --shard-count 16` runs one worker over shards 0 to 3: an
AutoShardedBot with those shard ids, which never receives anything from the servers on other
shards. Direct messages belong to no server and arrive on shard 0 only, so the worker that holds
shard 0 is the one that answers (or refuses) DMs.
"""

from __future__ import annotations

from index.errors import SettingsError

MAX_SHARDS = 4096


def parse_shards(raw: str) -> tuple[int, ...]:
    """ "0-3" -> (0, 1, 2, 3); "0-3,8,10-11" also works. SettingsError names what is wrong."""
    ids: list[int] = []
    for part in (p.strip() for p in raw.split(",")):
        first, dash, last = part.partition("-")
        if not first.strip().isdigit() or (dash and not last.strip().isdigit()):
            raise SettingsError(
                f"--shards takes shard ids and ranges such as 0-3 or 0-3,8, not {raw!r}"
            )
        start, end = int(first), int(last) if dash else int(first)
        if end < start:
            raise SettingsError(f"--shards: the range {part!r} runs backwards")
        ids.extend(range(start, end + 1))
    if len(set(ids)) != len(ids):
        raise SettingsError(f"--shards names a shard twice: {raw!r}")
    return tuple(sorted(ids))


def check_shards(shard_ids: tuple[int, ...] | None, shard_count: int | None) -> None:
    """Both or neither; every id below the count. Raises SettingsError."""
    if shard_ids is None and shard_count is None:
        return
    if shard_ids is None or shard_count is None:
        raise SettingsError(
            "--shards and --shard-count go together, e.g. --shards 0-3 --shard-count 16"
        )
    if not 1 <= shard_count <= MAX_SHARDS:
        raise SettingsError(f"--shard-count must be between 1 and {MAX_SHARDS}, not {shard_count}")
    if not shard_ids:
        raise SettingsError("--shards names no shard")
    outside = [i for i in shard_ids if i >= shard_count]
    if outside:
        raise SettingsError(
            f"shard {outside[0]} is outside --shard-count {shard_count}"
            f" (ids run 0 to {shard_count - 1})"
        )


def shard_of(guild_id: int, shard_count: int) -> int:
    """The shard Discord sends this server's events to."""
    return (guild_id >> 22) % shard_count


def describe(shard_ids: tuple[int, ...], shard_count: int) -> str:
    """ "shards 0-3 of 16", for the log."""
    spans: list[str] = []
    start = previous = shard_ids[0]
    for shard in (*shard_ids[1:], None):
        if shard is not None and shard == previous + 1:
            previous = shard
            continue
        spans.append(f"{start}-{previous}" if previous > start else str(start))
        if shard is not None:
            start = previous = shard
    return f"shard{'s' if len(shard_ids) > 1 else ''} {','.join(spans)} of {shard_count}"
