"""Probes behind the engine recommendations: embedding speed paths, and FAISS index types.

python -m benchmarks.probes embed CORPUS   texts/s of several encode paths, query latency
python -m benchmarks.probes faiss INDEX QUESTIONS   HNSW recall@10 and latency against exact
python -m benchmarks.probes contention WORKDIR QUESTIONS   answer latency while the cores are busy
"""

from __future__ import annotations

import copy
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from benchmarks.timing import times_ms

os.environ.setdefault("HF_HUB_OFFLINE", "1")
SAMPLE = 160  # chunk texts per throughput measurement
QUERIES = 60


def _texts(corpus: Path, limit: int = SAMPLE) -> list[str]:
    from index.build.chunk import chunk_document
    from index.build.ingest import list_corpus, read_documents
    from index.build.keys import search_text

    files, _ = list_corpus(corpus)
    texts: list[str] = []
    for file in files:
        for document in read_documents(file)[0]:
            texts.extend(search_text(c) for c in chunk_document(document))
        if len(texts) >= limit:
            return texts[:limit]
    return texts


def _rate(encode, texts: list[str]) -> tuple[float, np.ndarray]:
    started = time.perf_counter()
    vectors = encode(texts)
    return len(texts) / (time.perf_counter() - started), np.asarray(vectors, np.float32)


def _query_ms(encode, questions: list[str]) -> float:
    return statistics.median(times_ms(encode, questions, warmup=5))


def direct_query(model, tokenizer, text: str) -> np.ndarray:
    """Tokenize, one forward pass, mean-pool, normalise: the least work one query needs."""
    import torch

    batch = tokenizer([text], truncation=True, max_length=256, return_tensors="pt")
    with torch.inference_mode():
        tokens = model(**batch).last_hidden_state[0]
    vector = tokens.mean(0)
    return (vector / vector.norm()).numpy()


def embed_probe(corpus: Path, questions: list[str]) -> dict:
    import torch

    from index.build.embed import Embedder

    engine = Embedder(dtype="float32")
    st, bert = engine.model, engine.model[0].auto_model
    tokenizer = st.tokenizer
    int8 = torch.ao.quantization.quantize_dynamic(copy.deepcopy(bert), {torch.nn.Linear})
    texts = _texts(corpus)
    engine.embed(texts[:16])
    results: dict[str, dict] = {}
    rate, reference = _rate(lambda t: st.encode(t, batch_size=32, normalize_embeddings=True), texts)
    results["st_encode_bs32"] = {"texts_per_s": rate}
    for batch in (8, 16, 32, 64):
        engine.batch_size = batch
        rate, vectors = _rate(engine.embed, texts)
        cosine = float((vectors * reference).sum(1).min())
        results[f"engine_embed_bs{batch}"] = {"texts_per_s": rate, "min_cosine": cosine}
    engine.batch_size = 32
    engine.model[0].model = int8  # auto_model is a read-only view of .model
    rate, vectors = _rate(engine.embed, texts)
    cosine = (vectors * reference).sum(1)
    results["engine_embed_int8_bs32"] = {
        "texts_per_s": rate,
        "min_cosine": float(cosine.min()),
        "median_cosine": float(np.median(cosine)),
    }
    engine.model[0].model = bert
    questions = questions[:QUERIES]
    query: dict[str, float] = {}
    for threads in (torch.get_num_threads(), 1):
        torch.set_num_threads(threads)
        paths = {
            "st_encode": lambda q: st.encode(q, normalize_embeddings=True),
            "engine_embed_query": engine.embed_query,
            "direct_forward": lambda q: direct_query(bert, tokenizer, q),
        }
        for name, encode in paths.items():
            query[f"{name}_{threads}_threads"] = _query_ms(encode, questions)
    same = [float(direct_query(bert, tokenizer, q) @ engine.embed_query(q)) for q in questions[:20]]
    return {
        "throughput": results,
        "query_ms_median": query,
        "direct_min_cosine": min(same),
        "tokens_embedded": _tokens(corpus, tokenizer),
    }


def _tokens(corpus: Path, tokenizer) -> dict[str, int]:
    """Word pieces each pipeline feeds the model for the whole tier (after truncation at 256)."""
    from benchmarks.baseline import split_corpus

    texts = {
        "ours": _texts(corpus, limit=10**9),
        "baseline": [c["text"] for c in split_corpus(corpus)],
    }
    return {
        name: sum(len(ids) for ids in tokenizer(t, truncation=True, max_length=256)["input_ids"])
        for name, t in texts.items()
    }


def faiss_probe(index_path: Path, questions: list[str]) -> dict:
    """Exact against HNSW on the tier's chunk vectors, and again with its sentence vectors added.

    The sentence vectors (the engine stores one per sentence beside the FAISS file) are real
    embeddings too, so they give a larger real point on the curve than the tier's chunks alone.
    """
    import faiss

    from index.build.embed import Embedder

    chunks = faiss.read_index(str(index_path))
    vectors = chunks.reconstruct_n(0, chunks.ntotal)
    queries = Embedder(dtype="float32").embed(questions)
    result = {"vectors": int(chunks.ntotal), "results": _compare(vectors, queries)}
    sentences = index_path.with_name("sentences.npy")
    if sentences.exists() and chunks.ntotal < 20_000:  # larger tiers are a large point already
        more = np.vstack([vectors, np.load(sentences).astype(np.float32)])
        result["with_sentences"] = {"vectors": len(more), "results": _compare(more, queries)}
    return result


def _compare(vectors: np.ndarray, queries: np.ndarray) -> dict[str, dict]:
    import faiss

    flat = faiss.IndexFlatIP(vectors.shape[1])
    flat.add(vectors)
    exact_ms, truth = _search_ms(flat, queries)
    results: dict[str, dict] = {"flat": {"ms": exact_ms, "recall_at_10": 1.0}}
    for construction in (80, 200):  # faiss's usual setting, and the engine's
        hnsw = faiss.IndexHNSWFlat(vectors.shape[1], 32, faiss.METRIC_INNER_PRODUCT)
        hnsw.hnsw.efConstruction = construction
        started = time.perf_counter()
        hnsw.add(vectors)
        add_s = time.perf_counter() - started
        for ef in (128, 256, 512):
            hnsw.hnsw.efSearch = ef
            ms, found = _search_ms(hnsw, queries)
            recall = np.mean([len(set(f) & set(t)) / 10 for f, t in zip(found, truth, strict=True)])
            results[f"hnsw32_efc{construction}_ef{ef}"] = {
                "ms": ms,
                "recall_at_10": float(recall),
                "build_s": add_s,
            }
    return results


def _search_ms(index, queries: np.ndarray) -> tuple[float, list[np.ndarray]]:
    """Median milliseconds of one single-question search, and the rows found for each."""
    times, rows = [], []
    for query in queries:
        started = time.perf_counter()
        _, found = index.search(query[None, :], 10)
        times.append((time.perf_counter() - started) * 1000)
        rows.append(found[0])
    return statistics.median(times), rows


def contention_probe(workdir: Path, questions: list[str]) -> dict:
    """Engine.answer latency on idle cores, then while the cores are busy embedding.

    Busy twice: a thread of this process embedding chunks (what /reindex does inside the bot),
    and another process embedding (any other program on the machine). The torch/OpenMP wait
    policy this process runs with is the variable; run.py runs the probe once per policy.
    """
    import subprocess
    import threading

    from index.engine import Engine
    from index.settings import EngineSettings

    settings = EngineSettings(corpus_dir=workdir / "corpus", index_dir=workdir / "index")
    engine = Engine.open(settings, build_if_missing=False)
    texts, questions = _texts(workdir / "corpus", limit=32), questions[:QUERIES]
    result = {"idle": _answer_ms(engine, questions)}

    stop = threading.Event()

    def reindex() -> None:
        while not stop.is_set():
            engine.embedder.embed(texts)

    thread = threading.Thread(target=reindex)
    thread.start()
    result["embedding_in_a_thread"] = _answer_ms(engine, questions)
    stop.set()
    thread.join()

    # the other program keeps libgomp's own default, whatever this process uses
    env = {**os.environ, "GOMP_SPINCOUNT": LIBGOMP_DEFAULT_SPINCOUNT}
    env.pop("OMP_WAIT_POLICY", None)
    burn = [sys.executable, "-m", "benchmarks.probes", "burn", str(workdir / "corpus"), "-"]
    other = subprocess.Popen(burn, env=env, stdout=subprocess.PIPE, text=True)
    assert other.stdout is not None
    other.stdout.readline()  # "ready": its model is loaded and it is embedding
    try:
        result["embedding_in_another_process"] = _answer_ms(engine, questions)
    finally:
        other.kill()
        other.wait()
    return result


LIBGOMP_DEFAULT_SPINCOUNT = "300000"  # libgomp's spin count when OMP_WAIT_POLICY is unset


def _answer_ms(engine, questions: list[str]) -> dict[str, float]:
    times = times_ms(engine.answer, questions, warmup=5)
    return {"p50": statistics.median(times), "p95": float(np.percentile(times, 95))}


def burn(corpus: Path, _: list[str]) -> dict:
    """Embed the corpus's chunks in a loop until killed (the busy neighbour of the probe)."""
    from index.build.embed import Embedder

    embedder, texts = Embedder(), _texts(corpus, limit=32)
    embedder.embed(texts[:8])
    print("ready", flush=True)
    while True:
        embedder.embed(texts)


LARGE_FILE = Path("/usr/share/doc/bash/CHANGES.gz")  # 0.44 MB of real text


def chunk_probe(corpus: Path, _: list[str]) -> dict:
    """Seconds to chunk one large real text file, and the benchmark corpus."""
    import gzip

    from index.build.chunk import chunk_document
    from index.build.ingest import list_corpus, parse_text_document, read_documents

    files, _ = list_corpus(corpus)
    documents = [d for f in files for d in read_documents(f)[0]]
    large = parse_text_document("CHANGES", gzip.decompress(LARGE_FILE.read_bytes()).decode())
    started = time.perf_counter()
    large_chunks = chunk_document(large)
    large_s = time.perf_counter() - started
    started = time.perf_counter()
    for document in documents:
        chunk_document(document)
    return {
        "large_file_mb": len(large.text) / 1e6,
        "large_file_s": large_s,
        "large_file_chunks": len(large_chunks),
        "corpus_documents": len(documents),
        "corpus_s": time.perf_counter() - started,
    }


IMPORTS = {
    "torch + sentence_transformers": "import torch, sentence_transformers",
    "torch + transformers BertModel/AutoTokenizer": (
        "import torch; from transformers import BertModel, AutoTokenizer"
    ),
    "torch + tokenizers": "import torch, tokenizers",
}


def imports_probe(_: Path, __: list[str], repeats: int = 3) -> dict[str, list[float]]:
    """Seconds from process start to the end of each import set, for the cold-start budget."""
    import subprocess

    times: dict[str, list[float]] = {name: [] for name in IMPORTS}
    for _ in range(repeats):
        for name, code in IMPORTS.items():
            started = time.perf_counter()
            subprocess.run([sys.executable, "-W", "ignore", "-c", code], check=True)
            times[name].append(time.perf_counter() - started)
    return times


if __name__ == "__main__":
    task, path, questions_file = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
    questions = json.loads(Path(questions_file).read_text()) if questions_file != "-" else []
    probes = {"embed": embed_probe, "faiss": faiss_probe, "chunk": chunk_probe, "burn": burn}
    probe = {**probes, "imports": imports_probe, "contention": contention_probe}[task]
    print(json.dumps(probe(path, questions)), flush=True)
