"""PDF, web pages and Word files, from real files written here: their text, pages, sections and
links, verbatim quotes, reuse of vectors, and one warning per bad file."""

from __future__ import annotations

import contextlib
import io
from dataclasses import asdict
from pathlib import Path
from urllib.parse import unquote

import pytest

from benchmarks import documents as files
from bot.cli import main
from index import store
from index.build.chunk import chunk_document
from index.build.formats import ExtractError, extract
from index.build.formats.sandbox import Sandbox
from index.build.incremental import build_index
from index.build.ingest import list_corpus, read_documents
from index.errors import IndexMissing
from index.query.locate import quote_url
from tests.conftest import ARTICLE, FakeEmbedder

BAD_FILES = {
    "locked.pdf": (files.encrypted_pdf, "it is encrypted"),
    "scan.pdf": (files.scanned_pdf, "no text layer; OCR is not supported"),
    "cut.pdf": (lambda: files.report_pdf()[:2000], "truncated or corrupt"),
    "cut.docx": (lambda: files.guide_docx()[:3000], "truncated or corrupt"),
    "bomb.docx": (files.zip_bomb_docx, "zip bomb"),
    "menu.html": (lambda: files.EMPTY_PAGE.encode(), "no main text"),
    "page.pdf": (lambda: files.NEWS_PAGE.encode(), "named .pdf but holds an HTML page"),
    "report.docx": (files.report_pdf, "named .docx but holds a PDF"),
    "notes.txt": (files.report_pdf, "named .txt but holds a PDF"),
}


# A page whose own <article> holds one paragraph of 72 characters, between navigation and footer.
SHORT_PARAGRAPH = "The Saltholm ferry leaves from the north quay every forty minutes daily."
SHORT_ARTICLE_PAGE = f"""<!DOCTYPE html><html><head><title>Island Ferries</title></head><body>
<nav><a href="/">Home</a> <a href="/timetables">Timetables</a> <a href="/about">About us</a></nav>
<article><h1>Saltholm Ferry</h1><p>{SHORT_PARAGRAPH}</p></article>
<footer>© 2024 Island Ferries. All rights reserved.</footer></body></html>"""


def write_mixed(folder: Path) -> Path:
    """The article as text, the news page as saved HTML, a PDF, a Word file and Markdown."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / ARTICLE.name).write_bytes(ARTICLE.read_bytes())
    (folder / "news.html").write_text(files.NEWS_PAGE)
    (folder / "report.pdf").write_bytes(files.report_pdf())
    (folder / "handbook.docx").write_bytes(files.guide_docx())
    (folder / "guide.md").write_text(files.MARKDOWN)
    return folder


def build(corpus: Path, index: Path, embedder):
    previous = None
    with contextlib.suppress(IndexMissing):
        previous = store.load_index(index, embedder.weights_sha256, embedder.dim)
    return build_index(corpus, index, embedder, previous)


def documents_of(corpus: Path) -> dict:
    found = {}
    for file in list_corpus(corpus)[0]:
        docs, warnings = read_documents(file)
        assert warnings == []
        found.update((d.doc_id, d) for d in docs)
    return found


def chunk_with(chunks, phrase: str):
    return next(c for c in chunks if phrase in c.text)


# ---- extraction ------------------------------------------------------------------------


def test_news_page_keeps_the_article_and_drops_navigation_sidebar_and_footer():
    page = extract("html", files.NEWS_PAGE.encode())
    assert page.title == "Harbour reopens after storm"
    assert page.meta == {
        "url": files.NEWS_URL,  # the canonical link wins over og:url
        "published": "2024-07-29T08:00:00Z",
        "author": "Jane Roe",
    }
    assert "reopened on Monday" in page.text and "A vote on August 20." in page.text
    for boilerplate in ("World news", "cookies", "Share on", "Local team", "newsletter", "By Jane"):
        assert boilerplate not in page.text
    assert [page.text[offset:].split("\n")[0] for offset, _ in page.anchors] == [
        "## Damage",
        "### The piers",
    ]


@pytest.mark.parametrize("main", ["article", "main", 'div role="main"'])
def test_a_pages_own_main_element_is_its_main_text_however_short(main: str):
    assert len(SHORT_PARAGRAPH) == 72  # under MIN_MAIN_CHARS: only a guessed main text needs more
    tag = main.split()[0]
    html = SHORT_ARTICLE_PAGE.replace("<article>", f"<{main}>").replace("</article>", f"</{tag}>")
    page = extract("html", html.encode())
    assert page.text == f"# Saltholm Ferry\n\n{SHORT_PARAGRAPH}"
    assert page.title == "Saltholm Ferry"


def test_a_page_without_a_main_element_needs_more_than_a_short_paragraph():
    html = SHORT_ARTICLE_PAGE.replace("<article>", "<div>").replace("</article>", "</div>")
    with pytest.raises(ExtractError, match="no main text"):
        extract("html", html.encode())


def test_pdf_text_is_page_by_page_with_the_documents_own_labels():
    report = extract("pdf", files.report_pdf())
    assert report.title == "Winter Report"
    assert [(p.number, p.label) for p in report.pages] == [
        (1, "i"),
        (2, "ii"),
        (3, "1"),
        (4, "2"),
        (5, "3"),
    ]
    for page, paragraphs in zip(report.pages, files.REPORT_PAGES, strict=True):
        first_words = " ".join(paragraphs[0].split()[:5])
        assert report.text[page.start :].startswith(first_words)


def test_extraction_is_deterministic():
    for kind, data in (("pdf", files.report_pdf()), ("docx", files.guide_docx())):
        assert extract(kind, data) == extract(kind, data)


def test_pages_and_sections_of_chunks(tmp_path):
    docs = documents_of(write_mixed(tmp_path / "corpus"))
    pdf_chunks = chunk_document(docs["report.pdf"])
    froze = chunk_with(pdf_chunks, "The harbour froze on March 3")
    assert (froze.page, froze.page_label, froze.section) == (3, "1", None)
    assert chunk_with(pdf_chunks, "sea wall in August").page == 5
    pages = docs["report.pdf"].pages
    for chunk in pdf_chunks:  # a chunk never spans two pages
        inside = [p for p in pages if chunk.start < p.start < chunk.end]
        assert inside == [], chunk
    news = chunk_document(docs["news.html"])
    piers = chunk_with(news, "north pier first")
    assert (piers.section, piers.anchor, piers.page) == ("Damage › The piers", "piers", None)
    assert chunk_with(news, "two piers").anchor == "damage"
    assert chunk_with(news, "sea wall").section == "What comes next"
    assert chunk_with(news, "sea wall").anchor is None  # its heading has no id
    handbook = chunk_document(docs["handbook.docx"])
    assert docs["handbook.docx"].title == "Pilot Handbook"
    assert chunk_with(handbook, "white light").section == "Safety › Night work"
    assert chunk_with(handbook, "Tell the tower").section == "Safety › Night work"
    assert chunk_with(handbook, "400 euros").section == "Fees"
    guide = chunk_document(docs["guide.md"])
    assert chunk_with(guide, "quiet mode").section == "Installation › Linux"
    assert chunk_with(guide, "green light").section == "Use"
    article = chunk_document(docs[ARTICLE.name])
    assert {(c.page, c.section, c.anchor) for c in article} == {(None, None, None)}


# ---- text fragments --------------------------------------------------------------------


def test_quote_url_is_a_percent_encoded_text_fragment_of_the_first_and_last_words():
    quote = "• Tokyo’s 3-day plan, with A&B partners, was agreed on July 29 by all (TASS, July 30)."
    url = quote_url("https://example.org/a#top", quote)
    base, directive = url.split("#:~:text=")
    assert base == "https://example.org/a"
    start, end = directive.split(",")
    assert start == "Tokyo%E2%80%99s%203%2Dday%20plan%2C%20with"
    assert end == "all%20(TASS%2C%20July%2030)."
    assert unquote(start) == "Tokyo’s 3-day plan, with" and unquote(end) == "all (TASS, July 30)."
    assert quote_url("https://example.org/", "Short quote here.").endswith(
        "#:~:text=Short%20quote%20here."
    )


# ---- builds ----------------------------------------------------------------------------


def test_rebuilding_unchanged_files_embeds_nothing_and_a_resaved_pdf_neither(tmp_path):
    corpus = write_mixed(tmp_path / "corpus")
    first = build(corpus, tmp_path / "index", FakeEmbedder())
    assert first.skipped == () and first.embedded == first.chunks > 0
    again = FakeEmbedder()
    assert build(corpus, tmp_path / "index", again).embedded == 0 and again.embedded == []
    resaved = files.report_pdf(created=(2025, 6, 1))
    assert resaved != (corpus / "report.pdf").read_bytes()
    (corpus / "report.pdf").write_bytes(resaved)
    (corpus / "news.html").rename(corpus / "saved-page.htm")
    embedder = FakeEmbedder()
    report = build(corpus, tmp_path / "index", embedder)
    assert report.changed == ("report.pdf",) and report.added == ("saved-page.htm",)
    assert report.embedded == 0 and embedder.embedded == []


def test_each_file_is_read_once_per_build(tmp_path, monkeypatch):
    corpus = write_mixed(tmp_path / "corpus")
    reads: list[str] = []
    original = Path.read_bytes

    def counting(path: Path) -> bytes:
        if path.is_relative_to(corpus):
            reads.append(path.name)
        return original(path)

    read_text = Path.read_text

    def no_text_reads(path: Path, *args, **kwargs) -> str:
        if path.is_relative_to(corpus):  # corpus files are read once, as bytes
            pytest.fail(f"read_text {path}")
        return read_text(path, *args, **kwargs)  # the model's config, read once per process

    monkeypatch.setattr(Path, "read_bytes", counting)
    monkeypatch.setattr(Path, "read_text", no_text_reads)
    build(corpus, tmp_path / "index", FakeEmbedder())
    assert sorted(reads) == sorted(p.name for p in corpus.iterdir())


def test_every_bad_file_gets_one_warning_and_the_build_goes_on(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "good.md").write_text(files.MARKDOWN)
    for name, (make, _) in BAD_FILES.items():
        (corpus / name).write_bytes(make())

    report = build(corpus, tmp_path / "index", FakeEmbedder())

    assert report.added == ("good.md",) and report.chunks == 3
    warnings = {w.split(":")[0].removeprefix("skipped "): w for w in report.skipped}
    assert set(warnings) == set(BAD_FILES) and len(report.skipped) == len(BAD_FILES)
    for name, (_, reason) in BAD_FILES.items():
        assert reason in warnings[name] and "\n" not in warnings[name]
    again = build(corpus, tmp_path / "index", FakeEmbedder())  # warned again, not read again
    assert sorted(again.skipped) == sorted(report.skipped)


def test_a_slow_file_is_stopped_at_the_time_limit_and_the_next_one_is_read():
    with Sandbox() as sandbox:
        assert sandbox.extract("docx", files.guide_docx()).title == "Pilot Handbook"
        sandbox.seconds = 0.05
        with pytest.raises(ExtractError, match="took over 0.05 s"):
            sandbox.extract("pdf", files.long_pdf(300))
        sandbox.seconds = 60
        assert sandbox.extract("docx", files.guide_docx()).title == "Pilot Handbook"


def test_a_reader_out_of_memory_is_a_warning_not_a_crash():
    # A million paragraphs take about 1 GB to parse: past the limit, the reader fails alone.
    page = "<html><body><article>" + "<p>tide " * 1_000_000 + "</article></body></html>"
    with Sandbox(memory_bytes=300 * 1024**2) as sandbox:
        with pytest.raises(ExtractError, match="its reader failed"):
            sandbox.extract("html", page.encode())
        assert sandbox.extract("html", files.NEWS_PAGE.encode()).title


# ---- answers, JSON and `qabot show` ----------------------------------------------------


@pytest.fixture(scope="module")
def mixed_engine(tmp_path_factory, models):
    from index.engine import Engine
    from index.settings import EngineSettings

    root = tmp_path_factory.mktemp("mixed")
    corpus = write_mixed(root / "corpus")
    settings = EngineSettings(corpus_dir=corpus, index_dir=root / "index")
    return Engine.open(settings, models, exports=False)


def shown(capsys, engine, doc: str) -> str:
    capsys.readouterr()
    out = io.BytesIO()

    class Stdout(io.TextIOWrapper):
        pass

    wrapper = Stdout(out, encoding="utf-8")
    with contextlib.redirect_stdout(wrapper):
        assert main(["show", doc, "--index", str(engine.settings.index_dir)]) == 0
        wrapper.flush()
    return out.getvalue().decode("utf-8")


@pytest.mark.parametrize(
    ("question", "doc", "locator"),
    [
        (
            "How long did the harbour stay frozen?",
            "report.pdf",
            {"page": 3, "page_label": "1", "section": None, "url": None, "quote_url": None},
        ),
        (
            "Where does the stone for the north pier come from?",
            "news.html",
            {"page": None, "page_label": None, "section": "Damage › The piers"},
        ),
        (
            "What light does the pilot boat show at night?",
            "handbook.docx",
            {"page": None, "section": "Safety › Night work", "url": None},
        ),
        (
            "Who recommends the quiet mode?",
            "guide.md",
            {"page": None, "section": "Installation › Linux", "url": None, "quote_url": None},
        ),
    ],
)
def test_answers_cite_the_right_page_or_section_verbatim(
    capsys, mixed_engine, question, doc, locator
):
    answer = asdict(mixed_engine.answer(question))
    cited = answer["citations"] or answer["related"]
    first = cited[0]
    assert first["doc"] == doc
    assert {key: first[key] for key in locator} == locator
    for entry in (*answer["citations"], *answer["related"]):
        assert {"page", "page_label", "section", "url", "quote_url"} <= entry.keys()
    text = shown(capsys, mixed_engine, doc)
    assert text[first["start"] : first["end"]] == first["passage"]
    assert first["quote"] in first["passage"]


def test_a_web_page_citation_links_to_its_section_and_highlights_the_quote(mixed_engine):
    answer = mixed_engine.answer("Where does the stone for the north pier come from?")
    first = (answer.citations or answer.related)[0]
    assert first.url == f"{files.NEWS_URL}#piers"
    assert first.quote_url.startswith(f"{files.NEWS_URL}#:~:text=")
    words = " ".join(first.quote.split()).split(" ")
    start = first.quote_url.split("#:~:text=")[1].split(",")[0]
    assert unquote(start) == " ".join(words[:4])


def test_show_writes_exactly_the_extracted_text(capsys, mixed_engine):
    for doc in ("report.pdf", "news.html", "handbook.docx", ARTICLE.name):
        text = shown(capsys, mixed_engine, doc)
        assert text == mixed_engine.document_text(doc)
    assert shown(capsys, mixed_engine, ARTICLE.name) == ARTICLE.read_text(encoding="utf-8")
    assert main(["show", "nope.pdf", "--index", str(mixed_engine.settings.index_dir)]) == 1
    assert "no document 'nope.pdf'" in capsys.readouterr().err
