"""Traffic and scenario helpers shared by the conformance tests.

Streams aim at the preset prefixes (``harness.scenario.presets.FLOWS``): outbound clear
packets go into the protected port, inbound ESP (what the peer would send, encrypted by the
harness codec with the inbound SA) into the unprotected port. Frame sizes cycle through 16
consecutive lengths so every ESP padding length of a 16-byte block cipher is exercised (RFC 4303
§2.4). Addresses only from 198.18.0.0/15 and 2001:2::/48.
"""
from __future__ import annotations

import dataclasses
import ipaddress

from harness.scenario.model import Direction, Family, PortRole, SaType, SecurityAssociation, Tunnel
from harness.scenario.presets import FLOWS
from harness.scenario.scenario import Scenario
from harness.stream.sizes import SizeSpec
from harness.stream.spec import EspStreamSpec, StreamSpec
from harness.stream.template import ExtKind, HeaderTemplate

PADDING_SIZES = SizeSpec.of(list(range(128, 144)))
IPV6_EXT = (ExtKind.HOP_BY_HOP, ExtKind.ROUTING, ExtKind.DEST_OPTS)  # RFC 8200 §4.1 order


def host(prefix: str, n: int) -> str:
    """The ``n``-th address of ``prefix``."""
    return str(ipaddress.ip_network(prefix)[n])


def inner_family(scenario: Scenario) -> Family:
    return scenario.sas[0].inner_family


def sa_of(scenario: Scenario, direction: Direction) -> SecurityAssociation:
    return next(sa for sa in scenario.sas if sa.direction is direction)


def port_of(scenario: Scenario, role: PortRole) -> int:
    return scenario.ports_with_role(role)[0].id


def template(scenario: Scenario, purpose: str, direction: Direction, *, ext: bool = True,
             **fields: object) -> HeaderTemplate:
    """A UDP template between the ``purpose`` prefixes (protect/bypass/discard) of the
    scenario's inner family (``src``/``dst`` in ``fields`` override the hosts); IPv6 templates
    carry extension headers unless ``ext`` is False."""
    fam = inner_family(scenario)
    prot, remote = FLOWS[fam][purpose]
    src, dst = (host(prot, 5), host(remote, 9)) if direction is Direction.OUT else (host(remote, 9), host(prot, 5))
    src, dst = str(fields.pop("src", src)), str(fields.pop("dst", dst))
    if fam is Family.IPV6 and ext:
        fields.setdefault("ext_headers", IPV6_EXT)
    return HeaderTemplate(src, dst, **fields)  # type: ignore[arg-type]


def outbound(scenario: Scenario, stream_id: int, count: int, purpose: str = "protect", *,
             sizes: SizeSpec = PADDING_SIZES, ext: bool = True, **fields: object) -> StreamSpec:
    """Clear packets into the protected port (what the protected network sends)."""
    return StreamSpec(stream_id, template(scenario, purpose, Direction.OUT, ext=ext, **fields), count, sizes,
                      port=port_of(scenario, PortRole.PROTECTED), name=f"{purpose}-out")


def inbound(scenario: Scenario, stream_id: int, count: int, purpose: str = "protect", *,
            sizes: SizeSpec = PADDING_SIZES, seq_start: int | None = None, ext: bool = True,
            **fields: object) -> StreamSpec:
    """Packets into the unprotected port: ESP with the inbound SA for ``protect`` (what the
    peer sends), clear otherwise."""
    esp = None
    if purpose == "protect":
        sa = sa_of(scenario, Direction.IN)
        esp = EspStreamSpec(sa.spec, max(sa.esn_start, 1) if seq_start is None else seq_start)
    return StreamSpec(stream_id, template(scenario, purpose, Direction.IN, ext=ext, **fields), count, sizes,
                      port=port_of(scenario, PortRole.UNPROTECTED), esp=esp, name=f"{purpose}-in")


def with_sas(scenario: Scenario, **changes: object) -> Scenario:
    """``scenario`` with ``changes`` applied to every SA (e.g. ``sa_type=...``, ``esn_start=...``)."""
    def edit(sa: SecurityAssociation | None) -> SecurityAssociation | None:
        return None if sa is None else dataclasses.replace(sa, **changes)
    tunnels = tuple(Tunnel(t.name, edit(t.outbound), edit(t.inbound)) for t in scenario.tunnels)
    return dataclasses.replace(scenario, tunnels=tunnels)


def with_sa_type(scenario: Scenario, sa_type: SaType) -> Scenario:
    """Every SA of ``scenario`` moved to ``sa_type``; inline types run on the unprotected port."""
    port = port_of(scenario, PortRole.UNPROTECTED) if sa_type.needs_port else None
    renamed = dataclasses.replace(scenario, name=f"{scenario.name}@{sa_type.value}")
    return with_sas(renamed, sa_type=sa_type, port_id=port)
