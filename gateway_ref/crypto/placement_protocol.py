"""Protocol-offload jobs: prepare, crypto and finish of one packet done by one executor.

Used for ``lookaside-protocol-offload`` (the job runs on the lookaside engine's thread) and
``inline-protocol-offload`` (the emulated port runs it at RX or TX). The SA of such a job is
only ever touched by that executor, so its sequence counter and replay window need no lock.
``whole(l3)`` is one SA's ESP for the direction: prepare, crypto and finish in one call.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any


class ProtocolJob:
    """All of ESP for one packet; ``result`` is the packet or the DropReason of a step."""

    __slots__ = ("whole", "l3", "result")

    def __init__(self, whole: Callable[[bytes], Any], l3: bytes) -> None:
        self.whole = whole
        self.l3 = l3
        self.result: Any = None

    def run(self) -> Any:
        self.result = self.whole(self.l3)
        return self.result
