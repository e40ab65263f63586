from __future__ import annotations

import math

from index.evaluate import score_rankings


def test_ndcg_recall_and_mrr_match_hand_computed_values():
    rankings = {"q1": [("a", 3.0), ("x", 2.0), ("b", 1.0)], "q2": [("y", 1.0), ("z", 0.5)]}
    qrels = {"q1": {"a": 1, "b": 1}, "q2": {"c": 1}}
    scores = score_rankings(rankings, qrels)
    ideal = 1 + 1 / math.log2(3)
    q1_ndcg = (1 + 1 / math.log2(4)) / ideal
    assert scores.queries == 2
    assert scores.ndcg_at_10 == round(q1_ndcg / 2, 4)
    assert scores.recall_at_10 == 0.5 and scores.mrr_at_10 == 0.5
