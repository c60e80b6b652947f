"""crypto.placement_lookaside: jobs run on the worker thread, FIFO, completions come later."""
from __future__ import annotations

import threading

import pytest

from gateway_ref.crypto.placement_lookaside import LookasideEngine


class Job:
    def __init__(self, n: int) -> None:
        self.n = n
        self.thread: int | None = None

    def run(self) -> None:
        self.thread = threading.get_ident()


def test_runs_on_another_thread_in_submission_order() -> None:
    eng = LookasideEngine()
    try:
        bursts = [[Job(i * 10 + j) for j in range(3)] for i in range(20)]
        for i, burst in enumerate(bursts):
            eng.submit(burst, token=i)
        done = eng.drain()
        assert [tok for _, tok in done] == list(range(20))
        assert all(job.thread == eng.worker_ident != threading.get_ident() for burst in bursts for job in burst)
        assert eng.in_flight == 0
    finally:
        eng.close()


def test_completion_only_after_the_gate_opens() -> None:
    gate = threading.Event()

    def runner(jobs):
        gate.wait(10)
        for job in jobs:
            job.run()

    eng = LookasideEngine(runner=runner)
    try:
        job = Job(1)
        eng.submit([job], token="t")
        assert eng.poll() == [] and eng.in_flight == 1 and job.thread is None
        gate.set()
        assert [tok for _, tok in eng.drain()] == ["t"]
    finally:
        eng.close()


def test_a_failing_job_surfaces_in_the_caller() -> None:
    class Bad:
        def run(self):
            raise ZeroDivisionError("bug")

    eng = LookasideEngine()
    try:
        eng.submit([Bad()])
        with pytest.raises(RuntimeError, match="job failed"):
            eng.drain()
    finally:
        eng.close()
    with pytest.raises(RuntimeError, match="closed"):
        eng.submit([Job(0)])
