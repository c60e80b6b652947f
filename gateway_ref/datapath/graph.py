"""A VPP-style graph of nodes over bursts (lists) of packets.

Each node declares its name, its next nodes by name and the drop reasons it counts; it gets a burst
and appends each packet to the list of the next it picks. A drop is the next ``drop`` with
``buf.reason`` set (``drop_to`` does it). The graph is a DAG run in topological order, one pass
per call: packets injected at any node (new frames at ``ethernet-input``, lookaside
completions at the post nodes) flow to ``tx`` or ``drop`` or are held by an engine.
"""
from __future__ import annotations

from collections.abc import Iterable

from gateway_ref.datapath.buf import Buf
from gateway_ref.datapath.drops import DropReason


class Node:
    """Base of all nodes. Subclasses set ``name``, ``nexts``, the drop reasons they may use
    (``drops``, their error counters, VPP style) and implement ``process``."""

    name: str = ""
    nexts: tuple[str, ...] = ()
    drops: frozenset[DropReason] = frozenset()

    def __init__(self) -> None:
        self.calls = 0
        self.packets = 0

    def process(self, bufs: list[Buf], out: dict[str, list[Buf]]) -> None:
        raise NotImplementedError(f"{type(self).__name__}.process")


def drop_to(drops: list[Buf], buf: Buf, reason: DropReason, node: str) -> None:
    """Send ``buf`` to the drop node under ``reason``, recording which node dropped it."""
    buf.reason = reason
    buf.node = node
    drops.append(buf)


class Graph:
    """Nodes wired by name, run in topological order."""

    def __init__(self, nodes: Iterable[Node]) -> None:
        by_name: dict[str, Node] = {}
        for node in nodes:
            if not node.name or node.name in by_name:
                raise ValueError(f"node name {node.name!r} empty or used twice")
            by_name[node.name] = node
        for node in by_name.values():
            for nxt in node.nexts:
                if nxt not in by_name:
                    raise ValueError(f"node {node.name!r} names unknown next {nxt!r}")
        self.nodes = by_name
        self.order = _topological(by_name)
        self._inbox: dict[str, list[Buf]] = {name: [] for name in by_name}
        self._outs = {name: {nxt: self._inbox[nxt] for nxt in node.nexts} for name, node in by_name.items()}

    def run(self, inject: dict[str, list[Buf]]) -> None:
        """Push the injected bursts through the graph until every packet is at a sink."""
        inbox = self._inbox
        for name, bufs in inject.items():
            inbox[name].extend(bufs)
        outs = self._outs
        for node in self.order:
            pending = inbox[node.name]
            if pending:
                bufs = pending[:]
                pending.clear()
                node.calls += 1
                node.packets += len(bufs)
                node.process(bufs, outs[node.name])


def _topological(nodes: dict[str, Node]) -> list[Node]:
    """Kahn's algorithm; keeps declaration order among ready nodes. Raises on a cycle."""
    indeg = {name: 0 for name in nodes}
    for node in nodes.values():
        for nxt in node.nexts:
            indeg[nxt] += 1
    ready = [name for name in nodes if indeg[name] == 0]
    order: list[Node] = []
    while ready:
        name = ready.pop(0)
        order.append(nodes[name])
        for nxt in nodes[name].nexts:
            indeg[nxt] -= 1
            if indeg[nxt] == 0:
                ready.append(nxt)
    if len(order) != len(nodes):
        cyclic = sorted(name for name, d in indeg.items() if d > 0)
        raise ValueError(f"graph has a cycle through {cyclic}")
    return order
