"""Speed of the harness ESP codec against scapy's SecurityAssociation, measured in the same
run: frames/s and µs/frame to build Ethernet + IPv4 tunnel ESP frames (AES-128-GCM and
AES-128-CBC + HMAC-SHA256-128) for 64/512/1400-byte inner IPv4 packets, and to decode and
check them. Rates are per CPU second (process time, best of 3: the machine is shared), with a
calibration line (a bare ``AESGCM.encrypt`` loop on 64 bytes in the same run). Ratios (ours /
scapy, ours / calibration) are what to compare across machines.

Run: ``.venv/bin/python benchmarks/bench_codec.py [--count N] [--scapy-count N]``
"""

from __future__ import annotations

import argparse
import ipaddress
import logging
from collections.abc import Callable

from harness.codec.esp_decode import EspDecoder
from harness.codec.esp_encode import EspEncoder
from harness.codec.ethernet import EtherType, build_ethernet
from harness.codec.ipv4 import IpProto, build_ipv4
from harness.codec.l4 import build_udp
from harness.codec.spec import EspSaSpec

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from harness.oracles.scapy_oracle import scapy_sa  # noqa: E402
from timing import least_cpu_s  # noqa: E402
from scapy.layers.inet import IP  # noqa: E402

SRC, DST = ipaddress.ip_address("198.18.0.1"), ipaddress.ip_address("198.19.0.1")
SPECS = {
    "aes-128-gcm": EspSaSpec(spi=0x1001, mode="tunnel", aead="aes-128-gcm", aead_key=bytes(range(20)),
                             tunnel_src=SRC, tunnel_dst=DST),
    "aes-128-cbc+sha256": EspSaSpec(spi=0x1002, mode="tunnel", cipher="aes-128-cbc", cipher_key=bytes(range(16)),
                                    auth="sha256-hmac", auth_key=bytes(range(32)), tunnel_src=SRC, tunnel_dst=DST),
}


def inner_packet(size: int) -> bytes:
    s, d = ipaddress.ip_address("198.18.9.1"), ipaddress.ip_address("198.19.9.1")
    return build_ipv4(s, d, IpProto.UDP, build_udp(s, d, 1000, 2000, bytes(size - 28)))


def best_rate(fn: Callable[[int], None], count: int, repeat: int = 3) -> float:
    """Best of ``repeat`` runs, in operations per second (the box is shared: take the least
    disturbed run)."""
    return count / least_cpu_s(lambda: fn(count), repeat)


def bench(name: str, spec: EspSaSpec, size: int, count: int, scapy_count: int) -> list[tuple]:
    eth = build_ethernet("02:00:00:00:00:01", "02:00:00:00:00:02", EtherType.IPV4)
    inner = inner_packet(size)
    build = EspEncoder(spec).frame_builder(eth)
    decode = EspDecoder(spec).decode
    packets = [build(inner, seq)[14:] for seq in range(1, 257)]

    def ours_build(n: int) -> None:
        for seq in range(1, n + 1):
            build(inner, seq)

    def ours_decode(n: int) -> None:
        for i in range(n):
            if decode(packets[i & 255]).problems:
                raise AssertionError("decode found a problem in a good packet")

    sa = scapy_sa(spec)
    scapy_inner = IP(inner)
    scapy_pkts = [IP(p) for p in packets]

    def scapy_build(n: int) -> None:
        for seq in range(1, n + 1):
            bytes(sa.encrypt(scapy_inner, seq_num=seq))

    def scapy_decode(n: int) -> None:
        for i in range(n):
            sa.decrypt(scapy_pkts[i & 255].copy())

    rows = []
    for what, ours, theirs in (("build", ours_build, scapy_build), ("decode+check", ours_decode, scapy_decode)):
        r_ours = best_rate(ours, count)
        r_scapy = best_rate(theirs, scapy_count, repeat=1)
        rows.append((name, size, what, r_ours, 1e6 / r_ours, r_scapy, r_ours / r_scapy))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=20000, help="frames per timed run of our codec")
    ap.add_argument("--scapy-count", type=int, default=200, help="frames per scapy run")
    args = ap.parse_args()
    print(f"{'algorithm':<20} {'size':>5} {'op':<13} {'ours f/s':>11} {'µs/frame':>9} {'scapy f/s':>10} {'ratio':>8}")
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    encrypt = AESGCM(bytes(16)).encrypt
    calib = best_rate(lambda n: [encrypt(bytes(12), bytes(64), bytes(8)) for _ in range(n)], args.count * 5)
    print(f"calibration: bare AESGCM.encrypt on 64 bytes {calib:,.0f}/s")
    for name, spec in SPECS.items():
        for size in (64, 512, 1400):
            for row in bench(name, spec, size, args.count, args.scapy_count):
                print(f"{row[0]:<20} {row[1]:>5} {row[2]:<13} {row[3]:>11,.0f} {row[4]:>9.2f} {row[5]:>10,.0f} {row[6]:>7.0f}x")


if __name__ == "__main__":
    main()
