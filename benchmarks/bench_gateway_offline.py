"""Offline forwarding speed of the reference gateway, against a scapy encrypt-and-forward loop.

    .venv/bin/python benchmarks/bench_gateway_offline.py [--packets N] [--scapy-packets M] [--repeat R] [--profile]

For AES-128-GCM and AES-128-CBC + HMAC-SHA256-128 IPv4 tunnels, inner IPv4 packets of 64, 512
and 1400 bytes, outbound (clear in on the protected port, ESP out) and inbound (ESP in, clear
out), per placement (cpu-crypto, no-offload through the lookaside thread, inline-crypto,
inline-protocol, and cpu-crypto with the fast paths off: every packet through the graph, the
previous approach): packets/s of wall time and CPU microseconds per packet (time.process_time,
so the lookaside worker's CPU counts too). The baseline, timed in the same run on fewer
packets: scapy parses the frame (Ether/IP), SecurityAssociation.encrypt, bytes(). Ratios are
against that baseline; targets: >= 300 k packets/s (<= 3.3 us CPU per packet) for 64-byte
AES-128-GCM outbound with cpu-crypto, <= 4 us inbound, and >= 200x the scapy loop. The machine is
shared and its speed moves: each row keeps its least-CPU run of ``--repeat`` and reports it also
in "AES units" (CPU per packet / one bare 64-byte AESGCM.encrypt call measured between the runs).
Addresses: 198.18.0.0/15 only.
"""
from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scapy.layers.inet import IP, UDP  # noqa: E402
from scapy.layers.ipsec import ESP, SecurityAssociation  # noqa: E402
from scapy.layers.l2 import Ether  # noqa: E402

from gateway_ref.gateway import Gateway  # noqa: E402

GW, PEER = "198.18.255.1", "198.19.255.1"
GCM_KEY = ":".join(f"{b:02x}" for b in range(0x10, 0x24))
CBC_KEY = ":".join(f"{b:02x}" for b in range(0x30, 0x40))
HMAC_KEY = ":".join(f"{b:02x}" for b in range(0x40, 0x60))
ALGOS = {
    "aes128gcm": f"aead_algo aes-128-gcm aead_key {GCM_KEY}",
    "aes128cbc-sha256": f"cipher_algo aes-128-cbc cipher_key {CBC_KEY} auth_algo sha256-hmac auth_key {HMAC_KEY}",
}
PLACEMENTS = {
    "cpu-crypto": "type cpu-crypto",
    "lookaside": "type no-offload",
    "inline-crypto": "type inline-crypto-offload port_id 0",
    "inline-protocol": "type inline-protocol-offload port_id 0",
    "cpu/graph-only": "type cpu-crypto",  # the previous approach: every packet through the graph
}
GRAPH_ONLY = "cpu/graph-only"  # Gateway(fast_path=False): the baseline of the fast paths
SIZES = (64, 512, 1400)
ANY = "sport 0:65535 dport 0:65535"
BURST = 32


def gateway_cfg(algo: str, sa_type: str) -> str:
    """Our side: protected port 1 (198.18.1.0/24), unprotected port 0 (198.19.1.0/24)."""
    return (f"sp ipv4 out esp protect 1001 pri 1 src 198.18.1.0/24 dst 198.19.1.0/24 {ANY}\n"
            f"sp ipv4 in esp protect 2001 pri 1 src 198.19.1.0/24 dst 198.18.1.0/24 {ANY}\n"
            f"sa out 1001 {ALGOS[algo]} mode ipv4-tunnel src {GW} dst {PEER} {sa_type}\n"
            f"sa in 2001 {ALGOS[algo]} mode ipv4-tunnel src {PEER} dst {GW} {sa_type}\n"
            "rt ipv4 dst 198.19.0.0/16 port 0\nrt ipv4 dst 198.18.0.0/16 port 1\n")


def peer_cfg(algo: str) -> str:
    """The mirror image, used only to produce the inbound ESP (its out SA is our in SA)."""
    return (f"sp ipv4 out esp protect 2001 pri 1 src 198.19.1.0/24 dst 198.18.1.0/24 {ANY}\n"
            f"sp ipv4 in esp protect 1001 pri 1 src 198.18.1.0/24 dst 198.19.1.0/24 {ANY}\n"
            f"sa out 2001 {ALGOS[algo]} mode ipv4-tunnel src {PEER} dst {GW} type cpu-crypto\n"
            f"sa in 1001 {ALGOS[algo]} mode ipv4-tunnel src {GW} dst {PEER} type cpu-crypto\n"
            "rt ipv4 dst 198.18.0.0/16 port 0\nrt ipv4 dst 198.19.0.0/16 port 1\n")


def clear_frames(n: int, size: int, src: str, dst: str) -> list[bytes]:
    """n UDP frames whose IPv4 packet is ``size`` bytes, varying source port."""
    pay = b"\xab" * (size - 28)
    return [bytes(Ether(src="02:00:00:00:01:01", dst="02:00:00:00:00:a1") / IP(src=src, dst=dst)
                  / UDP(sport=1024 + i % 50000, dport=9) / pay) for i in range(min(n, 256))] * (n // min(n, 256) + 1)


def inbound_frames(algo: str, n: int, size: int) -> list[bytes]:
    clear = clear_frames(n, size, "198.19.1.5", "198.18.1.7")[:n]
    with Gateway.from_cfg_text(peer_cfg(algo), "peer.cfg") as peer:
        out: list[bytes] = []
        for i in range(0, n, 256):
            out.extend(peer.process(1, clear[i:i + 256]).get(0, []))
    assert len(out) == n
    return out


@dataclass(frozen=True)
class Row:
    algo: str
    size: int
    direction: str
    placement: str
    packets: int
    wall_s: float
    cpu_s: float

    @property
    def pps(self) -> float:
        return self.packets / self.wall_s

    @property
    def cpu_us(self) -> float:
        return self.cpu_s / self.packets * 1e6


def best_of(repeat: int, measure, *args) -> tuple[Row, float]:
    """(the run with the least CPU time, the least bare AESGCM call cost measured between the
    runs): on a shared machine the minimum is the least disturbed, and the bare call measured
    right next to the row says how fast the machine was then."""
    rows, bares = [], []
    for _ in range(repeat):
        bares.append(bare_aesgcm_us(20000))
        rows.append(measure(*args))
    return min(rows, key=lambda r: r.cpu_s), min(bares)


def time_gateway(algo: str, placement: str, direction: str, frames: list[bytes]) -> Row:
    port, out_port = (1, 0) if direction == "out" else (0, 1)
    bursts = [frames[i:i + BURST] for i in range(0, len(frames), BURST)]
    with Gateway.from_cfg_text(gateway_cfg(algo, PLACEMENTS[placement]), "bench.cfg",
                               fast_path=placement != GRAPH_ONLY) as gw:
        gw.process(port, bursts[0])  # warm caches (SPD cache, Ethernet headers)
        gw.flush()
        process = gw.process
        sent = 0
        c0, w0 = time.process_time(), time.perf_counter()
        for burst in bursts:
            sent += len(process(port, burst).get(out_port, ()))
        sent += len(gw.flush().get(out_port, ()))
        c1, w1 = time.process_time(), time.perf_counter()
    if sent != len(frames):
        raise SystemExit(f"{algo} {placement} {direction}: sent {sent} of {len(frames)}")
    return Row(algo, len(frames[0]) - 14 if direction == "out" else 0, direction, placement, len(frames),
               w1 - w0, c1 - c0)


def time_scapy(algo: str, frames: list[bytes]) -> Row:
    """The baseline: parse with scapy, encrypt with scapy's SecurityAssociation, serialise."""
    if algo == "aes128gcm":
        sa = SecurityAssociation(ESP, spi=1001, crypt_algo="AES-GCM", crypt_key=bytes(range(0x10, 0x24)),
                                 tunnel_header=IP(src=GW, dst=PEER))
    else:
        sa = SecurityAssociation(ESP, spi=1001, crypt_algo="AES-CBC", crypt_key=bytes(range(0x30, 0x40)),
                                 auth_algo="SHA2-256-128", auth_key=bytes(range(0x40, 0x60)),
                                 tunnel_header=IP(src=GW, dst=PEER))
    c0, w0 = time.process_time(), time.perf_counter()
    for seq, raw in enumerate(frames, start=1):
        bytes(Ether(dst="02:00:00:00:fe:01") / sa.encrypt(Ether(raw)[IP], seq_num=seq))
    c1, w1 = time.process_time(), time.perf_counter()
    return Row(algo, len(frames[0]) - 14, "out", "scapy", len(frames), w1 - w0, c1 - c0)


def bare_aesgcm_us(n: int = 100000) -> float:
    """CPU cost of one bare AESGCM.encrypt call on 64 bytes: the machine's speed right now."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    aead, nonce, data = AESGCM(bytes(16)), bytes(12), bytes(64)
    c0 = time.process_time()
    for _ in range(n):
        aead.encrypt(nonce, data, None)
    return (time.process_time() - c0) / n * 1e6


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--packets", type=int, default=10000, help="packets per gateway measurement")
    ap.add_argument("--scapy-packets", type=int, default=200, help="packets for the scapy baseline")
    ap.add_argument("--repeat", type=int, default=3, help="runs per row; the least CPU time is kept")
    ap.add_argument("--profile", action="store_true", help="cProfile the 64 B GCM cpu-crypto outbound run")
    args = ap.parse_args(argv)
    if args.profile:
        frames = clear_frames(args.packets, 64, "198.18.1.5", "198.19.1.7")[:args.packets]
        cProfile.runctx("time_gateway('aes128gcm', 'cpu-crypto', 'out', frames)", globals(), locals(), "/tmp/gw.prof")
        pstats.Stats("/tmp/gw.prof").sort_stats("tottime").print_stats(18)
        return 0
    rows: list[tuple[Row, float]] = []
    baselines: dict[tuple[str, int], tuple[Row, float]] = {}
    for algo in ALGOS:
        for size in SIZES:
            out_frames = clear_frames(args.packets, size, "198.18.1.5", "198.19.1.7")[:args.packets]
            in_frames = inbound_frames(algo, args.packets, size)
            baselines[(algo, size)] = best_of(args.repeat, time_scapy, algo, out_frames[:args.scapy_packets])
            for placement in PLACEMENTS:
                rows.append(best_of(args.repeat, time_gateway, algo, placement, "out", out_frames))
                row, bare = best_of(args.repeat, time_gateway, algo, placement, "in", in_frames)
                rows.append((Row(algo, size, "in", placement, row.packets, row.wall_s, row.cpu_s), bare))
    print(f"{'algorithm':<17}{'size':>5} {'dir':<4}{'placement':<16}{'packets':>8}{'k pps':>9}"
          f"{'CPU us/pkt':>11}{'k pps/CPU-s':>12}{'x scapy':>9}{'AES units':>10}")
    for (algo, size), (base, base_bare) in baselines.items():
        print(f"{algo:<17}{size:>5} {'out':<4}{'scapy':<16}{base.packets:>8}{base.pps / 1e3:>9.2f}"
              f"{base.cpu_us:>11.1f}{1e3 / base.cpu_us:>12.2f}{1.0:>9.1f}{base.cpu_us / base_bare:>10.0f}")
        for r, bare in rows:
            if (r.algo, r.size) == (algo, size):
                print(f"{'':<17}{'':>5} {r.direction:<4}{r.placement:<16}{r.packets:>8}{r.pps / 1e3:>9.1f}"
                      f"{r.cpu_us:>11.2f}{1e3 / r.cpu_us:>12.1f}{base.cpu_us / r.cpu_us:>9.0f}{r.cpu_us / bare:>10.1f}")
    target, bare = next((r, b) for r, b in rows
                        if (r.algo, r.size, r.direction, r.placement) == ("aes128gcm", 64, "out", "cpu-crypto"))
    ratio = baselines[("aes128gcm", 64)][0].cpu_us / target.cpu_us
    print("\nratios use CPU time (time.process_time); 'AES units' = CPU per packet / CPU of one bare "
          "64-byte AESGCM.encrypt call measured between the same runs (the machine's speed at that moment)")
    print(f"target 64 B AES-128-GCM outbound cpu-crypto: {target.cpu_us:.2f} us CPU/packet = {1e3 / target.cpu_us:.0f} k "
          f"packets per CPU-second (goal <= 3.3 us, >= 300 k), {target.pps / 1e3:.0f} k pps wall; "
          f"{ratio:.0f}x the scapy loop (goal >= 200)")
    print(f"calibration: {target.cpu_us / bare:.1f} bare AESGCM calls per packet; at the 0.44 us per call of "
          f"shared/measured-baselines.md that is {target.cpu_us / bare * 0.44:.2f} us/packet "
          f"= {1e3 / (target.cpu_us / bare * 0.44):.0f} k packets per CPU-second")
    inbound, bare_in = next((r, b) for r, b in rows
                            if (r.algo, r.size, r.direction, r.placement) == ("aes128gcm", 64, "in", "cpu-crypto"))
    print(f"inbound 64 B AES-128-GCM cpu-crypto: {inbound.cpu_us:.2f} us CPU/packet, {inbound.cpu_us / bare_in:.1f} "
          f"bare AESGCM calls = {inbound.cpu_us / bare_in * 0.44:.2f} us at 0.44 us per call (goal <= 4 us)")
    for direction in ("out", "in"):  # in AES units: the two rows ran up to a minute apart
        (fast, fast_bare), (slow, slow_bare) = (next((r, b) for r, b in rows if (r.algo, r.size, r.direction, r.placement)
                                                     == ("aes128gcm", 64, direction, placement))
                                                for placement in ("cpu-crypto", GRAPH_ONLY))
        print(f"fast path ({'ipsec-out-fast' if direction == 'out' else 'ipsec-in-fast'}), 64 B GCM {direction}bound: "
              f"x{(slow.cpu_us / slow_bare) / (fast.cpu_us / fast_bare):.2f} over every packet through the graph "
              f"(AES units; x{slow.cpu_us / fast.cpu_us:.2f} in raw CPU)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
