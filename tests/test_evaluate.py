from __future__ import annotations

import math

from index.beir import score_rankings


def test_ndcg_recall_and_mrr_match_hand_computed_values():
    rankings = {"q1": [("a", 3.0), ("x", 2.0), ("b", 1.0)], "q2": [("y", 1.0), ("z", 0.5)]}
    qrels = {"q1": {"a": 1, "b": 1}, "q2": {"c": 1}}
    scores = score_rankings(rankings, qrels)
    ideal = 1 + 1 / math.log2(3)
    q1_ndcg = (1 + 1 / math.log2(4)) / ideal
    assert scores.queries == 2
    assert scores.ndcg_at_10 == round(q1_ndcg / 2, 4)
    assert scores.recall_at_10 == 0.5 and scores.mrr_at_10 == 0.5


def _citation(doc: str, start: int, end: int, passage: str, paragraph: int = 1):
    from index.models import Citation

    return Citation(1, doc, "T", {}, paragraph, "id", passage, passage, start, end, (), 1.0)


def test_squad_scores_follow_their_definitions():
    from index.evaluate import LabelledQuestion, score_squad
    from index.models import Answer

    def question(qid, answerable, answers=(), start=None):
        return LabelledQuestion(qid, "q?", answerable, "", (), answers, "a.txt", start, 1)

    passage = "Prime numbers have exactly two divisors."
    cited = (_citation("a.txt", 100, 100 + len(passage), passage),)
    items = [
        question("right", True, ("two divisors",), 127),  # answered with the gold text
        question("abstained", True, ("two divisors",), 127),  # refused, but [1] would locate it
        question("wrong", True, ("Euclid",), 300),  # answered without the gold text
        question("refused", False),  # rightly refused
        question("answered", False),  # wrongly answered
    ]
    answers = [
        Answer("q", True, passage + " [1]", cited, (), 1.0),
        Answer("q", False, "no", (), cited, 1.0),
        Answer("q", True, passage + " [1]", cited, (), 1.0),
        Answer("q", False, "no", (), (), 1.0),
        Answer("q", True, passage + " [1]", cited, (), 1.0),
    ]
    scores = score_squad(items, answers)
    assert (scores.questions, scores.answerable) == (5, 3)
    assert scores.locate_at_1 == round(2 / 3, 4)  # "wrong" cites a passage without Euclid
    assert scores.answer == round(1 / 3, 4)
    assert scores.answer_rate == round(2 / 3, 4)
    assert scores.abstain == 0.5
    assert scores.accuracy == 0.4  # "right" and "refused"


def test_a_squad_style_file_is_read_with_its_answers(tmp_path):
    from index.evaluate import read_questions

    path = tmp_path / "q.jsonl"
    path.write_text(
        '{"id": "x", "question": " Who? ", "answerable": true, "answers": ["Ann", "Ann B"],'
        ' "doc": "a.txt", "paragraph": 2, "char_start": 40}\n'
        '{"id": "y", "question": "Why?", "answerable": false, "answers": [], "doc": "a.txt",'
        ' "paragraph": 2, "char_start": null}\n'
    )
    first, second = read_questions(path)
    assert first.squad and first.answers == ("Ann", "Ann B") and first.char_start == 40
    assert second.squad and not second.answerable and second.answers == ()


def test_a_sample_takes_whole_documents_and_its_far_end_never_meets_it() -> None:
    from index.evaluate import documents_sample

    docs = [f"d{i}" for i in range(10) for _ in range(i + 1)]  # d0 holds 1 question, d9 10
    near = documents_sample(docs, 20)
    far = documents_sample(docs, 20, from_end=True)
    for chosen in (near, far):
        held = sum(doc in chosen for doc in docs)
        largest = max(docs.count(doc) for doc in chosen)
        assert 20 <= held < 20 + largest  # whole documents, stopping once there are enough
    assert not near & far
    assert documents_sample(docs, 20) == near  # seeded: the same sample every time
    assert documents_sample(docs, len(docs)) == set(docs)
