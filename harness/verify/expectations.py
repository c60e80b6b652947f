"""What must become of one sent packet: exactly one of ForwardClear, Encrypt, Decrypt, Drop.

The records are NamedTuples (immutable, and several times cheaper to build than frozen
dataclasses: one is made per sent packet). Drop reasons are the reference gateway's counter
names (the kebab-case names of its drop counters), so expected drops can be compared with any
DUT's counters reported under them.
"""
from __future__ import annotations

import enum
import ipaddress
from typing import NamedTuple

from harness.codec.spec import EspSaSpec

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
FrameKey = tuple[int, int]


class DropReason(enum.Enum):
    RUNT_FRAME = "runt-frame"
    NON_IP = "non-ip"
    MALFORMED_IP = "malformed-ip"
    ESP_ON_PROTECTED_PORT = "esp-on-protected-port"
    SP_DISCARD = "sp-discard"
    SP_NO_MATCH = "sp-no-match"
    SP_CLEAR_ON_PROTECT = "sp-clear-on-protect"
    SP_WRONG_SA = "sp-wrong-sa"
    UNKNOWN_SPI = "unknown-spi"
    BAD_TUNNEL_ADDRESS = "bad-tunnel-address"
    ESP_TRUNCATED = "esp-truncated"
    REPLAY = "replay"
    ICV_FAILED = "icv-failed"
    BAD_PADDING = "bad-padding"
    BAD_NEXT_HEADER = "bad-next-header"
    DUMMY_PACKET = "dummy-packet"
    ECN_DECAP_DROP = "ecn-decap-drop"
    SEQUENCE_EXHAUSTED = "sequence-exhausted"
    NO_ROUTE = "no-route"


# the requirement that makes each drop mandatory (or the secgw behaviour behind it)
DROP_REQUIREMENT: dict[DropReason, str] = {
    DropReason.RUNT_FRAME: "SG-NON-IP",
    DropReason.NON_IP: "SG-NON-IP",
    DropReason.MALFORMED_IP: "R-IP-VALID",
    DropReason.ESP_ON_PROTECTED_PORT: "SG-ESP-ON-PROTECTED",
    DropReason.SP_DISCARD: "A1",
    DropReason.SP_NO_MATCH: "A1",
    DropReason.SP_CLEAR_ON_PROTECT: "A4",
    DropReason.SP_WRONG_SA: "A5",
    DropReason.UNKNOWN_SPI: "E17",
    DropReason.BAD_TUNNEL_ADDRESS: "E17",
    DropReason.ESP_TRUNCATED: "E19",
    DropReason.REPLAY: "E6",
    DropReason.ICV_FAILED: "E9",
    DropReason.BAD_PADDING: "E10",
    DropReason.BAD_NEXT_HEADER: "SG-NEXT-HEADER",
    DropReason.DUMMY_PACKET: "E13",
    DropReason.ECN_DECAP_DROP: "A8",
    DropReason.SEQUENCE_EXHAUSTED: "E4",
    DropReason.NO_ROUTE: "SG-ROUTE",
}


class OuterExpect(NamedTuple):
    """Expected outer IP header of an encrypted packet; None fields are not prescribed by the
    profile (a TTL/hop limit of None must still be non-zero)."""

    version: int
    src: IpAddress
    dst: IpAddress
    tos: int
    ident: int | None
    df: int | None
    ttl: int | None
    flow_label: int | None
    proto: int  # 50, or 17 with UDP encapsulation


class ForwardClear(NamedTuple):
    index: int  # position in the sent sequence
    key: FrameKey | None
    port: int
    frame: bytes  # exact expected Ethernet frame


class Encrypt(NamedTuple):
    index: int
    key: FrameKey | None
    port: int
    spec: EspSaSpec
    seq: int  # full expected sequence number on the SA
    eth_dst: bytes
    eth_src: bytes
    inner: bytes  # exact expected inner packet (tunnel) / original packet (transport)
    next_header: int
    outer: OuterExpect


class Decrypt(NamedTuple):
    index: int
    key: FrameKey | None
    port: int
    spi: int  # inbound SA that decrypted it
    frame: bytes  # exact expected Ethernet frame carrying the inner packet


class Drop(NamedTuple):
    index: int
    key: FrameKey | None
    reason: DropReason
    requirement: str
    detail: str = ""


Expectation = ForwardClear | Encrypt | Decrypt | Drop
