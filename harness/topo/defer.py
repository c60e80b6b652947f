"""Cleanup registered right after each setup step (kernel selftests' ``defer``), and signal guards.

``Defer`` is a LIFO stack of undo steps. ``cleanup_on_signals`` makes SIGINT and SIGTERM run
the undo steps first, then continue as the signal would have: the previous Python handler
is called if there was one; otherwise SIGINT raises KeyboardInterrupt and SIGTERM is
re-delivered with the default action, so the exit status still says "killed by SIGTERM".
SIGKILL cannot be caught: ``owner`` cleans after it on the next run.
"""
from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType

GUARDED_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Defer:
    """A stack of named undo steps, run newest first; every step runs even if one fails."""

    def __init__(self) -> None:
        self._steps: list[tuple[str, Callable[[], object]]] = []
        self._lock = threading.RLock()

    def defer(self, what: str, fn: Callable[..., object], *args: object) -> None:
        """Register ``fn(*args)`` to undo the step just done; ``what`` names it in errors."""
        with self._lock:
            self._steps.append((what, lambda: fn(*args)))

    def __len__(self) -> int:
        return len(self._steps)

    def run(self) -> list[str]:
        """Run and forget all steps, newest first; return one message per step that failed.

        Re-entrant: a signal handler calling it while it runs continues with the steps left.
        """
        errors: list[str] = []
        with self._lock:
            while self._steps:
                what, fn = self._steps.pop()
                try:
                    fn()
                except Exception as exc:  # noqa: BLE001 - cleanup must go on
                    errors.append(f"cleanup step {what!r} failed: {exc}")
        return errors


@contextlib.contextmanager
def cleanup_on_signals(cleanup: Callable[[], object]) -> Iterator[None]:
    """While active, SIGINT/SIGTERM run ``cleanup`` before their usual effect.

    Signal handlers can only be set from the main thread; elsewhere this is a no-op and the
    caller's ``finally`` remains the only cleanup path.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous: dict[int, object] = {}

    def restore() -> None:
        for signum, handler in previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]

    def handler(signum: int, frame: FrameType | None) -> None:
        cleanup()
        before = previous.get(signum)
        restore()
        if callable(before):
            before(signum, frame)
        elif signum == signal.SIGINT:
            raise KeyboardInterrupt
        else:
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)

    for signum in GUARDED_SIGNALS:
        previous[signum] = signal.getsignal(signum)
        signal.signal(signum, handler)
    try:
        yield
    finally:
        restore()
