"""Read a capture file as (timestamp_ns, frame) records: classic pcap (``harness.io.pcap``) or
pcapng, which dumpcap, Wireshark and many traffic generators write by default.

pcapng (draft-ietf-opsawg-pcapng §4): blocks of type, total length, body, total length again.
Read: Section Header (byte order from the 0x1A2B3C4D magic; a new section resets the
interfaces), Interface Description (link type, ``if_tsresol`` option 9: 10^-n or 2^-n
seconds, default microseconds), Enhanced Packet (§4.3), Simple Packet (§4.4, no timestamp:
0) and the obsolete Packet block (type 2). Other blocks (name resolution, statistics,
custom) are skipped. Only Ethernet interfaces (link type 1) are accepted.
"""
from __future__ import annotations

import struct
from pathlib import Path

from harness.io.pcap import PcapError, decode_pcap

SHB, IDB, OPB, SPB, EPB = 0x0A0D0D0A, 1, 2, 3, 6
BYTE_ORDER_MAGIC = 0x1A2B3C4D
LINKTYPE_ETHERNET = 1
_OPT_TSRESOL = 9
Records = list[tuple[int, bytes]]


def _tsresol_ns(raw: int) -> tuple[int, int]:
    """(numerator, denominator) turning timestamp units into ns for an ``if_tsresol`` byte."""
    if raw & 0x80:
        return 1_000_000_000, 1 << (raw & 0x7F)
    exp = raw & 0x7F
    return (10 ** (9 - exp), 1) if exp <= 9 else (1, 10 ** (exp - 9))


def _idb(body: bytes, order: str, where: str) -> tuple[int, int]:
    """Time unit of one interface; PcapError unless it is Ethernet."""
    if len(body) < 8:
        raise PcapError(f"{where}: interface block shorter than 8 bytes")
    linktype = struct.unpack_from(order + "H", body, 0)[0]
    if linktype != LINKTYPE_ETHERNET:
        raise PcapError(f"{where}: interface link type {linktype}, only Ethernet (1) is supported")
    unit = (1000, 1)  # default resolution: microseconds
    off = 8
    while off + 4 <= len(body):
        code, length = struct.unpack_from(order + "HH", body, off)
        if code == 0:
            break
        if code == _OPT_TSRESOL and length >= 1:
            unit = _tsresol_ns(body[off + 4])
        off += 4 + (length + 3) // 4 * 4
    return unit


def _packet(kind: int, body: bytes, order: str, units: list[tuple[int, int]], where: str) -> tuple[int, bytes]:
    if kind == SPB:
        if len(body) < 4:
            raise PcapError(f"{where}: simple packet block too short")
        (orig,) = struct.unpack_from(order + "I", body, 0)
        return 0, body[4:4 + orig]
    fmt = order + ("IIIII" if kind == EPB else "HHIIII")
    head = struct.calcsize(fmt)
    if len(body) < head:
        raise PcapError(f"{where}: packet block too short")
    fields = struct.unpack_from(fmt, body, 0)
    iface, high, low, caplen = (fields[0], fields[1], fields[2], fields[3]) if kind == EPB else \
        (fields[0], fields[2], fields[3], fields[4])
    if iface >= len(units):
        raise PcapError(f"{where}: packet names interface {iface}, but only {len(units)} are described")
    if head + caplen > len(body):
        raise PcapError(f"{where}: captured length {caplen} runs past the block")
    num, den = units[iface]
    return ((high << 32) | low) * num // den, body[head:head + caplen]


def decode_pcapng(data: bytes, source: str = "<bytes>") -> Records:
    """All packets of a pcapng buffer; PcapError names the block's byte offset and reason."""
    records: Records = []
    units: list[tuple[int, int]] = []
    order, off = "<", 0
    while off < len(data):
        where = f"{source}: pcapng block at byte {off}"
        if off + 12 > len(data):
            raise PcapError(f"{where}: truncated block header")
        if struct.unpack_from("<I", data, off)[0] == SHB:
            magic = data[off + 8:off + 12]
            order = "<" if magic == BYTE_ORDER_MAGIC.to_bytes(4, "little") else ">" \
                if magic == BYTE_ORDER_MAGIC.to_bytes(4, "big") else ""
            if not order:
                raise PcapError(f"{where}: bad byte-order magic {magic.hex()}")
            units = []
        kind, total = struct.unpack_from(order + "II", data, off)
        if total < 12 or total % 4 or off + total > len(data):
            raise PcapError(f"{where}: block length {total} is invalid or runs past the end of the file")
        body = data[off + 8:off + total - 4]
        if kind == IDB:
            units.append(_idb(body, order, where))
        elif kind in (EPB, SPB, OPB):
            records.append(_packet(kind, body, order, units, where))
        off += total
    return records


def read_capture(path: str | Path) -> Records:
    """Records of a pcap or pcapng file (format from the first four bytes)."""
    data = Path(path).read_bytes()
    if data[:4] == SHB.to_bytes(4, "little"):
        return decode_pcapng(data, str(path))
    return decode_pcap(data, str(path))
