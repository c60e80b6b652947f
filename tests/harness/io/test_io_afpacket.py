"""AF_PACKET ports on a live rig (root): delivery, timestamps, kernel counters, pacing, tcpreplay."""
from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from harness.io import PortError, StopReason
from harness.io.afpacket import AfPacketConfig, AfPacketPort, RxMode, TxMode
from harness.io.capture import RingCapture
from harness.io.packetsock import read_statistics
from harness.io import tcpreplay
from harness.topo import Rig, call_in_netns, require_netns, rig

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def live_rig() -> Iterator[Rig]:
    require_netns()
    with rig() as r:
        yield r


def _frames(n: int, dst: str, src: str, size: int = 64) -> list[bytes]:
    head = bytes.fromhex(dst.replace(":", "") + src.replace(":", "")) + b"\x88\xb5"
    return [head + i.to_bytes(4, "big") + bytes((i + k) & 0xFF for k in range(size - 18)) for i in range(n)]


def _ports(r: Rig, cfg: AfPacketConfig, port: int = 0) -> tuple[AfPacketPort, AfPacketPort]:
    link = r.by_dut_port(port)
    return (AfPacketPort(link.tester_iface, netns=r.tester_ns, config=cfg),
            AfPacketPort(link.dut_iface, netns=r.dut_ns, config=cfg))


@pytest.mark.parametrize("tx_mode", list(TxMode), ids=lambda m: m.value)
@pytest.mark.parametrize("rx_mode", list(RxMode), ids=lambda m: m.value)
def test_frames_arrive_byte_identical_both_ways(live_rig: Rig, tx_mode: TxMode, rx_mode: RxMode) -> None:
    tester, dut = _ports(live_rig, AfPacketConfig(tx_mode=tx_mode, rx_mode=rx_mode), port=1)
    link = live_rig.by_dut_port(1)
    with tester, dut:
        for sender, receiver, dst, src in ((tester, dut, link.dut_mac, link.tester_mac),
                                            (dut, tester, link.tester_mac, link.dut_mac)):
            frames = _frames(500, dst, src, size=60) + _frames(20, dst, src, size=1514)
            receiver.start_capture()
            result = sender.send(frames)
            got = receiver.stop_capture()
            assert result.stop is StopReason.COMPLETE
            assert [f for _, f in got] == frames
            assert receiver.stats().kernel_drops == 0


def test_rx_ring_timestamps_are_kernel_ns_and_monotonic(live_rig: Rig) -> None:
    tester, dut = _ports(live_rig, AfPacketConfig())
    link = live_rig.by_dut_port(0)
    with tester, dut:
        dut.start_capture()
        result = tester.send(_frames(1000, link.dut_mac, link.tester_mac), rate_pps=200_000)
        got = dut.stop_capture()
    stamps = [ts for ts, _ in got]
    assert len(stamps) == 1000
    assert all(a <= b for a, b in zip(stamps, stamps[1:]))
    assert len({ts % 1000 for ts in stamps}) > 100, "sub-µs digits must vary: ns, not µs"
    assert stamps[0] >= result.first_tx_ns  # the kernel stamps after we hand it over


def test_threaded_ring_capture_and_kernel_counters(live_rig: Rig) -> None:
    cfg = AfPacketConfig(rx_threaded=True, rx_retire_ms=4)
    tester, dut = _ports(live_rig, cfg)
    link = live_rig.by_dut_port(0)
    with tester, dut:
        dut.start_capture()
        tester.send(_frames(20_000, link.dut_mac, link.tester_mac))
        got = dut.stop_capture()
        stats = dut.stats()
    assert stats.kernel_packets == 20_000
    assert stats.kernel_drops is not None and stats.kernel_freeze_q is not None
    assert len(got) + stats.kernel_drops == 20_000


def test_statistics_are_8_bytes_on_v1_sockets_and_12_on_v3(live_rig: Rig) -> None:
    link = live_rig.by_dut_port(0)
    cap = call_in_netns(live_rig.dut_ns, lambda: RingCapture(link.dut_iface, ring_bytes=4 << 20))
    stats_v3 = read_statistics(cap._sock, v3=True)  # noqa: SLF001 - the raw socket is the point
    assert stats_v3.freeze_q is not None
    cap.stop()
    tester, dut = _ports(live_rig, AfPacketConfig(rx_mode=RxMode.RECV))
    with tester, dut:
        dut.start_capture()
        tester.send(_frames(10, link.dut_mac, link.tester_mac))
        assert len(dut.stop_capture()) == 10
        assert dut.stats().kernel_packets == 10 and dut.stats().kernel_freeze_q is None


def test_capture_ignores_the_ports_own_transmissions(live_rig: Rig) -> None:
    tester, dut = _ports(live_rig, AfPacketConfig())
    link = live_rig.by_dut_port(0)
    with tester, dut:
        tester.start_capture()
        dut.start_capture()
        tester.send(_frames(50, link.dut_mac, link.tester_mac))
        assert tester.stop_capture() == []
        assert len(dut.stop_capture()) == 50


def test_live_rate_limit_holds_frames_back(live_rig: Rig) -> None:
    tester, dut = _ports(live_rig, AfPacketConfig())
    link = live_rig.by_dut_port(0)
    with tester, dut:
        dut.start_capture()
        start = time.monotonic()
        result = tester.send(_frames(200, link.dut_mac, link.tester_mac), rate_pps=1000)
        took = time.monotonic() - start
        got = dut.stop_capture()
    assert result.frames_sent == len(got) == 200
    assert took >= 0.150
    assert got[-1][0] - got[0][0] >= 150_000_000  # kernel RX stamps spread as well


def test_oversized_frame_is_refused_with_its_index(live_rig: Rig) -> None:
    link = live_rig.by_dut_port(0)
    for mode in TxMode:
        with AfPacketPort(link.tester_iface, netns=live_rig.tester_ns, config=AfPacketConfig(tx_mode=mode)) as p:
            with pytest.raises(PortError, match="frame 1"):
                p.send([bytes(64), bytes(9000)])


def test_missing_interface_is_a_port_error(live_rig: Rig) -> None:
    with pytest.raises(PortError, match="ipxh-nope"):
        AfPacketPort("ipxh-nope", netns=live_rig.tester_ns)


@pytest.mark.skipif(not tcpreplay.available(), reason="needs tcpreplay")
def test_tcpreplay_sends_and_reports_counts(live_rig: Rig) -> None:
    link = live_rig.by_dut_port(0)
    frames = _frames(2000, link.dut_mac, link.tester_mac)
    with AfPacketPort(link.dut_iface, netns=live_rig.dut_ns) as dut:
        dut.start_capture()
        result = tcpreplay.replay_frames(live_rig.tester_ns, link.tester_iface, frames)
        got = dut.stop_capture()
    assert result.packets == result.successful == 2000 and result.failed == 0
    assert result.bytes == sum(map(len, frames))
    assert [f for _, f in got] == frames


def test_tcpreplay_output_parser() -> None:
    text = ("Actual: 100000 packets (6400000 bytes) sent in 0.087 seconds\n"
            "Rated: 73563218.3 Bps, 588.50 Mbps, 1149425.28 pps\n"
            "\tSuccessful packets:        99990\n\tFailed packets:            10\n")
    parsed = tcpreplay.parse_output(text)
    assert parsed is not None
    assert (parsed.packets, parsed.bytes, parsed.successful, parsed.failed) == (100000, 6400000, 99990, 10)
    assert parsed.pps == pytest.approx(1149425.28)
    assert tcpreplay.parse_output("Fatal Error") is None
