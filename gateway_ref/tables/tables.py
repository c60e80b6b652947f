"""All lookup tables of the reference gateway, built once from a parsed ``Config``."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from gateway_ref.cfg.gcpause import cyclic_gc_paused
from gateway_ref.cfg.records import Config, Direction, Family, SaRule
from gateway_ref.tables.l2 import ZERO_MAC, check_port_macs, default_port_mac, neigh_macs
from gateway_ref.tables.lpm import Lpm
from gateway_ref.tables.sad import Sad, build_sad
from gateway_ref.tables.spd import DEFAULT_CACHE_SIZE, Spd


@dataclass(frozen=True)
class Tables:
    """SPDs, SAD, routes and L2 addresses. Only the SPD lookup caches are mutable."""

    config: Config
    spds: Mapping[tuple[Family, Direction], Spd]
    sad: Sad
    routes: Mapping[Family, Lpm]
    neigh_macs: Mapping[int, bytes]
    port_macs: Mapping[int, bytes] = field(default_factory=dict)

    def spd(self, family: Family, direction: Direction) -> Spd | None:
        """The SPD, or None when the cfg has no rule of this family and direction (pass-through)."""
        return self.spds.get((family, direction))

    def sa_out(self, spi: int) -> SaRule | None:
        return self.sad.outbound.get(spi)

    def sa_in(self, outer_family: Family, spi: int) -> SaRule | None:
        """Inbound SA by SPI in the table of the packet's outer family (endpoints unchecked)."""
        return self.sad.inbound.get((outer_family, spi))

    def inner_family(self, sa: SaRule) -> Family:
        """The family of the packets ``sa`` protects (from its SP rules)."""
        return self.sad.inner_family[(sa.direction, sa.spi)]

    def route(self, family: Family, dst_addr: bytes) -> int | None:
        """Output port for ``dst_addr`` (4 or 16 bytes), or None when no route covers it."""
        lpm = self.routes.get(family)
        return None if lpm is None else lpm.lookup(dst_addr)

    def neigh_mac(self, port: int) -> bytes:
        """Destination MAC of frames sent on ``port``."""
        return self.neigh_macs.get(port, ZERO_MAC)

    def port_mac(self, port: int) -> bytes:
        """The port's own (source) MAC."""
        mac = self.port_macs.get(port)
        return default_port_mac(port) if mac is None else mac


def build_tables(cfg: Config, *, port_macs: Mapping[int, bytes] | None = None,
                 spd_cache_size: int = DEFAULT_CACHE_SIZE) -> Tables:
    """Build every table from ``cfg``; ``port_macs`` overrides the default port MACs."""
    with cyclic_gc_paused():
        return _build(cfg, port_macs, spd_cache_size)


def _build(cfg: Config, port_macs: Mapping[int, bytes] | None, spd_cache_size: int) -> Tables:
    spds: dict[tuple[Family, Direction], Spd] = {}
    for family in Family:
        for direction in Direction:
            rules = [r for r in cfg.sp if r.family is family and r.direction is direction]
            if rules:
                spds[(family, direction)] = Spd(family, direction, rules, spd_cache_size)
    routes = {family: Lpm(family, [r for r in cfg.rt if r.family is family]) for family in Family}
    return Tables(
        config=cfg,
        spds=spds,
        sad=build_sad(cfg.sa, cfg.sa_inner_family),
        routes=routes,
        neigh_macs=neigh_macs(cfg.neigh),
        port_macs=check_port_macs(port_macs or {}),
    )
