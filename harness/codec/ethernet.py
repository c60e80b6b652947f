"""Ethernet II header (IEEE 802.3 clause 3.2.6 / DIX) with an optional 802.1Q tag."""

from __future__ import annotations

import enum
import struct
from typing import NamedTuple

ETH_HEADER_LEN = 14
VLAN_TAG_LEN = 4


class EtherType(enum.IntEnum):
    """EtherTypes the harness builds or recognises."""

    IPV4 = 0x0800
    ARP = 0x0806
    VLAN = 0x8100
    QINQ = 0x88A8
    IPV6 = 0x86DD


_HDR = struct.Struct("!6s6sH")


def mac_to_bytes(mac: str | bytes) -> bytes:
    """``"02:00:00:00:00:01"`` (or 6 raw bytes) → 6 bytes; ValueError names the bad text."""
    if isinstance(mac, bytes):
        if len(mac) != 6:
            raise ValueError(f"MAC address must be 6 bytes, got {len(mac)}")
        return mac
    parts = mac.split(":")
    if len(parts) != 6 or not all(1 <= len(p) <= 2 for p in parts):
        raise ValueError(f"bad MAC address {mac!r}: expected six ':'-separated hex bytes")
    try:
        return bytes(int(p, 16) for p in parts)
    except ValueError:
        raise ValueError(f"bad MAC address {mac!r}: not hexadecimal") from None


def build_ethernet(dst: str | bytes, src: str | bytes, ethertype: int, vlan: int | None = None) -> bytes:
    """Ethernet header; with ``vlan`` (0..4095) an 802.1Q tag (PCP 0) is inserted."""
    d, s = mac_to_bytes(dst), mac_to_bytes(src)
    if vlan is None:
        return _HDR.pack(d, s, ethertype)
    if not 0 <= vlan <= 4095:
        raise ValueError(f"VLAN id {vlan} out of range 0..4095")
    return _HDR.pack(d, s, EtherType.VLAN) + struct.pack("!HH", vlan, ethertype)


class EthernetView(NamedTuple):
    """Parsed Ethernet header: MACs, final EtherType, VLAN ids (outermost first) and the
    offset of the L3 header."""

    dst: bytes
    src: bytes
    ethertype: int
    vlans: tuple[int, ...]
    l3_offset: int


def parse_ethernet(frame: bytes) -> EthernetView | None:
    """Parse the Ethernet header and any 802.1Q/802.1ad tags; None if the frame is too short."""
    if len(frame) < ETH_HEADER_LEN:
        return None
    dst, src, etype = _HDR.unpack_from(frame, 0)
    off = ETH_HEADER_LEN
    vlans: list[int] = []
    while etype in (EtherType.VLAN, EtherType.QINQ):
        if len(frame) < off + VLAN_TAG_LEN:
            return None
        tci, etype = struct.unpack_from("!HH", frame, off)
        vlans.append(tci & 0x0FFF)
        off += VLAN_TAG_LEN
    return EthernetView(dst, src, etype, tuple(vlans), off)
