"""Word (.docx) -> paragraphs, headings and list items in reading order (python-docx).

Headings ("Heading 1".."Heading 6", "Title") become Markdown headings and list items ("List …"
styles or numbered paragraphs) start with "- ". The archive is checked before it is opened: a file
that would unpack to more than MAX_UNPACKED_BYTES (a zip bomb) is refused.
"""

from __future__ import annotations

import io
import re
import zipfile

from index.build.formats.extracted import Extracted, ExtractError

MAX_UNPACKED_BYTES = 200 * 1024 * 1024
MAX_RATIO = 200  # a part that unpacks to over 200 times its packed size is refused past 1 MB
_HEADING_STYLE = re.compile(r"Heading ([1-6])$")


def extract_docx(data: bytes) -> Extracted:
    _check_archive(data)
    import docx

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as error:  # python-docx raises many kinds for damaged parts
        raise ExtractError(f"it is not a readable Word document ({type(error).__name__})") from None
    blocks: list[str] = []
    title = " ".join((document.core_properties.title or "").split())
    for paragraph in document.paragraphs:
        words = " ".join(paragraph.text.split())
        if words:
            blocks.append(_block(paragraph, words))
    if not blocks:
        raise ExtractError("it holds no text")
    if not title:
        first = blocks[0]
        title = first.lstrip("#- ").strip() if first.startswith("#") else first[:120]
    author = " ".join((document.core_properties.author or "").split())
    return Extracted("\n\n".join(blocks), title, {"author": author} if author else {})


def _block(paragraph, words: str) -> str:
    style = paragraph.style.name if paragraph.style is not None else ""
    if style == "Title":
        return f"# {words}"
    heading = _HEADING_STYLE.match(style)
    if heading:
        return "#" * (int(heading.group(1)) + 1) + " " + words  # under the title's level
    properties = paragraph._p.pPr
    if style.startswith("List") or (properties is not None and properties.numPr is not None):
        return f"- {words}"
    return words


def _check_archive(data: bytes) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise ExtractError("it is not a readable Word document (truncated or corrupt)") from None
    if "word/document.xml" not in archive.namelist():
        raise ExtractError("it is a ZIP archive but not a Word document")
    total = sum(member.file_size for member in members)
    if total > MAX_UNPACKED_BYTES or any(
        m.file_size > 1024 * 1024 and m.file_size > MAX_RATIO * max(m.compress_size, 1)
        for m in members
    ):
        raise ExtractError(f"it would unpack to {total / 1e6:.0f} MB (a zip bomb?)")
