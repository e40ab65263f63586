"""Taking documents into a collection: safe names, refusals that leave nothing behind, records."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.library import intake, layout
from index.library.collections import Collections
from index.library.intake import MAX_UPLOAD_BYTES, IntakeError
from index.settings import EngineSettings, LibrarySettings

TEXT = b"Ferry Timetable\n\nThe ferry to the island leaves at seven every morning.\n"
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 200
PE = b"MZ\x90\x00\x03" + b"\x00" * 200


@pytest.fixture
def collections(tmp_path: Path) -> Collections:
    settings = EngineSettings(corpus_dir=tmp_path / "docs_corpus", index_dir=tmp_path / "idx")
    return Collections(settings, LibrarySettings(data_dir=tmp_path / "data"))


@pytest.fixture
def paths(collections: Collections):
    return collections.paths("guild/1")


def on_disk(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*")) if root.exists() else []


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("../../etc/passwd", TEXT, "contains a path"),
        ("..\\..\\boot.ini", TEXT, "contains a path"),
        ("notes\x00.txt", TEXT, "control characters"),
        ("notes\x1b[31m.txt", TEXT, "control characters"),
        ("report\u202etxt.md", TEXT, "control characters"),
        ("report.pdf", ELF, "named .pdf but holds binary data"),
        ("setup.txt", PE, "it looks binary"),
        ("setup.docx", PE, "named .docx but holds binary data"),
        ("page.html", ELF, "named .html but holds binary data"),
        ("broken.pdf", b"%PDF-1.7\n garbage", "can't be added"),
        ("empty.txt", b"", "the file is empty"),
        ("huge.txt", b"a" * (MAX_UPLOAD_BYTES + 1), "over the 25 MB limit"),
        ("blank.md", b"  \n\n ", "only white space"),
        ("latin1.txt", "café".encode("latin-1"), "not UTF-8"),
        ("tool.exe", b"hello", "can't read .exe"),
        ("binary.txt", b"abc\x00def", "it looks binary"),
    ],
)
def test_bad_uploads_are_refused_and_leave_nothing(
    paths, tmp_path: Path, name: str, data: bytes, reason: str
) -> None:
    before = on_disk(tmp_path)
    with pytest.raises(IntakeError, match=reason):
        intake.add(paths, name, data)
    assert on_disk(tmp_path) == before


def test_a_file_is_stored_under_a_safe_name_and_listed_under_its_own(paths) -> None:
    record = intake.add(paths, "Règles du jeu (v2).md", TEXT)
    assert record.stored == "regles-du-jeu-v2.md"
    assert (paths.corpus_dir / "regles-du-jeu-v2.md").read_bytes() == TEXT
    again = intake.add(paths, "Regles du jeu v2.md", TEXT)
    assert again.stored == "regles-du-jeu-v2-2.md"  # never overwrites another document
    listed = {r.stored: r.original for r in layout.listing(paths)}
    assert listed == {
        "regles-du-jeu-v2.md": "Règles du jeu (v2).md",
        "regles-du-jeu-v2-2.md": "Regles du jeu v2.md",
    }


def test_remove_takes_only_documents_of_this_collection(paths, collections) -> None:
    record = intake.add(paths, "ferry.txt", TEXT)
    other = collections.paths("guild/2")
    intake.add(other, "ferry.txt", TEXT)
    with pytest.raises(IntakeError, match="has no document"):
        intake.remove(paths, "../../guilds/2/corpus/ferry.txt")
    with pytest.raises(IntakeError, match="has no document"):
        intake.remove(paths, "never-added.txt")
    intake.remove(paths, record.stored)
    assert layout.listing(paths) == []
    assert [r.stored for r in layout.listing(other)] == ["ferry.txt"]


def test_a_url_document_keeps_its_url_as_citation_link(collections, paths, embedder) -> None:
    collections._embedder = embedder
    url = "https://example.org/ferry/timetable?lang=en"
    record = intake.add(paths, "", TEXT, url=url, suffix=".txt")
    assert record.stored == "example-org-ferry-timetable-lang-en.txt"
    with collections.changing("guild/1"):
        collections.rebuild("guild/1")
    answer = collections.engine("guild/1").answer("When does the ferry to the island leave?")
    shown = answer.citations or answer.related
    assert shown[0].meta["url"] == url
    assert layout.listing(paths)[0].original == url


def test_refreshing_with_the_same_content_changes_nothing(paths) -> None:
    url = "https://example.org/ferry.txt"
    record = intake.add(paths, "", TEXT, url=url, suffix=".txt")
    assert intake.replace_content(paths, record, TEXT, '"e2"', "") is None
    assert layout.read_records(paths)[0].etag == '"e2"'
    changed = intake.replace_content(paths, record, TEXT + b"Also at noon.\n", "", "")
    assert changed is not None and changed.sha256 != record.sha256
    assert (paths.corpus_dir / record.stored).read_bytes().endswith(b"Also at noon.\n")


def test_real_pdf_and_word_uploads_are_taken_and_a_scanned_pdf_is_refused(paths) -> None:
    from benchmarks.documents import guide_docx, report_pdf, scanned_pdf

    assert intake.add(paths, "Annual Report.pdf", report_pdf()).stored == "annual-report.pdf"
    assert intake.add(paths, "guide.docx", guide_docx()).stored == "guide.docx"
    with pytest.raises(IntakeError, match="can't be added"):
        intake.add(paths, "scan.pdf", scanned_pdf())
    assert sorted(p.name for p in paths.corpus_dir.iterdir()) == [
        ".documents.json",
        "annual-report.pdf",
        "guide.docx",
    ]
