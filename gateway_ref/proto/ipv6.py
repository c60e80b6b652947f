"""IPv6 header (RFC 8200 §3) and the extension-header walk (RFC 8200 §4, AH per RFC 4302 §2.2).

``walk`` follows Hop-by-Hop, Routing, Destination Options, Fragment and AH headers and reports
where the chain ends. Transport-mode ESP is inserted there (RFC 4303 §3.1.1: after every
extension header, as secgw's trs_ipv6opts test expects) and an inbound ESP header is found
there. A Fragment header that is not atomic (offset 0 and M=0, RFC 6946) ends the walk, so a
fragment is never mistaken for the start of an ESP packet.
"""
from __future__ import annotations

import struct

HEADER_LEN = 40
OFF_PAYLOAD_LEN = 4
OFF_NEXT_HEADER = 6
OFF_HOP_LIMIT = 7
OFF_SRC = 8
OFF_DST = 24

NH_HOP_BY_HOP = 0
NH_ROUTING = 43
NH_FRAGMENT = 44
NH_AH = 51
NH_DEST_OPTS = 60
NH_NONE = 59

_OPTIONS_LIKE = frozenset((NH_HOP_BY_HOP, NH_ROUTING, NH_DEST_OPTS))
_H = struct.Struct("!H")


def traffic_class(pkt: bytes) -> int:
    return ((pkt[0] & 0x0F) << 4) | (pkt[1] >> 4)


def payload_len(pkt: bytes) -> int:
    return (pkt[4] << 8) | pkt[5]


def walk(pkt: bytes) -> tuple[int, int, int] | None:
    """Walk the extension-header chain of the IPv6 packet PKT.

    Returns ``(nh_offset, next_header, offset)``: the offset of the byte holding the final
    Next Header value, that value, and the offset where the header it names starts.
    None when an extension header runs past the end of PKT.
    """
    nh_off = OFF_NEXT_HEADER
    nh = pkt[nh_off]
    off = HEADER_LEN
    end = len(pkt)
    while True:
        if nh in _OPTIONS_LIKE:
            if off + 2 > end:
                return None
            length = (pkt[off + 1] + 1) << 3
        elif nh == NH_FRAGMENT:
            if off + 8 > end:
                return None
            if (pkt[off + 2] << 8 | pkt[off + 3]) != 0:  # offset or M flag: not atomic
                return nh_off, nh, off
            length = 8
        elif nh == NH_AH:
            if off + 2 > end:
                return None
            length = (pkt[off + 1] + 2) << 2
        else:
            return nh_off, nh, off
        if off + length > end:
            return None
        nh_off = off
        nh = pkt[off]
        off += length


def set_payload_len(pkt: bytearray, length: int) -> None:
    _H.pack_into(pkt, OFF_PAYLOAD_LEN, length)


def set_traffic_class(pkt: bytearray, tc: int) -> None:
    pkt[0] = 0x60 | (tc >> 4)
    pkt[1] = ((tc & 0x0F) << 4) | (pkt[1] & 0x0F)


def decrement_hop_limit(pkt: bytearray) -> None:
    if pkt[OFF_HOP_LIMIT]:
        pkt[OFF_HOP_LIMIT] -= 1
