"""The benchmarks' clock: the least CPU time of a few runs (the machine is shared, so the least
disturbed run is the one to keep; process time, so other load on the box does not count)."""
from __future__ import annotations

import time
from collections.abc import Callable


def least_cpu_s(fn: Callable[[], object], repeat: int = 3) -> float:
    """Least CPU seconds of ``repeat`` runs of ``fn``."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.process_time()
        fn()
        best = min(best, time.process_time() - t0)
    return best
