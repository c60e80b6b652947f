"""The lookaside crypto engine: a worker thread fed by bursts of jobs through a bounded queue.

Models a cryptodev (QAT, aesni-mb) used by secgw's ``no-offload`` SAs: the datapath
enqueues a burst of prepared ops and goes on; completed bursts are dequeued on a later poll.
One worker runs bursts strictly in submission order, so completions come back FIFO: the
datapath finishes them in the order it prepared them, which keeps each SA's sequence numbers
in order outbound and lets the anti-replay re-check run in arrival order inbound.

A job is anything with a ``run()`` method that touches no shared state (an ESP CryptoOp, or
a whole-ESP job for protocol offloads whose SA is only ever used from this engine). A job
raising is a programming error: the exception is re-raised from ``poll``/``drain``.
"""
from __future__ import annotations

import queue
import threading
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any, Protocol


class Job(Protocol):
    def run(self) -> Any: ...


def run_jobs(jobs: Sequence[Job]) -> None:
    """Default burst runner: run each job in order."""
    for job in jobs:
        job.run()


Completion = tuple[list[Job], Any]  # the burst's jobs and the caller's token for it


class LookasideEngine:
    """A crypto engine on its own thread. ``submit`` a burst, ``poll``/``drain`` completions.

    ``runner`` executes one burst on the worker thread (default: ``job.run()`` for each);
    ``depth`` bounds the bursts in flight: ``submit`` blocks when the ring is full, as a
    cryptodev enqueue would refuse more work.
    """

    def __init__(self, *, runner: Callable[[Sequence[Job]], None] = run_jobs, depth: int = 256,
                 name: str = "crypto-lookaside") -> None:
        self._runner = runner
        self._in: queue.Queue[tuple[list[Job], Any] | None] = queue.Queue(maxsize=depth)
        self._done: deque[Completion] = deque()
        self._cond = threading.Condition()
        self._submitted = 0  # bursts
        self._completed = 0
        self._pending_jobs = 0
        self._error: BaseException | None = None
        self._closed = False
        self._thread = threading.Thread(target=self._work, name=name, daemon=True)
        self._thread.start()

    @property
    def worker_ident(self) -> int | None:
        """Thread id of the worker (tests check ops really run elsewhere)."""
        return self._thread.ident

    @property
    def in_flight(self) -> int:
        """Jobs submitted and not yet returned by poll/drain."""
        return self._pending_jobs

    def submit(self, jobs: list[Job], token: Any = None) -> None:
        """Enqueue one burst; ``token`` comes back with its completion."""
        if self._closed:
            raise RuntimeError("lookaside engine is closed")
        if not jobs:
            return
        self._submitted += 1
        self._pending_jobs += len(jobs)
        self._in.put((jobs, token))

    def poll(self) -> list[Completion]:
        """Completed bursts, oldest first, without waiting."""
        self._raise_error()
        out: list[Completion] = []
        done = self._done
        while done:
            item = done.popleft()
            self._pending_jobs -= len(item[0])
            out.append(item)
        return out

    def drain(self, timeout: float = 60.0) -> list[Completion]:
        """Wait until every submitted burst has completed, then return all completions."""
        with self._cond:
            ok = self._cond.wait_for(lambda: self._completed >= self._submitted or self._error is not None,
                                     timeout=timeout)
        if not ok:
            raise TimeoutError(f"lookaside engine: {self._submitted - self._completed} bursts still running "
                               f"after {timeout} s")
        return self.poll()

    def close(self) -> None:
        """Stop the worker after the bursts already queued. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self._in.put(None)
        self._thread.join(timeout=60.0)

    def _raise_error(self) -> None:
        if self._error is not None:
            raise RuntimeError("lookaside engine job failed") from self._error

    def _work(self) -> None:
        get, runner, done, cond = self._in.get, self._runner, self._done, self._cond
        while True:
            item = get()
            if item is None:
                return
            try:
                runner(item[0])
            except BaseException as exc:  # a bug in a job: hand it to the datapath thread
                self._error = exc
            done.append(item)
            with cond:
                self._completed += 1
                cond.notify_all()
