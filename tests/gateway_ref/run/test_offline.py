"""gateway_ref.run.offline: timestamp merge, per-port bursts, output timestamps, files written."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from gateway_ref.pcap import PcapRecord, read_pcap, write_pcap
from gateway_ref.run.offline import Burst, bursts_by_port, merge_inputs, run_bursts, run_offline


class Echo:
    """A processor that sends every frame back on port + 10 and remembers the bursts it saw;
    ``held`` frames only come out at flush (like lookaside completions)."""

    def __init__(self) -> None:
        self.seen: list[tuple[int, list[bytes]]] = []
        self.held: list[bytes] = []

    def process(self, port: int, frames: list[bytes]) -> dict[int, list[bytes]]:
        self.seen.append((port, list(frames)))
        keep = [f for f in frames if not f.startswith(b"late")]
        self.held += [f for f in frames if f.startswith(b"late")]
        return {port + 10: keep} if keep else {}

    def flush(self) -> dict[int, list[bytes]]:
        held, self.held = self.held, []
        return {99: held} if held else {}

    def counters(self) -> dict:
        return {"bursts": len(self.seen)}


def test_merge_orders_by_time_then_port_then_file_order() -> None:
    a = [PcapRecord(5, b"a0"), PcapRecord(5, b"a1"), PcapRecord(9, b"a2")]
    b = [PcapRecord(1, b"b0"), PcapRecord(5, b"b1")]
    merged = [(p, r.data) for p, r in merge_inputs({1: a, 0: b})]
    assert merged == [(0, b"b0"), (0, b"b1"), (1, b"a0"), (1, b"a1"), (1, b"a2")]


def test_bursts_split_on_port_change_and_size() -> None:
    recs = [(0, PcapRecord(i, bytes([i]))) for i in range(5)] + [(1, PcapRecord(9, b"x"))]
    assert bursts_by_port(recs, 2).__next__() == Burst(0, 1, [b"\x00", b"\x01"])
    assert [(b.port, b.ts_ns, len(b.frames)) for b in bursts_by_port(recs, 2)] == [(0, 1, 2), (0, 3, 2), (0, 4, 1), (1, 9, 1)]
    with pytest.raises(ValueError):
        list(bursts_by_port(recs, 0))


def test_outputs_take_the_burst_time_and_flush_the_last() -> None:
    out = run_bursts(Echo(), [Burst(0, 100, [b"x", b"late"]), Burst(1, 200, [b"y"])])
    assert out == {10: [PcapRecord(100, b"x")], 11: [PcapRecord(200, b"y")], 99: [PcapRecord(200, b"late")]}


def test_run_offline_writes_every_port_and_counters(tmp_path: Path) -> None:
    write_pcap(tmp_path / "in0.pcap", [PcapRecord(i, b"f%d" % i) for i in range(3)])
    counters = run_offline(Echo(), {0: tmp_path / "in0.pcap"}, tmp_path / "out", ports=[0, 5], burst=2)
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == ["counters.json", "port0.pcap", "port10.pcap", "port5.pcap"]
    assert [r.data for r in read_pcap(tmp_path / "out" / "port10.pcap")] == [b"f0", b"f1", b"f2"]
    assert read_pcap(tmp_path / "out" / "port5.pcap") == []
    assert json.loads((tmp_path / "out" / "counters.json").read_text()) == counters == {"bursts": 2}
