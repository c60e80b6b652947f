"""``gateway-ref live`` receive paths (root): TPACKET_V2 ring (default), TPACKET_V3 ring,
recv(), with busy polling and small bursts, and a V2 ring small enough to wrap many times.
Output is checked with scapy's SecurityAssociation, never with gateway_ref's ESP code."""
from __future__ import annotations

import argparse
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from scapy.layers.inet import IP
from scapy.layers.ipsec import ESP
from scapy.layers.l2 import Ether

from gateway_ref.run.afpacket_rx import RingGeometry, RxMode, v2_frame_size
from gateway_ref.run.live_cli import LiveUsageError, add_live_parser, options_from_args
from harness.io.afpacket import AfPacketPort
from harness.topo import Rig, require_netns, rig
from tests.gateway_ref.run.test_live_gateway import (GW_OUTER, KEY_OUT, PEER_OUTER, LiveGateway, _exchange, _plain,
                                                     peer_sa)


def _parse(*argv: str) -> argparse.Namespace:
    ap = argparse.ArgumentParser()
    add_live_parser(ap.add_subparsers())
    return ap.parse_args(["live", "-f", "x.cfg", "--port", "0=ipxh-a", *argv])


def test_v2_slot_fits_the_mtu() -> None:
    assert v2_frame_size(1500) == 2048
    assert v2_frame_size(2000) == 4096
    assert v2_frame_size(9000) == 16384


def test_flags_reach_the_options() -> None:
    opts = options_from_args(_parse("--rx-mode", "v3", "--rx-retire-ms", "3", "--burst", "64", "--busy-poll", "50"))
    assert opts.ring.mode is RxMode.V3 and opts.ring.retire_ms == 3
    assert (opts.burst, opts.busy_poll_us) == (64, 50)
    default = options_from_args(_parse())
    assert default.ring.mode is RxMode.V2 and default.busy_poll_us == 0


@pytest.mark.parametrize(("argv", "message"), [
    (("--burst", "0"), "--burst 0"),
    (("--busy-poll", "-1"), "--busy-poll -1"),
    (("--rx-retire-ms", "0"), "--rx-retire-ms 0"),
])
def test_bad_flags_name_themselves(argv: tuple[str, ...], message: str) -> None:
    with pytest.raises(LiveUsageError, match=message):
        options_from_args(_parse(*argv))


def test_geometry_rejects_a_bad_block_size() -> None:
    with pytest.raises(ValueError, match="block_size 1000"):
        RingGeometry(block_size=1000)


@pytest.fixture(scope="module")
def live_rig() -> Iterator[Rig]:
    require_netns()
    with rig() as r:
        yield r


def _check_encrypted(r: Rig, out: list[bytes], clear: list[IP]) -> None:
    sa = peer_sa(1001, KEY_OUT, GW_OUTER, PEER_OUTER)
    assert len(out) == len(clear)
    for i, (frame, sent) in enumerate(zip(out, clear)):
        eth = Ether(frame)
        assert eth[ESP].seq == i + 1
        assert bytes(sa.decrypt(eth[IP].copy())) == bytes(sent)


@pytest.mark.live
@pytest.mark.parametrize("argv", [
    ("--rx-mode", "v2"),
    ("--rx-mode", "v3", "--rx-retire-ms", "2"),
    ("--rx-mode", "recv"),
    ("--rx-mode", "v2", "--busy-poll", "300", "--burst", "7"),
], ids=["v2", "v3", "recv", "v2-busy-burst7"])
def test_every_rx_mode_forwards_in_order(live_rig: Rig, tmp_path: Path, argv: tuple[str, ...]) -> None:
    gw = LiveGateway(live_rig, tmp_path, *argv)
    try:
        p1 = live_rig.by_dut_port(1)
        clear = _plain(live_rig, 40)
        frames = [bytes(Ether(src=p1.tester_mac, dst=p1.dut_mac) / pkt) for pkt in clear]
        out = _exchange(live_rig, 1, frames, 0, len(clear))
    finally:
        code, _out, err = gw.stop()
    assert code == 0, err
    _check_encrypted(live_rig, out, clear)
    counters = json.loads(gw.counters.read_text())
    assert counters["rx"] == 40 and counters["kernel"]["1"]["packets"] == 40
    assert counters["live"]["1"]["rx_truncated"] == 0


def _drain_capture(rx: AfPacketPort) -> list[tuple[int, bytes]]:
    """Take captured frames until none came for 0.3 s (at most 5 s)."""
    got: list[tuple[int, bytes]] = []
    quiet = time.monotonic()
    end = quiet + 5
    while time.monotonic() - quiet < 0.3 and time.monotonic() < end:
        more = rx.take_captured()
        if more:
            got += more
            quiet = time.monotonic()
        time.sleep(0.02)
    return got + rx.stop_capture()


@pytest.mark.live
def test_small_v2_ring_wraps_without_losing_order(live_rig: Rig, tmp_path: Path) -> None:
    """A 1 MiB V2 ring has 512 slots; 3000 frames paced at 20 k pps wrap it about six times.
    Every frame is either forwarded or a kernel drop, and ESP sequence numbers stay in order."""
    gw = LiveGateway(live_rig, tmp_path, "--rx-ring-mb", "1")
    p0, p1 = live_rig.by_dut_port(0), live_rig.by_dut_port(1)
    clear = _plain(live_rig, 3000)
    frames = [bytes(Ether(src=p1.tester_mac, dst=p1.dut_mac) / pkt) for pkt in clear]
    try:
        with AfPacketPort(p1.tester_iface, netns=live_rig.tester_ns) as tx, \
                AfPacketPort(p0.tester_iface, netns=live_rig.tester_ns) as rx:
            rx.start_capture()
            tx.send(frames, rate_pps=20_000, duration_limit_s=10)
            got = [Ether(f) for _, f in _drain_capture(rx)]
    finally:
        code, _out, err = gw.stop()
    assert code == 0, err
    counters = json.loads(gw.counters.read_text())
    assert counters["kernel"]["1"]["packets"] == len(frames)
    assert counters["rx"] + counters["kernel"]["1"]["drops"] + counters["live"]["1"]["rx_ring_holes"] == len(frames)
    assert len(got) == counters["tx"] == counters["rx"] > 512
    seqs = [e[ESP].seq for e in got]
    assert seqs == list(range(1, len(got) + 1))


@pytest.mark.live
def test_after_an_overload_small_bursts_still_get_through(live_rig: Rig, tmp_path: Path) -> None:
    """Unpaced bursts of 20 000 frames into a 512-slot V2 ring (no-offload SAs: the lookaside
    path, where the kernel was seen to skip a slot and leave the reader waiting at it for a
    whole lap), each followed by 20 paced frames that must all come through. Every frame the
    kernel counted is forwarded, a kernel drop or a ring hole."""
    gw = LiveGateway(live_rig, tmp_path, "--rx-ring-mb", "1")
    p0, p1 = live_rig.by_dut_port(0), live_rig.by_dut_port(1)
    frames = [bytes(Ether(src=p1.tester_mac, dst=p1.dut_mac) / pkt) for pkt in _plain(live_rig, 100)]
    big, small = [frames[i % 100] for i in range(20_000)], frames[:20]
    after_overload = []
    try:
        with AfPacketPort(p1.tester_iface, netns=live_rig.tester_ns) as tx, \
                AfPacketPort(p0.tester_iface, netns=live_rig.tester_ns) as rx:
            for _ in range(3):
                rx.start_capture()
                tx.send(big, duration_limit_s=10)
                _drain_capture(rx)
                rx.start_capture()
                tx.send(small, rate_pps=1_000, duration_limit_s=10)
                after_overload.append(len(_drain_capture(rx)))
    finally:
        code, _out, err = gw.stop()
    assert code == 0, err
    assert after_overload == [20, 20, 20]
    counters = json.loads(gw.counters.read_text())
    sent = 3 * (len(big) + len(small))
    assert counters["kernel"]["1"]["packets"] == sent
    assert counters["rx"] + counters["kernel"]["1"]["drops"] + counters["live"]["1"]["rx_ring_holes"] == sent
    assert counters["tx"] == counters["rx"]
