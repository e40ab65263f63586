"""Knowledge gaps: the questions the documents didn't answer well, grouped by meaning.

Questions the bot abstained on and answers voted 👎 are grouped with the engine's own embedding
model, so "who is the PM of Japan" and "Japan's prime minister?" count as one gap.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bot.feedback import GapQuestion

SAME_MEANING = 0.7  # cosine at which two questions ask the same thing (MiniLM)


@dataclass(frozen=True)
class Gap:
    gap_id: str  # stable while the group lasts: from the key of its first question
    questions: tuple[GapQuestion, ...]  # oldest first

    @property
    def count(self) -> int:
        return len(self.questions)

    @property
    def last_asked(self) -> str:
        return max(q.asked_at for q in self.questions)

    @property
    def example(self) -> str:
        return self.questions[-1].question

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(q.key for q in self.questions)


def group(questions: list[GapQuestion], vectors: np.ndarray) -> list[Gap]:
    """Groups of questions that ask the same thing, largest (then most recent) first.

    Each question joins the first group whose first question it is close enough to (cosine of
    the normalised vectors at least SAME_MEANING), otherwise it starts a new group.
    """
    leaders: list[int] = []
    members: dict[int, list[int]] = {}
    for i in range(len(questions)):
        close = [lead for lead in leaders if float(vectors[i] @ vectors[lead]) >= SAME_MEANING]
        if close:
            members[close[0]].append(i)
        else:
            leaders.append(i)
            members[i] = [i]
    gaps = [
        Gap(questions[lead].key[:6], tuple(questions[i] for i in members[lead])) for lead in leaders
    ]
    return sorted(gaps, key=lambda g: (-g.count, _desc(g.last_asked)))


def _desc(text: str) -> tuple[int, ...]:
    return tuple(-ord(ch) for ch in text)
