"""Real files written the way real tools write them: a multi-page PDF (fpdf2) with page labels,
a Word file (python-docx), a news-article web page with navigation, a sidebar and a footer, and
the bad files a build must survive. benchmarks/extraction.py and the tests use them."""

from __future__ import annotations

import io
import zipfile

import docx
from fpdf import FPDF

# Sheets of the report: two front-matter pages numbered i, ii, then the body from 1.
REPORT_PAGES = [
    [
        "Preface. This report describes the winter of the Port Ellis harbour for the council.",
        "The harbour master wrote it with the help of the pilots.",
    ],
    ["Contents. The freeze, the repairs, and the new sea wall."],
    [
        "The harbour froze on March 3 and stayed closed for nine days. Ships waited outside the"
        " breakwater for the thaw, and the pilots counted forty vessels at anchor.",
    ],
    [
        "Repairs to the north pier will cost 3 million euros. The work starts in September and"
        " should end by March, when the ferries return.",
    ],
    ["The council will decide on a new sea wall in August after a public meeting."],
]

NEWS_URL = "https://news.example.org/2024/07/harbour-reopens"
NEWS_PAGE = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Harbour reopens after storm | The Coastal Times</title>
<link rel="canonical" href="{NEWS_URL}">
<meta property="og:url" content="https://news.example.org/amp/harbour-reopens">
<meta property="article:published_time" content="2024-07-29T08:00:00Z">
<meta name="author" content="Jane Roe">
<script>window.analytics = {{track: function () {{}}}};</script>
</head><body>
<header class="site-header"><a href="/">The Coastal Times</a>
<nav><ul><li><a href="/world">World news and analysis</a></li><li><a href="/sport">Sport</a></li>
</ul></nav></header>
<div class="cookie-banner">We use cookies to improve your experience. Accept all cookies?</div>
<main>
<article>
<h1>Harbour reopens after storm</h1>
<p class="byline">By Jane Roe, July 29</p>
<p>The harbour of Port Ellis reopened on Monday after a storm closed it for nine days. Fishing
boats returned to the quay before dawn.</p>
<div class="share-tools">Share on Facebook · Share on X</div>
<h2 id="damage">Damage</h2>
<p>The storm destroyed two piers and sank four boats. The mayor said repairs will cost
3 million euros (Port Ellis Gazette, July 28).</p>
<h3 id="piers">The piers</h3>
<p>Engineers will rebuild the north pier first, with stone from the Kvarnberg quarry. Work
starts in September and should end by March.</p>
<h2>What comes next</h2>
<p>The council will vote on a new sea wall in August. Residents asked for a public meeting
first.</p>
<ul><li>A public meeting on August 3.</li><li>A vote on August 20.</li></ul>
</article>
<aside class="sidebar"><h3>Most read</h3>
<article><p>Local team wins the cup after a dramatic final against the visitors from the north,
and the whole town celebrates late into the night.</p></article></aside>
</main>
<footer><p>© 2024 The Coastal Times. All rights reserved. Contact us. Privacy policy.</p>
<p>Subscribe to our newsletter for the best stories of the week, every Friday.</p></footer>
</body></html>
"""

MARKDOWN = """# Field Guide

## Installation

Unpack the kit before the first frost.

### Linux

Run the installer from a terminal. The lighthouse keeper recommends the quiet mode.

## Use

Point the sensor north and wait for the green light.
"""


def report_pdf(created: tuple[int, ...] = (2024, 1, 1)) -> bytes:
    """A five-page PDF with a text layer, labelled i, ii, 1, 2, 3."""
    from datetime import UTC, datetime

    pdf = FPDF()
    pdf.set_creation_date(datetime(*created, tzinfo=UTC))
    pdf.set_title("Winter Report")
    pdf.set_font("helvetica", size=12)
    for index, paragraphs in enumerate(REPORT_PAGES):
        pdf.add_page()
        if index == 0:
            pdf.set_page_label(label_style="r", label_start=1)
        if index == 2:
            pdf.set_page_label(label_style="D", label_start=1)
        for paragraph in paragraphs:
            pdf.multi_cell(0, 6, paragraph)
            pdf.ln(6)
    return bytes(pdf.output())


def long_pdf(pages: int) -> bytes:
    pdf = FPDF()
    pdf.set_font("helvetica", size=11)
    for number in range(pages):
        pdf.add_page()
        tides = " ".join(
            f"On day {number * 120 + day} the tide rose {day % 7} feet." for day in range(120)
        )
        pdf.multi_cell(0, 5, f"Page {number} of the ledger. {tides}")
    return bytes(pdf.output())


def encrypted_pdf() -> bytes:
    pdf = FPDF()
    pdf.set_encryption(owner_password="owner", user_password="secret")
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.multi_cell(0, 6, "Only for those who know the password.")
    return bytes(pdf.output())


def scanned_pdf() -> bytes:
    """A page with a picture of text and no text layer: a filled shape stands for the scan."""
    pdf = FPDF()
    pdf.add_page()
    pdf.rect(10, 10, 180, 250, style="F")
    return bytes(pdf.output())


def guide_docx() -> bytes:
    document = docx.Document()
    document.core_properties.author = "Harbour Office"
    document.add_paragraph("Pilot Handbook", style="Title")
    document.add_paragraph("This handbook is for the harbour pilots of Port Ellis.")
    document.add_heading("Safety", level=1)
    document.add_paragraph("Every pilot wears a life jacket on the boarding ladder.")
    document.add_heading("Night work", level=2)
    document.add_paragraph("At night the pilot boat shows a white light over a red light.")
    document.add_paragraph("Check the radio before leaving the quay.", style="List Bullet")
    document.add_paragraph("Tell the tower when you board.", style="List Bullet")
    document.add_heading("Fees", level=1)
    document.add_paragraph("A pilotage costs 400 euros for ships under 100 metres.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def zip_bomb_docx(unpacked_mb: int = 20) -> bytes:
    """A .docx whose document.xml unpacks to unpacked_mb of zeros from a few kilobytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"0" * (unpacked_mb * 1024 * 1024))
    return out.getvalue()


EMPTY_PAGE = """<!DOCTYPE html><html><head><title>Menu</title></head><body>
<nav><a href="/">Home</a> <a href="/about">About us</a></nav>
<footer>© 2024 Example. All rights reserved.</footer></body></html>"""
