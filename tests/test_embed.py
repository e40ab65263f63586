"""Question vectors come from a lean path; they must match chunk vectors and the model's own."""

import numpy as np
import pytest

QUESTIONS = [
    "When did Putin annex Crimea?",
    "What did the United States and Japan agree to establish?",
    "Kurile Islands",
]
LONGER = "Moscow considers the 1956 declaration the bedrock of its relations with Tokyo. " * 5


@pytest.mark.parametrize("question", QUESTIONS)
def test_a_question_vector_matches_the_batched_and_the_reference_encoding(embedder, question):
    lean = embedder.embed_query(question)
    batched = embedder.embed([LONGER, question])[1]  # padded beside a longer text
    reference = embedder.model.encode([question], normalize_embeddings=True)[0]
    assert lean.dtype == np.float32 and np.linalg.norm(lean) == pytest.approx(1.0, abs=1e-5)
    assert float(lean @ batched) > 0.99999
    assert float(lean @ reference) > 0.99999
