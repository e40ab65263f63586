"""Small frozen records that flow through the engine: file -> Document -> Chunk -> Answer."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Source:
    """A reference the document cites, e.g. "(Regnum, July 29)" -> Source("Regnum", "July 29")."""

    name: str
    date: str | None = None


@dataclass(frozen=True)
class Page:
    """Where one page of a paged document (a PDF) begins in its extracted text."""

    start: int
    number: int  # 1-based page index
    label: str | None = None  # the document's own label for the page, e.g. "xii"


@dataclass(frozen=True)
class Sentence:
    """One sentence as character offsets into its document, with the sources it rests on."""

    start: int
    end: int
    sources: tuple[Source, ...] = ()


@dataclass(frozen=True)
class Document:
    doc_id: str  # path relative to the corpus folder, or the `_id` of a .jsonl record
    title: str
    text: str  # the full text that every offset points into
    meta: dict[str, str] = field(default_factory=dict)
    body_start: int = 0  # where the body begins, after the title and header lines
    format: str = "text"  # "text", "markdown", "jsonl", "pdf", "html" or "docx"
    pages: tuple[Page, ...] = ()  # a PDF's pages, in order
    anchors: tuple[tuple[int, str], ...] = ()  # (offset of a heading line, its id) in HTML


@dataclass(frozen=True)
class Chunk:
    chunk_id: str
    doc_id: str
    title: str
    heading: str | None
    paragraph: int  # 1-based, counted as a reader would
    start: int
    end: int
    text: str  # == document text[start:end]
    sentences: tuple[Sentence, ...]  # offsets relative to the document, like start/end
    page: int | None = None  # 1-based page of a PDF; a chunk never spans two pages
    page_label: str | None = None
    section: str | None = None  # heading path in Markdown, HTML and Word: "Installation › Linux"
    anchor: str | None = None  # id of the nearest enclosing heading that has one (HTML)


@dataclass(frozen=True)
class Citation:
    n: int
    doc: str
    title: str
    meta: dict[str, str]
    paragraph: int
    chunk_id: str
    passage: str
    quote: str
    start: int  # offsets of the passage in the document
    end: int
    sources: tuple[Source, ...]
    score: float
    page: int | None = None  # 1-based page index in a PDF
    page_label: str | None = None  # the PDF's own label for that page, e.g. "xii"
    section: str | None = None  # heading path, e.g. "Installation › Linux"
    url: str | None = None  # the document's URL, plus #anchor of the nearest heading with an id
    quote_url: str | None = None  # the URL with a text fragment that highlights the quote


@dataclass(frozen=True)
class Answer:
    question: str
    answered: bool
    answer: str
    citations: tuple[Citation, ...]
    related: tuple[Citation, ...]
    took_ms: float
    confidence: float = 0.0  # the answer model's probability that the best sentence answers
    # Not answered, yet one sentence came near (the middle outcome): that sentence, verbatim, with
    # the [1] of its citation (related[0], which quotes it). Shown as possibly not answering.
    closest: str = ""


@dataclass(frozen=True)
class StageTimes:
    """Where one answer's time went, in milliseconds."""

    embed_ms: float
    search_ms: float
    answer_ms: float  # choosing the sentences and composing the answer
    read_ms: float = 0.0  # the reader's pass over the best passages


@dataclass(frozen=True)
class BuildReport:
    added: tuple[str, ...]
    changed: tuple[str, ...]
    removed: tuple[str, ...]
    unchanged: tuple[str, ...]
    chunks: int
    embedded: int
    seconds: float
    skipped: tuple[str, ...] = ()  # one warning line per unusable file


@dataclass(frozen=True)
class DocumentInfo:
    doc: str
    title: str
    meta: dict[str, str]
    chunks: int


@dataclass(frozen=True)
class IndexStatus:
    documents: int
    chunks: int
    model: str
    dtype: str
    built_at: str  # ISO 8601, UTC
    changed_since_build: tuple[str, ...]  # added, changed or removed files since the build


@dataclass(frozen=True)
class DocumentRecord:
    """One document added to a collection, as documents.json keeps it."""

    stored: str  # the file's name in the corpus folder
    original: str  # the uploaded file's name, or the URL, for display
    url: str = ""  # where it was fetched from; also its citation link
    sha256: str = ""
    etag: str = ""
    last_modified: str = ""
    added_at: str = ""
