"""One function builds a citation's line; the terminal and Discord add the link their own way."""

from __future__ import annotations

from bot import render
from bot.citations import citation_line
from bot.terminal import format_answer
from index.models import Answer, Source
from tests.bot.test_render import citation

URL = "https://news.example.org/harbour#:~:text=The%20pier"


def test_the_line_names_title_paragraph_page_section_and_sources() -> None:
    c = citation(
        2, "The pier reopens.", title="Harbour  Report", page=14, page_label="xii",
        section="Damage › Piers", sources=(Source("Regnum", "July 29"), Source("TASS")),
    )  # fmt: skip
    line = "[2] Harbour Report, ¶7 · p. xii (PDF page 14) · § Damage › Piers"
    assert citation_line(c) == f"{line} · Sources: Regnum (July 29); TASS"
    assert citation_line(c, sources=False) == line
    assert citation_line(c, mark="—").startswith("— Harbour Report, ¶7 · p. xii")
    assert citation_line(c, title_chars=5).startswith("[2] Harb…, ¶7 · p. xii")


def test_the_terminal_and_discord_show_the_same_line_with_their_own_link() -> None:
    c = citation(1, "The pier reopens.", title="Harbour", sources=(), quote_url=URL)
    answer = Answer("When?", True, "The pier reopens. [1]", (c,), (), 1.0)
    line = "[1] Harbour, ¶7"
    assert f"  {line} · {URL}\n" in format_answer(answer)
    assert render.answer_embed(answer).description.endswith(f"\n{line} · [link]({URL})")
    assert render.quote_line(c) == f"— Harbour, ¶7 · <{URL}>"
