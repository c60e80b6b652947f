"""A small pure-Python reader and writer for classic libpcap files.

Format: the libpcap "classic" file (https://www.tcpdump.org/manpages/pcap-savefile.5.html,
draft-ietf-opsawg-pcap): a 24-byte global header, then per record a 16-byte header
(seconds, sub-second fraction, captured length, original length) and the captured bytes.
Magic 0xA1B2C3D4 means microsecond fractions, 0xA1B23C4D nanoseconds; either byte order is
read. We write little-endian, nanosecond magic by default, LINKTYPE_ETHERNET (1).

Timestamps are integers in nanoseconds everywhere in this module so no precision is lost.
"""
from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

LINKTYPE_ETHERNET = 1
MAGIC_USEC = 0xA1B2C3D4
MAGIC_NSEC = 0xA1B23C4D
_SNAPLEN = 262144
_GLOBAL = struct.Struct("<IHHiIII")
_RECORD_LE = struct.Struct("<IIII")
_RECORD_BE = struct.Struct(">IIII")


class PcapError(Exception):
    """A file that is not a readable classic pcap. ``str()`` names the file and the reason."""


@dataclass(frozen=True)
class PcapRecord:
    """One captured frame: timestamp in nanoseconds since the epoch and the frame bytes."""

    ts_ns: int
    data: bytes


def _parse_global(header: bytes, name: str) -> tuple[struct.Struct, int, int]:
    """Return (record struct, nanoseconds per fraction unit, linktype) for a global header."""
    if len(header) < 24:
        raise PcapError(f"{name}: not a pcap file (only {len(header)} bytes, need a 24-byte header)")
    (magic_le,) = struct.unpack_from("<I", header)
    (magic_be,) = struct.unpack_from(">I", header)
    if magic_le in (MAGIC_USEC, MAGIC_NSEC):
        order, magic = "<", magic_le
    elif magic_be in (MAGIC_USEC, MAGIC_NSEC):
        order, magic = ">", magic_be
    else:
        raise PcapError(f"{name}: not a classic pcap file (magic 0x{magic_le:08x}; pcapng is not supported)")
    _, major, _minor, _tz, _sig, _snap, linktype = struct.unpack(order + "IHHiIII", header[:24])
    if major != 2:
        raise PcapError(f"{name}: unsupported pcap version {major}")
    record = _RECORD_LE if order == "<" else _RECORD_BE
    return record, (1 if magic == MAGIC_NSEC else 1000), linktype


def parse_pcap(blob: bytes, name: str = "<pcap>") -> list[PcapRecord]:
    """Parse a whole pcap held in memory. Only LINKTYPE_ETHERNET is accepted."""
    record, scale, linktype = _parse_global(blob[:24], name)
    if linktype != LINKTYPE_ETHERNET:
        raise PcapError(f"{name}: link type {linktype} is not Ethernet (1)")
    out: list[PcapRecord] = []
    off, end = 24, len(blob)
    while off < end:
        if end - off < 16:
            raise PcapError(f"{name}: truncated record header at byte {off}")
        sec, frac, incl, _orig = record.unpack_from(blob, off)
        off += 16
        if incl > _SNAPLEN or off + incl > end:
            raise PcapError(f"{name}: truncated or oversized record at byte {off - 16} (length {incl})")
        out.append(PcapRecord(sec * 1_000_000_000 + frac * scale, blob[off:off + incl]))
        off += incl
    return out


def read_pcap(path: str | Path) -> list[PcapRecord]:
    """Read a pcap file. Raises PcapError naming the file when it is missing or not a pcap."""
    try:
        blob = Path(path).read_bytes()
    except OSError as exc:
        raise PcapError(f"{path}: cannot read: {exc.strerror or exc}") from None
    return parse_pcap(blob, str(path))


def format_pcap(records: Iterable[PcapRecord], *, nanosecond: bool = True) -> bytes:
    """Serialise records as a little-endian classic pcap (Ethernet link type)."""
    magic = MAGIC_NSEC if nanosecond else MAGIC_USEC
    parts = [_GLOBAL.pack(magic, 2, 4, 0, 0, _SNAPLEN, LINKTYPE_ETHERNET)]
    div = 1 if nanosecond else 1000
    per_sec = 1_000_000_000
    pack = _RECORD_LE.pack
    for rec in records:
        sec, frac = divmod(rec.ts_ns, per_sec)
        n = len(rec.data)
        parts.append(pack(sec, frac // div, n, n))
        parts.append(rec.data)
    return b"".join(parts)


def write_pcap(path: str | Path, records: Iterable[PcapRecord], *, nanosecond: bool = True) -> None:
    """Write records to ``path`` (see ``format_pcap``)."""
    Path(path).write_bytes(format_pcap(records, nanosecond=nanosecond))


def frames_with_times(frames: Iterable[bytes], start_ns: int = 0, step_ns: int = 1000) -> Iterator[PcapRecord]:
    """Give bare frames evenly spaced timestamps, for writing outputs that have no clock."""
    for i, frame in enumerate(frames):
        yield PcapRecord(start_ns + i * step_ns, frame)
