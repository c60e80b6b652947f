"""Ring captures on a live rig (root): full-speed bursts with zero kernel drops in both capture
modes, kernel stamps kept, the pending-frame bound, take() while a threaded capture runs."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.io import StopReason
from harness.io.afpacket import AfPacketConfig, AfPacketPort
from harness.io.capture import RingCapture
from harness.topo import Rig, call_in_netns, require_netns, rig

pytestmark = pytest.mark.live

# LiveTester's capture (harness/dut/live_tester.py CAPTURE_CONFIG): threaded, 4 ms retire, 32 MiB
THREADED = AfPacketConfig(rx_threaded=True, rx_retire_ms=4, rx_ring_bytes=32 << 20)
DRAIN_ON_STOP = AfPacketConfig()


@pytest.fixture(scope="module")
def live_rig() -> Iterator[Rig]:
    require_netns()
    with rig() as r:
        yield r


def _frames(r: Rig, n: int) -> list[bytes]:
    link = r.by_dut_port(0)
    head = bytes.fromhex(link.dut_mac.replace(":", "") + link.tester_mac.replace(":", "")) + b"\x88\xb5"
    return [head + i.to_bytes(4, "big") + bytes(42) for i in range(n)]


@pytest.mark.parametrize("cfg", [THREADED, DRAIN_ON_STOP], ids=["threaded", "drain-on-stop"])
def test_full_speed_100k_burst_is_captured_whole(live_rig: Rig, cfg: AfPacketConfig) -> None:
    link = live_rig.by_dut_port(0)
    frames = _frames(live_rig, 100_000)
    with AfPacketPort(link.tester_iface, netns=live_rig.tester_ns) as tx, \
            AfPacketPort(link.dut_iface, netns=live_rig.dut_ns, config=cfg) as rx:
        rx.start_capture()
        result = tx.send(frames)
        got = rx.stop_capture()
        stats = rx.stats()
    assert result.stop is StopReason.COMPLETE
    assert stats.kernel_drops == 0 and stats.kernel_packets == 100_000
    assert [f for _, f in got] == frames
    stamps = [ts for ts, _ in got]
    assert all(a <= b for a, b in zip(stamps, stamps[1:]))
    assert result.first_tx_ns is not None and stamps[0] >= result.first_tx_ns


def test_take_while_threaded_capture_runs_then_stop_gets_the_rest(live_rig: Rig) -> None:
    link = live_rig.by_dut_port(0)
    frames = _frames(live_rig, 6000)
    with AfPacketPort(link.tester_iface, netns=live_rig.tester_ns) as tx, \
            AfPacketPort(link.dut_iface, netns=live_rig.dut_ns, config=THREADED) as rx:
        rx.start_capture()
        tx.send(frames[:3000])
        first = rx.take_captured()
        tx.send(frames[3000:])
        rest = rx.stop_capture()
    assert [f for _, f in first + rest] == frames


def test_pending_frames_are_bounded_by_whole_blocks(live_rig: Rig) -> None:
    link = live_rig.by_dut_port(0)
    frames = _frames(live_rig, 2000)
    block = 8192  # a few dozen 64-byte frames per block
    cap = call_in_netns(live_rig.dut_ns, lambda: RingCapture(link.dut_iface, ring_bytes=1 << 20,
                                                              block_size=block, retire_ms=4, max_frames=500))
    with AfPacketPort(link.tester_iface, netns=live_rig.tester_ns) as tx:
        tx.send(frames)
        got, stats = cap.stop()
    assert 500 <= len(got) < 500 + block // 80
    assert [f for _, f in got] == frames[: len(got)]
    assert stats.packets == 2000
