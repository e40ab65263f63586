"""An engine failure inside a command: a polite message for the member, a traceback in the log."""

from __future__ import annotations

import logging

import pytest
import simcord

from bot.client import SOMETHING_WRONG
from index.errors import IndexCorrupt
from tests.bot.conftest import World

FROST = "What failed because of the late frost in April?"


def fail_with(monkeypatch: pytest.MonkeyPatch, world: World, error: Exception) -> None:
    def answer(question: str, context: object = None) -> None:
        raise error

    monkeypatch.setattr(world.bot.engine, "answer", answer)


async def test_an_unexpected_engine_error_is_polite_and_logged(
    world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    fail_with(monkeypatch, world, RuntimeError("faiss index exploded"))
    with caplog.at_level(logging.ERROR, logger="qabot.bot"):
        result = await world.member.slash(world.channel, "ask", question=FROST)
    shown = [m.content for m in [result.response, *result.followups] if m is not None]
    assert SOMETHING_WRONG in shown
    assert "faiss" not in " ".join(shown)  # no internals for the member
    simcord.assert_error(world.env, RuntimeError, contains="faiss index exploded")
    [record] = [r for r in caplog.records if r.name == "qabot.bot"]
    assert record.getMessage() == "error in /ask"
    assert "RuntimeError: faiss index exploded" in caplog.text  # the traceback is logged
    assert "Traceback" in caplog.text


async def test_an_engine_error_on_a_mention_is_polite_and_logged(
    world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    fail_with(monkeypatch, world, RuntimeError("faiss index exploded"))
    with caplog.at_level(logging.ERROR, logger="qabot.bot"):
        await world.member.send(world.channel, f"{world.bot.user.mention} {FROST}")
    assert world.channel.last_message.content == SOMETHING_WRONG
    assert "RuntimeError: faiss index exploded" in caplog.text


async def test_an_engine_error_meant_for_users_is_shown_as_is(
    world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    fail_with(monkeypatch, world, IndexCorrupt("the index is corrupt; run `qabot index build`"))
    await world.member.slash(world.channel, "ask", question=FROST)
    assert world.channel.last_message.content == "the index is corrupt; run `qabot index build`"
    assert "Traceback" not in caplog.text
