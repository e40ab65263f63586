"""Bytes of a PDF, web page or Word file -> Extracted: the text that is the document's text.

One module per format, each built on a library made for it: pdf.py (pypdfium2), html.py
(selectolax), docx.py (python-docx). Headings are written as Markdown headings (`## Linux`), so
the chunker treats every format alike. Extraction is deterministic: the same bytes give the same
text. A file that can't be read raises ExtractError with a one-line reason.
"""

from __future__ import annotations

from index.build.formats.extracted import Extracted, ExtractError
from index.models import Page

__all__ = ["ExtractError", "Extracted", "Page", "extract", "sniff"]


# What the first bytes say a file holds.
PDF, ZIP, HTML, BINARY, TEXT = "a PDF", "a ZIP archive", "an HTML page", "binary data", "text"


def sniff(data: bytes) -> str:
    """What the first bytes say the file is (PDF readers accept `%PDF-` in the first 1 KB)."""
    head = data[:1024]
    if b"%PDF-" in head:
        return PDF
    if head.startswith(b"PK\x03\x04"):
        return ZIP
    if b"\0" in data[:8192]:
        return BINARY
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if start.startswith((b"<!doctype html", b"<html", b"<head", b"<body")):
        return HTML
    return TEXT


def extract(kind: str, data: bytes) -> Extracted:
    """Extract a "pdf", "html" or "docx" file's text and metadata."""
    if kind == "pdf":
        from index.build.formats.pdf import extract_pdf

        return extract_pdf(data)
    if kind == "html":
        from index.build.formats.html import extract_html

        return extract_html(data)
    if kind == "docx":
        from index.build.formats.docx import extract_docx

        return extract_docx(data)
    raise ValueError(f"no extractor for {kind}")
