"""Document -> Chunks: whole sentences within one paragraph, up to about 200 tokens each.

Paragraphs are blocks separated by blank lines, and each list item is a paragraph of its own.
They are numbered as a reader counts them (¶1 is the first body paragraph); headings and
captions such as "(Source: Shutterstock)" are not counted. Every chunk keeps exact character
offsets into the document text, so `text[start:end] == chunk.text` always holds.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass

from index.models import Chunk, Document, Sentence
from index.sentences import split_sentences
from index.sources import parse_sources

MAX_TOKENS = 200

_BLOCK_BREAK = re.compile(r"\n[ \t\xa0]*\n")
_LIST_ITEM = re.compile(r"^[ \t\xa0]*(?:[•▪◦*\-–—]|\d{1,3}[.)])[ \t\xa0]+", re.MULTILINE)
_MD_HEADING = re.compile(r"#{1,6}\s+(.+?)\s*#*")
_TOKEN = re.compile(r"\w+|[^\w\s]")


@dataclass(frozen=True)
class Block:
    start: int
    end: int
    kind: str  # "paragraph", "heading", "label" (a "Summary:" line) or "caption"
    heading: str = ""
    list_item: bool = False


def count_tokens(text: str) -> int:
    """A cheap stand-in for the model's word pieces: words and punctuation marks."""
    return len(_TOKEN.findall(text))


def chunk_document(document: Document, max_tokens: int = MAX_TOKENS) -> list[Chunk]:
    chunks: list[Chunk] = []
    seen: dict[str, int] = {}
    heading: str | None = None
    paragraph = 0
    label_items = 0  # a "Summary:" label heads only the list right after it
    for block in split_blocks(document.text, document.body_start):
        if block.kind in ("heading", "label"):
            heading, label_items = block.heading, (0 if block.kind == "label" else -1)
            continue
        if block.kind == "caption":
            continue
        if label_items >= 0:
            label_items = label_items + 1 if block.list_item else -1
            if label_items < 0:
                heading = None
        paragraph += 1
        sentences = _sentences(document.text, block)
        for group in _group(document.text, sentences, max_tokens):
            chunks.append(_make_chunk(document, group, heading, paragraph, seen))
    return chunks


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
        return Block(start, end, "heading", markdown.group(1))
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


def _group(text: str, sentences: list[Sentence], max_tokens: int) -> list[list[Sentence]]:
    """Consecutive sentences in chunks of even size; an over-long sentence stands alone."""
    sizes = [count_tokens(text[s.start : s.end]) for s in sentences]
    target = sum(sizes) / max(1, math.ceil(sum(sizes) / max_tokens))
    groups: list[list[Sentence]] = []
    current: list[Sentence] = []
    current_size = 0
    for sentence, size in zip(sentences, sizes, strict=True):
        if current and (current_size + size > max_tokens or current_size >= target):
            groups.append(current)
            current, current_size = [], 0
        current.append(sentence)
        current_size += size
    if current:
        groups.append(current)
    return groups


def _make_chunk(
    document: Document, group: list[Sentence], heading: str | None, paragraph: int, seen: dict
) -> Chunk:
    start, end = group[0].start, group[-1].end
    text = document.text[start:end]
    occurrence = seen.get(text, 0)
    seen[text] = occurrence + 1
    return Chunk(
        chunk_id=chunk_id(document.doc_id, text, occurrence),
        doc_id=document.doc_id,
        title=document.title,
        heading=heading,
        paragraph=paragraph,
        start=start,
        end=end,
        text=text,
        sentences=tuple(group),
    )


def chunk_id(doc_id: str, text: str, occurrence: int = 0) -> str:
    """Stable: the same text in the same document gets the same id in every build."""
    key = f"{doc_id}\0{occurrence}\0{text}".encode()
    return hashlib.sha256(key).hexdigest()[:16]
