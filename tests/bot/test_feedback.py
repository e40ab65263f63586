"""The feedback store keeps answers and votes in SQLite, with hashed voter ids."""

from __future__ import annotations

from pathlib import Path

from bot.feedback import FeedbackStore


def test_votes_are_stored_with_question_chunks_hash_and_time(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "fb.sqlite3")
    key = store.remember("Why?", ("c1", "c2"), True)
    assert store.vote(key, 1234, +1) is not None
    [vote] = store.votes()
    assert (vote.question, vote.chunk_ids, vote.vote) == ("Why?", ("c1", "c2"), 1)
    assert "1234" not in vote.user_hash and len(vote.user_hash) == 32
    assert vote.voted_at.endswith("+00:00")


def test_a_later_vote_replaces_the_earlier_one_and_reopening_keeps_everything(
    tmp_path: Path,
) -> None:
    path = tmp_path / "fb.sqlite3"
    store = FeedbackStore(path)
    good, bad = store.remember("Good?", ("a",), True), store.remember("Bad?", ("b",), False)
    store.vote(good, 1, +1)
    store.vote(bad, 1, +1)
    store.vote(bad, 1, -1)  # changed their mind
    store.vote(bad, 2, -1)
    summary = FeedbackStore(path).summary()
    assert (summary.answers, summary.up, summary.down, summary.voters) == (2, 1, 2, 2)
    assert [(q.question, q.up, q.down) for q in summary.most_downvoted] == [("Bad?", 0, 2)]


def test_an_unknown_answer_key_is_not_recorded(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "fb.sqlite3")
    assert store.vote("0123456789ab", 1, -1) is None
    assert store.votes() == []
