"""Field variations (TRex "field engine" style): a symbolic field, an operation and a range,
compiled once to a byte offset, width, bit mask and the factors by which a change of the
value moves the IPv4 header and L4 checksums.

Checksum fix-ups are incremental (RFC 1624): the one's-complement sum of a region equals the
region read as one big-endian integer modulo 0xFFFF, so a field of width w ending at offset e
contributes ``value * (256 if e is odd else 1)`` modulo 0xFFFF (regions start at even
offsets). Per-packet values: ``inc`` low, low+step, ... wrapping at high; ``dec`` from high
down; ``random`` uniform in [low, high] from ``random.Random`` seeded by the stream seed and
the variation index, so runs are reproducible.
"""
from __future__ import annotations

import enum
import ipaddress
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from harness.scenario.jsonutil import parse_enum
from harness.stream.template import Layout


class VarField(enum.Enum):
    SRC = "src"  # source address
    DST = "dst"  # destination address
    SPORT = "sport"  # UDP/TCP source port (ICMP echo identifier is not a port)
    DPORT = "dport"
    TOS = "tos"  # IPv4 TOS / IPv6 traffic class
    TTL = "ttl"  # TTL / hop limit
    FLOW_LABEL = "flow_label"  # IPv6 only
    IP_ID = "ip_id"  # IPv4 only


class VarOp(enum.Enum):
    INC = "inc"
    DEC = "dec"
    RANDOM = "random"


_ADDRESS_FIELDS = (VarField.SRC, VarField.DST)


def _as_int(value: int | str, field: VarField, where: str) -> int:
    if field in _ADDRESS_FIELDS:
        try:
            return int(ipaddress.ip_address(value))
        except ValueError:
            raise ValueError(f"{where} must be an IP address for field {field.value}, got {value!r}") from None
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"{where} must be an integer for field {field.value}, got {value!r}")
    return value


@dataclass(frozen=True)
class Variation:
    """Vary ``field`` over [low, high] (addresses as text, everything else integers)."""

    field: VarField
    op: VarOp
    low: int | str
    high: int | str
    step: int = 1

    def __post_init__(self) -> None:
        if not isinstance(self.field, VarField):
            raise ValueError(f"Variation.field must be one of {[f.value for f in VarField]}, got {self.field!r}")
        if not isinstance(self.op, VarOp):
            raise ValueError(f"Variation.op must be one of {[o.value for o in VarOp]}, got {self.op!r}")
        low, high = self.bounds
        if low > high:
            raise ValueError(f"Variation.low {self.low} is above Variation.high {self.high} ({self.field.value})")
        if self.field in _ADDRESS_FIELDS and ipaddress.ip_address(self.low).version != ipaddress.ip_address(self.high).version:
            raise ValueError(f"Variation.low and Variation.high are of different IP versions ({self.field.value})")
        if not isinstance(self.step, int) or self.step < 1:
            raise ValueError(f"Variation.step must be an integer >= 1, got {self.step!r}")

    @property
    def bounds(self) -> tuple[int, int]:
        return _as_int(self.low, self.field, "Variation.low"), _as_int(self.high, self.field, "Variation.high")

    def values(self, seed: int, index: int) -> Iterator[int]:
        """Endless per-packet values."""
        low, high = self.bounds
        span = high - low + 1
        if self.op is VarOp.RANDOM:
            rng = random.Random(seed * 1_000_003 + index)
            while True:
                yield rng.randint(low, high)
        k = 0
        while True:
            offset = (k * self.step) % span
            yield low + offset if self.op is VarOp.INC else high - offset
            k += 1

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field.value, "op": self.op.value, "low": self.low, "high": self.high, "step": self.step}

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = "variation") -> Variation:
        return cls(parse_enum(VarField, data.get("field"), f"{where}.field"),
                   parse_enum(VarOp, data.get("op"), f"{where}.op"), data.get("low"),  # type: ignore[arg-type]
                   data.get("high"), data.get("step", 1))  # type: ignore[arg-type]


@dataclass(frozen=True)
class FieldSlot:
    """A compiled variation: write ``(value << shift) & mask`` into ``width`` bytes at
    ``offset`` (keeping the other bits), and add ``(value - base) * factor`` to the sums."""

    offset: int
    width: int
    shift: int
    mask: int
    ipv4_factor: int  # 0 when the IPv4 header checksum does not cover the field
    l4_factor: int  # 0 when the L4 checksum (incl. pseudo-header) does not cover it


def _factor(offset: int, width: int) -> int:
    return 256 if (offset + width) % 2 else 1


def compile_slot(var: Variation, layout: Layout, proto_has_ports: bool) -> FieldSlot:
    """Where ``var`` lives in packets of ``layout``; ValueError when it does not fit the template."""
    v4 = layout.version == 4
    f = var.field
    low, high = var.bounds
    limits = {VarField.SPORT: 0xFFFF, VarField.DPORT: 0xFFFF, VarField.TOS: 0xFF, VarField.TTL: 0xFF,
              VarField.FLOW_LABEL: 0xFFFFF, VarField.IP_ID: 0xFFFF}
    if f in limits and not 0 <= low <= high <= limits[f]:
        raise ValueError(f"Variation {f.value}: range {low}..{high} exceeds 0..{limits[f]}")
    if f in _ADDRESS_FIELDS:
        if ipaddress.ip_address(var.low).version != layout.version:
            raise ValueError(f"Variation {f.value}: IPv{ipaddress.ip_address(var.low).version} range on an IPv{layout.version} template")
        src, dst, width = layout.addr_offsets
        off = src if f is VarField.SRC else dst
        return FieldSlot(off, width, 0, (1 << 8 * width) - 1, 1 if v4 else 0, 1 if layout.pseudo_header else 0)
    if f in (VarField.SPORT, VarField.DPORT):
        if not proto_has_ports:
            raise ValueError(f"Variation {f.value}: the template's protocol {layout.proto} has no ports (UDP/TCP only)")
        off = layout.l4_offset + (0 if f is VarField.SPORT else 2)
        return FieldSlot(off, 2, 0, 0xFFFF, 0, 1)
    if f is VarField.TOS:
        return FieldSlot(1, 1, 0, 0xFF, _factor(1, 1), 0) if v4 else FieldSlot(0, 4, 20, 0xFF << 20, 0, 0)
    if f is VarField.TTL:
        return FieldSlot(8, 1, 0, 0xFF, _factor(8, 1), 0) if v4 else FieldSlot(7, 1, 0, 0xFF, 0, 0)
    if f is VarField.FLOW_LABEL:
        if v4:
            raise ValueError("Variation flow_label: IPv6 only")
        return FieldSlot(0, 4, 0, 0xFFFFF, 0, 0)
    if not v4:
        raise ValueError("Variation ip_id: IPv4 only")
    return FieldSlot(4, 2, 0, 0xFFFF, _factor(4, 2), 0)
