"""Answers, passages, quotes and listings render within Discord's limits, whatever the text."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot import limits, render, render_library
from index.engine import Engine
from index.models import Answer, BuildReport, Citation, DocumentInfo, IndexStatus, Source
from tests.bot.discord_rules import problems

HUGE = " ".join(
    f"Sentence {i} says **bold** things about _harbors_ and @everyone in <@&42>."
    for i in range(400)
)


def citation(n: int, passage: str, **changes: object) -> Citation:
    base = Citation(
        n=n,
        doc="notes/long.txt",
        title="A Very Long Title " * 30,
        meta={"Publication": "Weekly " * 50},
        paragraph=7,
        chunk_id=f"{n:016x}",
        passage=passage,
        quote=passage,
        start=0,
        end=len(passage),
        sources=tuple(Source(f"Outlet {i}", "July 29") for i in range(60)),
        score=1.0,
    )
    return replace(base, **changes)


def test_answer_from_the_engine_shows_each_quote_once_with_its_citation(engine: Engine) -> None:
    answer = engine.answer("What failed because of the late frost in April?")
    embed = render.answer_embed(answer)
    assert answer.answered
    quote, line = embed.description.split("\n")
    assert quote.startswith("> A late frost in April destroyed most of the cherry blossoms")
    assert line == "[1] Orchard Cooperative Report, ¶2 · Sources: Radio North (September 10)"
    assert "A late frost" not in "".join(f.value for f in embed.fields)
    assert embed.footer.text.startswith("Answered in ")
    assert problems(None, [embed]) == []


def test_the_closest_sentence_is_shown_as_possibly_not_answering() -> None:
    passage = "The council met on March 3. The terminal opened in 2027."
    first = citation(1, passage, quote="The terminal opened in 2027.")
    answer = Answer(
        "When did the port open?",
        False,
        render.NOT_SURE_TEXT,
        (),
        (first,),
        5.0,
        0.1,
        "The terminal opened in 2027. [1]",
    )
    embed = render.answer_embed(answer)
    head, quote, line = embed.description.split("\n")
    assert head == render.CLOSEST_HEAD
    assert quote == "> The terminal opened in 2027." and line.startswith("[1] A Very Long Title")
    assert embed.colour == render.NOT_SURE and "not a confirmed answer" in embed.footer.text
    assert problems(None, [embed]) == []


def test_quotes_follow_reading_order_and_keep_the_json_numbers() -> None:
    first = citation(1, "The terminal opened in 2027.", doc="a.txt", start=500, end=528)
    second = citation(2, "The council met on March 3.", doc="a.txt", start=10, end=37)
    answer = Answer("When?", True, "The council met on March 3. [2] …", (first, second), (), 5.0)
    lines = render.answer_embed(answer).description.split("\n")
    assert lines[0] == "> The council met on March 3."
    assert lines[1].startswith("[2] A Very Long Title")
    assert lines[2] == "> The terminal opened in 2027."
    assert lines[3].startswith("[1] A Very Long Title")


def test_the_citation_line_links_to_a_document_with_an_address() -> None:
    linked = citation(1, "Short.", meta={"url": "https://example.org/a"}, sources=())
    answer = Answer("Where?", True, "Short. [1]", (linked,), (), 5.0)
    line = render.answer_embed(answer).description.split("\n")[1]
    assert line.endswith("A Very Lo…, ¶7 · [link](https://example.org/a)")
    assert len(line) <= render.LINE_CHARS


def test_huge_answer_with_many_citations_still_fits() -> None:
    cited = tuple(citation(n, HUGE) for n in range(1, 31))
    answer = Answer("why? " * 400, True, HUGE, cited, (), 12.0)
    embed = render.answer_embed(answer)
    assert problems(None, [embed]) == []
    blocks = embed.description.split("\n[")
    assert len(blocks) == render.QUOTES_SHOWN + 1  # every quote block keeps its citation line
    # Each quote is shortened at a sentence end, with the Markdown still escaped.
    assert blocks[0].endswith(". …")
    assert "\\*\\*bold\\*\\*" in embed.description


def test_abstention_says_so_and_lists_at_most_three_related_passages() -> None:
    related = tuple(citation(n, HUGE) for n in range(1, 6))
    embed = render.answer_embed(Answer("Who is the king?", False, "", (), related, 3.0))
    assert embed.description.startswith(render.NOT_ANSWERED)
    lines = embed.description.split("\n")
    assert [line[:4] for line in lines if line.startswith("[")] == [
        "[1] ",
        "[2] ",
        "[3] ",
    ]
    assert problems(None, [embed]) == []


def test_show_passages_pages_a_long_passage_verbatim() -> None:
    pages = render.passage_pages((citation(1, HUGE), citation(2, "Short one.")))
    embeds = [e for page in pages for e in page]
    assert len(embeds) > 2  # the long passage took several pages
    assert "(1/" in embeds[0].title
    for page in pages:
        assert problems(None, page) == []
    shown = " ".join(e.description for e in embeds[:-1])
    # Every word of the passage is shown, in order, escaped but never shortened.
    assert limits.escape(HUGE).split() == [w for w in shown.split() if w != ">"]


def test_quote_of_a_5000_character_paragraph_fits_one_embed() -> None:
    paragraph = "The glacier retreated again. " * 180
    assert len(paragraph) > 5000
    embed = render.quote_embed(citation(1, paragraph))
    assert problems(None, [embed]) == []
    assert embed.description.startswith("> The glacier retreated again.")
    assert "…" in embed.description and "— A Very Long Title" in embed.description


def test_sources_lists_pages_of_documents() -> None:
    docs = [DocumentInfo(f"d{i}.txt", f"Title {i}", {"Volume": str(i)}, i) for i in range(45)]
    status = IndexStatus(45, 990, "bundled", "float32", "2025-01-02T03:04:05+00:00", ("d1.txt",))
    first = render_library.sources_embed(docs, status, page=1)
    last = render_library.sources_embed(docs, status, page=99)
    assert "45 documents · 990 passages · built 2025-01-02 03:04 UTC" in first.description
    assert "page 1/3" in first.description and "page 3/3" in last.description
    assert [f.name for f in last.fields] == [
        "Title 40",
        "Title 41",
        "Title 42",
        "Title 43",
        "Title 44",
    ]
    assert "Volume: 44" in last.fields[-1].value
    assert first.footer.text == "Changed since the build: d1.txt"
    assert problems(None, [first]) == []


def test_build_report_lists_changes_and_time() -> None:
    report = BuildReport(("new.txt",), ("a.md",), ("gone.txt",), ("b.txt",), 40, 9, 2.5)
    embed = render_library.build_embed(report)
    fields = {f.name: f.value for f in embed.fields}
    assert fields == {
        "Added (1)": "`new.txt`",
        "Changed (1)": "`a.md`",
        "Removed (1)": "`gone.txt`",
    }
    assert "took 2.5 s" in embed.description


@pytest.mark.parametrize("ms, text", [(12.4, "12 ms"), (1530.0, "1.5 s")])
def test_time_taken_reads_naturally(ms: float, text: str) -> None:
    assert render.took(ms) == text


def test_citation_line_shows_the_locator_and_a_link_that_does_not_unfurl() -> None:
    url = "https://news.example.org/a_b#:~:text=Engineers%20will%20rebuild%20the,quarry."
    located = citation(
        1, "Engineers will rebuild the north pier first.", title="Harbour", sources=(),
        meta={}, page=3, page_label="1", section="Damage › The piers", quote_url=url,
    )  # fmt: skip
    line = render.quote_line(located)
    assert line == f"— Harbour, ¶7 · p. 1 (PDF page 3) · § Damage › The piers · <{url}>"
    block = render.answer_embed(Answer("q", True, "Engineers. [1]", (located,), (), 1.0))
    assert "¶7 · p. 1 (PDF page 3) · § Damage › The piers" in block.description
    assert f"[link]({url})" in block.description  # a masked link: it doesn't unfurl either
    quoted = render.quote_embed(located)
    assert f"<{url}>" in quoted.description
    assert problems(None, [quoted]) == [] and problems(None, [block]) == []


def test_a_link_too_long_for_the_citation_line_is_left_out_not_cut() -> None:
    long_url = "https://example.org/" + "x" * 600
    line = render.quote_line(citation(1, "A passage.", quote_url=long_url), 300)
    assert "https://" not in line and len(line) <= 300
