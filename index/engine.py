"""Engine: the one facade front ends use. Open an index, answer questions, rebuild in place.

Thread-safety: `answer` and the lookups read one immutable snapshot of the loaded index; `build`
writes a new index on disk, swaps it in atomically and then replaces the snapshot, so questions
asked during a build are answered from the old index. Only one build runs at a time.

Longer than 300 lines because it is the whole facade: opening, answering, rebuilding, reloading a
published build and the read-only lookups front ends make, each a few lines over the rooms below.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from index import runtime, store
from index.build.ingest import corpus_hashes
from index.build.rebuild import rebuild
from index.errors import BuildInProgress, IndexCorrupt, IndexMissing, QuestionError
from index.lexical import question_terms, term_weights
from index.models import (
    Answer,
    BuildReport,
    Chunk,
    Citation,
    DocumentInfo,
    IndexStatus,
    StageTimes,
)
from index.query.answer import Evidence, citation_of, compose_answer, sheet_of
from index.query.cascade import read_passages
from index.query.context import Context, with_context
from index.query.onnx_embed import OnnxEmbedder
from index.query.retrieve import rank, retrieve
from index.runtime import Models, QuestionEmbedder
from index.settings import EngineSettings
from index.store import StoredIndex

# progress(done, total) is called from the building thread as files are processed.
Progress = Callable[[int, int], None]

MAX_QUESTION_CHARS = 1000


class Engine:
    def __init__(
        self,
        settings: EngineSettings,
        models: Models,
        questions: QuestionEmbedder,
        index: StoredIndex,
        *,
        exports: bool = True,
    ):
        self.settings = settings
        self.models = models
        self.embedder = questions  # ONNX Runtime, or sentence-transformers as fallback
        self.answer_model = models.answer_model
        self.abstain_bar = self.answer_model.bar(settings.abstain)
        # The reader: the index folder's checked ONNX export, else PyTorch (one per process).
        self.reader = models.reader(settings.index_dir)
        self._index = index
        self._exports = exports  # serve from, and write, the ONNX exports in the index folder
        self._build_lock = threading.Lock()

    @classmethod
    def open(
        cls,
        settings: EngineSettings,
        models: Models | None = None,
        *,
        build_if_missing: bool = True,
        exports: bool | None = None,
    ) -> Engine:
        """Load the index and the question model; build the index first when there is none.

        `models` are the process's models (index.runtime; loaded here when not given). With
        `exports` (the models' own setting unless given), questions go through the index folder's
        ONNX export when it is there and checks out (no torch import), else through
        sentence-transformers with one log line; without, through sentence-transformers, and a
        build exports nothing (collections).

        Raises IndexCorrupt (clear message, says to run `qabot index build`), CorpusError, or
        QabotError for an unusable answer model or QABOT_ABSTAIN.
        """
        models = models or runtime.load_models(settings)
        models.answer_model.bar(settings.abstain)  # a bad setting fails before the slow part
        exports = models.exports if exports is None else exports
        questions = None
        if exports and store.live_folder(settings.index_dir) is not None:
            if models.exported(settings.index_dir) and not models.reader_exported(
                settings.index_dir
            ):
                # Reader weights newer than the index's exports (an upgrade): export them once,
                # rather than serve every question from PyTorch.
                models.export(settings.index_dir)
            # Checksums and file reads release the GIL: read the index while the model loads.
            with ThreadPoolExecutor(max_workers=1) as pool:
                reading = pool.submit(store.read_index, settings.index_dir)
                questions = models.question_embedder(settings.index_dir)
                index = reading.result()
        else:
            index = _read_or_build(settings, models, build_if_missing, exports)
            if exports:
                questions = models.question_embedder(settings.index_dir)
        questions = questions or models.build_embedder()
        store.check_model(index, questions.weights_sha256, questions.dim)
        return cls(settings, models, questions, index, exports=exports)

    # ---- questions ---------------------------------------------------------------------

    def answer(self, question: str, context: Context | None = None) -> Answer:
        """Answer with verbatim sentences and citations, or abstain (answered=False, related set).

        `context` holds a conversation's previous turns (questions and the chunk ids their
        answers cited). A follow-up that the documents answer on its own ("How many tonnes were
        harvested?") is answered as it stands; otherwise ("When did he say that?") it is asked
        again together with the previous questions, preferring the passages they cited.
        Raises QuestionError for an empty question or one over MAX_QUESTION_CHARS.
        """
        return self.answer_timed(question, context)[0]

    def answer_timed(
        self, question: str, context: Context | None = None
    ) -> tuple[Answer, StageTimes]:
        """The answer, and where its time went (embedding, search, composing)."""
        question = check_question(question)
        index = self._index
        started = time.perf_counter()
        alone, times = self._answer_once(index, question, question, frozenset(), started)
        if context is None or not context.recent() or alone.answered:
            return alone, times
        searched_for = with_context(question, context)
        cited = self._rows(index, context)
        followed, more = self._answer_once(index, question, searched_for, cited, started)
        total = StageTimes(
            round(times.embed_ms + more.embed_ms, 3),
            round(times.search_ms + more.search_ms, 3),
            round(times.answer_ms + more.answer_ms, 3),
            round(times.read_ms + more.read_ms, 3),
        )
        return followed, total

    def _answer_once(
        self,
        index: StoredIndex,
        question: str,
        searched_for: str,
        cited: frozenset[int],
        started: float,
    ) -> tuple[Answer, StageTimes]:
        """One pass: embed, search, read, compose. `started` is when the whole answer began."""
        begun = time.perf_counter()
        vector = self.embedder.embed_query(searched_for)
        embedded = time.perf_counter()
        hits = retrieve(index, vector, question_terms(searched_for), self.settings.k, cited)
        terms = term_weights(searched_for, index.bm25.idf)
        searched = time.perf_counter()
        sheet = sheet_of(searched_for, vector, hits, terms)
        model, bar = self.answer_model, self.abstain_bar
        sheeted = time.perf_counter()
        reads = read_passages(self.reader, searched_for, hits, sheet, model, bar)
        read = time.perf_counter()
        evidence = Evidence(searched_for, vector, hits, reads, terms, sheet)
        answer = compose_answer(question, evidence, model, bar, started)
        done = time.perf_counter()
        times = StageTimes(
            round((embedded - begun) * 1000, 3),
            round((searched - embedded) * 1000, 3),
            round((done - read + sheeted - searched) * 1000, 3),
            round((read - sheeted) * 1000, 3),
        )
        return answer, times

    @staticmethod
    def _rows(index: StoredIndex, context: Context | None) -> frozenset[int]:
        """The index rows of the passages the context's turns cited (gone ones are skipped)."""
        found = (index.chunk_by_id(chunk_id) for chunk_id in (context.cited() if context else ()))
        return frozenset(hit[0] for hit in found if hit is not None)

    def rank_documents(
        self, questions: list[str], depth: int = 100
    ) -> list[list[tuple[str, float]]]:
        """Documents ranked by their best chunk, for each question (embedded in one batch)."""
        index = self._index
        results = []
        for question, vector in zip(questions, self.embedder.embed(questions), strict=True):
            ranking = rank(index, vector, question_terms(question), depth * 3)
            docs = index.docs_at(ranking.rows)
            best: dict[str, float] = {}
            for row, score in zip(ranking.rows, ranking.scores, strict=True):
                best.setdefault(docs[row], score)
            results.append(list(best.items())[:depth])
        return results

    # ---- building ----------------------------------------------------------------------

    def build(self, progress: Progress | None = None) -> BuildReport:
        """Incremental rebuild from the corpus folder, swapped in atomically.

        Raises BuildInProgress if another build is running.
        """
        if not self._build_lock.acquire(blocking=False):
            raise BuildInProgress("an index build is already running; try again when it finishes")
        try:
            report, self._index = rebuild(
                self.settings, self.models, self._index, progress, exports=self._exports
            )
            if self._exports and not isinstance(self.embedder, OnnxEmbedder):
                self.embedder = (
                    self.models.question_embedder(self.settings.index_dir) or self.embedder
                )
            self.reader = self.models.reader(self.settings.index_dir)
            return report
        finally:
            self._build_lock.release()

    @property
    def build_name(self) -> str:
        """The name of the build being served (its folder in the index folder)."""
        return self._index.folder.name

    def reload(self) -> None:
        """Serve the build the index folder's CURRENT names now (another worker published it and
        it was downloaded there). Questions already running finish on the old build."""
        with self._build_lock:
            index = store.read_index(self.settings.index_dir)
            store.check_model(index, self.embedder.weights_sha256, self.embedder.dim)
            self._index = index

    # ---- lookups -----------------------------------------------------------------------

    def status(self) -> IndexStatus:
        index = self._index
        manifest = index.manifest
        now = corpus_hashes(self.settings.corpus_dir) if self.settings.corpus_dir.exists() else {}
        built = {
            path: entry["sha256"]
            for path, entry in (manifest["files"] | manifest.get("skipped", {})).items()
        }
        changed = sorted(p for p in now.keys() | built.keys() if now.get(p) != built.get(p))
        return IndexStatus(
            documents=int(manifest["document_count"]),
            chunks=len(index),
            model=manifest["model"],
            dtype=manifest["dtype"],
            built_at=manifest["built_at"],
            changed_since_build=tuple(changed),
        )

    def documents(self) -> list[DocumentInfo]:
        return self._index.documents()

    def document_text(self, doc: str) -> str | None:
        """A document's text as indexed (for PDF, HTML and Word, the extracted text)."""
        return self._index.document_text(doc)

    def passage(self, chunk_id: str) -> Citation | None:
        """The passage with this chunk id, as a citation (n=1, quote == passage)."""
        index = self._index
        found = index.chunk_by_id(chunk_id.strip())
        return self._as_citation(index, found[1], 1.0) if found else None

    def find_passage(self, text: str) -> Citation | None:
        """The passage containing this phrase (exact, case-insensitive), else the closest one."""
        phrase = " ".join(text.split())
        if not phrase:
            raise QuestionError("give a phrase to look for")
        index = self._index
        exact = index.find_text(phrase, limit=1)
        if exact:
            return self._as_citation(index, exact[0][1], 1.0)
        hits = retrieve(index, self.embedder.embed_query(phrase), question_terms(phrase), 1)
        return self._as_citation(index, hits[0].chunk, hits[0].score) if hits else None

    def chunk_refs(self, query: str = "", limit: int = 25) -> list[tuple[str, str]]:
        """(label, chunk_id) pairs for autocomplete, e.g. ("Title ¶7: first words…", "3f2a…")."""
        chunks = self._index.list_chunks(query.strip(), limit)
        return [(f"{c.title[:40]} ¶{c.paragraph}: {c.text[:50]}…", c.chunk_id) for c in chunks]

    def _as_citation(self, index: StoredIndex, chunk: Chunk, score: float) -> Citation:
        meta = index.document_meta({chunk.doc_id}).get(chunk.doc_id, {})
        return citation_of(chunk, meta, 1, chunk.sentences, score)


def _read_or_build(
    settings: EngineSettings, models: Models, build_if_missing: bool, exports: bool
) -> StoredIndex:
    try:
        return store.read_index(settings.index_dir)
    except IndexMissing:
        if not build_if_missing:
            raise
    return rebuild(settings, models, exports=exports)[1]


def document_text(index_dir: Path, doc: str) -> str | None:
    """A document's text as indexed, read from the index folder without loading any model."""
    index = store.read_index(index_dir)
    try:
        return index.document_text(doc)
    finally:
        index.close()


def check_question(question: str) -> str:
    question = " ".join((question or "").split())
    if not question:
        raise QuestionError("the question is empty: ask something about the documents")
    if len(question) > MAX_QUESTION_CHARS:
        raise QuestionError(
            f"the question is {len(question)} characters long; the limit is {MAX_QUESTION_CHARS}"
        )
    return question


__all__ = ["Engine", "IndexCorrupt", "MAX_QUESTION_CHARS", "check_question", "document_text"]
