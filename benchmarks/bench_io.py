"""Packet I/O speed on one veth pair, every row measured in the same run (needs root).

Senders: ours (``AfPacketPort``: sendmmsg() per burst — the default —, ``send()`` per frame,
the TPACKET_V2 TX ring) and ``tcpreplay --topspeed -K``, on the same 64-byte frames (tcpreplay
from a pcap of them), from the same tester interface to the same peer. Each sender runs under
the same peer setups: no capture; the port's default capture (TPACKET_V3 ring drained on
stop); the capture ``LiveTester`` runs while the harness sends
(``harness.dut.live_tester.CAPTURE_CONFIG``: a thread copies retired blocks while the sender
runs — in our process, so it is the one that can compete with our sender for the interpreter,
which tcpreplay, a separate process, never does); and the same with a thread splitting the
captured frames out every 4 ms during the send, as the capture did before the fix (the cause
of the old 0.70x, shown in the same run). Repetitions alternate the senders' order
(forward, then reverse); the ratio vs tcpreplay is taken per repetition and its median
reported, with the median pps. CPU µs/frame: our sending thread (RUSAGE_THREAD), tcpreplay's
whole process (RUSAGE_CHILDREN, including its start and pcap preload). Captured/drops: the
fewest frames any repetition captured and the most kernel drops (must be 0). Also scapy
``sendp`` on 2 k frames and one-way latency (TX time just before ``send()`` → kernel RX stamp).
Bounded: every send has a duration limit and tcpreplay a timeout.

    sudo .venv/bin/python benchmarks/bench_io.py [--frames 100000] [--trials 7]
"""
from __future__ import annotations

import argparse
import dataclasses
import resource
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.dut.live_tester import CAPTURE_CONFIG  # noqa: E402
from harness.io import tcpreplay  # noqa: E402
from harness.io.afpacket import AfPacketConfig, AfPacketPort, RxMode, TxMode  # noqa: E402
from harness.io.pcap import write_pcap  # noqa: E402
from harness.topo import Link, Rig, call_in_netns, rig  # noqa: E402
from harness.topo.require import netns_missing  # noqa: E402

SEND_LIMIT_S = 20.0
TCPREPLAY = "tcpreplay --topspeed -K"
OURS = "ours sendmmsg() (default)"
PARSE_EVERY_S = 0.004  # the pre-fix walker woke on every 4 ms block retire


@dataclasses.dataclass(frozen=True)
class PeerSetup:
    """The capture on the peer during a send; ``parse_while_sending`` adds a thread in this
    process splitting captured frames out while the sender runs (what the V3 capture did
    before it copied whole blocks and split them only on request)."""

    capture: AfPacketConfig | None
    parse_while_sending: bool = False


PEERS = {
    "no capture": PeerSetup(None),
    "drain-on-stop capture": PeerSetup(AfPacketConfig()),
    "LiveTester capture (threaded)": PeerSetup(CAPTURE_CONFIG),
    "LiveTester capture + frames split while sending (pre-fix)": PeerSetup(CAPTURE_CONFIG, True),
}
Send = Callable[[], tuple[int, float, float]]
"""One send: (frames sent, seconds sending, sender CPU seconds)."""


@dataclasses.dataclass(frozen=True)
class Trial:
    """One timed send with the peer's capture outcome."""

    pps: float
    cpu_s: float
    frames: int
    captured: int
    drops: int


def frames_64(link: Link, n: int) -> list[bytes]:
    """n distinct 64-byte frames (60 + FCS on the wire) tester → DUT, ethertype 0x88b5 (local exp.)."""
    head = bytes.fromhex(link.dut_mac.replace(":", "") + link.tester_mac.replace(":", "")) + b"\x88\xb5"
    return [head + i.to_bytes(4, "big") + bytes(42) for i in range(n)]


def _splitter(port: AfPacketPort, done: threading.Event, into: list[int]) -> threading.Thread:
    def loop() -> None:
        deadline = time.monotonic() + SEND_LIMIT_S
        while not done.wait(PARSE_EVERY_S) and time.monotonic() < deadline:
            into.append(len(port.take_captured()))

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    return thread


def run_trial(r: Rig, send: Send, peer: PeerSetup) -> Trial:
    """One timed send with ``peer``'s capture running on the other end of the veth pair."""
    link = r.links[0]
    dut = AfPacketPort(link.dut_iface, netns=r.dut_ns, config=peer.capture) if peer.capture else None
    done, split = threading.Event(), [0]
    try:
        if dut:
            dut.start_capture()
        thread = _splitter(dut, done, split) if dut and peer.parse_while_sending else None
        sent, seconds, cpu = send()
        done.set()
        if thread:
            thread.join()
        got = sum(split) + (len(dut.stop_capture()) if dut else 0)
        drops = (dut.stats().kernel_drops or 0) if dut else 0
    finally:
        done.set()
        if dut:
            dut.close()
    return Trial(sent / seconds, cpu, sent, got, drops)


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def our_sender(r: Rig, mode: TxMode, frames: list[bytes]) -> Send:
    link = r.links[0]

    def send() -> tuple[int, float, float]:
        with AfPacketPort(link.tester_iface, netns=r.tester_ns, config=AfPacketConfig(tx_mode=mode)) as p:
            cpu0 = _cpu(resource.RUSAGE_THREAD)
            res = p.send(frames, duration_limit_s=SEND_LIMIT_S)
            cpu = _cpu(resource.RUSAGE_THREAD) - cpu0
        return res.frames_sent, res.elapsed_ns / 1e9, cpu

    return send


def tcpreplay_sender(r: Rig, pcap: Path) -> Send:
    link = r.links[0]

    def send() -> tuple[int, float, float]:
        cpu0 = _cpu(resource.RUSAGE_CHILDREN)
        res = tcpreplay.replay_pcap(r.tester_ns, link.tester_iface, pcap, timeout_s=60)
        return res.successful, res.elapsed_s, _cpu(resource.RUSAGE_CHILDREN) - cpu0

    return send


def scapy_sender(r: Rig, frames: list[bytes]) -> Send:
    link = r.links[0]

    def send() -> tuple[int, float, float]:
        from scapy.all import Ether, conf, sendp  # noqa: PLC0415 - heavy import, only here

        def inside() -> tuple[int, float, float]:
            sock = conf.L2socket(iface=link.tester_iface)
            pkts = [Ether(f) for f in frames]
            cpu0, t0 = _cpu(resource.RUSAGE_THREAD), time.perf_counter()
            sendp(pkts, socket=sock, verbose=False)
            took, cpu = time.perf_counter() - t0, _cpu(resource.RUSAGE_THREAD) - cpu0
            sock.close()
            return len(pkts), took, cpu

        return call_in_netns(r.tester_ns, inside)

    return send


def alternate(r: Rig, senders: dict[str, Send], peer: PeerSetup, trials: int) -> list[dict[str, Trial]]:
    """``trials`` repetitions of every sender, order forward then reverse, so drift hits all alike."""
    reps = []
    for rep in range(trials):
        order = list(senders) if rep % 2 == 0 else list(senders)[::-1]
        reps.append({name: run_trial(r, senders[name], peer) for name in order})
    return reps


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
    ap.add_argument("--trials", type=int, default=7)
    ap.add_argument("--scapy-frames", type=int, default=2_000)
    args = ap.parse_args()
    if reason := netns_missing():
        print(f"bench_io: skipped: {reason}")
        return 0
    if not tcpreplay.available():
        print("bench_io: skipped: tcpreplay is not installed (it is the baseline)")
        return 0
    with rig() as r, tempfile.TemporaryDirectory(prefix="ipxh-bench-") as tmp:
        frames = frames_64(r.links[0], args.frames)
        pcap = Path(tmp) / "64.pcap"
        write_pcap(pcap, ((i, f) for i, f in enumerate(frames)))
        senders = {
            OURS: our_sender(r, TxMode.SENDMMSG, frames),
            "ours send()": our_sender(r, TxMode.SEND, frames),
            "ours TX ring (V2)": our_sender(r, TxMode.RING, frames),
            TCPREPLAY: tcpreplay_sender(r, pcap),
        }
        runs = {label: alternate(r, senders, peer, args.trials) for label, peer in PEERS.items()}
        scapy = run_trial(r, scapy_sender(r, frames[: args.scapy_frames]), PEERS["no capture"])
        lat_ring = latency_ns(r, RxMode.RING, 2000)
        lat_recv = latency_ns(r, RxMode.RECV, 2000)
    report(runs, scapy, args.frames, lat_ring, lat_recv)
    return 0


def report(runs: dict[str, list[dict[str, Trial]]], scapy: Trial, n: int,
           lat_ring: list[int], lat_recv: list[int]) -> None:
    trials = len(next(iter(runs.values())))
    print(f"\n64-byte frames, {n} per send, {trials} alternating repetitions; pps: median; ratio: median "
          f"[min-max] of per-repetition ratios vs tcpreplay\n")
    print(f"{'peer / sender':52} {'pps':>11} {'ratio':>18} {'CPU µs/f':>9} {'captured':>9} {'drops':>6}")
    for label, reps in runs.items():
        print(label)
        for name in reps[0]:
            ratios = [rep[name].pps / rep[TCPREPLAY].pps for rep in reps]
            pps = statistics.median(rep[name].pps for rep in reps)
            cpu = statistics.median(rep[name].cpu_s / rep[name].frames * 1e6 for rep in reps)
            ratio = f"{statistics.median(ratios):.2f} [{min(ratios):.2f}-{max(ratios):.2f}]"
            cap = "-" if label == "no capture" else str(min(rep[name].captured for rep in reps))
            drops = "-" if label == "no capture" else str(max(rep[name].drops for rep in reps))
            print(f"  {name:50} {pps:11,.0f} {ratio:>18} {cpu:9.2f} {cap:>9} {drops:>6}")
    print(f"{'scapy sendp (L2socket reused), no capture':52} {scapy.pps:11,.0f} {'':>18} "
          f"{scapy.cpu_s / scapy.frames * 1e6:9.2f}")
    for label, lat in (("V3 ring", lat_ring), ("SO_TIMESTAMPNS", lat_recv)):
        if lat:
            print(f"\none-way latency, send() → kernel RX stamp ({label}), {len(lat)} frames: "
                  f"median {pct(lat, 0.5):.2f} µs, p99 {pct(lat, 0.99):.2f} µs, min {lat[0] / 1000:.2f} µs")


if __name__ == "__main__":
    sys.exit(main())
