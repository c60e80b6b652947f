"""Security association database (secgw-reference.md section 3.5).

Outbound: SPI -> SA (the SP result names the SPI; no address lookup). Inbound: one SPI table
per *outer* family: a tunnel SA sits in the table of its tunnel family, a transport SA in the
table of the family of the SP rules that reference it. The tunnel endpoint check (outer src and
dst must equal the SA's) is left to the caller, which has the SA's ``src``/``dst`` at hand.

These are the frozen SA parameters; the mutable runtime state (sequence counter, replay window,
counters) belongs to the ESP layer.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from gateway_ref.cfg.records import Direction, Family, SaMode, SaRule


@dataclass(frozen=True)
class Sad:
    outbound: Mapping[int, SaRule]
    inbound: Mapping[tuple[Family, int], SaRule]
    inner_family: Mapping[tuple[Direction, int], Family]


def outer_family(sa: SaRule, inner: Family) -> Family:
    """The family of the packets that carry ``sa``'s ESP."""
    if sa.mode is SaMode.IPV4_TUNNEL:
        return Family.IPV4
    if sa.mode is SaMode.IPV6_TUNNEL:
        return Family.IPV6
    return inner


def build_sad(sas: tuple[SaRule, ...], inner_family: Mapping[tuple[Direction, int], Family]) -> Sad:
    """Index ``sas`` (already cross-checked: unique SPIs per direction, inner family known)."""
    outbound: dict[int, SaRule] = {}
    inbound: dict[tuple[Family, int], SaRule] = {}
    for sa in sorted(sas, key=lambda s: s.spi):
        inner = inner_family[(sa.direction, sa.spi)]
        if sa.direction is Direction.OUT:
            outbound[sa.spi] = sa
        else:
            inbound[(outer_family(sa, inner), sa.spi)] = sa
    return Sad(outbound, inbound, dict(inner_family))
