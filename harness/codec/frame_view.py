"""Fast light-weight dissection of a captured frame for the verifier: Ethernet (+802.1Q),
IPv4 (RFC 791) or IPv6 with its extension-header walk (RFC 8200 §4), the L4 ports, and the
ESP header (RFC 4303 §2) directly over IP or inside UDP (RFC 3948 §2.1–2.2: port 4500,
non-ESP marker and NAT-keepalive excluded). Offsets and raw fields only, no objects per
header and no scapy.
"""

from __future__ import annotations

import struct
from typing import NamedTuple

from harness.codec.ethernet import parse_ethernet
from harness.codec.ipv6 import walk_extensions

NAT_T_PORT = 4500
_V4 = struct.Struct("!BBHHHBBH4s4s")
_V6 = struct.Struct("!IHBB16s16s")
_PORTS = struct.Struct("!HH")
_ESP = struct.Struct("!II")


class FrameView(NamedTuple):
    """Fields of one frame; -1 (or b"") where a layer is absent. ``problem`` names the first
    layer that could not be parsed ("short-ethernet", "not-ip", "short-ip", "ip-length",
    "short-ext", "short-l4")."""

    ethertype: int
    vlans: tuple[int, ...]
    l3_offset: int
    ip_version: int
    src: bytes
    dst: bytes
    tos: int
    ttl: int
    ip_id: int
    ip_flags: int
    frag_offset: int
    flow_label: int
    l3_length: int
    ext: tuple[tuple[int, int, int], ...]
    l4_proto: int
    l4_offset: int
    sport: int
    dport: int
    esp_offset: int
    spi: int
    esp_seq: int
    udp_encap: bool
    problem: str | None


def _empty(ethertype: int = -1, vlans: tuple[int, ...] = (), l3: int = -1, problem: str | None = None) -> FrameView:
    return FrameView(ethertype, vlans, l3, 0, b"", b"", -1, -1, -1, -1, -1, -1, -1, (), -1, -1,
                     -1, -1, -1, -1, -1, False, problem)


def parse_frame(frame: bytes) -> FrameView:
    """Dissect an Ethernet frame. Never raises."""
    eth = parse_ethernet(frame)
    if eth is None:
        return _empty(problem="short-ethernet")
    return parse_l3(frame, eth.l3_offset, eth.ethertype, eth.vlans)


def parse_l3(buf: bytes, off: int = 0, ethertype: int = -1, vlans: tuple[int, ...] = ()) -> FrameView:
    """Dissect the IP packet at ``off`` (an L3 buffer when ``off`` is 0). Never raises."""
    n = len(buf)
    version = buf[off] >> 4 if n > off else 0
    ext: tuple[tuple[int, int, int], ...] = ()
    if version == 4:
        if n < off + 20:
            return _empty(ethertype, vlans, off, "short-ip")
        vihl, tos, total, ident, ffo, ttl, proto, _c, src, dst = _V4.unpack_from(buf, off)
        l4 = off + (vihl & 0x0F) * 4
        flags, frag, flow, end = ffo >> 13, ffo & 0x1FFF, -1, off + total
    elif version == 6:
        if n < off + 40:
            return _empty(ethertype, vlans, off, "short-ip")
        word, plen, nh, ttl, src, dst = _V6.unpack_from(buf, off)
        tos, flow, ident, flags, frag, total = (word >> 20) & 0xFF, word & 0xFFFFF, -1, -1, -1, 40 + plen
        end = off + total
        ext, proto, l4, _nh_at, truncated = walk_extensions(buf, off + 40, nh, off + 6)
        if truncated:
            return FrameView(ethertype, vlans, off, 6, src, dst, tos, ttl, ident, flags, frag, flow, total,
                             ext, proto, l4, -1, -1, -1, -1, -1, False, "short-ext")
        for kind, e_off, _len in ext:
            if kind == 44:
                frag = struct.unpack_from("!H", buf, e_off + 2)[0] >> 3
    else:
        return _empty(ethertype, vlans, off, "not-ip")
    problem = "ip-length" if end > n else None
    sport = dport = esp_off = spi = seq = -1
    encap = False
    if proto == 50 and frag in (0, -1):
        esp_off = l4
    elif proto in (6, 17) and frag in (0, -1):
        if l4 + 4 <= n:
            sport, dport = _PORTS.unpack_from(buf, l4)
            # RFC 3948 §2.2: on port 4500 a zero "non-ESP marker" means IKE, 1 byte 0xFF keepalive.
            if proto == 17 and NAT_T_PORT in (sport, dport) and min(end, n) - l4 >= 16 \
                    and buf[l4 + 8:l4 + 12] != b"\x00\x00\x00\x00":
                esp_off, encap = l4 + 8, True
        else:
            problem = problem or "short-l4"
    if esp_off >= 0:
        if esp_off + 8 <= n:
            spi, seq = _ESP.unpack_from(buf, esp_off)
        else:
            problem, esp_off = problem or "short-l4", -1
    return FrameView(ethertype, vlans, off, version, src, dst, tos, ttl, ident, flags, frag, flow, total,
                     ext, proto, l4, sport, dport, esp_off, spi, seq, encap, problem)
