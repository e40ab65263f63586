"""Questions through ONNX Runtime: the same vectors as sentence-transformers, a checked file, a
fallback with one log line, and no torch in `qabot ask`."""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from index.query import onnx_embed
from index.settings import BUNDLED_MODEL
from tests.conftest import REPO

TEXTS = [
    "What did Tokyo urge Japanese citizens to do?",
    "Kurile Islands",
    "a",
    "¿Qué dijo el Kremlin sobre Japón? 東京",
    "Moscow considers the 1956 declaration the bedrock of its relations with Tokyo. " * 30,
]
HEAVY = ("torch", "transformers", "sentence_transformers")


@pytest.fixture(scope="module")
def float32_reference():
    """sentence-transformers' own encode, in float32 (the engine's torch path runs in bfloat16
    on this CPU, so it is not the reference: the export is made from the float32 weights)."""
    import torch
    from sentence_transformers import SentenceTransformer

    from index.modelfiles import resolve_model_path

    model = SentenceTransformer(
        str(resolve_model_path(BUNDLED_MODEL)),
        device="cpu",
        model_kwargs={"torch_dtype": torch.float32},
    )
    return model.encode(TEXTS, normalize_embeddings=True)


@pytest.fixture
def exported_index(tmp_path: Path, exported_model: Path) -> Path:
    index = tmp_path / "index"
    (index / "models").mkdir(parents=True)
    for file in (exported_model, exported_model.with_name(exported_model.name + ".sha256")):
        shutil.copy(file, index / "models" / file.name)
    return index


def test_vectors_match_sentence_transformers_encode(exported_index, float32_reference) -> None:
    embedder = onnx_embed.load(BUNDLED_MODEL, exported_index)
    assert embedder is not None
    vectors = embedder.embed(TEXTS)  # the last text runs past the 256-piece window: truncated
    assert vectors.dtype == np.float32 and vectors.shape == float32_reference.shape
    cosines = (vectors * float32_reference).sum(axis=1)
    assert cosines.min() >= 0.9999, cosines
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_the_file_is_named_for_the_model_weights(exported_model: Path) -> None:
    from index.modelfiles import resolve_model_path, weights_sha256

    sha = weights_sha256(resolve_model_path(BUNDLED_MODEL))
    assert exported_model.name == f"embedding-{sha}-fused.onnx"
    assert exported_model.with_name(exported_model.name + ".sha256").read_text().strip()


def test_the_export_runs_one_fused_attention_node_per_layer(exported_model: Path) -> None:
    import onnx

    nodes = Counter(node.op_type for node in onnx.load(str(exported_model)).graph.node)
    assert nodes["Attention"] == 6 and nodes["SkipLayerNormalization"] == 12, nodes
    assert "Softmax" not in nodes, nodes


def test_a_missing_file_falls_back_with_one_log_line(tmp_path: Path, caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="qabot.embed"):
        assert onnx_embed.load(BUNDLED_MODEL, tmp_path / "index") is None
    assert len(caplog.records) == 1
    assert "no exported question model" in caplog.text and "sentence-transformers" in caplog.text


def test_a_damaged_file_fails_its_check_and_falls_back(exported_index: Path, caplog) -> None:
    model = next((exported_index / "models").glob("*.onnx"))
    data = bytearray(model.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte inside the weights: it would still load
    model.write_bytes(bytes(data))
    with caplog.at_level(logging.WARNING, logger="qabot.embed"):
        assert onnx_embed.load(BUNDLED_MODEL, exported_index) is None
    assert len(caplog.records) == 1 and "fails its checksum" in caplog.text


def test_an_engine_without_the_export_answers_through_sentence_transformers(
    tmp_path: Path, article_engine, models, caplog
) -> None:
    from index.build.embed import Embedder
    from index.engine import Engine

    index = tmp_path / "index"
    shutil.copytree(
        article_engine.settings.index_dir, index, ignore=shutil.ignore_patterns("models")
    )
    settings = article_engine.settings.__class__(
        corpus_dir=article_engine.settings.corpus_dir, index_dir=index
    )
    with caplog.at_level(logging.WARNING, logger="qabot.embed"):
        engine = Engine.open(settings, models)
    assert isinstance(engine.embedder, Embedder)
    assert len(caplog.records) == 1
    assert "2014" in engine.answer("When did Putin annex Crimea?").answer


def test_an_engine_with_the_export_serves_questions_through_it(article_engine) -> None:
    from index.engine import Engine

    engine = Engine.open(article_engine.settings)  # its folder holds the session's export
    assert isinstance(engine.embedder, onnx_embed.OnnxEmbedder)
    assert "2014" in engine.answer("When did Putin annex Crimea?").answer


def test_qabot_ask_imports_no_torch_when_the_export_is_there(article_engine) -> None:
    settings = article_engine.settings
    script = (
        "import json, sys\n"
        "from bot.cli import main\n"
        f"code = main(['ask', '--json', '--corpus', {str(settings.corpus_dir)!r},"
        f" '--index', {str(settings.index_dir)!r}, 'When did Putin annex Crimea?'])\n"
        f"print(json.dumps([code, [m for m in {HEAVY!r} if m in sys.modules]]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, timeout=120
    )
    answer_line, result_line = done.stdout.strip().splitlines()
    assert json.loads(result_line) == [0, []], done.stderr
    assert "2014" in json.loads(answer_line)["answer"]
    assert done.stderr == ""


def test_an_export_that_cant_be_written_says_so_once(tmp_path: Path, caplog) -> None:
    index = tmp_path / "index"
    index.mkdir()
    (index / "models").write_text("a file where the folder should be")
    with caplog.at_level(logging.WARNING, logger="qabot.embed"):
        assert onnx_embed.export(BUNDLED_MODEL, index) is None
    assert len(caplog.records) == 1 and "couldn't export" in caplog.text
    assert sorted(p.name for p in index.iterdir()) == ["models"]
