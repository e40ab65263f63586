"""A real answer rendered in SimCord's browser preview and captured with headless Chromium."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest
from PIL import Image

from tests.bot.conftest import World

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ANSWER_GREEN = (0x3B, 0xA5, 0x5D)  # render.ANSWERED: the stripe beside an answer


async def screenshot(url: str, out: Path, profile: Path) -> None:
    assert CHROMIUM is not None
    browser = await asyncio.create_subprocess_exec(
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--hide-scrollbars",
        "--window-size=1100,1000",
        "--virtual-time-budget=8000",  # let the page fetch and render its snapshot
        f"--screenshot={out}",
        url,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    await asyncio.wait_for(browser.wait(), timeout=90)


@pytest.mark.skipif(CHROMIUM is None, reason="needs chromium (apt-get install chromium)")
async def test_an_answer_renders_in_the_preview(world: World, tmp_path: Path) -> None:
    await world.member.slash(
        world.channel, "ask", question="What failed because of the late frost in April?"
    )
    out = tmp_path / "preview.png"
    viewers = [world.member, world.moderator]
    async with world.env.preview(world.channel, viewers=viewers, layout="channel") as preview:
        assert preview.url.startswith("http://127.0.0.1:")
        await screenshot(preview.url, out, tmp_path / "profile")
    with Image.open(out) as image:
        assert image.size == (1100, 1000)
        pixels = image.convert("RGB").getdata()
        green = sum(
            1 for p in pixels if all(abs(a - b) < 12 for a, b in zip(p, ANSWER_GREEN, strict=True))
        )
    assert green > 200, "the answer embed's green stripe is not on the page"
