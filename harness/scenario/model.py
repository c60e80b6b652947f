"""The harness's own model of a gateway test setup: ports, SAs, policies, routes, neighbours
and gateway options, as frozen records validated on construction.

Semantics follow DPDK ipsec-secgw (secgw-reference.md §1–§3): ``protect N`` names an SA by
SPI in the same direction; each SA is referenced by protect rules of exactly one inner family
(§1.3 start-up cross checks); port roles come from the unprotected port mask (§3.1).
This module holds no cfg text; see ``cfg_writer`` and ``cfg_reader``.
"""
from __future__ import annotations

import enum
import ipaddress
from dataclasses import dataclass

from harness.codec.spec import EspSaSpec

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class Family(enum.Enum):
    IPV4 = 4
    IPV6 = 6


class PortRole(enum.Enum):
    UNPROTECTED = "unprotected"  # ESP side: traffic arriving here is inbound (-u mask)
    PROTECTED = "protected"  # clear side: traffic arriving here is outbound


class Direction(enum.Enum):
    IN = "in"
    OUT = "out"


class PolicyAction(enum.Enum):
    PROTECT = "protect"
    BYPASS = "bypass"
    DISCARD = "discard"


class SaType(enum.Enum):
    """secgw ``type`` keyword: where crypto (or all of ESP) runs (§3.10)."""

    NO_OFFLOAD = "no-offload"
    CPU_CRYPTO = "cpu-crypto"
    INLINE_CRYPTO = "inline-crypto-offload"
    INLINE_PROTOCOL = "inline-protocol-offload"

    @property
    def needs_port(self) -> bool:
        return self in (SaType.INLINE_CRYPTO, SaType.INLINE_PROTOCOL)


class Engine(enum.Enum):
    LIBRARY = "library"  # librte_ipsec (-l): anti-replay, ESN, all algorithms but DES/SM4
    LEGACY = "legacy"  # the app's own esp.c: no anti-replay/ESN, fewer algorithms


def family_of(net: IPNetwork | ipaddress.IPv4Address | ipaddress.IPv6Address) -> Family:
    return Family.IPV4 if net.version == 4 else Family.IPV6


def default_dut_mac(port_id: int) -> bytes:
    """Deterministic locally administered DUT MAC: 02:00:00:00:d0:<port>."""
    return bytes((0x02, 0, 0, 0, 0xD0, port_id & 0xFF))


def default_tester_mac(port_id: int) -> bytes:
    """Deterministic locally administered tester MAC: 02:00:00:00:7e:<port>."""
    return bytes((0x02, 0, 0, 0, 0x7E, port_id & 0xFF))


def _check_mac(value: object, field: str) -> None:
    if not isinstance(value, bytes) or len(value) != 6:
        raise ValueError(f"{field} must be 6 bytes, got {value!r}")


def _check_port_number(value: object, field: str) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 255:
        raise ValueError(f"{field} must be a port number 0..255, got {value!r}")


@dataclass(frozen=True)
class Port:
    """A tester-facing DUT port: ``id`` is the secgw port number."""

    id: int
    role: PortRole
    dut_mac: bytes
    tester_mac: bytes

    def __post_init__(self) -> None:
        _check_port_number(self.id, "Port.id")
        if not isinstance(self.role, PortRole):
            raise ValueError(f"Port.role must be one of {[r.value for r in PortRole]}, got {self.role!r}")
        _check_mac(self.dut_mac, "Port.dut_mac")
        _check_mac(self.tester_mac, "Port.tester_mac")

    @classmethod
    def with_defaults(cls, port_id: int, role: PortRole) -> Port:
        return cls(port_id, role, default_dut_mac(port_id), default_tester_mac(port_id))


@dataclass(frozen=True)
class SecurityAssociation:
    """One direction of a tunnel: the ESP parameters plus what secgw needs around them.

    ``inner_family`` is the family of the packets the SA carries (the family of the SP rules
    that reference it); ``esn_start`` is secgw's per-SA ``esn N`` (0 = not written).
    """

    direction: Direction
    spec: EspSaSpec
    inner_family: Family
    sa_type: SaType = SaType.NO_OFFLOAD
    port_id: int | None = None
    esn_start: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.direction, Direction):
            raise ValueError(f"SecurityAssociation.direction must be in/out, got {self.direction!r}")
        if not isinstance(self.inner_family, Family):
            raise ValueError(f"SecurityAssociation.inner_family must be a Family, got {self.inner_family!r}")
        if not isinstance(self.sa_type, SaType):
            raise ValueError(f"SecurityAssociation.sa_type must be one of {[t.value for t in SaType]}, got {self.sa_type!r}")
        if self.sa_type.needs_port and self.port_id is None:
            raise ValueError(f"SecurityAssociation.port_id is required for type {self.sa_type.value} (spi {self.spi})")
        if self.port_id is not None:
            _check_port_number(self.port_id, "SecurityAssociation.port_id")
        if not isinstance(self.esn_start, int) or not 0 <= self.esn_start < 1 << 64:
            raise ValueError(f"SecurityAssociation.esn_start must be 0..2**64-1, got {self.esn_start!r}")
        if self.spec.udp_encap is not None and not self.sa_type.needs_port:
            raise ValueError(f"SecurityAssociation.spec.udp_encap needs an inline type; secgw rejects "
                             f"udp-encap with {self.sa_type.value} (spi {self.spi})")
        if not 1 <= self.spi <= 0xFFFFFFFE:
            raise ValueError(f"SecurityAssociation.spec.spi must be 1..4294967294 for secgw, got {self.spi}")

    @property
    def spi(self) -> int:
        return self.spec.spi

    @property
    def is_tunnel(self) -> bool:
        return self.spec.tunnel_src is not None

    @property
    def outer_family(self) -> Family:
        """Family of the packets on the wire: the tunnel's, or the inner one for transport."""
        if self.spec.tunnel_src is None:
            return self.inner_family
        return family_of(ipaddress.ip_address(self.spec.tunnel_src))


@dataclass(frozen=True)
class Tunnel:
    """A named pair of SAs; either side may be absent (an outbound-only test, for example)."""

    name: str
    outbound: SecurityAssociation | None = None
    inbound: SecurityAssociation | None = None

    def __post_init__(self) -> None:
        if self.outbound is None and self.inbound is None:
            raise ValueError(f"Tunnel {self.name!r}: needs an outbound or an inbound SA")
        if self.outbound is not None and self.outbound.direction is not Direction.OUT:
            raise ValueError(f"Tunnel {self.name!r}: outbound SA has direction {self.outbound.direction.value}")
        if self.inbound is not None and self.inbound.direction is not Direction.IN:
            raise ValueError(f"Tunnel {self.name!r}: inbound SA has direction {self.inbound.direction.value}")

    @property
    def sas(self) -> tuple[SecurityAssociation, ...]:
        return tuple(sa for sa in (self.outbound, self.inbound) if sa is not None)


FULL_PORT_RANGE = (0, 65535)


@dataclass(frozen=True)
class Policy:
    """One SP rule. ``src``/``dst`` None = token omitted (wildcard); ``sport``/``dport`` None =
    token omitted, which secgw reads as 0:0 (quirk: matches only L4 bytes equal to 0), so the
    default is the explicit full range."""

    family: Family
    direction: Direction
    action: PolicyAction
    spi: int | None = None
    priority: int = 0
    src: IPNetwork | None = None
    dst: IPNetwork | None = None
    proto: tuple[int, int] = (0, 0)  # (value, mask): matches when proto & mask == value & mask
    sport: tuple[int, int] | None = FULL_PORT_RANGE
    dport: tuple[int, int] | None = FULL_PORT_RANGE

    def __post_init__(self) -> None:
        for name, cls in (("family", Family), ("direction", Direction), ("action", PolicyAction)):
            if not isinstance(getattr(self, name), cls):
                raise ValueError(f"Policy.{name} must be one of {[m.value for m in cls]}, got {getattr(self, name)!r}")
        if (self.action is PolicyAction.PROTECT) != (self.spi is not None):
            raise ValueError(f"Policy.spi must be set exactly when action is protect (action {self.action.value}, spi {self.spi})")
        if self.spi is not None and not 1 <= self.spi <= 0xFFFFFFFE:
            raise ValueError(f"Policy.spi must be 1..4294967294, got {self.spi}")
        if not isinstance(self.priority, int) or self.priority < 0:
            raise ValueError(f"Policy.priority must be an integer >= 0, got {self.priority!r}")
        for name in ("src", "dst"):
            net = getattr(self, name)
            if net is not None and family_of(net) is not self.family:
                raise ValueError(f"Policy.{name} {net} is not {self.family.name}")
        if len(self.proto) != 2 or not all(0 <= v <= 255 for v in self.proto):
            raise ValueError(f"Policy.proto must be (value, mask) with both 0..255, got {self.proto!r}")
        for name in ("sport", "dport"):
            rng = getattr(self, name)
            if rng is not None and (len(rng) != 2 or not 0 <= rng[0] <= rng[1] <= 65535):
                raise ValueError(f"Policy.{name} must be (low, high) with 0 <= low <= high <= 65535, got {rng!r}")


@dataclass(frozen=True)
class Route:
    """``rt FAMILY dst PREFIX port N``: longest-prefix route to a DUT port."""

    prefix: IPNetwork
    port: int

    def __post_init__(self) -> None:
        if not isinstance(self.prefix, (ipaddress.IPv4Network, ipaddress.IPv6Network)):
            raise ValueError(f"Route.prefix must be an IP network, got {self.prefix!r}")
        if self.prefix.prefixlen == 0:
            raise ValueError(f"Route.prefix {self.prefix} has length 0, which secgw's LPM rejects")
        _check_port_number(self.port, "Route.port")

    @property
    def family(self) -> Family:
        return family_of(self.prefix)


@dataclass(frozen=True)
class Neighbour:
    """``neigh port N MAC``: destination MAC of every frame the DUT sends on port N."""

    port: int
    mac: bytes

    def __post_init__(self) -> None:
        _check_port_number(self.port, "Neighbour.port")
        _check_mac(self.mac, "Neighbour.mac")


@dataclass(frozen=True)
class GatewayOptions:
    """secgw command-line options that change behaviour: ``-w``, ``-e``, engine (``-l``)."""

    replay_window: int = 0  # 0 = anti-replay disabled (secgw default)
    esn: bool = False
    engine: Engine = Engine.LIBRARY

    def __post_init__(self) -> None:
        if not isinstance(self.replay_window, int) or not 0 <= self.replay_window <= 1 << 20:
            raise ValueError(f"GatewayOptions.replay_window must be 0..{1 << 20}, got {self.replay_window!r}")
        if not isinstance(self.engine, Engine):
            raise ValueError(f"GatewayOptions.engine must be one of {[e.value for e in Engine]}, got {self.engine!r}")
