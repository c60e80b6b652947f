"""AF_PACKET sockets: constants from <linux/if_packet.h>, opening, options, PACKET_STATISTICS.

A TX socket is created with protocol 0, so the kernel never queues received frames to it.
An RX socket is configured (ring, options) before it is bound with ETH_P_ALL, so nothing is
queued to it before it is ready. PACKET_IGNORE_OUTGOING (23, Linux 4.20) keeps a capture
from seeing what the same host sends on that interface.
"""
from __future__ import annotations

import dataclasses
import socket
import struct

SOL_PACKET = 263
PACKET_RX_RING = 5
PACKET_STATISTICS = 6
PACKET_VERSION = 10
PACKET_TX_RING = 13
PACKET_QDISC_BYPASS = 20
PACKET_IGNORE_OUTGOING = 23
TPACKET_V2 = 1
TPACKET_V3 = 2
ETH_P_ALL = 0x0003
SO_TIMESTAMPNS = 35  # SO_TIMESTAMPNS_OLD: struct timespec of two longs
SO_RCVBUFFORCE = 33
SO_SNDBUFFORCE = 32


@dataclasses.dataclass(frozen=True)
class KernelStats:
    """One PACKET_STATISTICS read (the kernel resets the counters on every read)."""

    packets: int  # tp_packets: includes the drops
    drops: int  # tp_drops
    freeze_q: int | None  # tp_freeze_q_cnt, TPACKET_V3 only

    def __add__(self, other: KernelStats) -> KernelStats:
        freeze = None
        if self.freeze_q is not None or other.freeze_q is not None:
            freeze = (self.freeze_q or 0) + (other.freeze_q or 0)
        return KernelStats(self.packets + other.packets, self.drops + other.drops, freeze)


ZERO_STATS = KernelStats(0, 0, None)


def read_statistics(sock: socket.socket, v3: bool) -> KernelStats:
    """Read and reset PACKET_STATISTICS: 12 bytes (tpacket_stats_v3) for V3, else 8."""
    if v3:
        packets, drops, freeze = struct.unpack("III", sock.getsockopt(SOL_PACKET, PACKET_STATISTICS, 12))
        return KernelStats(packets, drops, freeze)
    packets, drops = struct.unpack("II", sock.getsockopt(SOL_PACKET, PACKET_STATISTICS, 8))
    return KernelStats(packets, drops, None)


def open_tx_socket(iface: str, *, qdisc_bypass: bool) -> socket.socket:
    """A raw packet socket bound to ``iface`` that sends and receives nothing back."""
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
    try:
        if qdisc_bypass:
            sock.setsockopt(SOL_PACKET, PACKET_QDISC_BYPASS, 1)
        sock.bind((iface, 0))
    except OSError:
        sock.close()
        raise
    return sock


def open_rx_socket(*, ignore_outgoing: bool) -> socket.socket:
    """An unbound raw packet socket (protocol 0: receives nothing until ``bind_rx``)."""
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
    if ignore_outgoing:
        try:
            sock.setsockopt(SOL_PACKET, PACKET_IGNORE_OUTGOING, 1)
        except OSError:
            sock.close()
            raise
    return sock


def bind_rx(sock: socket.socket, iface: str) -> None:
    """Start receiving every protocol on ``iface``."""
    sock.bind((iface, ETH_P_ALL))
