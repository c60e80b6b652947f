"""MemoryPort and PcapPort behave as ports: byte-identical delivery, capture windows, counters."""
from __future__ import annotations

import pytest

from harness.io import MemoryPort, PcapPort, PortError, read_pcap, write_pcap


def _frames(n: int) -> list[bytes]:
    return [bytes.fromhex("025848020000025848010000") + b"\x88\xb5" + i.to_bytes(4, "big") + bytes(46)
            for i in range(n)]


def test_memory_pair_delivers_only_while_capturing() -> None:
    a, b = MemoryPort.pair()
    a.send(_frames(3))
    b.start_capture()
    sent = _frames(5)
    result = a.send(sent)
    got = b.stop_capture()
    assert [f for _, f in got] == sent
    assert result.frames_sent == 5 and result.bytes_sent == sum(map(len, sent))
    assert all(ts >= result.first_tx_ns for ts, _ in got)
    assert a.stats().frames_sent == 8 and b.stats().frames_captured == 5
    assert b.stats().kernel_drops is None


def test_memory_pair_works_both_ways_and_close_unlinks() -> None:
    a, b = MemoryPort.pair()
    a.start_capture()
    b.send([b"reply"])
    assert [f for _, f in a.stop_capture()] == [b"reply"]
    a.close()
    b.send([b"lost"])
    a.start_capture()
    assert a.stop_capture() == []


def test_pcap_port_writes_what_it_sends_and_replays_its_input(tmp_path) -> None:
    out, inp = tmp_path / "tx.pcap", tmp_path / "rx.pcap"
    write_pcap(inp, [(5, b"in-frame")])
    port = PcapPort("p0", tx_path=out, rx_path=inp)
    port.send(_frames(4))
    port.start_capture()
    assert port.stop_capture() == [(5, b"in-frame")]
    port.close()
    assert [f for _, f in read_pcap(out)] == _frames(4)
    assert port.stats().frames_sent == 4 and port.stats().frames_captured == 1


def test_pcap_port_without_paths_says_what_is_missing() -> None:
    port = PcapPort("p1")
    with pytest.raises(PortError, match="no tx_path"):
        port.send([b"x"])
    with pytest.raises(PortError, match="no rx_path"):
        port.start_capture()
