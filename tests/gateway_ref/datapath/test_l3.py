"""datapath.l3 helpers against straightforward reference implementations."""
from __future__ import annotations

import struct

from hypothesis import given
from hypothesis import strategies as st

from gateway_ref.cfg.records import Family
from gateway_ref.datapath.drops import DropReason
from gateway_ref.datapath.l3 import esp_offset, ipv4_with_checksum, strip_ethernet, upper_layer


def _rfc1071(header: bytes) -> int:
    """RFC 1071 section 4.1, word by word."""
    total = 0
    for (word,) in struct.iter_unpack("!H", header):
        total += word
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


@given(st.binary(min_size=20, max_size=20), st.integers(0, 10).map(lambda n: n * 4), st.binary(max_size=30))
def test_checksum_matches_rfc1071(hdr: bytes, opts: int, payload: bytes) -> None:
    hdr = bytes([0x45 + opts // 4]) + hdr[1:] + bytes(opts)
    out = ipv4_with_checksum(hdr + payload)
    ihl = len(hdr)
    assert out[:10] == hdr[:10] and out[12:] == hdr[12:] + payload
    zeroed = hdr[:10] + b"\0\0" + hdr[12:ihl]
    assert int.from_bytes(out[10:12], "big") == _rfc1071(zeroed)
    assert _rfc1071(out[:ihl]) == 0  # a receiver's check passes


def test_strip_and_walk() -> None:
    eth = b"\x02" * 12
    v6 = bytes([0x60, 0, 0, 0, 0, 16, 0, 64]) + bytes(32) + bytes([50, 0]) + bytes(6) + b"SPI!SEQ."
    assert strip_ethernet(eth + b"\x86\xdd" + v6 + b"pad") == (v6, Family.IPV6)
    assert upper_layer(v6, Family.IPV6) == (50, 48)
    assert esp_offset(v6, Family.IPV6, natt=False) == 48
    assert upper_layer(v6[:44], Family.IPV6) is DropReason.MALFORMED_IP
    assert strip_ethernet(eth + b"\x81\x00" + bytes(40)) is DropReason.NON_IP  # VLAN: not handled


def _with_word(hdr: bytearray, at: int, target: int) -> bytes:
    """``hdr`` with the 16-bit word at ``at`` chosen so the one's-complement sum of the header
    (checksum field as it is) is ``target`` modulo 0xFFFF."""
    hdr[at:at + 2] = b"\0\0"
    rest = sum(w for (w,) in struct.iter_unpack("!H", bytes(hdr))) % 0xFFFF
    hdr[at:at + 2] = ((target - rest) % 0xFFFF).to_bytes(2, "big")
    return bytes(hdr)


def test_checksum_already_right_is_returned_as_is() -> None:
    good = ipv4_with_checksum(bytes.fromhex("4500002000070000401100000a12000a0a13000b") + b"x" * 12)
    assert ipv4_with_checksum(good) is good  # no copy when nothing changes


def test_checksum_ffff_is_rewritten_to_the_zero_rfc1071_gives() -> None:
    # the rest of the header sums to 0 (mod 0xFFFF), so the checksum is 0x0000; 0xFFFF in the
    # field also makes the whole sum 0 mod 0xFFFF but is not what RFC 1071 computes
    hdr = bytearray(bytes.fromhex("45000014" "0000" "0000" "4011" "ffff" "c6120001" "c6130001"))
    pkt = _with_word(hdr, 4, 0)  # the ID word makes the rest sum to 0
    assert pkt[10:12] == b"\xff\xff"
    out = ipv4_with_checksum(pkt)
    assert out[10:12] == b"\0\0" and out[:10] == pkt[:10] and out[12:] == pkt[12:]
    assert int.from_bytes(out[10:12], "big") == _rfc1071(pkt[:10] + b"\0\0" + pkt[12:20])
