"""The one timing loop every latency figure in the benchmarks uses."""

from __future__ import annotations

import time
from collections.abc import Callable


def times_ms(call: Callable[[str], object], questions: list[str], warmup: int) -> list[float]:
    """Milliseconds of call(question) for each question, after `warmup` untimed calls."""
    for question in questions[:warmup]:
        call(question)
    times = []
    for question in questions:
        started = time.perf_counter()
        call(question)
        times.append((time.perf_counter() - started) * 1000)
    return times
