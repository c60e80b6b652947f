"""datapath.graph: wiring checks, topological runs, drops land in the drop node."""
from __future__ import annotations

import pytest

from gateway_ref.datapath.buf import Buf
from gateway_ref.datapath.drops import DropReason
from gateway_ref.datapath.graph import Graph, Node, drop_to


class Split(Node):
    name = "split"
    nexts = ("even", "drop")

    def process(self, bufs, out):
        for b in bufs:
            if b.port % 2:
                drop_to(out["drop"], b, DropReason.NON_IP, self.name)
            else:
                out["even"].append(b)


class Sink(Node):
    nexts = ()

    def __init__(self, name):
        super().__init__()
        self.name = name
        self.seen: list[Buf] = []

    def process(self, bufs, out):
        self.seen.extend(bufs)


def test_packets_reach_their_next_and_drops_keep_reason_and_node() -> None:
    even, drop = Sink("even"), Sink("drop")
    g = Graph([drop, even, Split()])
    assert [n.name for n in g.order].index("split") < [n.name for n in g.order].index("drop")
    g.run({"split": [Buf(b"", p) for p in range(5)]})
    assert [b.port for b in even.seen] == [0, 2, 4]
    assert [(b.port, b.reason, b.node) for b in drop.seen] == [(1, DropReason.NON_IP, "split"), (3, DropReason.NON_IP, "split")]
    g.run({"split": [Buf(b"", 6)]})
    assert [b.port for b in even.seen] == [0, 2, 4, 6]
    assert g.nodes["split"].calls == 2 and g.nodes["split"].packets == 6


def test_unknown_next_duplicate_name_and_cycle_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown next 'even'"):
        Graph([Split(), Sink("drop")])
    with pytest.raises(ValueError, match="used twice"):
        Graph([Sink("a"), Sink("a")])

    class A(Node):
        name, nexts = "a", ("b",)

    class B(Node):
        name, nexts = "b", ("a",)

    with pytest.raises(ValueError, match="cycle"):
        Graph([A(), B()])
