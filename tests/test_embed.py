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
    # In bf16 (CPUs with native bf16) both paths run in bf16, and sentence-transformers' encode
    # also returns its vector rounded to bf16: "Kurile Islands" gave 0.99854 against the
    # reference on an AVX-512 bf16 CPU, 0.9999 and above for the other questions.
    bf16 = embedder.dtype == "bfloat16"
    assert float(lean @ batched) > (0.9995 if bf16 else 0.99999)
    assert float(lean @ reference) > (0.998 if bf16 else 0.99999)


# ---- sentence vectors inside the model's window ---------------------------------------------

LATE = "Moscow and Tokyo signed a fisheries treaty in the spring."


def reference_span_vector(embedder, text: str, span: tuple[int, int]) -> np.ndarray:
    """The mean of the model's token vectors over the span, with nothing truncated."""
    import torch

    batch = embedder.model.tokenizer(text, return_offsets_mapping=True, return_tensors="pt")
    offsets = batch.pop("offset_mapping")[0].numpy()
    assert len(offsets) <= embedder.model.max_seq_length, "the text must fit the window"
    with torch.inference_mode():
        tokens = embedder.model[0].auto_model(**batch).last_hidden_state[0].float().numpy()
    inside = (
        (offsets[:, 1] > offsets[:, 0]) & (offsets[:, 0] >= span[0]) & (offsets[:, 1] <= span[1])
    )
    vector = tokens[inside].mean(0)
    return vector / np.linalg.norm(vector)


def test_a_span_past_the_window_is_embedded_on_its_own_not_as_the_whole_text(embedder):
    text = "Filler words about nothing in particular. " * 60 + LATE
    start = text.index(LATE)
    whole, parts = embedder.embed_with_spans([text], [[(0, 10), (start, len(text))]])
    alone = embedder.embed([LATE])[0]
    assert float(parts[0][1] @ alone) > 0.9999
    assert float(parts[0][1] @ whole[0]) < 0.9
    assert not np.isnan(parts[0]).any()


def test_each_sentence_vector_pools_its_own_tokens_in_the_chunk(embedder):
    from index.build.chunk import chunk_document
    from index.build.ingest import parse_text_document
    from index.build.keys import search_text, sentence_spans
    from tests.test_chunk import SCIENCE

    # One old chunk of 380 word pieces: its last sentences fell past the window.
    document = parse_text_document("doc.md", "Title\n\n" + " ".join(SCIENCE))
    chunks = chunk_document(document, embedder.window)
    assert len(chunks) == 2
    texts, spans = [search_text(c) for c in chunks], [sentence_spans(c) for c in chunks]
    whole, parts = embedder.embed_with_spans(texts, spans)
    for text, chunk_spans, vector, sentence_vectors in zip(texts, spans, whole, parts, strict=True):
        for span, sentence_vector in zip(chunk_spans, sentence_vectors, strict=True):
            reference = reference_span_vector(embedder, text, span)
            assert float(sentence_vector @ reference) > 0.999
            assert float(sentence_vector @ vector) < 0.99  # not the chunk's vector
