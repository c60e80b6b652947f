"""The minimal ESP gateway loop of ``../shared/measured-baselines.md``, as a same-run yardstick.

measured-baselines.md reports "gateway, 1 proc: recv -> fast GCM encap -> send (pre-queued
backlog)" at 394 k pps for 64-byte frames on the machine it was measured on: one recv() per
frame from a 512 MiB socket buffer, the fast hand-built AES-GCM tunnel encapsulation (cached
outer IPv4 header with ID 0 and DF, RFC 6864; cryptography's AESGCM object reused; locals
bound in a closure), one send() per frame. Nothing else: no SPD, no SAD lookup, no routing,
no counters, no checks. This script is that loop, so ``bench_live_gateway`` can time it on the
same rig in the same run as ``gateway-ref live`` and report the gateway as a ratio of it, and
the host's speed against the baseline machine as 394 k / this loop's pps (the host's speed
moves by ×2 from minute to minute here, so only same-run ratios are comparable).

With several ``--pair``s one process serves them in turn (non-blocking recv(), the same
syscalls per frame): the one-process side of measured-baselines.md's two-process scaling row
(2 processes, one per pair: x1.79 there), which ``bench_live_gateway`` measures next to
``--workers 2``.

Run in the DUT namespace; it writes ``--ready-file`` ({"pid": ...}) once bound and runs until
SIGTERM (or ``--max-runtime``). It is a benchmark's yardstick, not part of the product.

    python benchmarks/minimal_gateway.py --pair IN,OUT,DSTMAC [--pair ...] --key HEX --src A --dst B --ready-file F
"""
from __future__ import annotations

import argparse
import json
import os
import select
import signal
import socket
import struct
import sys
import time
from collections.abc import Callable

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

ETH_P_ALL = 0x0003
SO_RCVBUFFORCE = 33
SOL_PACKET = 263
PACKET_IGNORE_OUTGOING = 23
SPI = 1001
BASELINE_PPS = 394_000  # measured-baselines.md: "gateway, 1 proc: recv -> fast GCM encap -> send", 64 B


def _checksum(header: bytes) -> int:
    s = sum(struct.unpack("!10H", header))
    s = (s & 0xFFFF) + (s >> 16)
    s += s >> 16
    return ~s & 0xFFFF


def make_encap(key: bytes, src: str, dst: str, eth: bytes) -> Callable[[bytes], bytes]:
    """The fast encapsulation: Ethernet + outer IPv4 (cached per length) + ESP + IV + GCM."""
    aead = AESGCM(key[:-4])
    salt = key[-4:]
    seal = aead.encrypt
    addrs = socket.inet_aton(src) + socket.inet_aton(dst)
    spi_b = SPI.to_bytes(4, "big")
    headers: dict[int, bytes] = {}
    trailer = [bytes(range(1, 1 + pad)) + bytes((pad, 4)) for pad in (2, 1, 0, 3)]  # by len % 4
    seq = 0

    def encap(frame: bytes) -> bytes:
        nonlocal seq
        seq += 1
        inner = frame[14:14 + ((frame[16] << 8) | frame[17])]
        iv = seq.to_bytes(8, "big")
        esp = spi_b + (seq & 0xFFFFFFFF).to_bytes(4, "big")
        ct = seal(salt + iv, inner + trailer[len(inner) & 3], esp)
        total = 20 + 16 + len(ct)
        hdr = headers.get(total)
        if hdr is None:
            raw = struct.pack("!BBHHHBBH8s", 0x45, 0, total, 0, 0x4000, 64, 50, 0, addrs)
            hdr = headers[total] = eth + raw[:10] + _checksum(raw).to_bytes(2, "big") + raw[12:]
        return hdr + esp + iv + ct
    return encap


def open_pair(spec: str, key: bytes, src: str, dst: str) -> tuple[socket.socket, socket.socket, Callable[[bytes], bytes]]:
    """``IN,OUT,DSTMAC``: an RX socket on IN (512 MiB buffer), a TX socket on OUT, and the encap."""
    iface_in, iface_out, dst_mac = spec.split(",")
    rx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    rx.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 512 << 20)
    rx.setsockopt(SOL_PACKET, PACKET_IGNORE_OUTGOING, 1)
    rx.bind((iface_in, 0))
    tx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
    tx.bind((iface_out, 0))
    eth = bytes.fromhex(dst_mac.replace(":", "")) + tx.getsockname()[4][:6] + b"\x08\x00"
    return rx, tx, make_encap(key, src, dst, eth)


def serve_one(rx: socket.socket, tx: socket.socket, encap: Callable[[bytes], bytes]) -> None:
    """The baseline's loop: a blocking recv(), the encap, a send(); SIGTERM ends it."""
    recv, send = rx.recv, tx.send
    while True:
        send(encap(recv(2048)))


def serve_many(pairs: list[tuple[socket.socket, socket.socket, Callable[[bytes], bytes]]], deadline: float) -> None:
    """Several pairs in one process: non-blocking recv() on each in turn, up to 256 frames a
    turn (the same syscalls per frame as ``serve_one``), select() when all are empty."""
    loops = []
    for rx, tx, encap in pairs:
        rx.setblocking(False)
        loops.append((rx.recv, tx.send, encap))
    fds = [rx for rx, _, _ in pairs]
    while time.monotonic() < deadline:
        got = False
        for recv, send, encap in loops:
            try:
                for _ in range(256):
                    send(encap(recv(2048)))
                    got = True
            except BlockingIOError:
                pass
        if not got:
            select.select(fds, (), (), 0.05)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pair", action="append", required=True, metavar="IN,OUT,DSTMAC",
                    help="receive on IN, send the ESP frame on OUT to DSTMAC; repeat for more pairs in one process")
    ap.add_argument("--key", required=True, help="AES-128-GCM key and salt, 20 bytes in hex")
    ap.add_argument("--src", required=True)
    ap.add_argument("--dst", required=True)
    ap.add_argument("--ready-file", required=True)
    ap.add_argument("--max-runtime", type=float, default=300.0)
    args = ap.parse_args()
    pairs = [open_pair(spec, bytes.fromhex(args.key), args.src, args.dst) for spec in args.pair]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGALRM, lambda *_: sys.exit(0))
    signal.alarm(int(args.max_runtime))
    with open(args.ready_file + ".tmp", "w") as f:
        json.dump({"pid": os.getpid()}, f)
    os.replace(args.ready_file + ".tmp", args.ready_file)
    if len(pairs) == 1:
        serve_one(*pairs[0])
    else:
        serve_many(pairs, time.monotonic() + args.max_runtime)
    return 0


if __name__ == "__main__":
    sys.exit(main())
