"""Datapath counters, shared by the nodes of one gateway (single writer: the datapath thread).

Mirrors secgw's statistics (secgw-reference.md 3.9): rx/tx/dropped totals, per family and
direction SP protect/bypass/discard, and adds what secgw lacks: drops by named reason (every
drop counted under exactly one), drops by node, per-SA packets/bytes/drops, per-port rx/tx.
Inbound clear packets hitting a protect rule, wrong-SA packets and no-match packets count as
``discard``, as in secgw.
"""
from __future__ import annotations

from collections import Counter
from typing import Any

from gateway_ref.cfg.records import Direction, Family, PolicyAction
from gateway_ref.datapath.buf import SaCtx
from gateway_ref.datapath.drops import DropReason


_ACTIONS = (PolicyAction.PROTECT, PolicyAction.BYPASS, PolicyAction.DISCARD)


def add_policy_counts(policy: Counter[tuple[Family, Direction, PolicyAction]],
                      skipped: Counter[tuple[Family, Direction]], direction: Direction, counts: list[int]) -> None:
    """Fold a burst's local counts (IPv4 then IPv6: protect, bypass, discard, unchecked) in.

    SPD nodes count in a plain list per burst: hashing enum keys per packet is too slow."""
    for base, family in ((0, Family.IPV4), (4, Family.IPV6)):
        for i, action in enumerate(_ACTIONS):
            if counts[base + i]:
                policy[(family, direction, action)] += counts[base + i]
        if counts[base + 3]:
            skipped[(family, direction)] += counts[base + 3]


class Counters:
    def __init__(self) -> None:
        self.port_rx: Counter[int] = Counter()
        self.port_tx: Counter[int] = Counter()
        self.drops: Counter[DropReason] = Counter()
        self.drops_by_node: Counter[tuple[str, DropReason]] = Counter()
        self.policy: Counter[tuple[Family, Direction, PolicyAction]] = Counter()
        self.policy_skipped: Counter[tuple[Family, Direction]] = Counter()  # no rules: passed unchecked

    def add_burst(self, sent: dict[int, int], drops: list[tuple[str, DropReason]]) -> None:
        """A fast path's burst (``fast_out``, ``fast_in``): frames sent per port, and drops as
        (node, reason) under the node of the graph that would have dropped the packet."""
        for port, n in sent.items():
            if n:
                self.port_tx[port] += n
        for node, reason in drops:
            self.drops[reason] += 1
            self.drops_by_node[(node, reason)] += 1

    @property
    def rx(self) -> int:
        return sum(self.port_rx.values())

    @property
    def tx(self) -> int:
        return sum(self.port_tx.values())

    @property
    def dropped(self) -> int:
        return sum(self.drops.values())

    def snapshot(self, sas: list[SaCtx], pending: int, nodes: dict[str, dict[str, Any]]) -> dict[str, Any]:
        """A JSON-serialisable copy of every counter."""
        policy: dict[str, dict[str, dict[str, int]]] = {}
        for fam, spd in ((Family.IPV4, "spd4"), (Family.IPV6, "spd6")):
            policy[spd] = {
                d.value: {a.value: self.policy[(fam, d, a)] for a in PolicyAction}
                | {"unchecked": self.policy_skipped[(fam, d)]}
                for d in Direction
            }
        return {
            "rx": self.rx,
            "tx": self.tx,
            "dropped": self.dropped,
            "pending": pending,
            "drops": {r.value: n for r, n in sorted(self.drops.items(), key=lambda kv: kv[0].value) if n},
            "drops_by_node": self._by_node(),
            "sa": {sa.key: sa.snapshot() for sa in sas},
            "policy": policy,
            "ports": {str(p): {"rx": self.port_rx[p], "tx": self.port_tx[p]}
                      for p in sorted(set(self.port_rx) | set(self.port_tx))},
            "nodes": nodes,
        }

    def _by_node(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for (node, reason), n in sorted(self.drops_by_node.items(), key=lambda kv: (kv[0][0], kv[0][1].value)):
            out.setdefault(node, {})[reason.value] = n
        return out
