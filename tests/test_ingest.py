from __future__ import annotations

import json
import os

from index.build.ingest import list_corpus, parse_text_document, read_documents
from tests.conftest import ARTICLE


def test_title_and_header_metadata_of_the_article():
    document = parse_text_document(ARTICLE.name, ARTICLE.read_text(encoding="utf-8"))
    assert document.title.startswith("Moscow Mulls Reaction to Japan")
    assert document.meta == {"Publication": "Eurasia Daily Monitor", "Volume": "21", "Issue": "117"}
    assert document.text[document.body_start :].lstrip().startswith("(Source: Shutterstock)")


def test_markdown_heading_is_the_title():
    document = parse_text_document(
        "a.md", "# Field notes\n\nAuthor: Jo Park\nDate: 2024-05-01\n\nBody."
    )
    assert document.title == "Field notes"
    assert document.meta == {"Author": "Jo Park", "Date": "2024-05-01"}


def test_a_body_line_with_a_colon_is_not_metadata():
    document = parse_text_document("a.txt", "Title\n\nThe result: prices fell sharply in May.")
    assert document.meta == {}


def test_unusable_files_are_skipped_with_one_warning_each(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "good.txt").write_text("Good\n\nA fine sentence.")
    (corpus / "nested").mkdir()
    (corpus / "nested" / "deep.md").write_text("# Deep\n\nAnother sentence.")
    (corpus / "empty.txt").write_text("")
    (corpus / "latin1.txt").write_bytes("caf\xe9 au lait".encode("latin-1"))
    (corpus / "binary.txt").write_bytes(b"\x00\x01\x02binary")
    (corpus / "ignored.xlsx").write_bytes(b"PK\x03\x04")
    outside = tmp_path / "secret.txt"
    outside.write_text("Secret\n\nNot part of the corpus.")
    os.symlink(outside, corpus / "link.txt")
    with (corpus / "huge.txt").open("wb") as handle:
        handle.truncate(21 * 1024 * 1024)

    files, warnings = list_corpus(corpus)
    documents = []
    for file in files:
        found, problems = read_documents(file)
        documents.extend(found)
        warnings.extend(problems)

    assert [d.doc_id for d in documents] == ["good.txt", "nested/deep.md"]
    reasons = {w.split(":")[0]: w for w in warnings}
    assert set(reasons) == {
        f"skipped {n}" for n in ("binary.txt", "empty.txt", "huge.txt", "latin1.txt", "link.txt")
    }
    assert "not UTF-8" in reasons["skipped latin1.txt"]
    assert "outside the corpus" in reasons["skipped link.txt"]
    assert "over 20 MB" in reasons["skipped huge.txt"]


def test_jsonl_records_are_documents_with_their_ids(tmp_path):
    path = tmp_path / "corpus.jsonl"
    records = [
        {"_id": "42", "title": "Cells", "text": "Cells divide. They grow."},
        {"_id": "43", "title": "", "text": "No title here.", "url": "https://example.org/43"},
        {"title": "missing id", "text": "x"},
    ]
    path.write_text("\n".join(json.dumps(r) for r in records))
    files, _ = list_corpus(tmp_path)
    documents, warnings = read_documents(files[0])
    assert [(d.doc_id, d.title) for d in documents] == [("42", "Cells"), ("43", "No title here.")]
    assert documents[1].meta == {"url": "https://example.org/43"}
    assert len(warnings) == 1 and "line 3" in warnings[0]
