"""Frozen records the cfg parser produces (one per rule), and the whole parsed ``Config``.

Field semantics follow ``secgw-reference.md`` section 1; defaults are secgw's defaults.
"""
from __future__ import annotations

import enum
import ipaddress
from dataclasses import dataclass, field

from gateway_ref.cfg.errors import ConfigWarning, SourcePos

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class Family(enum.Enum):
    IPV4 = 4
    IPV6 = 6


class Direction(enum.Enum):
    IN = "in"
    OUT = "out"


class PolicyAction(enum.Enum):
    PROTECT = "protect"
    BYPASS = "bypass"
    DISCARD = "discard"


class SaMode(enum.Enum):
    IPV4_TUNNEL = "ipv4-tunnel"
    IPV6_TUNNEL = "ipv6-tunnel"
    TRANSPORT = "transport"


class OffloadType(enum.Enum):
    """SA ``type``: where crypto (or all of ESP) runs."""

    NO_OFFLOAD = "no-offload"
    CPU_CRYPTO = "cpu-crypto"
    INLINE_CRYPTO = "inline-crypto-offload"
    INLINE_PROTOCOL = "inline-protocol-offload"
    LOOKASIDE_PROTOCOL = "lookaside-protocol-offload"


class Fallback(enum.Enum):
    LOOKASIDE_NONE = "lookaside-none"
    CPU_CRYPTO = "cpu-crypto"


@dataclass(frozen=True)
class SpRule:
    """``sp FAMILY DIR esp ACTION [pri N] [src A/P] [dst A/P] [proto V:M] [sport L:H] [dport L:H]``."""

    family: Family
    direction: Direction
    action: PolicyAction
    spi: int | None  # only for PROTECT
    priority: int
    src: IPNetwork  # no /len in the cfg means /0 (secgw quirk)
    dst: IPNetwork
    proto_value: int
    proto_mask: int  # match when (proto & mask) == (value & mask)
    sport: tuple[int, int]  # inclusive; default (0, 0): only L4 bytes equal to 0 match
    dport: tuple[int, int]
    pos: SourcePos


@dataclass(frozen=True)
class SaRule:
    """``sa in|out SPI ...``. Keys are raw bytes exactly as written (AEAD/CTR/GMAC keys include the salt)."""

    direction: Direction
    spi: int
    mode: SaMode
    cipher_algo: str | None  # keyword from Table A, None when aead_algo is used
    cipher_key: bytes
    auth_algo: str | None  # keyword from Table B
    auth_key: bytes
    aead_algo: str | None  # keyword from Table C
    aead_key: bytes
    src: IPAddress | None  # tunnel endpoints; None for transport
    dst: IPAddress | None
    type: OffloadType
    port_id: int | None
    fallback: Fallback | None
    flow_direction: tuple[int, int] | None
    udp_encap: bool
    esn: int  # 0 = off; N > 0 = ESN on, initial sequence N
    mss: int
    reassembly_en: bool
    telemetry: bool
    pos: SourcePos


@dataclass(frozen=True)
class RtRule:
    """``rt FAMILY dst A/P port N``."""

    family: Family
    dst: IPNetwork
    port: int
    pos: SourcePos


@dataclass(frozen=True)
class NeighRule:
    """``neigh port N MAC``."""

    port: int
    mac: bytes  # 6 bytes
    pos: SourcePos


@dataclass(frozen=True)
class Config:
    """A whole parsed and cross-checked cfg.

    ``sa_inner_family`` maps (direction, SPI) to the inner family that the referencing SP rules
    define (secgw-reference 1.3).
    """

    source: str
    sp: tuple[SpRule, ...]
    sa: tuple[SaRule, ...]
    rt: tuple[RtRule, ...]
    neigh: tuple[NeighRule, ...]
    sa_inner_family: dict[tuple[Direction, int], Family] = field(default_factory=dict)
    warnings: tuple[ConfigWarning, ...] = ()
