"""Stream frame building speed: our compiled builder against scapy building the same packets.

Rows: clear IPv4/UDP frames, and ESP-encrypted frames (IPv4 tunnel, AES-128-GCM and
AES-128-CBC + HMAC-SHA256-128) for 64/512/1400-byte inner IPv4 packets (the clear L3 size,
``SizeBasis.L3``, as in measured-baselines.md's crypto rows), each with the 18-byte signature.
Plus 64-byte clear *frames* (incl. FCS) with protocol 253, and the codec's GCM frame builder
alone on one prebuilt packet (the floor the stream builder adds its per-packet work to). scapy builds the same packets
(Ether/IP/UDP/Raw and ``SecurityAssociation.encrypt``) on far fewer packets in the same run;
the ratio is ours / scapy. Frames/s are wall-clock medians of ``--trials`` runs, so they move
with machine load; the ratios are what to compare.

    .venv/bin/python benchmarks/bench_stream.py [--packets 200000] [--scapy-packets 2000] [--trials 3]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scapy.layers.inet import IP, UDP  # noqa: E402
from scapy.layers.ipsec import ESP, SecurityAssociation  # noqa: E402
from scapy.layers.l2 import Ether  # noqa: E402
from scapy.packet import Raw  # noqa: E402

from harness.codec.esp_encode import EspEncoder  # noqa: E402
from harness.codec.spec import EspSaSpec  # noqa: E402
from harness.scenario import Direction, get_preset  # noqa: E402
from harness.stream import (EspStreamSpec, HeaderTemplate, L4Proto, SizeBasis, SizeSpec,  # noqa: E402
                            StreamSpec, build_frames)
from harness.stream.signature import SIGNATURE_LEN, Signature, fill, pack_signature  # noqa: E402

SIZES = (64, 512, 1400)
SUITES = {"aes-128-gcm": "tun44-aes128gcm", "aes-128-cbc+sha256": "tun44-aes128cbc-sha256"}
SCAPY_NAMES = {"aes-128-gcm": "AES-GCM", "aes-128-cbc": "AES-CBC", "sha256-hmac": "SHA2-256-128"}
TEMPLATE = HeaderTemplate("198.19.1.1", "198.18.1.1", sport=1024, dport=1024)


def _rate(fn: Callable[[], object], n: int, trials: int) -> float:
    runs = []
    for _ in range(trials):
        t0 = time.perf_counter()
        fn()
        runs.append(n / (time.perf_counter() - t0))
    return statistics.median(runs)


def _scapy_sa(spec: EspSaSpec) -> SecurityAssociation:
    tunnel = IP(src=str(spec.tunnel_src), dst=str(spec.tunnel_dst))
    if spec.aead is not None:
        return SecurityAssociation(ESP, spi=spec.spi, crypt_algo=SCAPY_NAMES[spec.aead], crypt_key=spec.aead_key,
                                   tunnel_header=tunnel)
    return SecurityAssociation(ESP, spi=spec.spi, crypt_algo=SCAPY_NAMES[str(spec.cipher)], crypt_key=spec.cipher_key,
                               auth_algo=SCAPY_NAMES[str(spec.auth)], auth_key=spec.auth_key, tunnel_header=tunnel)


def _scapy_frames(l3_size: int, n: int, sa: SecurityAssociation | None) -> list[bytes]:
    """scapy building the same packets: signature payload, then (optionally) ESP, then Ether."""
    out = []
    for k in range(n):
        payload = pack_signature(Signature(1, k)) + fill(l3_size - 28 - SIGNATURE_LEN)
        inner = IP(src=TEMPLATE.src, dst=TEMPLATE.dst) / UDP(sport=1024, dport=1024) / Raw(payload)
        pkt = inner if sa is None else sa.encrypt(inner, seq_num=k + 1)
        out.append(bytes(Ether(dst="02:00:00:00:d0:00", src="02:00:00:00:7e:00") / pkt))
    return out


def _row(label: str, size: int, ours: float, theirs: float) -> None:
    print(f"{label:<22} {size:>5} {ours:>14,.0f} {theirs:>12,.0f} {ours / theirs:>9.0f}x")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--packets", type=int, default=200_000)
    ap.add_argument("--scapy-packets", type=int, default=2_000)
    ap.add_argument("--trials", type=int, default=3)
    args = ap.parse_args()
    n, ns, trials = args.packets, args.scapy_packets, args.trials
    scenario = get_preset("tun44-aes128gcm")
    print(f"{'stream':<22} {'bytes':>5} {'ours frames/s':>14} {'scapy f/s':>12} {'ratio':>10}")
    for size in SIZES:
        spec = StreamSpec(1, TEMPLATE, n, SizeSpec.fixed(size, SizeBasis.L3), port=0)
        _row("clear udp4 (L3 size)", size, _rate(lambda: build_frames(spec, scenario), n, trials),
             _rate(lambda: _scapy_frames(size, ns, None), ns, 1))
    for label, preset in SUITES.items():
        sa = get_preset(preset).sa(Direction.IN, 2001)
        assert sa is not None
        scapy_sa = _scapy_sa(sa.spec)
        for size in SIZES:
            spec = StreamSpec(1, TEMPLATE, n, SizeSpec.fixed(size, SizeBasis.L3), port=0, esp=EspStreamSpec(sa.spec))
            _row(f"esp {label}", size, _rate(lambda: build_frames(spec, scenario), n, trials),
                 _rate(lambda: _scapy_frames(size, ns // 4, scapy_sa), ns // 4, 1))
    sa = get_preset(SUITES["aes-128-gcm"]).sa(Direction.IN, 2001)
    assert sa is not None
    inner = build_frames(StreamSpec(1, TEMPLATE, 1, SizeSpec.fixed(64, SizeBasis.L3), port=0), scenario)[0][14:]
    encode = EspEncoder(sa.spec).frame_builder(bytes(14))
    floor = _rate(lambda: [encode(inner, k + 1) for k in range(n)], n, trials)
    ours = _rate(lambda: build_frames(StreamSpec(1, TEMPLATE, n, SizeSpec.fixed(64, SizeBasis.L3), port=0,
                                                 esp=EspStreamSpec(sa.spec)), scenario), n, trials)
    print(f"codec GCM frame_builder alone on one prebuilt 64-byte packet: {floor:,.0f} frames/s; "
          f"full stream build = {ours / floor:.2f} of it")
    tiny = StreamSpec(1, HeaderTemplate("198.19.1.1", "198.18.1.1", L4Proto.NONE), n, SizeSpec.fixed(64), port=0)
    _row("clear proto253 (frame)", 64, _rate(lambda: build_frames(tiny, scenario), n, trials),
         _rate(lambda: [bytes(Ether() / IP(src="198.19.1.1", dst="198.18.1.1", proto=253) /
                              Raw(pack_signature(Signature(1, k)) + fill(2))) for k in range(ns)], ns, 1))


if __name__ == "__main__":
    main()
