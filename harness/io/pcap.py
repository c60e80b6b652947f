"""Classic libpcap files: pure encode/decode on bytes, plus thin file helpers.

Format (https://www.tcpdump.org/manpages/pcap-savefile.5.html, IETF draft-ietf-opsawg-pcap):
24-byte global header (magic, version 2.4, thiszone, sigfigs, snaplen, linktype), then per
record ts_sec, ts_frac, incl_len, orig_len (4 × u32) and the bytes. We write little-endian
with the nanosecond magic 0xa1b23c4d and LINKTYPE_ETHERNET (1); we read both byte orders and
both the microsecond (0xa1b2c3d4) and nanosecond magics, Ethernet only.
"""
from __future__ import annotations

import struct
from collections.abc import Iterable
from pathlib import Path

from harness.io.port import Captured

MAGIC_NS = 0xA1B23C4D
MAGIC_US = 0xA1B2C3D4
LINKTYPE_ETHERNET = 1
DEFAULT_SNAPLEN = 262144
_GLOBAL = struct.Struct("<IHHiIII")
_RECORD_LE = struct.Struct("<IIII")
_RECORD_BE = struct.Struct(">IIII")


class PcapError(ValueError):
    """A pcap file or buffer that cannot be read; the message names the source, record and reason."""


def encode_header(snaplen: int = DEFAULT_SNAPLEN) -> bytes:
    """Global header: little-endian, ns timestamps, Ethernet."""
    return _GLOBAL.pack(MAGIC_NS, 2, 4, 0, 0, snaplen, LINKTYPE_ETHERNET)


def encode_record(timestamp_ns: int, frame: bytes) -> bytes:
    """One record header plus the frame (never truncated)."""
    sec, nsec = divmod(timestamp_ns, 1_000_000_000)
    return _RECORD_LE.pack(sec, nsec, len(frame), len(frame)) + frame


def encode_pcap(records: Iterable[Captured], snaplen: int = DEFAULT_SNAPLEN) -> bytes:
    """A whole pcap file as bytes."""
    parts = [encode_header(snaplen)]
    parts.extend(encode_record(ts, frame) for ts, frame in records)
    return b"".join(parts)


def _byte_order(data: bytes, source: str) -> tuple[struct.Struct, int]:
    """Record struct and ns multiplier from the magic."""
    if len(data) < _GLOBAL.size:
        raise PcapError(f"{source}: {len(data)} bytes, shorter than the 24-byte pcap header")
    for order, record in (("<", _RECORD_LE), (">", _RECORD_BE)):
        (magic,) = struct.unpack_from(order + "I", data, 0)
        if magic == MAGIC_NS:
            return record, 1
        if magic == MAGIC_US:
            return record, 1000
    raise PcapError(
        f"{source}: magic {data[:4].hex()} is not classic pcap "
        "(harness.io.capture_file.read_capture also reads pcapng)"
    )


def decode_pcap(data: bytes, source: str = "<bytes>") -> list[Captured]:
    """All records of a pcap buffer as (timestamp_ns, frame); PcapError names what is wrong."""
    record, scale = _byte_order(data, source)
    order = record.format[0]
    linktype = struct.unpack_from(order + "I", data, 20)[0] & 0x0FFFFFFF
    if linktype != LINKTYPE_ETHERNET:
        raise PcapError(f"{source}: linktype {linktype}, only Ethernet (1) is supported")
    out: list[Captured] = []
    offset = _GLOBAL.size
    end = len(data)
    while offset < end:
        if offset + record.size > end:
            raise PcapError(f"{source}: record {len(out)} at byte {offset}: truncated record header")
        sec, frac, incl, _orig = record.unpack_from(data, offset)
        offset += record.size
        if offset + incl > end:
            raise PcapError(
                f"{source}: record {len(out)} at byte {offset - record.size}: "
                f"incl_len {incl} runs past the end of the file"
            )
        out.append((sec * 1_000_000_000 + frac * scale, data[offset : offset + incl]))
        offset += incl
    return out


def write_pcap(path: str | Path, records: Iterable[Captured], snaplen: int = DEFAULT_SNAPLEN) -> None:
    """Write ``records`` to ``path`` as a ns-resolution Ethernet pcap."""
    with open(path, "wb") as f:
        f.write(encode_header(snaplen))
        for ts, frame in records:
            f.write(encode_record(ts, frame))


def read_pcap(path: str | Path) -> list[Captured]:
    """Read a classic pcap file (µs or ns, either byte order, Ethernet)."""
    return decode_pcap(Path(path).read_bytes(), source=str(path))
