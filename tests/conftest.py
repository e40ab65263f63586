"""Fixtures: the real model and a real index for behaviour, a fake embedder for pure logic."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

REPO = Path(__file__).resolve().parent.parent
ARTICLE = REPO / "docs_corpus" / "moscow-mulls-reaction-to-japan.txt"
DEV_SET = REPO / "tests" / "data" / "seed_dev.jsonl"


class FakeEmbedder:
    """Deterministic bag-of-words vectors; counts what it embeds. For store and build logic only."""

    model_name = "fake"
    weights_sha256 = "fake-weights"
    dtype = "float32"
    dim = 16
    progress = False

    def __init__(self) -> None:
        self.embedded: list[str] = []

    def _vector(self, text: str) -> np.ndarray:
        vector = np.zeros(self.dim, dtype=np.float32)
        for word in text.lower().split():
            vector[int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dim] += 1.0
        return vector / max(np.linalg.norm(vector), 1e-9)

    def embed(self, texts: list[str], progress: bool = False) -> np.ndarray:
        return np.array([self._vector(t) for t in texts], dtype=np.float32).reshape(-1, self.dim)

    def embed_query(self, text: str) -> np.ndarray:
        return self._vector(text)

    def embed_with_spans(self, texts, spans, progress=False):
        self.embedded.extend(texts)
        sentence_vectors = [
            np.array([self._vector(t[a:b]) for a, b in s], dtype=np.float32).reshape(-1, self.dim)
            for t, s in zip(texts, spans, strict=True)
        ]
        return self.embed(texts), sentence_vectors


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture(scope="session")
def embedder():
    from index.build.embed import Embedder

    return Embedder()


@pytest.fixture(scope="session")
def exported_model(tmp_path_factory) -> Path:
    """The question model and the reader, exported to ONNX once for the session by the real
    exports (~15 s); returns the question model's file (the reader's lies beside it)."""
    from index.query import onnx_embed, reader
    from index.settings import BUNDLED_MODEL

    folder = tmp_path_factory.mktemp("exported")
    path = onnx_embed.export(BUNDLED_MODEL, folder)
    assert path is not None
    assert reader.export(folder) is not None
    return path


def share_exported(exported: Path, index_dir: Path) -> Path:
    """Put the session's exports into an index folder, as `qabot index build` would (hard links:
    the files are only ever replaced, never written in place)."""
    models = index_dir / "models"
    for file in exported.parent.rglob("*"):  # with the copies prepared for this machine
        relative = file.relative_to(exported.parent)
        if file.is_file() and not any(part.startswith(".") for part in relative.parts):
            target = models / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            if not target.exists():
                os.link(file, target)
    return models / exported.name


@pytest.fixture(scope="session")
def models(embedder, exported_model):
    """The session's models (index.runtime), handed to every engine: the real embedder loaded
    once, and the real exports shared into an index folder wherever a build would write them."""
    from index.runtime import Models
    from index.settings import EngineSettings

    def export(model: str, index_dir: Path) -> None:
        # On another file system (tests/test_faults.py's small disk) questions use the fallback.
        with contextlib.suppress(OSError):
            share_exported(exported_model, index_dir)

    return Models(EngineSettings(), embedder=embedder, export=export)


@pytest.fixture
def served_models(monkeypatch, models):
    """Front ends (the CLI, the bot) load the session's models through the one seam."""
    monkeypatch.setattr("index.runtime.load_models", lambda settings, home=None: models)
    return models


@pytest.fixture(scope="session")
def article_engine(tmp_path_factory, models, exported_model):
    """A real engine over the article alone, built once for the session; its folder holds the
    exported question model, so the CLI serves it as users get it."""
    from index.settings import EngineSettings

    root = tmp_path_factory.mktemp("article")
    corpus = root / "corpus"
    corpus.mkdir()
    shutil.copy(ARTICLE, corpus / ARTICLE.name)
    settings = EngineSettings(corpus_dir=corpus, index_dir=root / "index")
    engine = _open_with(settings, models)
    share_exported(exported_model, settings.index_dir)
    return engine


def _open_with(settings, models):
    """An engine on the session's models whose questions go through the embedder itself."""
    from index.engine import Engine

    return Engine.open(settings, models, exports=False)


@pytest.fixture
def open_engine(models):
    """Open a real engine on any corpus and index folder."""

    def opener(corpus: Path, index: Path):
        from index.settings import EngineSettings

        return _open_with(EngineSettings(corpus_dir=corpus, index_dir=index), models)

    return opener


@pytest.fixture
def model_copy(tmp_path):
    """A copy of the shipped answer model file and its checksum, to edit; loads of it are
    forgotten afterwards."""
    from index.query import answer_model

    path = tmp_path / answer_model.MODEL_PATH.name
    shutil.copy(answer_model.MODEL_PATH, path)
    shutil.copy(answer_model.MODEL_PATH.with_suffix(".sha256"), path.with_suffix(".sha256"))
    yield path
    answer_model._load.cache_clear()


@pytest.fixture(scope="session")
def postgres_server():
    """One PostgreSQL for the session (Debian's package, run as `nobody` when we are root)."""
    from tests.services import postgres

    with postgres() as server:
        yield server


@pytest.fixture
def database_url(postgres_server) -> str:
    """A fresh, empty database of the session's PostgreSQL, for one test."""
    import uuid

    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server.url, autocommit=True) as db:
        db.execute(f"CREATE DATABASE {name}")
    return postgres_server.url.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(scope="session")
def s3_server():
    """One SeaweedFS S3 gateway for the session (`weed server -s3` on loopback ports)."""
    from tests.services import seaweedfs

    with seaweedfs() as server:
        yield server
