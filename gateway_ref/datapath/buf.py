"""The per-packet record carried through the graph, and the per-SA runtime context.

One ``Buf`` per packet (``__slots__``, no per-node copies): ``data`` is the frame at RX, the
L3 packet after ``ethernet-input``, the outer packet once encrypted. ``SaCtx`` pairs
an SA's frozen cfg rule and its ESP state with its placement and counters, as VPP keeps SA
config apart from runtime state.
"""
from __future__ import annotations

from typing import Any

from gateway_ref.cfg.records import Family, SaMode, SaRule
from gateway_ref.crypto.placement import Placement
from gateway_ref.datapath.drops import DropReason
from gateway_ref.datapath.espops import EspOps


_V4 = Family.IPV4  # bound once: Enum member access through the class is slow per packet


class Buf:
    """One packet in flight. ``sa`` is the SA to encrypt with (outbound) or that decrypted it
    (inbound); ``op`` the prepared crypto op; ``esp_off`` where ESP starts (inbound);
    ``tx_port`` the port it leaves on; ``reason``/``node`` why and where it was dropped.

    Only the four fields every node may read are set at creation (one store per field per
    packet counts here); each other field is written by the node that decides it before any
    node reads it: ``esp_off`` by ``ipsec-classify``, ``op`` by the ESP nodes or the ports,
    ``tx_port`` by the ESP nodes or ``route``, ``reason``/``node`` by ``drop_to``."""

    __slots__ = ("data", "port", "family", "sa", "op", "esp_off", "tx_port", "reason", "node")

    op: Any
    esp_off: int
    tx_port: int
    reason: DropReason
    node: str

    def __init__(self, data: bytes, port: int) -> None:
        self.data = data
        self.port = port
        self.family: Family = _V4
        self.sa: SaCtx | None = None


class SaCtx:
    """Runtime view of one SA: rule, ESP state (``esp``) with its bound ``prepare``/``finish``
    and ``whole`` (all of ESP for one packet, synchronously), ``burst`` (inbound: a burst of its
    packets decrypted as ``esp-decrypt`` does), placement, and ``drops``: packets the datapath itself drops for this SA (a tunnel address
    mismatch); the ESP runtime counts what ESP processes and drops (``EspOps.stats``)."""

    __slots__ = ("rule", "esp", "prepare", "finish", "whole", "burst", "stats", "placement", "outbound", "key", "spi",
                 "outer_family", "port_id", "tx_port", "src", "dst", "addrs", "inline", "cpu", "lookaside", "drops")

    def __init__(self, rule: SaRule, esp: Any, ops: EspOps, placement: Placement, inner_family: Family) -> None:
        self.rule = rule
        self.esp = esp
        self.placement = placement
        self.outbound = rule.direction.value == "out"
        self.prepare, self.finish, self.whole, self.burst = ops.bound(esp, self.outbound)
        self.stats = ops.stats
        self.key = f"{rule.direction.value}/{rule.spi}"
        self.spi = rule.spi
        if rule.mode is SaMode.IPV4_TUNNEL:
            self.outer_family = Family.IPV4
        elif rule.mode is SaMode.IPV6_TUNNEL:
            self.outer_family = Family.IPV6
        else:
            self.outer_family = inner_family
        self.port_id = rule.port_id if rule.port_id is not None else -1
        # outbound: the port its packets leave on when that does not depend on the packet:
        # inline SAs use port_id; tunnel SAs always route the same outer destination (set by
        # the pipeline from the route table, which never changes); -1 = look the route up
        self.tx_port = self.port_id if placement.is_inline else -1
        self.src = rule.src.packed if rule.src is not None else None
        self.dst = rule.dst.packed if rule.dst is not None else None
        # tunnel endpoints as they sit in an arriving packet's outer header (src then dst)
        self.addrs = self.src + self.dst if self.src is not None and self.dst is not None else None
        # placement facts as plain attributes: enum hashing costs too much per packet
        self.inline = placement.is_inline
        self.cpu = placement is Placement.CPU  # esp-encrypt/esp-decrypt run the crypto themselves
        self.lookaside = placement is Placement.LOOKASIDE  # prepared ops go to crypto-lookaside
        self.drops = 0

    def snapshot(self) -> dict[str, Any]:
        """packets/bytes (inner) ESP handled, drops in total and by reason, the cfg type."""
        st = self.stats(self.esp)
        by_reason = {r.value: n for r, n in st.drops.items() if n}
        if self.drops:
            by_reason[DropReason.BAD_TUNNEL_ADDRESS.value] = by_reason.get(DropReason.BAD_TUNNEL_ADDRESS.value, 0) + self.drops
        return {"packets": st.packets, "bytes": st.bytes, "drops": sum(by_reason.values()),
                "drops_by_reason": dict(sorted(by_reason.items())), "type": self.rule.type.value}
