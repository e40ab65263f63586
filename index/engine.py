"""Engine: the one facade front ends use. Open an index, answer questions, rebuild in place.

Thread-safety: `answer` and the lookups read one immutable snapshot of the loaded index; `build`
writes a new index on disk, swaps it in atomically and then replaces the snapshot, so questions
asked during a build are answered from the old index. Only one build runs at a time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

from index import store
from index.build.embed import Embedder
from index.build.incremental import build_index
from index.build.ingest import corpus_hashes
from index.errors import BuildInProgress, IndexCorrupt, IndexMissing, QuestionError
from index.lexical import question_terms
from index.models import (
    Answer,
    BuildReport,
    Chunk,
    Citation,
    DocumentInfo,
    IndexStatus,
    StageTimes,
)
from index.query import onnx_embed
from index.query import reader as reader_model
from index.query.answer import citation_of, compose_answer
from index.query.answer_model import AnswerModel, load_model
from index.query.context import Context, with_context
from index.query.features import CANDIDATE_PASSAGES
from index.query.reader import OnnxReader, TorchReader
from index.query.retrieve import rank, retrieve
from index.settings import EngineSettings

# progress(done, total) is called from the building thread as files are processed.
Progress = Callable[[int, int], None]

MAX_QUESTION_CHARS = 1000


class Engine:
    def __init__(
        self,
        settings: EngineSettings,
        embedder: onnx_embed.OnnxEmbedder | Embedder,  # an Embedder also builds
        index: store.StoredIndex,
        answer_model: AnswerModel,
        builder: Embedder | None = None,
        *,
        exports: bool = False,
        reader: OnnxReader | TorchReader | None = None,
    ):
        self.settings = settings
        self.embedder = embedder  # questions: ONNX Runtime, or sentence-transformers as fallback
        self.answer_model = answer_model
        self.abstain_bar = answer_model.bar(settings.abstain)
        # The reader: the index folder's checked ONNX export, else PyTorch (one per process).
        self.reader = reader or reader_model.load(settings.index_dir)
        self._index = index
        self._builder = builder  # builds: sentence-transformers, loaded by the first build
        self._exports = exports  # export the question model and the reader after a build
        self._build_lock = threading.Lock()
        self._builder_lock = threading.Lock()

    @classmethod
    def open(
        cls,
        settings: EngineSettings,
        *,
        build_if_missing: bool = True,
        embedder: Embedder | None = None,
        reader: OnnxReader | TorchReader | None = None,
    ) -> Engine:
        """Load the index and the question model; build the index first when there is none.

        Without an `embedder`, questions go through the exported ONNX model when it is there and
        checks out (no torch import), else through sentence-transformers with one log line. A
        given `embedder` serves questions and builds alike, and nothing is exported. A given
        `reader` is used as it is (collections share the default index's).

        Raises IndexCorrupt (clear message, says to run `qabot index build`), CorpusError, or
        QabotError for an unusable answer model or QABOT_ABSTAIN.
        """
        answer_model = load_model()
        answer_model.bar(settings.abstain)  # a bad setting fails before the slow part
        exports = embedder is None
        if exports and store.live_folder(settings.index_dir) is not None:
            # Checksums and file reads release the GIL: read the index while the model loads.
            with ThreadPoolExecutor(max_workers=1) as pool:
                reading = pool.submit(store.read_index, settings.index_dir)
                questions = onnx_embed.load(settings.model, settings.index_dir)
                index = reading.result()
            builder = None
            if questions is None:
                builder = Embedder(settings.model, settings.dtype, settings.batch_size)
        else:
            builder = embedder or Embedder(settings.model, settings.dtype, settings.batch_size)
            index = _read_or_build(settings, builder, build_if_missing, exports)
            questions = (exports and onnx_embed.load(settings.model, settings.index_dir)) or None
        questions = questions or builder
        assert questions is not None
        store.check_model(index, questions.weights_sha256, questions.dim)
        return cls(
            settings, questions, index, answer_model, builder, exports=exports, reader=reader
        )

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
        alone, times = self._answer_once(index, question, question, frozenset())
        if context is None or not context.recent() or alone.answered:
            return alone, times
        searched_for = with_context(question, context)
        followed, more = self._answer_once(
            index, question, searched_for, self._rows(index, context)
        )
        total = StageTimes(
            round(times.embed_ms + more.embed_ms, 3),
            round(times.search_ms + more.search_ms, 3),
            round(times.answer_ms + more.answer_ms, 3),
            round(times.read_ms + more.read_ms, 3),
        )
        return replace(followed, took_ms=round(alone.took_ms + followed.took_ms, 1)), total

    def _answer_once(
        self, index: store.StoredIndex, question: str, searched_for: str, cited: frozenset[int]
    ) -> tuple[Answer, StageTimes]:
        started = time.perf_counter()
        vector = self.embedder.embed_query(searched_for)
        embedded = time.perf_counter()
        hits = retrieve(index, vector, question_terms(searched_for), self.settings.k, cited)
        searched = time.perf_counter()
        passages = [hit.chunk.text for hit in hits[:CANDIDATE_PASSAGES]]
        reads = self.reader.read(searched_for, passages)
        read = time.perf_counter()
        result = compose_answer(
            searched_for, vector, hits, reads, index.bm25.idf, self.answer_model, self.abstain_bar
        )
        done = time.perf_counter()
        times = StageTimes(
            round((embedded - started) * 1000, 3),
            round((searched - embedded) * 1000, 3),
            round((done - read) * 1000, 3),
            round((read - searched) * 1000, 3),
        )
        took_ms = round((done - started) * 1000, 1)
        return replace(result, question=question, took_ms=took_ms), times

    @staticmethod
    def _rows(index: store.StoredIndex, context: Context | None) -> frozenset[int]:
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
            builder = self.build_embedder()
            report = build_index(
                self.settings.corpus_dir, self.settings.index_dir, builder, self._index, progress
            )
            self._index = store.load_index(
                self.settings.index_dir, builder.weights_sha256, builder.dim
            )
            if self._exports:
                self._export_models(builder)
            return report
        finally:
            self._build_lock.release()

    def build_embedder(self) -> Embedder:
        """The sentence-transformers model builds use; loaded now if questions didn't need it."""
        with self._builder_lock:
            if self._builder is None:
                s = self.settings
                self._builder = Embedder(s.model, s.dtype, s.batch_size)
            return self._builder

    def _export_models(self, builder: Embedder) -> None:
        """Export the question model and the reader once; a fallback engine switches to them."""
        exported = onnx_embed.export(self.settings.model, self.settings.index_dir)
        if exported and not isinstance(self.embedder, onnx_embed.OnnxEmbedder):
            self.embedder = onnx_embed.load(self.settings.model, self.settings.index_dir) or builder
        if reader_model.export(self.settings.index_dir) and not isinstance(self.reader, OnnxReader):
            self.reader = reader_model.load(self.settings.index_dir)

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

    def _as_citation(self, index: store.StoredIndex, chunk: Chunk, score: float) -> Citation:
        meta = index.document_meta({chunk.doc_id}).get(chunk.doc_id, {})
        return citation_of(chunk, meta, 1, chunk.sentences, score)


def _read_or_build(
    settings: EngineSettings, builder: Embedder, build_if_missing: bool, exports: bool
) -> store.StoredIndex:
    try:
        return store.read_index(settings.index_dir)
    except IndexMissing:
        if not build_if_missing:
            raise
    build_index(settings.corpus_dir, settings.index_dir, builder, None)
    if exports:
        export_models(settings.model, settings.index_dir)
    return store.read_index(settings.index_dir)


def export_models(model: str, index_dir: Path) -> None:
    """Export what questions run on (the question model, the reader) so serving needs no torch.
    Each export warns in one line and leaves the PyTorch fallback when it can't be written."""
    onnx_embed.export(model, index_dir)
    reader_model.export(index_dir)


def check_question(question: str) -> str:
    question = " ".join((question or "").split())
    if not question:
        raise QuestionError(
            'the question is empty: ask something, e.g. qabot ask "What did Moscow say?"'
        )
    if len(question) > MAX_QUESTION_CHARS:
        raise QuestionError(
            f"the question is {len(question)} characters long; the limit is {MAX_QUESTION_CHARS}"
        )
    return question


__all__ = ["Engine", "IndexCorrupt", "MAX_QUESTION_CHARS", "check_question", "export_models"]
