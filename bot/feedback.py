"""Answers, votes, conversations, gaps and opt-outs: the stores live in index/state (SQLite for one
process, PostgreSQL for several workers); the bot's modules take their types from here."""

from __future__ import annotations

from index.state.records import (
    AnswerRecord,
    Feedback,
    FeedbackSummary,
    GapQuestion,
    QuestionVotes,
    Vote,
)
from index.state.sqlite import FeedbackStore

__all__ = [
    "AnswerRecord",
    "Feedback",
    "FeedbackStore",
    "FeedbackSummary",
    "GapQuestion",
    "QuestionVotes",
    "Vote",
]
