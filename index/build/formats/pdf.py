"""PDF -> text, page by page, from the text layer (pypdfium2, PDFium's own text extraction).

Pages are joined by a blank line, so no paragraph, and no chunk, spans two pages. Within a page,
a line that ends a sentence and stops well short of the page's longest line ends a paragraph.
"""

from __future__ import annotations

import re

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from index.build.formats.extracted import Extracted, ExtractError
from index.models import Page

SHORT_LINE = 0.85  # a line shorter than this share of the page's longest line may end a paragraph
_PARAGRAPH_END = re.compile(r"[.!?:][\"'”’)\]]*$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def extract_pdf(data: bytes) -> Extracted:
    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as error:
        raise ExtractError(_open_problem(error)) from None
    try:
        return _extract(document)
    finally:
        document.close()


def _open_problem(error: pdfium.PdfiumError) -> str:
    code = getattr(error, "err_code", None)
    if code == pdfium_c.FPDF_ERR_PASSWORD:
        return "it is encrypted (password-protected)"
    if code == pdfium_c.FPDF_ERR_SECURITY:
        return "it is encrypted with an unsupported security handler"
    return "it is not a readable PDF (truncated or corrupt)"


def _extract(document: pdfium.PdfDocument) -> Extracted:
    parts: list[str] = []
    pages: list[Page] = []
    offset = 0
    for index in range(len(document)):
        text = _page_text(document, index)
        label = document.get_page_label(index) or None
        pages.append(Page(offset, index + 1, label))
        if text:
            parts.append(text)
            offset += len(text) + 2  # the blank line that joins it to the next page
    if not parts:
        raise ExtractError("no text layer; OCR is not supported (a scan?)")
    text = "\n\n".join(parts)
    meta = document.get_metadata_dict(skip_empty=True)
    title = " ".join(meta.get("Title", "").split()) or text.split("\n", 1)[0].strip()
    author = " ".join(meta.get("Author", "").split())
    return Extracted(text, title[:200], {"author": author} if author else {}, tuple(pages))


def _page_text(document: pdfium.PdfDocument, index: int) -> str:
    page = document[index]
    try:
        textpage = page.get_textpage()
        try:
            raw = textpage.get_text_range()
        finally:
            textpage.close()
    finally:
        page.close()
    raw = _CONTROL.sub("", raw.replace("\r\n", "\n").replace("\r", "\n"))
    return _paragraphs([line.strip() for line in raw.split("\n")])


def _paragraphs(lines: list[str]) -> str:
    """Lines joined by newlines, with a blank line where a paragraph ends."""
    longest = max((len(line) for line in lines), default=0)
    out: list[str] = []
    for line in lines:
        if not line:
            if out and out[-1]:
                out.append("")
            continue
        out.append(line)
        if len(line) < SHORT_LINE * longest and _PARAGRAPH_END.search(line):
            out.append("")
    return "\n".join(out).strip()
