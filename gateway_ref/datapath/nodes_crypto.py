"""The lookaside crypto placement node: ``crypto-lookaside`` (DESIGN.md "crypto/").

Synchronous crypto (SA type ``cpu-crypto``) has no node of its own: ``esp-encrypt`` and
``esp-decrypt`` run it in place, as VPP's ESP nodes do with synchronous crypto ops.

``crypto-lookaside``: hands the whole burst of ops to the lookaside engine's thread and moves
on; no next in this pass. The gateway polls the engine and injects completed bursts, in
submission order, at ``esp-encrypt-post``/``esp-decrypt-post`` (``completions_to_inject``), so
ops are finished in the order they were prepared: sequence numbers stay in order per SA and
the anti-replay re-check sees packets in arrival order. The inline placements have no node:
the emulated ports run their crypto (``ports.py``).
"""
from __future__ import annotations

from gateway_ref.crypto.placement_lookaside import Completion, LookasideEngine
from gateway_ref.datapath.buf import Buf
from gateway_ref.datapath.graph import Node


class CryptoLookaside(Node):
    name = "crypto-lookaside"
    nexts = ()

    def __init__(self, engine: LookasideEngine | None) -> None:
        super().__init__()
        self.engine = engine  # None when no SA of the cfg uses the lookaside engine

    def process(self, bufs: list[Buf], out: dict[str, list[Buf]]) -> None:
        if self.engine is None:
            raise AssertionError("crypto-lookaside reached but no lookaside SA is configured")
        self.engine.submit([buf.op for buf in bufs], bufs)


def completions_to_inject(completions: list[Completion]) -> dict[str, list[Buf]]:
    """Sort completed bursts' packets to their post node, keeping their order."""
    enc: list[Buf] = []
    dec: list[Buf] = []
    for _jobs, bufs in completions:
        for buf in bufs:
            (enc if buf.sa.outbound else dec).append(buf)
    return {"esp-encrypt-post": enc, "esp-decrypt-post": dec}
