"""Packet I/O speed on one veth pair, all rows measured in the same run (needs root).

Rows: our AF_PACKET sender (sendmmsg() per 128-frame burst, ``send()`` per frame, and the TPACKET_V2 TX ring) against
``tcpreplay --topspeed -K`` in 64-byte frames/s, each with and without a TPACKET_V3 capture
on the peer; capture completeness for 100 k-frame bursts at full speed (kernel drops must be
0); one-way latency from the TX time taken just before ``send()`` to the kernel RX stamp
(ring and SO_TIMESTAMPNS); scapy ``sendp`` on 2 k frames for reference. Ratios are against
tcpreplay in the same run. Bounded: every send has a duration limit, trials are few.

    sudo .venv/bin/python benchmarks/bench_io.py [--frames 100000] [--trials 3]
"""
from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.io import tcpreplay  # noqa: E402
from harness.io.afpacket import AfPacketConfig, AfPacketPort, RxMode, TxMode  # noqa: E402
from harness.topo import Link, Rig, call_in_netns, rig  # noqa: E402
from harness.topo.require import netns_missing  # noqa: E402

SEND_LIMIT_S = 20.0


def frames_64(link: Link, n: int) -> list[bytes]:
    """n distinct 64-byte frames (60 + FCS on the wire) tester → DUT, ethertype 0x88b5 (local exp.)."""
    head = bytes.fromhex(link.dut_mac.replace(":", "") + link.tester_mac.replace(":", "")) + b"\x88\xb5"
    return [head + i.to_bytes(4, "big") + bytes(42) for i in range(n)]


def run_trial(r: Rig, send: Callable[[], tuple[int, float]], capture: bool) -> tuple[float, int, int]:
    """One timed send; returns (sender pps, frames captured, kernel drops) — capture optional."""
    link = r.links[0]
    dut = AfPacketPort(link.dut_iface, netns=r.dut_ns) if capture else None
    try:
        if dut:
            dut.start_capture()
        sent, seconds = send()
        got = len(dut.stop_capture()) if dut else 0
        drops = dut.stats().kernel_drops or 0 if dut else 0
    finally:
        if dut:
            dut.close()
    return sent / seconds, got, drops


def our_sender(r: Rig, mode: TxMode, frames: list[bytes]) -> Callable[[], tuple[int, float]]:
    link = r.links[0]

    def send() -> tuple[int, float]:
        with AfPacketPort(link.tester_iface, netns=r.tester_ns, config=AfPacketConfig(tx_mode=mode)) as p:
            res = p.send(frames, duration_limit_s=SEND_LIMIT_S)
        return res.frames_sent, res.elapsed_ns / 1e9

    return send


def tcpreplay_sender(r: Rig, pcap: Path) -> Callable[[], tuple[int, float]]:
    link = r.links[0]

    def send() -> tuple[int, float]:
        res = tcpreplay.replay_pcap(r.tester_ns, link.tester_iface, pcap, timeout_s=60)
        return res.successful, res.elapsed_s

    return send


def scapy_sender(r: Rig, frames: list[bytes]) -> Callable[[], tuple[int, float]]:
    link = r.links[0]

    def send() -> tuple[int, float]:
        import time

        from scapy.all import Ether, conf, sendp  # noqa: PLC0415 - heavy import, only here

        def inside() -> tuple[int, float]:
            sock = conf.L2socket(iface=link.tester_iface)
            pkts = [Ether(f) for f in frames]
            t0 = time.perf_counter()
            sendp(pkts, socket=sock, verbose=False)
            took = time.perf_counter() - t0
            sock.close()
            return len(pkts), took

        return call_in_netns(r.tester_ns, inside)

    return send


def latency_ns(r: Rig, rx_mode: RxMode, n: int) -> list[int]:
    """One frame per burst at 10 kpps; latency = kernel RX stamp - time taken before send()."""
    link = r.links[0]
    frames = frames_64(link, n)
    cfg = AfPacketConfig(burst=1, rx_mode=rx_mode)
    with AfPacketPort(link.tester_iface, netns=r.tester_ns, config=cfg) as tx, \
            AfPacketPort(link.dut_iface, netns=r.dut_ns, config=cfg) as rx:
        rx.start_capture()
        res = tx.send(frames, rate_pps=10_000, duration_limit_s=SEND_LIMIT_S)
        got = rx.stop_capture()
    sent_at = {frames[i]: ts for i, ts in res.bursts}
    return sorted(ts - sent_at[f] for ts, f in got if f in sent_at)


def pct(values: list[int], q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))] / 1000


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--frames", type=int, default=100_000)
    ap.add_argument("--trials", type=int, default=3)
    ap.add_argument("--scapy-frames", type=int, default=2_000)
    args = ap.parse_args()
    if reason := netns_missing():
        print(f"bench_io: skipped: {reason}")
        return 0
    with rig() as r:
        frames = frames_64(r.links[0], args.frames)
        rows: dict[str, tuple[float, int, int]] = {}
        senders: dict[str, Callable[[], tuple[int, float]]] = {
            "ours sendmmsg() (default)": our_sender(r, TxMode.SENDMMSG, frames),
            "ours send()": our_sender(r, TxMode.SEND, frames),
            "ours TX ring (V2)": our_sender(r, TxMode.RING, frames),
        }
        import tempfile

        with tempfile.TemporaryDirectory(prefix="ipxh-bench-") as tmp:
            if tcpreplay.available():
                pcap = Path(tmp) / "64.pcap"
                from harness.io.pcap import write_pcap

                write_pcap(pcap, ((i, f) for i, f in enumerate(frames)))
                senders["tcpreplay --topspeed -K"] = tcpreplay_sender(r, pcap)
            for capture in (False, True):
                # interleave senders inside each trial so drift hits all alike
                results: dict[str, list[tuple[float, int, int]]] = {k: [] for k in senders}
                for _ in range(args.trials):
                    for name, send in senders.items():
                        results[name].append(run_trial(r, send, capture))
                for name, trials in results.items():
                    med = statistics.median(t[0] for t in trials)
                    worst_drops = max(t[2] for t in trials)
                    min_got = min(t[1] for t in trials)
                    rows[f"{name}{' + V3 capture' if capture else ''}"] = (med, min_got, worst_drops)
        scapy_frames = frames[: args.scapy_frames]
        rows["scapy sendp (L2socket reused)"] = run_trial(r, scapy_sender(r, scapy_frames), False)
        lat_ring = latency_ns(r, RxMode.RING, 2000)
        lat_recv = latency_ns(r, RxMode.RECV, 2000)
    report(rows, args.frames, lat_ring, lat_recv)
    return 0


def report(rows: dict[str, tuple[float, int, int]], n: int, lat_ring: list[int], lat_recv: list[int]) -> None:
    base = {c: rows.get(f"tcpreplay --topspeed -K{c}") for c in ("", " + V3 capture")}
    print(f"\n64-byte frames, {n} per trial, median of trials; ratio vs tcpreplay in the same mode\n")
    print(f"{'sender':44} {'pps':>12} {'ratio':>7} {'captured':>9} {'kern drops':>10}")
    for name, (pps, got, drops) in rows.items():
        ref = base[" + V3 capture" if "capture" in name else ""]
        ratio = f"{pps / ref[0]:.2f}" if ref else "n/a"
        cap = f"{got}" if "capture" in name else "-"
        drop = f"{drops}" if "capture" in name else "-"
        print(f"{name:44} {pps:12,.0f} {ratio:>7} {cap:>9} {drop:>10}")
    for label, lat in (("V3 ring", lat_ring), ("SO_TIMESTAMPNS", lat_recv)):
        if lat:
            print(f"\none-way latency, send() → kernel RX stamp ({label}), {len(lat)} frames: "
                  f"median {pct(lat, 0.5):.2f} µs, p99 {pct(lat, 0.99):.2f} µs, min {lat[0] / 1000:.2f} µs")


if __name__ == "__main__":
    sys.exit(main())
