"""Protocol-offload jobs: prepare, crypto and finish of one packet done by one executor.

Used for ``lookaside-protocol-offload`` (the job runs on the lookaside engine's thread) and
``inline-protocol-offload`` (the emulated port runs it at RX or TX). The SA of such a job is
only ever touched by that executor, so its sequence counter and replay window need no lock.
``prepare(l3)``/``finish(op)`` are one SA's ESP functions for the direction.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gateway_ref.datapath.drops import DropReason


class ProtocolJob:
    """All of ESP for one packet; ``result`` is finish's value or the DropReason of a step."""

    __slots__ = ("prepare", "finish", "l3", "result")

    def __init__(self, prepare: Callable[[bytes], Any], finish: Callable[[Any], Any], l3: bytes) -> None:
        self.prepare = prepare
        self.finish = finish
        self.l3 = l3
        self.result: Any = None

    def run(self) -> Any:
        op = self.prepare(self.l3)
        if type(op) is DropReason:
            self.result = op
        else:
            op.run()
            self.result = self.finish(op)
        return self.result
