"""Byte-level checks of the L2 and outer IP header of an encrypted packet.

RFC 4301 §5.1.2.1 (IPv4) / §5.1.2.2 (IPv6) tunnel header construction (A6), ECN copy on
encapsulation (RFC 6040 §4.1, A8), and the secgw header choices of the profile (ID, DF, TTL,
hop limit, flow label: secgw-reference.md §3.6/§3.7). In IPv6 the ESP header is found by
walking the extension headers (RFC 8200 §4): in transport mode the base header names the first
extension header and the last one names ESP (RFC 4303 §3.1.1); which headers may sit after ESP
is judged on the decrypted payload (``checks_esp``). The fast path compares one unpacked tuple
with the expected one; fields are examined one by one only when that differs.
"""
from __future__ import annotations

import struct

from harness.codec.checksum import internet_checksum
from harness.codec.ipv6 import walk_extensions
from harness.verify.expectations import Encrypt, OuterExpect
from harness.verify.findings import Finding, PacketRef, make_finding
from harness.verify.ipview import chain_names
from harness.verify.profiles import Profile

_V4 = struct.Struct("!BBHHHBBH4s4s")
_V6 = struct.Struct("!IHBB16s16s")
_ETH_MIN_PAYLOAD = 46


def check_l2(frame: bytes, eth_dst: bytes, eth_src: bytes, profile: Profile, ref: PacketRef) -> list[Finding]:
    """Ethernet src = the DUT port's MAC, dst = the neighbour's (secgw §3.8)."""
    out = []
    if frame[0:6] != eth_dst:
        out.append(make_finding("SG-L2", profile.name, ref, "eth.dst", eth_dst.hex(":"), frame[0:6].hex(":"),
                                frame=frame))
    if frame[6:12] != eth_src:
        out.append(make_finding("SG-L2", profile.name, ref, "eth.src", eth_src.hex(":"), frame[6:12].hex(":"),
                                frame=frame))
    return out


def _length_ok(declared: int, present: int) -> bool:
    return declared == present or (present == _ETH_MIN_PAYLOAD and declared < present)


def check_outer(exp: Encrypt, frame: bytes, profile: Profile, ref: PacketRef) -> list[Finding]:
    """Every outer header field of the encrypted ``frame`` against ``exp.outer``."""
    l3 = frame[14:]
    o = exp.outer
    if not l3 or l3[0] >> 4 != o.version:
        return [make_finding("A6", profile.name, ref, "outer.version", o.version, l3[0] >> 4 if l3 else None,
                             frame=frame)]
    if o.version == 4:
        return _check_v4(o, l3, profile, ref, frame)
    return _check_v6(o, l3, profile, ref, frame)


def _field(out: list[Finding], rid: str, profile: Profile, ref: PacketRef, name: str, exp: object,
           obs: object, frame: bytes, detail: str = "") -> None:
    if exp is not None and exp != obs:
        out.append(make_finding(rid, profile.name, ref, name, exp, obs, detail=detail, frame=frame))


def _tos(out: list[Finding], o: OuterExpect, tos: int, profile: Profile, ref: PacketRef, frame: bytes) -> None:
    _field(out, profile.outer_requirement("dscp"), profile, ref, "outer.dscp", o.tos >> 2, tos >> 2, frame)
    _field(out, profile.outer_requirement("ecn"), profile, ref, "outer.ecn", o.tos & 3, tos & 3, frame)


def _ttl(out: list[Finding], rid: str, expected: int | None, observed: int, name: str, profile: Profile,
         ref: PacketRef, frame: bytes) -> None:
    if expected is None:
        _field(out, "A6", profile, ref, name, "non-zero", "non-zero" if observed else 0, frame)
    else:
        _field(out, rid, profile, ref, name, expected, observed, frame)


def _check_v4(o: OuterExpect, l3: bytes, profile: Profile, ref: PacketRef, frame: bytes) -> list[Finding]:
    if len(l3) < 20:
        return [make_finding("A6", profile.name, ref, "outer.length", ">= 20", len(l3), frame=frame)]
    vihl, tos, total, ident, flags, ttl, proto, _csum, src, dst = _V4.unpack_from(l3)
    out: list[Finding] = []
    _field(out, "A6", profile, ref, "outer.ihl", 0x45, vihl, frame, "IP options are not copied")
    _tos(out, o, tos, profile, ref, frame)
    if not _length_ok(total, len(l3)):
        _field(out, "A6", profile, ref, "outer.total_length", len(l3), total, frame)
    _field(out, profile.outer_requirement("ident"), profile, ref, "outer.id", o.ident, ident, frame)
    if o.df is not None:
        _field(out, profile.outer_requirement("df"), profile, ref, "outer.df", o.df, (flags >> 14) & 1, frame)
    _ttl(out, profile.outer_requirement("ttl"), o.ttl, ttl, "outer.ttl", profile, ref, frame)
    _field(out, "A6", profile, ref, "outer.proto", o.proto, proto, frame)
    _field(out, "A6", profile, ref, "outer.src", o.src.packed.hex(), src.hex(), frame, f"expected {o.src}")
    _field(out, "A6", profile, ref, "outer.dst", o.dst.packed.hex(), dst.hex(), frame, f"expected {o.dst}")
    if (vihl & 0xF) >= 5 and internet_checksum(l3[:(vihl & 0xF) * 4]) != 0:
        out.append(make_finding("A6", profile.name, ref, "outer.checksum", "valid", f"{_csum:#06x} (invalid)",
                                frame=frame))
    return out


def _check_v6(o: OuterExpect, l3: bytes, profile: Profile, ref: PacketRef, frame: bytes) -> list[Finding]:
    if len(l3) < 40:
        return [make_finding("A6", profile.name, ref, "outer.length", ">= 40", len(l3), frame=frame)]
    word, plen, nh, hlim, src, dst = _V6.unpack_from(l3)
    out: list[Finding] = []
    _tos(out, o, (word >> 20) & 0xFF, profile, ref, frame)
    _field(out, profile.outer_requirement("flow_label"), profile, ref, "outer.flow_label", o.flow_label,
           word & 0xFFFFF, frame)
    if not _length_ok(40 + plen, len(l3)):
        _field(out, "A6", profile, ref, "outer.payload_length", len(l3) - 40, plen, frame)
    _esp_after_extensions(out, o, l3, nh, profile, ref, frame)
    _ttl(out, profile.outer_requirement("hop_limit"), o.ttl, hlim, "outer.hop_limit", profile, ref, frame)
    _field(out, "A6", profile, ref, "outer.src", o.src.packed.hex(), src.hex(), frame, f"expected {o.src}")
    _field(out, "A6", profile, ref, "outer.dst", o.dst.packed.hex(), dst.hex(), frame, f"expected {o.dst}")
    return out


def _esp_after_extensions(out: list[Finding], o: OuterExpect, l3: bytes, nh: int, profile: Profile,
                          ref: PacketRef, frame: bytes) -> None:
    """The header chain from the base header must reach ESP (or UDP for RFC 3948) after any
    extension headers (RFC 8200 §4; RFC 4303 §3.1.1): the last header's next header is 50."""
    headers, upper, off, _nh_at, truncated = walk_extensions(l3, 40, nh, 6)
    where = f"after extension headers {chain_names(headers)}" if headers else "in the base header"
    if truncated:
        out.append(make_finding("A6", profile.name, ref, "outer.extension_headers", "a complete chain",
                                f"truncated at offset {off}", frame=frame, detail=where))
    elif upper != o.proto:
        out.append(make_finding("A6", profile.name, ref, "outer.next_header", o.proto, upper, frame=frame,
                                detail=where))
