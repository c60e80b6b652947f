"""Stream frame building speed: our compiled builder against scapy building the same packets.

Rows: clear IPv4/UDP frames, and ESP-encrypted frames (IPv4 tunnel, AES-128-GCM and
AES-128-CBC + HMAC-SHA256-128) for 64/512/1400-byte inner IPv4 packets (the clear L3 size,
``SizeBasis.L3``, as in measured-baselines.md's crypto rows), each with the 18-byte signature.
Then the target rows: 64-byte *frames* (incl. FCS, IPv4/UDP, the RFC 2544 minimum) encrypted
with AES-128-GCM, built by ``build_frames`` (one sealing call per frame) and by the per-packet
path (``CompiledStream.frames()``: L3 builder + codec frame builder, the path before the
one-call builder) in the same run; the codec's GCM frame builder alone on one prebuilt packet;
and CBC+HMAC against a per-packet ``Cipher`` + ``hmac.digest`` loop (the codec's method before
its long-lived contexts). scapy builds the same packets on far fewer packets in the same run.

Rates are packets per CPU second (process time, best of ``--trials``: the machine is shared),
with a calibration row (a bare ``AESGCM.encrypt`` loop on 64 bytes) so runs on differently
loaded machines compare as ratios. Target: >= 500 k GCM 64-byte frames/s.

    .venv/bin/python benchmarks/bench_stream.py [--packets 200000] [--scapy-packets 2000] [--trials 3]
"""
from __future__ import annotations

import argparse
import hmac
import os
import struct
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes  # noqa: E402
from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: E402
from scapy.layers.inet import IP, UDP  # noqa: E402
from scapy.layers.ipsec import ESP, SecurityAssociation  # noqa: E402
from scapy.layers.l2 import Ether  # noqa: E402
from scapy.packet import Raw  # noqa: E402

from harness.codec.esp_encode import EspEncoder  # noqa: E402
from harness.codec.spec import EspSaSpec  # noqa: E402
from harness.scenario import Direction, get_preset  # noqa: E402
from harness.stream import (EspStreamSpec, HeaderTemplate, L4Proto, SizeBasis, SizeSpec,  # noqa: E402
                            StreamSpec, build_frames, compile_stream)
from harness.stream.signature import SIGNATURE_LEN, Signature, fill, pack_signature  # noqa: E402
from timing import least_cpu_s  # noqa: E402

SIZES = (64, 512, 1400)
SUITES = {"aes-128-gcm": "tun44-aes128gcm", "aes-128-cbc+sha256": "tun44-aes128cbc-sha256"}
SCAPY_NAMES = {"aes-128-gcm": "AES-GCM", "aes-128-cbc": "AES-CBC", "sha256-hmac": "SHA2-256-128"}
TEMPLATE = HeaderTemplate("198.19.1.1", "198.18.1.1", sport=1024, dport=1024)


def _rate(fn: Callable[[], object], n: int, trials: int) -> float:
    """Best rate over ``trials`` runs, in items per CPU second."""
    return n / least_cpu_s(fn, trials)


def _calibration(n: int, trials: int) -> float:
    encrypt, nonce, data, aad = AESGCM(bytes(16)).encrypt, bytes(12), bytes(64), bytes(8)
    return _rate(lambda: [encrypt(nonce, data, aad) for _ in range(n)], n, trials)


def _cbc_per_packet(spec: EspSaSpec, inners: list[bytes]) -> list[bytes]:
    """The pre-context method: a new Cipher per packet and ``hmac.digest`` (ESP payloads only)."""
    alg, key, out = algorithms.AES(spec.cipher_key), spec.auth_key, []
    for k, inner in enumerate(inners):
        iv = os.urandom(16)
        pad = -(len(inner) + 2) % 16
        ct = Cipher(alg, modes.CBC(iv)).encryptor().update(inner + bytes(range(1, pad + 1)) + bytes((pad, 4)))
        hdr = struct.pack("!II", spec.spi, k + 1)
        out.append(hdr + iv + ct + hmac.digest(key, hdr + iv + ct, "sha256")[:16])
    return out


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
    calib = _calibration(n, trials)
    gcm64 = StreamSpec(1, TEMPLATE, n, SizeSpec.fixed(64), port=0, esp=EspStreamSpec(sa.spec))
    assert build_frames(gcm64, scenario) == list(compile_stream(gcm64, scenario).frames())
    ours = _rate(lambda: build_frames(gcm64, scenario), n, trials)
    before = _rate(lambda: list(compile_stream(gcm64, scenario).frames()), n, trials)
    inner = build_frames(StreamSpec(1, TEMPLATE, 1, SizeSpec.fixed(64), port=0), scenario)[0][14:]
    encode = EspEncoder(sa.spec).frame_builder(bytes(14))
    floor = _rate(lambda: [encode(inner, k + 1) for k in range(n)], n, trials)
    target = 500_000
    print(f"GCM 64-byte IPv4/UDP frames (60 bytes + FCS clear, {len(build_frames(gcm64, scenario)[0])} bytes ESP "
          f"without FCS), per CPU second:")
    print(f"  build_frames (one sealing call per frame) {ours:>12,.0f}  = {ours / calib:.3f} of calibration")
    print(f"  per-packet path (L3 builder + frame_builder) {before:>10,.0f}  -> x{ours / before:.2f} faster now")
    print(f"  codec frame_builder alone, one prebuilt packet {floor:>8,.0f}")
    print(f"  calibration: bare AESGCM.encrypt on 64 bytes {calib:>9,.0f}")
    print(f"  target {target:,}/s: {ours / target:.2f} of it ({'met' if ours >= target else 'NOT met'})")
    cbc = get_preset(SUITES["aes-128-cbc+sha256"]).sa(Direction.IN, 2001)
    assert cbc is not None
    cbc64 = StreamSpec(1, TEMPLATE, n, SizeSpec.fixed(64), port=0, esp=EspStreamSpec(cbc.spec))
    inners = [f[14:] for f in build_frames(StreamSpec(1, TEMPLATE, n, SizeSpec.fixed(64), port=0), scenario)]
    ours_cbc = _rate(lambda: build_frames(cbc64, scenario), n, trials)
    old_cbc = _rate(lambda: _cbc_per_packet(cbc.spec, inners), n, trials)
    print(f"CBC+HMAC-SHA256 64-byte frames: build_frames {ours_cbc:,.0f}/s; a per-packet Cipher + hmac.digest "
          f"loop (ESP payload only) {old_cbc:,.0f}/s -> x{ours_cbc / old_cbc:.2f}; {ours_cbc / calib:.3f} of calibration")
    tiny = StreamSpec(1, HeaderTemplate("198.19.1.1", "198.18.1.1", L4Proto.NONE), n, SizeSpec.fixed(64), port=0)
    _row("clear proto253 (frame)", 64, _rate(lambda: build_frames(tiny, scenario), n, trials),
         _rate(lambda: [bytes(Ether() / IP(src="198.19.1.1", dst="198.18.1.1", proto=253) /
                              Raw(pack_signature(Signature(1, k)) + fill(8))) for k in range(ns)], ns, 1))


if __name__ == "__main__":
    main()
