"""ESP per-packet cost: prepare + run + finish through the public API, in CPU time.

Prints packets/s and CPU µs per packet (time.process_time) for 64/512/1400-byte inner IPv4
packets, AES-128-GCM and AES-128-CBC + HMAC-SHA256-128, encrypt and decrypt (IPv4 tunnel,
library engine, window 64), and the speed-up over scapy's SecurityAssociation.encrypt measured
in the same run on far fewer packets. Also the bare AESGCM.encrypt call as a floor, and
``esp_encrypt`` (``enc1``: the SA's synchronous whole, the fused fast path for the GCM tunnel)
against the three steps (``enc``), on an SA of its own with the same sequence numbers.

    python benchmarks/bench_esp.py [--packets N]
"""
from __future__ import annotations

import argparse
import ipaddress
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: E402
from scapy.layers.inet import IP, UDP  # noqa: E402
from scapy.layers.ipsec import ESP, SecurityAssociation  # noqa: E402

from gateway_ref.cfg.errors import SourcePos  # noqa: E402
from gateway_ref.cfg.records import Direction, Family, OffloadType, SaMode, SaRule  # noqa: E402
from gateway_ref.esp import (Engine, decrypt_finish, decrypt_prepare, encrypt_finish,  # noqa: E402
                             encrypt_prepare, esp_encrypt, make_sa)

SRC, DST = "198.18.0.1", "198.19.0.1"
SUITES = {
    "aes-128-gcm": dict(aead_algo="aes-128-gcm", aead_key=bytes(range(20))),
    "aes-128-cbc+sha256": dict(cipher_algo="aes-128-cbc", cipher_key=bytes(range(16)),
                               auth_algo="sha256-hmac", auth_key=bytes(range(32))),
}


def _rule(algos: dict) -> SaRule:
    kw = dict(cipher_algo=None, cipher_key=b"", auth_algo=None, auth_key=b"", aead_algo=None, aead_key=b"")
    kw.update(algos)
    return SaRule(Direction.OUT, 0x1001, SaMode.IPV4_TUNNEL, kw["cipher_algo"], kw["cipher_key"],
                  kw["auth_algo"], kw["auth_key"], kw["aead_algo"], kw["aead_key"],
                  ipaddress.ip_address(SRC), ipaddress.ip_address(DST), OffloadType.NO_OFFLOAD,
                  None, None, None, False, 0, 0, False, False, SourcePos("bench", 1, 1))


def _inner(size: int) -> bytes:
    return bytes(IP(src="198.18.1.1", dst="198.18.2.1") / UDP(sport=1, dport=2) / bytes(size - 28))


def _cpu_us(fn, n: int) -> float:
    t = time.process_time()
    fn()
    return (time.process_time() - t) / n * 1e6


def bench_encrypt(sa, pkt: bytes, n: int) -> tuple[float, list[bytes]]:
    prep, fin = encrypt_prepare, encrypt_finish
    out: list[bytes] = []
    app = out.append

    def loop() -> None:
        for _ in range(n):
            op = prep(sa, pkt)
            op.run()
            app(fin(op))
    return _cpu_us(loop, n), out


def bench_encrypt_whole(sa, pkt: bytes, n: int) -> tuple[float, list[bytes]]:
    whole = esp_encrypt
    out: list[bytes] = []
    app = out.append

    def loop() -> None:
        for _ in range(n):
            app(whole(sa, pkt))
    return _cpu_us(loop, n), out


def bench_decrypt(sa, wires: list[bytes]) -> float:
    prep, fin = decrypt_prepare, decrypt_finish

    def loop() -> None:
        for w in wires:
            op = prep(sa, w)
            op.run()
            fin(op)
    return _cpu_us(loop, len(wires))


def bench_bare_gcm(size: int, n: int) -> float:
    enc = AESGCM(bytes(16)).encrypt
    nonce, plain, aad = bytes(12), bytes(size + 4), bytes(8)

    def loop() -> None:
        for _ in range(n):
            enc(nonce, plain, aad)
    return _cpu_us(loop, n)


def bench_scapy(size: int, n: int) -> float:
    sa = SecurityAssociation(ESP, spi=0x1001, crypt_algo="AES-GCM", crypt_key=bytes(range(20)),
                             tunnel_header=IP(src=SRC, dst=DST))
    pkt = IP(_inner(size))

    def loop() -> None:
        for _ in range(n):
            bytes(sa.encrypt(pkt))
    return _cpu_us(loop, n)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--packets", type=int, default=100_000)
    ap.add_argument("--scapy-packets", type=int, default=300)
    args = ap.parse_args()
    n = args.packets
    print(f"{'suite':20} {'size':>5} {'dir':4} {'pps':>10} {'cpu µs/pkt':>11}")
    for name, algos in SUITES.items():
        count = n if "gcm" in name else n // 4
        for size in (64, 512, 1400):
            tx = make_sa(_rule(algos), Family.IPV4, replay_window=64, esn=False, engine=Engine.LIBRARY)
            rx = make_sa(_rule(algos), Family.IPV4, replay_window=64, esn=False, engine=Engine.LIBRARY)
            tx1 = make_sa(_rule(algos), Family.IPV4, replay_window=64, esn=False, engine=Engine.LIBRARY)
            enc_us, wires = bench_encrypt(tx, _inner(size), count)
            enc1_us, wires1 = bench_encrypt_whole(tx1, _inner(size), count)
            if "gcm" in name:  # deterministic IVs: the fused path must give the very same packets
                assert wires1 == wires
            dec_us = bench_decrypt(rx, wires)
            assert rx.rt.packets == count, rx.rt.drops
            for d, us in (("enc", enc_us), ("enc1", enc1_us), ("dec", dec_us)):
                print(f"{name:20} {size:5} {d:4} {1e6 / us:10,.0f} {us:11.3f}")
            print(f"{'':20} {size:5} esp_encrypt (enc1) = x{enc_us / enc1_us:.2f} the speed of the three steps")
            if "gcm" in name:
                bare = bench_bare_gcm(size, count)
                scapy = bench_scapy(size, args.scapy_packets)
                print(f"{'':20} {size:5} bare AESGCM.encrypt {bare:.3f} µs (encrypt = x{enc_us / bare:.2f} of it); "
                      f"scapy SA.encrypt {scapy:.1f} µs -> ours x{scapy / enc_us:.0f} faster")


if __name__ == "__main__":
    main()
