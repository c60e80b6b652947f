"""The Internet checksum (RFC 1071) and its incremental update (RFC 1624, eqn. 3)."""
from __future__ import annotations

import sys
from array import array

_SWAP = sys.byteorder == "little"


def ones_sum(data: bytes, start: int = 0) -> int:
    """16-bit one's-complement sum (folded) of DATA taken as big-endian words, plus START."""
    if len(data) & 1:
        data = data + b"\x00"
    words = array("H", data)
    if _SWAP:
        words.byteswap()
    s = sum(words) + start
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def checksum(data: bytes, start: int = 0) -> int:
    """The Internet checksum of DATA (the value to store in the checksum field)."""
    return ~ones_sum(data, start) & 0xFFFF


def adjust(csum: int, old_word: int, new_word: int) -> int:
    """Checksum after one 16-bit word changes from OLD_WORD to NEW_WORD (RFC 1624 eqn. 3)."""
    s = (~csum & 0xFFFF) + (~old_word & 0xFFFF) + new_word
    s = (s & 0xFFFF) + (s >> 16)
    s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF
